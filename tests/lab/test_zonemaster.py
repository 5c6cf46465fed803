"""zonemaster-cli, run offline with `--hints` on the lab root, as a peer oracle.

Which faults Zonemaster covers, and the message tag it reports for each (Zonemaster 5.0.2,
Debian `zonemaster-cli`). Faults not listed are not covered: slow and lossy servers (it
retries), hijack (it cannot know the operator's set), and the resolver faults (it tests
zones, not resolvers).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from dnscc.lab.pytest_plugin import LabHandle

pytestmark = pytest.mark.lab

# Loopback name server addresses are errors to Zonemaster; in the lab they are the point.
LAB_ONLY = {"NAMESERVER_IP_PRIVATE_NETWORK", "NAMESERVER_IP_PTR_MISSING"}

COVERED: dict[str, tuple[dict[str, Any], str]] = {
    # fault: (inject arguments, tag Zonemaster reports)
    "unreachable": ({"tld": "dk"}, "CN01_NO_RESPONSE_UDP"),
    "lame": ({"tld": "ch"}, "IS_NOT_AUTHORITATIVE"),
    "serial-drift": ({"tld": "se"}, "MULTIPLE_SOA_SERIALS"),
    "ns-mismatch": ({"tld": "nl"}, "EXTRA_NAME_PARENT"),
    "missing-glue": ({"tld": "dk"}, "NO_GLUE_PREVENTS_NAMESERVER_TESTS"),
    "expired-rrsig": ({"tld": "dk"}, "RRSIG_EXPIRED"),
    "future-rrsig": ({"tld": "ch"}, "DS09_SOA_RRSIG_NOT_YET_VALID"),
    "ds-mismatch": ({"tld": "dk"}, "DS02_NO_MATCH_DS_DNSKEY"),
    "broken-rollover": ({"tld": "se"}, "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS"),
    "open-axfr": ({"tld": "nl"}, "AXFR_AVAILABLE"),
}


def zonemaster(lab: LabHandle, tld: str) -> list[dict[str, Any]]:
    exe = shutil.which("zonemaster-cli")
    if exe is None:
        pytest.fail("zonemaster-cli is missing: apt-get install zonemaster-cli")
    run = subprocess.run(
        [exe, "--hints", str(lab.root_hints), tld, "--no-ipv6", "--level", "NOTICE", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [m for m in json.loads(run.stdout) if m["tag"] not in LAB_ONLY]


def test_zonemaster_finds_no_error_on_a_healthy_lab_tld(lab: LabHandle) -> None:
    for tld in lab.tlds[:2]:  # two are enough; each run costs a Perl start-up
        bad = [m["tag"] for m in zonemaster(lab, tld) if m["level"] in ("ERROR", "CRITICAL")]
        assert bad == [], f"{tld}: {bad}"


@pytest.mark.parametrize("fault", sorted(COVERED))
def test_zonemaster_reports_the_injected_fault(lab: LabHandle, fault: str) -> None:
    kwargs, tag = COVERED[fault]
    with lab.fault(fault, **kwargs):
        tags = {m["tag"] for m in zonemaster(lab, kwargs["tld"])}
    assert tag in tags, f"{fault}: expected {tag}, got {sorted(tags)}"
