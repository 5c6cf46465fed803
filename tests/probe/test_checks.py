"""Scenarios against a scripted world (fake transport): each fault gives exactly its
Zonemaster test cases and message tags, mandatory and forbidden alike (the exact set), as
the public test case specifications describe them. The lab and the in-process server
cover the same ground on the wire (test_lab.py, test_scenarios_wire.py)."""

from __future__ import annotations

import asyncio
import time

import dns.rdatatype
import pytest

from dnscc.probe.delegation import FOUND, walk
from dnscc.probe.model import ZoneReport
from dnscc.probe.profile import load_profile
from dnscc.probe.zone import Baseline, Undelegated, probe_zone

from .fakes import HINTS, NS1, NS2, ROOT, FakeTransport, World

PROFILE = load_profile()
NOW = time.time()


def probe(
    world: World,
    zone: str = "test.",
    baseline: Baseline | None = None,
    undelegated: Undelegated | None = None,
) -> ZoneReport:
    return asyncio.run(
        probe_zone(
            zone,
            hints=HINTS,
            profile=PROFILE,
            transport=world.transport(),
            baseline=baseline,
            undelegated=undelegated,
        )
    )


def tags(r: ZoneReport) -> set[tuple[str, str]]:
    return {(f.code, f.detail) for f in r.findings}


