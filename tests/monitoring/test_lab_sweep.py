"""End to end against the lab: a sweep from the center finds an injected fault, opens an
alert the duty desk sees in the portal, and resolves both after the fault is cleared."""

from __future__ import annotations

from typing import Any

import pytest

from dnscc.core.paths import default_root_zone
from dnscc.directory.models import Organization, Tld
from dnscc.directory.rootzone_import import import_root_zone
from dnscc.monitoring.models import Alert, Finding, ZoneStatus
from dnscc.monitoring.runner import run_sweep
from tests.conftest import World

pytestmark = [pytest.mark.lab]


@pytest.fixture
def directory(world: World) -> None:
    # The test world's TLDs (alpha, bravo) are not in the real zone: their removal is intended.
    import_root_zone(default_root_zone(), allow_shrink=True)


def _sweep(lab: Any, tld: str) -> Any:
    return run_sweep(
        trigger="test", zones=[tld], hints_path=lab.root_hints, anchor_path=lab.trust_anchor
    )


def test_a_lame_server_opens_an_alert_for_the_desk_and_resolves_after_clear(
    lab: Any, directory: None, world: World, settings: Any
) -> None:
    # A lame server is a WARNING at Zonemaster's levels (the profile's): alerts from it
    # need the threshold at warning.
    settings.ALERT_MIN_SEVERITY = "warning"
    tld = lab.tlds[0]
    operator = Tld.objects.get(name=tld).operator
    assert operator is not None
    Organization.objects.filter(pk=operator.pk).update(region="AF")  # coord1's desk
    healthy = _sweep(lab, tld)
    assert healthy.status == "done"
    assert not Finding.objects.filter(zone=tld, resolved_at__isnull=True).exists()

    with lab.fault("lame", tld=tld):
        faulty = _sweep(lab, tld)
        tags = set(
            Finding.objects.filter(zone=tld, resolved_at__isnull=True).values_list("code", "tag")
        )
        # The lame server's REFUSED, as every test case that asked it sees it.
        assert ("DELEGATION04", "IS_NOT_AUTHORITATIVE") in tags
        assert ("CONNECTIVITY01", "CN01_UNEXPECTED_RCODE_SOA_QUERY_UDP") in tags
        assert {code for code, _ in tags} <= {
            "DELEGATION04",
            "DELEGATION05",
            "CONNECTIVITY01",
            "CONNECTIVITY02",
            "DNSSEC05",
            "DNSSEC14",
            "NAMESERVER02",
            "NAMESERVER05",
            "NAMESERVER12",
            "NAMESERVER13",
            "ZONE01",
        }
        alert = Alert.objects.get(finding__zone=tld, finding__code="DELEGATION04")
        assert (alert.organization, alert.desk, alert.state) == (operator, "AF", "open")
        page = world.client("coordinator").get("/health/alerts/")
        assert f"DELEGATION04 on .{tld}".encode() in page.content
        zone_page = world.client("coordinator").get(f"/health/zone/{tld}/")
        assert b"REFUSED" in zone_page.content  # the evidence: the lame server's answer
        assert faulty.new_findings == len(tags)

    assert lab.healthy(tld)
    cleared = _sweep(lab, tld)
    assert cleared.resolved_findings == len(tags)
    assert not Finding.objects.filter(zone=tld, resolved_at__isnull=True).exists()
    alert.refresh_from_db()
    assert alert.state == Alert.RESOLVED
    assert f"sweep {cleared.pk}" in alert.resolution
    assert ZoneStatus.objects.get(zone=tld).worst == "ok"


def test_the_root_is_swept_with_every_tld(lab: Any, directory: None) -> None:
    sweep = _sweep(lab, lab.tlds[1])
    assert sweep.zones_done == 2  # the root and the TLD
    assert ZoneStatus.objects.get(zone="").worst == "ok"
