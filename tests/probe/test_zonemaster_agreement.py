"""Our findings next to zonemaster-cli's on the same faulted lab zones.

`ZONEMASTER` holds the mapping from our codes to the Zonemaster message tags with the same
meaning; a test asserts that, on each faulted zone, a code of ours appears exactly when
Zonemaster reports one of its tags. Known disagreements, with the reason, are in
`DISAGREEMENTS`. Zonemaster is slow (about 0.7 s per healthy lab TLD, about 10 s when a
server is silent; design guide section 7), so only a few quick faults are compared.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from dnscc.lab.pytest_plugin import LabHandle
from dnscc.probe.profile import load_profile

from .test_lab import ZONE_FAULTS, probe

pytestmark = pytest.mark.lab

# Our code -> Zonemaster tags that mean the same thing (Zonemaster 5.0.2).
ZONEMASTER: dict[str, set[str]] = {
    "CONNECTIVITY01": {"NO_RESPONSE", "CN01_NO_RESPONSE_UDP", "NS_NO_RESPONSE"},
    "DELEGATION04": {"IS_NOT_AUTHORITATIVE"},
    "CONSISTENCY01": {"MULTIPLE_SOA_SERIALS"},
    "CONSISTENCY04": {"MULTIPLE_NS_SET"},
    "DELEGATION07": {"EXTRA_NAME_PARENT", "EXTRA_NAME_CHILD", "TOTAL_NAME_MISMATCH"},
    "CONSISTENCY05": {"IN_BAILIWICK_ADDR_MISMATCH", "OUT_OF_BAILIWICK_ADDR_MISMATCH"},
    "BASIC02": {"NO_GLUE_PREVENTS_NAMESERVER_TESTS"},
    "DNSSEC02": {
        "DS02_NO_MATCH_DS_DNSKEY",
        "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS",
        "DS02_NO_VALID_DNSKEY_FOR_ANY_DS",
    },
    "DNSSEC04": {"RRSIG_EXPIRED", "DS09_SOA_RRSIG_EXPIRED", "DS08_DNSKEY_RRSIG_EXPIRED"},
    "DNSSEC09": {"DS09_SOA_RRSIG_NOT_YET_VALID", "DS08_DNSKEY_RRSIG_NOT_YET_VALID"},
    "DNSSEC08": {"DS08_RRSIG_NOT_VALID_BY_DNSKEY", "DS09_RRSIG_NOT_VALID_BY_DNSKEY"},
    "DNSSEC13": {"DS13_ALGO_NOT_SIGNED_DNSKEY"},
    "NAMESERVER03": {"AXFR_AVAILABLE"},
}
# Codes Zonemaster has no counterpart for, and why.
DISAGREEMENTS = {
    "DNSCC_HIJACK": "Zonemaster has no notion of the operator's recorded NS set",
    "DNSCC_DELEGATION_CHANGED": "same: the baseline is the center's own",
    "DNSCC_SLOW": "Zonemaster waits for slow servers and says nothing",
    "DNSCC_LOSSY": "Zonemaster retries; loss is hidden",
    "DNSCC_SIG_EXPIRY": "Zonemaster's DNSSEC04 REMAINING_SHORT uses its own horizon",
    "DNSCC_NXDOMAIN_REWRITE": "Zonemaster tests zones, not resolvers",
    "DNSCC_PORT_RANDOMNESS": "Zonemaster tests zones, not resolvers",
    "DNSCC_TXID_RANDOMNESS": "Zonemaster tests zones, not resolvers",
}
# Zonemaster flags loopback name server addresses; in the lab they are the point.
LAB_ONLY = {"NAMESERVER_IP_PRIVATE_NETWORK", "NAMESERVER_IP_PTR_MISSING"}
COMPARED = (
    "lame",
    "serial-drift",
    "ns-mismatch",
    "ds-mismatch",
    "expired-rrsig",
    "broken-rollover",
)
# (fault, our code): why we differ on that zone.
KNOWN: dict[tuple[str, str], str] = {
    ("expired-rrsig", "DNSSEC02"): "Zonemaster judges the DS chain at the current time, so "
    "expired signatures also fail its DS02 (DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS); we check the "
    "chain cryptographically and report the one cause once, as DNSSEC04",
    ("future-rrsig", "DNSSEC02"): "the same, with signatures not yet valid (DNSSEC09)",
}


def test_every_profile_code_is_mapped_or_a_known_disagreement() -> None:
    codes = set(load_profile().codes)
    assert codes == set(ZONEMASTER) | set(DISAGREEMENTS)
    assert not set(ZONEMASTER) & set(DISAGREEMENTS)


def zonemaster_tags(lab: LabHandle, zone: str) -> set[str]:
    exe = shutil.which("zonemaster-cli")
    if exe is None:
        pytest.fail("zonemaster-cli is missing: apt-get install zonemaster-cli")
    run = subprocess.run(
        [
            exe,
            "--hints",
            str(lab.root_hints),
            zone.rstrip("."),
            "--no-ipv6",
            "--level",
            "NOTICE",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    messages: list[dict[str, Any]] = json.loads(run.stdout)
    return {m["tag"] for m in messages if m["tag"] not in LAB_ONLY}


@pytest.mark.parametrize("fault", COMPARED)
def test_our_findings_agree_with_zonemaster_on_a_faulted_zone(lab: LabHandle, fault: str) -> None:
    kwargs, zone, _ = ZONE_FAULTS[fault]
    with lab.fault(fault, **kwargs):
        ours = probe(lab, zone).codes
        theirs = zonemaster_tags(lab, zone)
    for code, tags in ZONEMASTER.items():
        if (fault, code) in KNOWN:
            assert code not in ours, "a known disagreement went away"
            assert tags & theirs, "a known disagreement went away"
            continue
        assert (code in ours) == bool(tags & theirs), (fault, code, sorted(ours), sorted(theirs))
