"""More scenarios, one or more per Zonemaster test case not covered in test_checks.py: a
world that shows the fault, and the exact set of (test case, tag) it must give (the
healthy world, which gives none, is in test_checks.py). Written from the public test case
specifications; see the table in docs/probe.md."""

from __future__ import annotations

import asyncio

import pytest

from dnscc.probe.model import ZoneReport
from dnscc.probe.profile import load_profile
from dnscc.probe.zone import probe_zone

from .fakes import HINTS, NS1, NS2, World

PROFILE = load_profile()
T = "14400 3600 1209600 3600"  # sane SOA timers
LONG = [f"{'n' * 40}{i}.test." for i in range(13)]
ODD = "ab--c-."  # a double hyphen at 3-4 (not an A-label) and a final hyphen


def probe(world: World) -> ZoneReport:
    return asyncio.run(
        probe_zone(world.name, hints=HINTS, profile=PROFILE, transport=world.transport())
    )


SCENARIOS: dict[str, tuple[World, set[tuple[str, str]]]] = {
    "SOA RNAMEs differ": (
        World(soa={NS2: f"ns1.test. other.test. 5 {T}"}),
        {("CONSISTENCY02", "MULTIPLE_SOA_RNAMES")},
    ),
    "SOA timers differ": (
        World(soa={NS2: "ns1.test. hostmaster.test. 5 14400 7200 1209600 3600"}),
        {("CONSISTENCY03", "MULTIPLE_SOA_TIME_PARAMETER_SET")},
    ),
    "SOA MNAMEs differ": (
        World(soa={NS2: f"ns2.test. hostmaster.test. 5 {T}"}),
        {("CONSISTENCY06", "MULTIPLE_SOA_MNAMES")},
    ),
    "short SOA timers": (
        World(soa={"*": "ns1.test. hostmaster.test. 5 1800 900 86400 60"}),
        {
            ("ZONE02", "REFRESH_MINIMUM_VALUE_LOWER"),
            ("ZONE04", "RETRY_MINIMUM_VALUE_LOWER"),
            ("ZONE05", "EXPIRE_MINIMUM_VALUE_LOWER"),
            ("ZONE06", "SOA_DEFAULT_TTL_MAXIMUM_VALUE_LOWER"),
        },
    ),
    "long SOA minimum": (
        World(soa={"*": "ns1.test. hostmaster.test. 5 14400 3600 1209600 172800"}),
        {("ZONE06", "SOA_DEFAULT_TTL_MAXIMUM_VALUE_HIGHER")},
    ),
    "RNAME with an @": (
        World(soa={"*": f"ns1.test. host\\@master.test. 5 {T}"}),
        {("SYNTAX05", "RNAME_MISUSED_AT_SIGN"), ("SYNTAX06", "RNAME_RFC822_INVALID")},
    ),
    "MNAME not a host name": (
        World(soa={"*": f"ns_1.test. hostmaster.test. 5 {T}"}),
        {
            ("SYNTAX07", "MNAME_NON_ALLOWED_CHARS"),
            ("ZONE01", "Z01_MNAME_NOT_RESOLVE"),
            ("ZONE07", "MNAME_HAS_NO_ADDRESS"),
        },
    ),
    "MNAME is .": (
        World(soa={"*": f". hostmaster.test. 5 {T}"}),
        {("ZONE01", "Z01_MNAME_IS_DOT")},
    ),
    "MNAME is an alias": (
        World(soa={"*": f"mail.other. hostmaster.test. 5 {T}"}, cnames={"mail.other.": "x.other."}),
        {
            ("ZONE07", "MNAME_IS_CNAME"),
            ("ZONE07", "MNAME_HAS_NO_ADDRESS"),
            ("ZONE01", "Z01_MNAME_NOT_RESOLVE"),
        },
    ),
    # The RRSIG covers one SOA: the set of two does not verify (what a validator sees too).
    "two SOA records": (
        World(soa_count=2),
        {("ZONE10", "MULTIPLE_SOA"), ("DNSSEC09", "DS09_RRSIG_NOT_VALID_BY_DNSKEY")},
    ),
    "a server has no SOA": (
        World(no_soa={NS2}),
        {
            ("DELEGATION06", "SOA_NOT_EXISTS"),
            ("CONNECTIVITY01", "CN01_MISSING_SOA_RECORD_UDP"),
            ("CONNECTIVITY02", "CN02_MISSING_SOA_RECORD_TCP"),
            ("NAMESERVER11", "N11_UNEXPECTED_ANSWER_SECTION"),
        },
    ),
    "a TLD with MX": (World(mx={"*": ["10 mail.test."]}), {("ZONE09", "Z09_TLD_EMAIL_DOMAIN")}),
    "MX at one server only": (
        World(mx={NS1: ["10 mail.test."]}),
        {("ZONE09", "Z09_INCONSISTENT_MX")},
    ),
    "MX name with a double hyphen": (
        World(mx={"*": ["10 ab--x.test."]}),
        {("ZONE09", "Z09_TLD_EMAIL_DOMAIN"), ("SYNTAX08", "MX_DISCOURAGED_DOUBLE_DASH")},
    ),
    "two SPF policies": (
        World(txt={"*": ['"v=spf1 -all"', '"v=spf1 mx -all"']}),
        {("ZONE11", "Z11_SPF1_MULTIPLE_RECORDS")},
    ),
    "SPF differs between servers": (
        World(txt={NS1: ['"v=spf1 -all"'], NS2: ['"v=spf1 mx -all"']}),
        {("ZONE11", "Z11_INCONSISTENT_SPF_POLICIES")},
    ),
    "SPF syntax error": (
        World(txt={"*": ['"v=spf1 bogus!! -all"']}),
        {("ZONE11", "Z11_SPF1_SYNTAX_ERROR")},
    ),
    "NSEC3 with 150 iterations": (
        World(nsec3param="1 0 150 AABB"),
        {("DNSSEC03", "TOO_MANY_ITERATIONS")},
    ),
    "open recursion": (World(recursor={NS1}), {("NAMESERVER01", "IS_A_RECURSOR")}),
    "upward referral": (World(upward={NS1}), {("NAMESERVER07", "UPWARD_REFERRAL")}),
    "query name case not kept": (
        World(case_lower={NS1}),
        {("NAMESERVER08", "QNAME_CASE_INSENSITIVE")},
    ),
    "mixed case refused": (
        World(case_refuse={NS1}),
        {
            ("NAMESERVER09", "CASE_QUERY_DIFFERENT_RC"),
            ("NAMESERVER09", "CASE_QUERIES_RESULTS_DIFFER"),
        },
    ),
    "EDNS answered without OPT": (
        World(no_opt={NS1}),
        {
            ("NAMESERVER02", "EDNS_RESPONSE_WITHOUT_EDNS"),
            ("NAMESERVER11", "N11_NO_EDNS"),
            ("NAMESERVER12", "NO_EDNS_SUPPORT"),
            ("NAMESERVER13", "NO_EDNS_SUPPORT"),
        },
    ),
    "EDNS version 1 answered as 0": (
        World(edns1_ok={NS1}),
        {("NAMESERVER10", "N10_UNEXPECTED_RCODE")},
    ),
    "unknown EDNS option echoed": (
        World(echo_option={NS1}),
        {("NAMESERVER11", "N11_RETURNS_UNKNOWN_OPTION_CODE")},
    ),
    "software version disclosed": (
        World(version="BIND 9.1"),
        {("NAMESERVER15", "N15_SOFTWARE_VERSION")},
    ),
    "SHA-1 DS only": (
        World(ds_digest=1),
        {("DNSSEC01", "DS01_DS_ALGO_DEPRECATED"), ("DNSSEC01", "DS01_DS_ALGO_2_MISSING")},
    ),
    "RSASHA1 key of 1024 bits": (
        World(key="rsasha1-1024"),
        {("DNSSEC05", "ALGORITHM_NOT_RECOMMENDED"), ("DNSSEC14", "DNSKEY_SMALLER_THAN_REC")},
    ),
    "CDS without CDNSKEY": (World(cds=["match"]), {("DNSSEC15", "DS15_HAS_CDS_NO_CDNSKEY")}),
    "CDS for a key that is not there": (
        World(cds=["1 13 2 " + "AB" * 32], cdnskey=True),
        {("DNSSEC15", "DS15_MISMATCH_CDS_CDNSKEY"), ("DNSSEC16", "DS16_CDS_MATCHES_NO_DNSKEY")},
    ),
    "addresses outside the test bed": (
        World(
            parent_ns=["ns1.other.", "ns2.other."],
            glue={},
            elsewhere={"ns1.other.": "192.0.2.1", "ns2.other.": "192.0.2.2"},
            ptr={"192.0.2.1": "ns1.other.", "192.0.2.2": "wrong.other."},
            soa={"*": f"ns1.other. hostmaster.test. 5 {T}"},
        ),
        {
            ("ADDRESS01", "NAMESERVER_IP_PRIVATE_NETWORK"),  # documentation addresses
            ("ADDRESS03", "NAMESERVER_IP_PTR_MISMATCH"),
            ("CONNECTIVITY04", "CN04_IPV4_SINGLE_PREFIX"),
        },
    ),
    "no reverse DNS": (
        World(
            parent_ns=["ns1.other.", "ns2.other."],
            glue={},
            elsewhere={"ns1.other.": "192.0.2.1", "ns2.other.": "198.51.100.2"},
            soa={"*": f"ns1.other. hostmaster.test. 5 {T}"},
        ),
        {
            ("ADDRESS01", "NAMESERVER_IP_PRIVATE_NETWORK"),
            ("ADDRESS02", "NAMESERVER_IP_WITHOUT_REVERSE"),
            ("ADDRESS03", "NAMESERVER_IP_WITHOUT_REVERSE"),
        },
    ),
    "a name server is an alias": (
        World(parent_ns=["ns1.test.", "ns2.other."], cnames={"ns2.other.": "ns2.test."}),
        {("DELEGATION05", "NS_IS_CNAME")},
    ),
    "a referral too big for 512 bytes": (
        World(
            parent_ns=LONG,
            glue={h: f"127.9.3.{i}" for i, h in enumerate(LONG, 1)},
            child_a={h: f"127.9.3.{i}" for i, h in enumerate(LONG, 1)},
            soa={"*": f"{LONG[0]} hostmaster.test. 5 {T}"},
        ),
        {("DELEGATION03", "REFERRAL_SIZE_TOO_LARGE")},
    ),
    "one name server": (
        World(parent_ns=["ns1.test."], glue={"ns1.test.": NS1}, child_a={"ns1.test.": NS1}),
        {
            ("DELEGATION01", "NOT_ENOUGH_NS_DEL"),
            ("DELEGATION01", "NOT_ENOUGH_NS_CHILD"),
            ("DELEGATION01", "NOT_ENOUGH_IPV4_NS_DEL"),
            ("DELEGATION01", "NOT_ENOUGH_IPV4_NS_CHILD"),
        },
    ),
    "a zone name with hyphens": (
        World(
            name=ODD,
            parent_ns=[f"ns1.{ODD}", f"ns2.{ODD}"],
            glue={f"ns1.{ODD}": NS1, f"ns2.{ODD}": NS2},
            child_a={f"ns1.{ODD}": NS1, f"ns2.{ODD}": NS2},
        ),
        {
            ("SYNTAX02", "TERMINAL_HYPHEN"),
            ("SYNTAX03", "DISCOURAGED_DOUBLE_DASH"),
            ("SYNTAX04", "NAMESERVER_DISCOURAGED_DOUBLE_DASH"),  # the names under it
            ("SYNTAX07", "MNAME_DISCOURAGED_DOUBLE_DASH"),
        },
    ),
    "a zone name with an underscore": (
        World(
            name="a_b.",
            parent_ns=["ns1.a_b.", "ns2.a_b."],
            glue={"ns1.a_b.": NS1, "ns2.a_b.": NS2},
            child_a={"ns1.a_b.": NS1, "ns2.a_b.": NS2},
        ),
        {
            ("SYNTAX01", "NON_ALLOWED_CHARS"),
            ("SYNTAX04", "NAMESERVER_NON_ALLOWED_CHARS"),
            ("SYNTAX07", "MNAME_NON_ALLOWED_CHARS"),
            ("SYNTAX06", "RNAME_RFC822_INVALID"),  # hostmaster@a_b is no mail address
        },
    ),
}


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_each_scenario_gives_exactly_its_tags(scenario: str) -> None:
    world, expected = SCENARIOS[scenario]
    r = probe(world)
    assert {(f.code, f.detail) for f in r.findings} == expected, [
        (f.code, f.detail, f.message) for f in r.findings
    ]
    assert r.untested == ()