# scenario -> (the world, the exact (test case, tag) set)
SCENARIOS: dict[str, tuple[World, set[tuple[str, str]]]] = {
    "healthy": (World(), set()),
    "one server silent": (
        World(silent={NS2}),
        {("CONNECTIVITY01", "CN01_NO_RESPONSE_UDP"), ("CONNECTIVITY02", "CN02_NO_RESPONSE_TCP")},
    ),
    "lame server (the SOA MNAME)": (
        World(lame={NS1}),
        {
            ("DELEGATION04", "IS_NOT_AUTHORITATIVE"),
            ("CONNECTIVITY01", "CN01_UNEXPECTED_RCODE_SOA_QUERY_UDP"),
            ("CONNECTIVITY01", "CN01_UNEXPECTED_RCODE_NS_QUERY_UDP"),
            ("CONNECTIVITY02", "CN02_UNEXPECTED_RCODE_SOA_QUERY_TCP"),
            ("CONNECTIVITY02", "CN02_UNEXPECTED_RCODE_NS_QUERY_TCP"),
            ("ZONE01", "Z01_MNAME_UNEXPECTED_RCODE"),
            # As Zonemaster: the lame server's answers to the other test cases' queries.
            ("DELEGATION05", "UNEXPECTED_RCODE"),
            ("DNSSEC05", "NO_RESPONSE_DNSKEY"),
            ("DNSSEC14", "NO_RESPONSE_DNSKEY"),
            ("NAMESERVER02", "NS_ERROR"),
            ("NAMESERVER05", "A_UNEXPECTED_RCODE"),
            ("NAMESERVER12", "NS_ERROR"),
            ("NAMESERVER13", "NS_ERROR"),
        },
    ),
    "serial drift": (
        World(serial={NS1: 5, NS2: 4}),
        {("CONSISTENCY01", "MULTIPLE_SOA_SERIALS"), ("CONSISTENCY01", "SOA_SERIAL_VARIATION")},
    ),
    "servers disagree on NS": (
        World(child_ns={NS2: ["ns1.test.", "ns2.test.", "ns3.test."]}),
        {("CONSISTENCY04", "MULTIPLE_NS_SET")},
    ),
    "parent and zone NS differ": (
        World(child_ns={NS1: ["ns1.test.", "ns9.test."], NS2: ["ns1.test.", "ns9.test."]}),
        {
            ("DELEGATION07", "EXTRA_NAME_PARENT"),
            ("DELEGATION07", "EXTRA_NAME_CHILD"),
            ("DELEGATION01", "NOT_ENOUGH_IPV4_NS_CHILD"),  # ns9 has no address
        },
    ),
    "glue differs from the zone": (
        World(child_a={"ns1.test.": NS1, "ns2.test.": "127.9.1.99"}),
        {
            ("CONSISTENCY05", "IN_BAILIWICK_ADDR_MISMATCH"),
            ("CONSISTENCY05", "EXTRA_ADDRESS_CHILD"),
        },
    ),
    # Bug 7: glue a subset of the zone's addresses is a NOTICE, not an error.
    "glue a subset of the zone's addresses": (
        World(glue={"ns1.test.": NS1}),
        {("CONSISTENCY05", "EXTRA_ADDRESS_CHILD")},
    ),
    # Bug 2: the zone says a glued name does not exist.
    "glued name is NXDOMAIN in the zone": (
        World(child_a={"ns1.test.": NS1}, child_nx={"ns2.test."}),
        {("CONSISTENCY05", "IN_BAILIWICK_ADDR_MISMATCH")},
    ),
    "open zone transfer": (World(open_axfr=True), {("NAMESERVER03", "AXFR_AVAILABLE")}),
    "DS names a key that is not there": (
        World(ds_tag_offset=1),
        {("DNSSEC02", "DS02_NO_DNSKEY_FOR_DS"), ("DNSSEC02", "DS02_NO_VALID_DNSKEY_FOR_ANY_DS")},
    ),
    "DS matches no key": (
        World(ds_ok=False),
        {("DNSSEC02", "DS02_NO_MATCH_DS_DNSKEY")},
    ),
    # Bug 1: the referral carries no DS; the DS query at the parent does.
    "DS only in a direct query": (
        World(ds_ok=False, ds_in_referral=False),
        {("DNSSEC02", "DS02_NO_MATCH_DS_DNSKEY")},
    ),
    "DS for an unsigned zone (DS only in a direct query)": (
        World(signed=False, ds_published=True, ds_in_referral=False),
        {("DNSSEC07", "DS_BUT_NOT_DNSKEY"), ("DNSSEC11", "DS11_DS_BUT_UNSIGNED_ZONE")},
    ),
    "signed zone without DS": (World(ds_published=False), {("DNSSEC07", "DNSKEY_BUT_NOT_DS")}),
    "unsigned zone": (
        World(signed=False),
        {("DNSSEC07", "NEITHER_DNSKEY_NOR_DS"), ("DNSSEC07", "NOT_SIGNED")},
    ),
    "expired signatures": (
        World(inception=NOW - 20 * 86400, expiration=NOW - 86400),
        {
            ("DNSSEC02", "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS"),
            ("DNSSEC02", "DS02_NO_MATCHING_DNSKEY_RRSIG"),
            ("DNSSEC02", "DS02_RRSIG_NOT_VALID_BY_DNSKEY"),
            ("DNSSEC04", "RRSIG_EXPIRED"),
            ("DNSSEC08", "DS08_DNSKEY_RRSIG_EXPIRED"),
            ("DNSSEC09", "DS09_SOA_RRSIG_EXPIRED"),
            ("DNSSEC10", "DS10_NSEC_RRSIG_VERIFY_ERROR"),
        },
    ),
    "signatures not yet valid": (
        World(inception=NOW + 86400, expiration=NOW + 20 * 86400),
        {
            ("DNSSEC02", "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS"),
            ("DNSSEC02", "DS02_NO_MATCHING_DNSKEY_RRSIG"),
            ("DNSSEC02", "DS02_RRSIG_NOT_VALID_BY_DNSKEY"),
            ("DNSSEC08", "DS08_DNSKEY_RRSIG_NOT_YET_VALID"),
            ("DNSSEC09", "DS09_SOA_RRSIG_NOT_YET_VALID"),
            ("DNSSEC10", "DS10_NSEC_RRSIG_VERIFY_ERROR"),
        },
    ),
    # Bug 7: a missing signature is DNSSEC09's finding, not also DNSSEC13's.
    "SOA served without RRSIG": (
        World(unsigned_types={dns.rdatatype.SOA}),
        {("DNSSEC09", "DS09_MISSING_RRSIG_IN_RESPONSE")},
    ),
    "NSEC served without RRSIG": (
        World(unsigned_types={dns.rdatatype.NSEC}),
        {("DNSSEC10", "DS10_NSEC_MISSING_SIGNATURE")},
    ),
    # Bug 6: "could not test" about a broken zone is a finding.
    "every server silent": (
        World(silent={NS1, NS2}),
        {
            ("BASIC02", "B02_NO_WORKING_NS"),
            ("BASIC02", "B02_NS_NO_RESPONSE"),
            ("CONNECTIVITY01", "CN01_NO_RESPONSE_UDP"),
            ("CONNECTIVITY02", "CN02_NO_RESPONSE_TCP"),
        },
    ),
    "name servers without an address": (
        World(parent_ns=["ns1.other.", "ns2.other."], glue={}),
        {
            ("BASIC02", "B02_NO_WORKING_NS"),
            ("BASIC02", "B02_NS_NO_IP_ADDR"),
            ("DELEGATION01", "NO_IPV4_NS_DEL"),
            ("NAMESERVER06", "CAN_NOT_BE_RESOLVED"),
            ("NAMESERVER06", "NO_RESOLUTION"),
        },
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_each_scenario_gives_exactly_its_tags(scenario: str) -> None:
    world, expected = SCENARIOS[scenario]
    r = probe(world)
    assert tags(r) == expected, [(f.code, f.detail, f.message) for f in r.findings]
    assert all(f.severity == PROFILE.severity(f.code, f.detail) for f in r.findings)


def test_a_healthy_zone_has_nothing_untested_and_lists_what_it_skipped() -> None:
    r = probe(World())
    assert r.untested == ()
    assert r.queries > 0
    assert r.zone == "test."
    assert any("DNSCC_HIJACK" in s and "baseline" in s for s in r.skipped)


def test_a_zone_that_does_not_exist_is_B01_NO_CHILD_and_B02_NO_DELEGATION() -> None:
    r = probe(World(), zone="nosuch.")
    assert tags(r) == {("BASIC01", "B01_NO_CHILD"), ("BASIC02", "B02_NO_DELEGATION")}
    assert r.worst == "critical"
    assert r.findings[0].evidence[0].rcode == "NXDOMAIN"


def test_a_silent_server_is_named_and_its_evidence_is_the_timeout() -> None:
    r = probe(World(silent={NS2}))
    assert {f.server for f in r.findings} == {NS2}
    assert r.findings[0].evidence[0].status == "timeout"


def test_a_lame_server_shows_REFUSED_as_evidence() -> None:
    r = probe(World(lame={NS1}))
    (f,) = [f for f in r.findings if f.code == "DELEGATION04"]
    assert f.evidence[0].rcode == "REFUSED"
    assert f.severity == "warning"  # Zonemaster's default level


def test_a_delegation_moved_off_the_baseline_is_a_possible_hijack() -> None:
    r = probe(World(), baseline=Baseline.of(["ns1.other.", "ns2.other."]))
    assert tags(r) == {("DNSCC_HIJACK", "DNSCC_HIJACK")}
    assert r.findings[0].severity == "critical"
    assert not any("DNSCC_HIJACK" in s for s in r.skipped)


def test_a_partly_changed_delegation_is_DNSCC_DELEGATION_CHANGED() -> None:
    r = probe(World(), baseline=Baseline.of(["ns1.test.", "ns3.test."]))
    assert tags(r) == {("DNSCC_DELEGATION_CHANGED", "DNSCC_DELEGATION_CHANGED")}


def test_open_zone_transfer_is_reported_per_server() -> None:
    r = probe(World(open_axfr=True))
    assert {f.server for f in r.findings} == {NS1, NS2}


@pytest.mark.parametrize(("days", "severity"), [(2.0, "warning"), (0.5, "critical")])
def test_signatures_close_to_expiry_cross_the_profile_horizon(days: float, severity: str) -> None:
    r = probe(World(expiration=time.time() + days * 86400))
    own = [f for f in r.findings if f.code == "DNSCC_SIG_EXPIRY"]
    assert [f.severity for f in own] == [severity]
    expected = {("DNSCC_SIG_EXPIRY", "DNSCC_SIG_EXPIRY")}
    if days < 0.6:  # under Zonemaster's 12 hours as well
        expected.add(("DNSSEC04", "REMAINING_SHORT"))
    assert tags(r) == expected


def test_a_server_answering_garbage_is_untested_not_a_crash() -> None:
    r = probe(World(garbage={NS2}))
    assert tags(r) == set()
    assert any("garbage" in u for u in r.untested)


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


def test_a_big_NS_set_is_capped_and_the_rest_recorded_as_untested() -> None:
    names = [f"ns{i}.test." for i in range(1, 26)]
    w = World(
        parent_ns=names,
        glue={n: f"127.9.2.{i}" for i, n in enumerate(names, 1)},
        child_a={n: f"127.9.2.{i}" for i, n in enumerate(names, 1)},
    )
    r = probe(w)
    assert any("5 of 25 name servers not tested (max_ns)" in u for u in r.untested)
    assert len(r.servers) == 20
    # Per server a fixed set of queries; each name's addresses at three servers only.
    assert r.queries < 20 * 32 + 25 * 2 * 3


def test_out_of_bailiwick_servers_with_only_AAAA_are_tested() -> None:
    """Bug 4: name server addresses were looked up as A only."""
    w = World(
        parent_ns=["ns1.other.", "ns2.other."],
        glue={},
        elsewhere={"ns1.other.": "2001:db8::53", "ns2.other.": "2001:db8:1::53"},
    )
    r = probe(w)
    assert set(r.servers) == {"ns1.other.=2001:db8::53", "ns2.other.=2001:db8:1::53"}
    t = {tag for _, tag in tags(r)}
    assert "B02_NO_WORKING_NS" not in t
    assert "B02_NS_NO_IP_ADDR" not in t
    # Documentation addresses are outside the test bed, and judged as such.
    assert "NAMESERVER_IP_PRIVATE_NETWORK" in t


def test_a_referral_without_glue_is_followed_by_resolving_its_names() -> None:
    """Bug 5: a glueless referral ended the walk ("only glue is followed")."""
    import dns.flags
    import dns.message
    import dns.rrset

    def handler(server: str, q: dns.message.Message) -> dns.message.Message:
        name, qtype = q.question[0].name, q.question[0].rdtype
        r = dns.message.make_response(q)
        if server == ROOT and name.to_text() == "ns.other.":
            r.flags |= dns.flags.AA
            if qtype == dns.rdatatype.A:
                r.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "127.9.5.1"))
        elif server == ROOT:  # test. is delegated to ns.other., with no glue
            r.authority.append(dns.rrset.from_text("test.", 60, "IN", "NS", "ns.other."))
        elif server == "127.9.5.1":  # test.'s server refers sub.test. with glue
            r.authority.append(dns.rrset.from_text("sub.test.", 60, "IN", "NS", "ns.sub.test."))
            r.additional.append(dns.rrset.from_text("ns.sub.test.", 60, "IN", "A", "127.9.5.2"))
        return r

    found = asyncio.run(
        walk(dns.name.from_text("sub.test."), HINTS, FakeTransport(handler), ask_ds=False)
    )
    assert found.outcome == FOUND
    assert found.delegation is not None
    assert found.delegation.glue == {"ns.sub.test.": ["127.9.5.2"]}
    assert found.parent == "test."


