"""The duty console, the alert groups and the zone evidence at 1400 and 390 px wide, on a
world shaped like the demo's: the desk on duty is staffed by nobody and has a critical
alert, a registry without a contact is unreachable, an SLA deadline is due, and one lame
server made a group of alerts across two TLDs. Nothing may be wider than a phone; the
screenshots of docs/screenshots/ come from here (DNSCC_SCREENSHOTS=docs/screenshots).

The walk from the console to an acknowledged notice runs on the demo's own data, in
test_console_demo.py (a small world is enough for layout, and a tenth of the cost).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dnscc.accounts import audit
from dnscc.accounts.models import Account
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents import desks
from dnscc.incidents import services as incidents
from tests.browser.conftest import Problems
from tests.conftest import World
from tests.web.seed import Found, ZoneResult, sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = "ns.shared.example"
NOTE = "Please check the delegation to ns.shared.example today."


def _lame(zone: str) -> Found:
    """The shared server answers for `zone` without authority (a Zonemaster WARNING), with
    the proof the probe keeps: the query, the answer's header and its referral."""
    return Found(
        "DELEGATION04",
        "warning",
        f"{SHARED} answers for .{zone} without authority",
        SHARED,
        (
            {
                "query": f"{zone}. SOA @192.0.2.53",
                "time": "2026-12-03T03:00:00.000+00:00",
                "status": "ok",
                "rcode": "NOERROR",
                "flags": "QR RD",
                "section": "authority",
                "records": [f"{zone}.\t\t172800\tIN\tNS\tns1.nic.{zone}."],
                "ms": 2.5,
                "size": 87,
            },
        ),
    )


def _demo_shaped(world: World, settings: Any) -> dict[str, Any]:
    """The demo's situation on the test world. Returns the desk on duty and the incident
    whose SLA deadline is due."""
    # A lame server is a Zonemaster WARNING: this center alerts from warnings on.
    settings.ALERT_MIN_SEVERITY = "warning"
    desks.ensure_desks()
    on_duty = desks.on_duty()
    # The coordinator staffs another desk; nobody staffs the one on duty.
    own = next(d for d in ("AF", "EU") if d != on_duty)
    Account.objects.filter(user=world.users["coordinator"]).update(desks=[own])
    charlie = Organization.objects.create(
        name="Charlie Registry",
        slug="charlie-registry",
        kind=Organization.TLD_REGISTRY,
        region=on_duty,
    )
    Tld.objects.create(name="charlie", kind=Tld.GTLD, operator=charlie, ns=["ns1.nic.charlie"])
    delta = Organization.objects.create(
        name="Delta Hosting", slug="delta-hosting", kind=Organization.OTHER, region="EU"
    )
    Contact.objects.create(organization=delta, name="Delta NOC", email="noc@delta.example")
    sweep(
        [
            ZoneResult("alpha", (_lame("alpha"),)),
            ZoneResult("bravo", (_lame("bravo"),)),
            ZoneResult(
                "charlie",
                (Found("DNSCC_HIJACK", "critical", "NS of .charlie changed", "ns1.evil.example"),),
            ),
        ]
    )
    # The hijack's incident: triage is due within the hour, and Charlie Registry, which
    # has no contact, cannot be reached.
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    hijack = incidents.create_incident(
        viewer,
        actor,
        {
            "title": "NS of .charlie changed",
            "dns_type": "domain-hijack",
            "impact": "high",
            "urgency": "high",
            "scope": {"tlds": ["charlie"]},
            "desk": on_duty,
        },
        user=user,
    )
    incidents.notify_parties(viewer, actor, hijack, user=user)
    return {"on_duty": on_duty, "hijack": hijack}


def _fits(page: Page, width: int, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{what}: {overflow} px wider than a {width} px screen"


@pytest.mark.parametrize("width", [1400, 390])
def test_the_console_the_alert_groups_and_the_zone_evidence_fit_the_screen(
    page: Page,
    problems: Problems,
    live_server: Any,
    login: Any,
    world: World,
    settings: Any,
    width: int,
) -> None:
    settings.OUTREACH_AUTODRAIN = False
    _demo_shaped(world, settings)
    page.set_viewport_size({"width": width, "height": 900})
    shots = os.environ.get("DNSCC_SCREENSHOTS")  # DNSCC_SCREENSHOTS=docs/screenshots

    login(page, "coord1")
    expect(page.locator("#console-lines")).to_contain_text("DNSCC_HIJACK on .charlie")
    _fits(page, width, "the console")
    if shots:
        page.screenshot(path=str(Path(shots) / f"console-{width}.png"), full_page=True)

    page.goto(f"{live_server.url}/health/alerts/?desk=all", wait_until="load")
    expect(page.locator("section.alert-group").first).to_contain_text("DNSCC_HIJACK")
    expect(page.locator("#alert-groups")).to_contain_text("2 alerts")
    _fits(page, width, "the alert groups")
    if shots:
        page.screenshot(path=str(Path(shots) / f"alert-groups-{width}.png"), full_page=True)

    page.goto(f"{live_server.url}/health/zone/alpha/", wait_until="load")
    finding = page.locator("section.finding", has_text="DELEGATION04")
    finding.locator("details.evidence summary").click()
    dig = finding.locator("pre.dig")
    expect(dig).to_be_visible()
    expect(dig).to_contain_text(";; ->>HEADER<<- status: NOERROR")
    expect(dig).to_contain_text(";; SERVER: 192.0.2.53 (UDP)")
    _fits(page, width, "the zone's evidence")
    if shots:
        page.screenshot(path=str(Path(shots) / f"zone-evidence-{width}.png"), full_page=True)
    assert problems.all() == [], "\n".join(problems.all())
