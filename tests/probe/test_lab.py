"""End to end against the lab: every fault the lab can inject gives exactly its finding
codes (and no other), and after `clear` the zone is clean again."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from dnscc.lab.faults import FAULTS
from dnscc.lab.pytest_plugin import LabHandle
from dnscc.probe.model import ZoneReport
from dnscc.probe.profile import load_profile
from dnscc.probe.resolver import check_nxdomain_rewrite, check_randomness
from dnscc.probe.sweep import sweep_all
from dnscc.probe.transport import UdpTransport
from dnscc.probe.zone import Baseline, probe_zone, read_hints, read_trust_anchor

pytestmark = pytest.mark.lab
PROFILE = load_profile()

# fault -> (inject arguments, zone probed, the exact (test case, tag) set expected)
CN = "CONNECTIVITY01", "CONNECTIVITY02"
ZONE_FAULTS: dict[str, tuple[dict[str, Any], str, set[tuple[str, str]]]] = {
    # The silent server is also the SOA MNAME (the zone's first name server).
    "unreachable": (
        {"tld": "dk"},
        "dk.",
        {
            ("CONNECTIVITY01", "CN01_NO_RESPONSE_UDP"),
            ("CONNECTIVITY02", "CN02_NO_RESPONSE_TCP"),
            ("ZONE01", "Z01_MNAME_NO_RESPONSE"),
        },
    ),
    # The lame server answers REFUSED to every query of every test case.
    "lame": (
        {"tld": "ch"},
        "ch.",
        {
            ("DELEGATION04", "IS_NOT_AUTHORITATIVE"),
            ("CONNECTIVITY01", "CN01_UNEXPECTED_RCODE_SOA_QUERY_UDP"),
            ("CONNECTIVITY01", "CN01_UNEXPECTED_RCODE_NS_QUERY_UDP"),
            ("CONNECTIVITY02", "CN02_UNEXPECTED_RCODE_SOA_QUERY_TCP"),
            ("CONNECTIVITY02", "CN02_UNEXPECTED_RCODE_NS_QUERY_TCP"),
            ("DELEGATION05", "UNEXPECTED_RCODE"),
            ("DNSSEC05", "NO_RESPONSE_DNSKEY"),
            ("DNSSEC14", "NO_RESPONSE_DNSKEY"),
            ("NAMESERVER02", "NS_ERROR"),
            ("NAMESERVER05", "A_UNEXPECTED_RCODE"),
            ("NAMESERVER12", "NS_ERROR"),
            ("NAMESERVER13", "NS_ERROR"),
            ("ZONE01", "Z01_MNAME_UNEXPECTED_RCODE"),
        },
    ),
    "serial-drift": (
        {"tld": "se"},
        "se.",
        {
            ("CONSISTENCY01", "MULTIPLE_SOA_SERIALS"),
            ("CONSISTENCY01", "SOA_SERIAL_VARIATION"),
            ("ZONE01", "Z01_MNAME_NOT_MASTER"),
        },
    ),
    "slow": ({"tld": "se"}, "se.", {("DNSCC_SLOW", "DNSCC_SLOW")}),
    "lossy": ({"tld": "nl"}, "nl.", {("DNSCC_LOSSY", "DNSCC_LOSSY")}),
    # The zone drops its last NS and adds ns-extra at the dropped server's address.
    "ns-mismatch": (
        {"tld": "nl"},
        "nl.",
        {
            ("DELEGATION07", "EXTRA_NAME_PARENT"),
            ("DELEGATION07", "EXTRA_NAME_CHILD"),
            ("DELEGATION02", "CHILD_NS_SAME_IP"),
            ("DELEGATION02", "SAME_IP_ADDRESS"),
            ("CONSISTENCY05", "EXTRA_ADDRESS_CHILD"),
        },
    ),
    # No glue and no other way to the in-bailiwick names: nothing can be tested.
    "missing-glue": (
        {"tld": "dk"},
        "dk.",
        {
            ("BASIC02", "B02_NO_WORKING_NS"),
            ("BASIC02", "B02_NS_NO_IP_ADDR"),
            ("DELEGATION01", "NO_IPV4_NS_DEL"),
            ("NAMESERVER06", "CAN_NOT_BE_RESOLVED"),
            ("NAMESERVER06", "NO_RESOLUTION"),
        },
    ),
    # Glue to where nothing listens: every server silent, and the glue is not the recorded one.
    "wrong-glue": (
        {"tld": "ch"},
        "ch.",
        {
            ("BASIC02", "B02_NO_WORKING_NS"),
            ("BASIC02", "B02_NS_NO_RESPONSE"),
            ("CONNECTIVITY01", "CN01_NO_RESPONSE_UDP"),
            ("CONNECTIVITY02", "CN02_NO_RESPONSE_TCP"),
            ("DNSCC_DELEGATION_CHANGED", "DNSCC_DELEGATION_CHANGED"),
        },
    ),
    "expired-rrsig": (
        {"tld": "dk"},
        "dk.",
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
    "future-rrsig": (
        {"tld": "ch"},
        "ch.",
        {
            ("DNSSEC02", "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS"),
            ("DNSSEC02", "DS02_NO_MATCHING_DNSKEY_RRSIG"),
            ("DNSSEC02", "DS02_RRSIG_NOT_VALID_BY_DNSKEY"),
            ("DNSSEC08", "DS08_DNSKEY_RRSIG_NOT_YET_VALID"),
            ("DNSSEC09", "DS09_SOA_RRSIG_NOT_YET_VALID"),
            ("DNSSEC10", "DS10_NSEC_RRSIG_VERIFY_ERROR"),
        },
    ),
    "ds-mismatch": ({"tld": "dk"}, "dk.", {("DNSSEC02", "DS02_NO_MATCH_DS_DNSKEY")}),
    # The DS names a key that signs nothing, and its algorithm signs nothing either.
    "broken-rollover": (
        {"tld": "se"},
        "se.",
        {
            ("DNSSEC02", "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS"),
            ("DNSSEC02", "DS02_NO_MATCHING_DNSKEY_RRSIG"),
            ("DNSSEC13", "DS13_ALGO_NOT_SIGNED_DNSKEY"),
            ("DNSSEC13", "DS13_ALGO_NOT_SIGNED_NS"),
            ("DNSSEC13", "DS13_ALGO_NOT_SIGNED_SOA"),
        },
    ),
    # The hijacker's servers: an unsigned zone with short SOA timers.
    "hijack": (
        {"tld": "nl"},
        "nl.",
        {
            ("DNSCC_HIJACK", "DNSCC_HIJACK"),
            ("DNSSEC07", "NEITHER_DNSKEY_NOR_DS"),
            ("DNSSEC07", "NOT_SIGNED"),
            ("ZONE02", "REFRESH_MINIMUM_VALUE_LOWER"),
            ("ZONE04", "RETRY_MINIMUM_VALUE_LOWER"),
        },
    ),
    "open-axfr": ({"tld": "nl"}, "nl.", {("NAMESERVER03", "AXFR_AVAILABLE")}),
}
RESOLVER_FAULTS = {
    "nxdomain-rewrite": ("r1", {"DNSCC_NXDOMAIN_REWRITE"}),
    "fixed-source-port": ("r2", {"DNSCC_PORT_RANDOMNESS"}),
}


def tags(report: ZoneReport) -> set[tuple[str, str]]:
    return {(f.code, f.detail) for f in report.findings}


def test_every_lab_fault_has_a_test_here() -> None:
    assert set(ZONE_FAULTS) | set(RESOLVER_FAULTS) == set(FAULTS)


def baseline(lab: LabHandle, zone: str) -> Baseline | None:
    tld = zone.rstrip(".")
    if tld not in lab.tlds:
        return None
    servers = lab.tld_servers(tld)
    return Baseline.of(list(servers), {h: [a] for h, a in servers.items()})


def probe(lab: LabHandle, zone: str) -> ZoneReport:
    hints = read_hints(str(lab.root_hints))
    anchor = read_trust_anchor(str(lab.trust_anchor))

    async def run() -> ZoneReport:
        async with UdpTransport(PROFILE.transport) as t:
            return await probe_zone(
                zone,
                hints=hints,
                profile=PROFILE,
                transport=t,
                trust_anchor=anchor,
                baseline=baseline(lab, zone),
            )

    return asyncio.run(run())


def test_the_healthy_lab_sweeps_clean(lab: LabHandle) -> None:
    zones = [".", *lab.tlds, *(z for t in lab.tlds for z in lab.sld_zones(t))]
    hints = read_hints(str(lab.root_hints))
    anchor = read_trust_anchor(str(lab.trust_anchor))
    seen: list[int] = []

    async def run() -> list[ZoneReport]:
        async with UdpTransport(PROFILE.transport) as t:
            return await sweep_all(
                zones,
                hints=hints,
                profile=PROFILE,
                transport=t,
                trust_anchor=anchor,
                baselines={f"{t}.": b for t in lab.tlds if (b := baseline(lab, t)) is not None},
                progress=lambda done, total, r: seen.append(done),
            )

    reports = asyncio.run(run())
    assert len(reports) == len(zones)
    assert seen[-1] == len(zones)
    dirty = {r.zone: (sorted(r.codes), r.untested) for r in reports if r.findings or r.untested}
    assert dirty == {}


@pytest.mark.parametrize("fault", sorted(ZONE_FAULTS))
def test_each_zone_fault_gives_exactly_its_codes_and_clears(lab: LabHandle, fault: str) -> None:
    kwargs, zone, codes = ZONE_FAULTS[fault]
    with lab.fault(fault, **kwargs):
        report = probe(lab, zone)
        if fault == "lossy" and tags(report) != codes:
            # Loss is random: now and then every try of a query is lost, or none is; one
            # more probe, as an operator would.
            report = probe(lab, zone)
        assert tags(report) == codes, [(f.code, f.detail, f.message) for f in report.findings]
        # Findings about a server carry the answers (or the silence) that prove them.
        assert all(f.evidence for f in report.findings if f.server)
    after = probe(lab, zone)
    assert tags(after) == set(), [(f.code, f.detail, f.message) for f in after.findings]


@pytest.mark.parametrize(
    ("fault", "codes"),
    [("unreachable", {"CONNECTIVITY01", "CONNECTIVITY02"}), ("serial-drift", {"CONSISTENCY01"})],
)
def test_root_server_health_sees_a_root_server_fault(
    lab: LabHandle, fault: str, codes: set[str]
) -> None:
    server = list(lab.root_servers)[1]
    with lab.fault(fault, server=server):
        report = probe(lab, ".")
        assert report.codes == codes
        assert lab.root_servers[server] in {f.server for f in report.findings} | {
            e.server for f in report.findings for e in f.evidence
        }
    assert probe(lab, ".").codes == set()


def resolver_codes(lab: LabHandle, name: str) -> set[str]:
    address = lab.resolvers[name]

    async def run() -> set[str]:
        async with UdpTransport(PROFILE.transport) as t:
            f1, u1 = await check_nxdomain_rewrite(
                address, transport=t, profile=PROFILE, under=lab.tlds[1]
            )
            f2, u2 = await check_randomness(
                address, transport=t, profile=PROFILE, under=lab.tlds[1]
            )
            assert u1 == []
            assert u2 == []
            return {f.code for f in f1 + f2}

    return asyncio.run(run())


@pytest.mark.parametrize("fault", sorted(RESOLVER_FAULTS))
def test_each_resolver_fault_gives_exactly_its_codes_and_clears(lab: LabHandle, fault: str) -> None:
    name, codes = RESOLVER_FAULTS[fault]
    with lab.fault(fault, resolver=name):
        assert resolver_codes(lab, name) == codes
    assert resolver_codes(lab, name) == set()


def test_the_cli_sweeps_the_lab_with_json_output(
    lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from dnscc.probe import cli

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(
        [
            "probe",
            "sweep",
            "--hints",
            str(lab.root_hints),
            "--trust-anchor",
            str(lab.trust_anchor),
            "--tlds",
            ",".join(lab.tlds),
            "--json",
        ]
    )
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert [z["zone"] for z in out["zones"]] == [".", *sorted(f"{t}." for t in lab.tlds)]
    assert all(z["findings"] == [] for z in out["zones"])
    args = parser.parse_args(["probe", "zone", "ch", "--hints", str(lab.root_hints)])
    assert args.func(args) == 0
    assert capsys.readouterr().out.startswith("ch.: 0 finding(s)")