def test_an_undelegated_test_uses_the_given_servers_and_DS() -> None:
    w = World()
    undelegated = Undelegated({"ns1.test.": [NS1], "ns2.test.": [NS2]}, [w.ds()[0].to_text()])
    r = probe(World(ds_published=False), undelegated=undelegated)
    assert tags(r) == set()  # the DS given matches: no DNSKEY_BUT_NOT_DS
    bad = Undelegated(
        {"ns1.test.": [NS1], "ns2.test.": [NS2]}, [World(ds_ok=False).ds()[0].to_text()]
    )
    assert ("DNSSEC02", "DS02_NO_MATCH_DS_DNSKEY") in tags(probe(World(), undelegated=bad))


def test_findings_carry_evidence_that_serialises() -> None:
    r = probe(World(lame={NS1}))
    d = r.as_dict()
    f = next(x for x in d["findings"] if x["code"] == "DELEGATION04")
    assert f["tag"] == "IS_NOT_AUTHORITATIVE"
    assert f["evidence"][0]["query"].startswith("test. SOA @127.9.1.1")
    assert f["evidence"][0]["rcode"] == "REFUSED"
    assert "skipped" in d


def test_the_chain_picture_data_marks_the_failing_link() -> None:
    good = probe(World())
    assert {n["type"] for n in good.chain if n["kind"] == "node"} >= {"DS", "DNSKEY", "RRSIG"}
    assert all(n["status"] == "ok" for n in good.chain)
    bad = probe(World(ds_ok=False))
    ds = [n for n in bad.chain if n.get("type") == "DS"]
    assert ds
    assert all(n["status"] == "bad" for n in ds)
