"""Checks against a scripted world (fake transport): each problem gives exactly its code."""

from __future__ import annotations

import asyncio
import time

import pytest

from dnscc.probe.model import ZoneReport
from dnscc.probe.profile import load_profile
from dnscc.probe.zone import Baseline, probe_zone

from .fakes import HINTS, NS1, NS2, World

PROFILE = load_profile()


def probe(world: World, zone: str = "test.", baseline: Baseline | None = None) -> ZoneReport:
    return asyncio.run(
        probe_zone(
            zone, hints=HINTS, profile=PROFILE, transport=world.transport(), baseline=baseline
        )
    )


def test_a_healthy_zone_has_no_finding_and_nothing_untested() -> None:
    r = probe(World())
    assert r.findings == ()
    assert r.untested == ()
    assert r.queries > 0
    assert r.zone == "test."


def test_a_silent_server_is_reported_as_CONNECTIVITY01() -> None:
    r = probe(World(silent={NS2}))
    assert r.codes == {"CONNECTIVITY01"}
    (f,) = r.findings
    assert f.server == NS2
    assert f.evidence[0].status == "timeout"


def test_a_lame_server_is_reported_as_DELEGATION04() -> None:
    r = probe(World(lame={NS1}))
    assert r.codes == {"DELEGATION04"}
    assert r.findings[0].evidence[0].rcode == "REFUSED"


def test_different_serials_are_reported_as_CONSISTENCY01() -> None:
    r = probe(World(serial={NS1: 5, NS2: 4}))
    assert r.codes == {"CONSISTENCY01"}
    assert len(r.findings[0].evidence) == 2


def test_servers_disagreeing_on_NS_give_CONSISTENCY04_and_DELEGATION07() -> None:
    r = probe(World(child_ns={NS2: ["ns1.test.", "ns2.test.", "ns3.test."]}))
    assert r.codes == {"CONSISTENCY04", "DELEGATION07"} or r.codes == {"CONSISTENCY04"}


def test_parent_and_child_NS_mismatch_is_DELEGATION07() -> None:
    w = World(child_ns={NS1: ["ns1.test.", "ns9.test."], NS2: ["ns1.test.", "ns9.test."]})
    r = probe(w)
    assert r.codes == {"DELEGATION07"}
    assert "ns9.test." in r.findings[0].message


def test_glue_that_differs_from_the_zone_is_CONSISTENCY05() -> None:
    w = World(child_a={"ns1.test.": NS1, "ns2.test.": "127.9.1.99"})
    assert probe(w).codes == {"CONSISTENCY05"}


def test_missing_in_bailiwick_glue_is_BASIC02() -> None:
    r = probe(World(glue={"ns1.test.": NS1}))
    assert r.codes == {"BASIC02"}
    assert "ns2.test." in r.findings[0].message  # its address was still found through ns1


def test_a_delegation_moved_off_the_baseline_is_a_possible_hijack() -> None:
    r = probe(World(), baseline=Baseline.of(["ns1.other.", "ns2.other."]))
    assert r.codes == {"DNSCC_HIJACK"}
    assert r.findings[0].severity == "critical"


def test_a_partly_changed_delegation_is_DNSCC_DELEGATION_CHANGED() -> None:
    r = probe(World(), baseline=Baseline.of(["ns1.test.", "ns3.test."]))
    assert r.codes == {"DNSCC_DELEGATION_CHANGED"}


def test_open_zone_transfer_is_NAMESERVER03() -> None:
    r = probe(World(open_axfr=True))
    assert r.codes == {"NAMESERVER03"}
    assert {f.server for f in r.findings} == {NS1, NS2}


def test_a_DS_matching_no_key_is_DNSSEC02() -> None:
    assert probe(World(ds_ok=False)).codes == {"DNSSEC02"}


def test_expired_signatures_are_DNSSEC04() -> None:
    now = time.time()
    assert probe(World(inception=now - 20 * 86400, expiration=now - 86400)).codes == {"DNSSEC04"}


def test_signatures_not_yet_valid_are_DNSSEC09() -> None:
    now = time.time()
    assert probe(World(inception=now + 86400, expiration=now + 20 * 86400)).codes == {"DNSSEC09"}


@pytest.mark.parametrize(("days", "severity"), [(2.0, "warning"), (0.5, "critical")])
def test_signatures_close_to_expiry_cross_the_profile_horizon(days: float, severity: str) -> None:
    r = probe(World(expiration=time.time() + days * 86400))
    assert r.codes == {"DNSCC_SIG_EXPIRY"}
    assert r.findings[0].severity == severity


def test_an_unsigned_zone_has_no_DNSSEC_finding() -> None:
    assert probe(World(signed=False)).codes == set()


def test_a_server_answering_garbage_is_untested_not_a_crash() -> None:
    r = probe(World(garbage={NS2}))
    assert "CONNECTIVITY01" not in r.codes
    assert "DELEGATION04" not in r.codes
    assert any("garbage" in u for u in r.untested)


def test_every_server_silent_leaves_the_zone_untested_with_reasons() -> None:
    r = probe(World(silent={NS1, NS2}))
    assert r.codes == {"CONNECTIVITY01"}
    assert any("DNSSEC" in u or "glue" in u for u in r.untested)


@pytest.mark.parametrize("name", ["bad..name", "-" * 70 + ".test", "a b.test"])
def test_an_invalid_name_is_recorded_as_untested(name: str) -> None:
    r = probe(World(), zone=name)
    assert r.findings == ()
    assert r.queries == 0
    assert r.untested[0].startswith("invalid zone name")


def test_an_IDN_is_probed_as_its_A_label() -> None:
    w = World()
    t = w.transport()
    asyncio.run(probe_zone("bücher.test", hints=HINTS, profile=PROFILE, transport=t))
    assert t.asked[0][1] == "xn--bcher-kva.test."


def test_a_huge_NS_set_is_capped_and_the_rest_recorded_as_untested() -> None:
    names = [f"ns{i}.test." for i in range(1, 61)]
    w = World(
        parent_ns=names,
        glue={n: f"127.9.2.{i}" for i, n in enumerate(names, 1)},
        child_a={n: f"127.9.2.{i}" for i, n in enumerate(names, 1)},
    )
    r = probe(w)
    assert any("not tested (max_ns)" in u for u in r.untested)
    assert r.queries < 400


def test_findings_carry_evidence_that_serialises() -> None:
    r = probe(World(lame={NS1}))
    d = r.as_dict()
    ev = d["findings"][0]["evidence"][0]
    assert ev["query"].startswith("test. SOA @127.9.1.1")
    assert ev["rcode"] == "REFUSED"
