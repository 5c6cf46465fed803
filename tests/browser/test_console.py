"""The duty console in a real browser, end to end, on a world shaped like the demo's: the
desk on duty is staffed by nobody and has a critical alert, a registry without a contact
is unreachable, an SLA deadline is due, and one lame server made a group of alerts.

The coordinator starts on the console, opens an incident from the alert group (the scope
comes filled in), adds a party found in the directory, previews the notice with a note of
their own and sends it. A real SMTP server (the demo's mail catcher) receives the mails; the
parties turn Notified only once it accepted them, and Acknowledged once the operator
acknowledged in its own portal.

The screenshots of docs/screenshots/ (console, alert groups, zone evidence at 1400 and
390 px) come from the second test, which also checks that nothing is wider than a phone.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pysequoia
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from dnscc.accounts import audit
from dnscc.accounts.models import Account
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents import desks
from dnscc.incidents import services as incidents
from dnscc.outreach import mailbox, pgp
from dnscc.outreach.sender import Stats, drain
from tests.browser.conftest import Problems, fill_login_form
from tests.conftest import World
from tests.web.seed import Found, ZoneResult, sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHARED = "ns.shared.example"
NOTE = "Please check the delegation to ns.shared.example today."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def catcher(tmp_path: Path, settings: Any) -> Iterator[Path]:
    """The demo's mail catcher (aiosmtpd on loopback) as the outbox's relay; no automatic
    drain: the test drains when it wants to see what the relay's answer changes."""
    key = tmp_path / "center.asc"
    key.write_text(str(pysequoia.Tsk.generate("dnscc test <dnscc@center.test>")))
    port = _free_port()
    controller = mailbox.start(tmp_path / "mailbox", port=port)
    settings.OUTREACH_SMTP_HOST, settings.OUTREACH_SMTP_PORT = "127.0.0.1", port
    settings.OUTREACH_SMTP_TLS = "off"
    settings.OUTREACH_AUTODRAIN = False
    settings.OUTREACH_PGP_KEY_FILE = str(key)
    settings.DEMO_MAILBOX_DIR = tmp_path / "mailbox"
    pgp.reset_for_tests()
    yield tmp_path / "mailbox"
    controller.stop()
    pgp.reset_for_tests()


def _drain() -> Stats:
    """Send what is due, as the outbox's periodic job does, in a thread of its own: the
    sender runs an asyncio loop, and Playwright's already runs in the test's thread."""
    from django.db import connection

    def run() -> Stats:
        try:
            return drain()
        finally:
            connection.close()  # the worker thread's own connection

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=60)


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


def test_the_coordinator_goes_from_the_console_to_a_notice_the_relay_accepted_and_the_operator_acknowledged(  # noqa: E501
    page: Page,
    problems: Problems,
    live_server: Any,
    login: Any,
    world: World,
    settings: Any,
    catcher: Path,
    new_context: Callable[..., BrowserContext],
) -> None:
    seeded = _demo_shaped(world, settings)
    hijack = seeded["hijack"]
    login(page, "coord1")

    # The console: worst first, the unstaffed desk's critical alert on top.
    expect(page.get_by_role("heading", level=1)).to_have_text("Duty console")
    lines = page.locator("#console-lines > li")
    expect(lines.first).to_contain_text("DNSCC_HIJACK on .charlie")
    expect(lines.first).to_contain_text("nobody staffs it")
    expect(page.locator("#desk-on-duty")).to_contain_text("Nobody staffs it")
    expect(page.locator("#console-lines")).to_contain_text(
        f"Charlie Registry cannot be reached for {hijack.ref}: no usable contact"
    )
    expect(page.locator("#console-lines")).to_contain_text(f"{hijack.ref}: triage deadline")

    # The alert groups: the lame server's two alerts are one group.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile(r"^Alerts")
        ).click()
    page.get_by_label("Desk").select_option("all")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Filter").click()
    group = page.locator("section.alert-group", has_text=f"served by {SHARED}")
    expect(group).to_contain_text("2 alerts")
    expect(group).to_contain_text(".alpha")
    expect(group).to_contain_text(".bravo")
    with page.expect_navigation(wait_until="load"):
        group.get_by_role("link", name="Open incident").click()

    # The incident form comes filled in from the group.
    expect(page.get_by_role("heading", level=1)).to_have_text("New incident from monitoring alerts")
    expect(page.get_by_label("TLDs")).to_have_value(re.compile(r"alpha\s+bravo"))
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Create incident").click()
    ref = page.locator("#incident-ref").inner_text()
    parties = page.locator("#party-table")
    expect(parties).to_contain_text("Alpha Registry")
    expect(parties).to_contain_text("Bravo Registry")

    # A party found in the directory.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Add a party from the directory").click()
    page.wait_for_function("() => window.htmx !== undefined")
    with page.expect_response(re.compile(r"/parties/add\?q=Delta")):
        page.get_by_label("Search the directory").fill("Delta")
    result = page.locator(".party-result", has_text="Delta Hosting")
    result.get_by_label("Why").fill("hosts ns.shared.example")
    with page.expect_navigation(wait_until="load"):
        result.get_by_role("button", name="Add Delta Hosting").click()
    expect(parties).to_contain_text("Delta Hosting")

    # The notice, previewed with the coordinator's note, then sent.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=re.compile(r"Notify parties not yet reached \(3\)")).click()
    preview = page.locator("#notice-preview")
    expect(preview).to_contain_text("noc@delta.example")
    page.get_by_label("Added to the notice").fill(NOTE)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Update the preview").click()
    expect(preview).to_contain_text(NOTE)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Send to 3 parties").click()
    expect(page.locator(".messages")).to_contain_text("Queued 3 message(s) to 3 party(ies)")
    delta_row = parties.locator("tr", has_text="Delta Hosting")
    expect(delta_row).to_contain_text("Notice queued, not yet accepted")
    assert mailbox.read(catcher) == []

    # The relay (the mail catcher) accepts: then, and only then, the parties are notified.
    assert _drain().accepted == 3
    mails = {m.to: m for m in mailbox.read(catcher)}
    assert set(mails) == {"security@alpha.example", "security@bravo.example", "noc@delta.example"}
    assert ref in mails["noc@delta.example"].subject
    assert NOTE in mails["noc@delta.example"].text
    page.reload(wait_until="load")
    for name in ("Alpha Registry", "Bravo Registry", "Delta Hosting"):
        expect(parties.locator("tr", has_text=name)).to_contain_text("Notified")
    assert problems.all() == [], "\n".join(problems.all())

    # The operator of Alpha Registry acknowledges from its own portal.
    operator = new_context().new_page()
    seen = Problems()
    seen.watch(operator)
    fill_login_form(operator, live_server.url, "op_a")
    owed = operator.locator("#owed")
    expect(owed).to_contain_text(f"Acknowledge incident {ref}")
    with operator.expect_navigation(wait_until="load"):
        owed.get_by_role("link", name=re.compile(f"Acknowledge incident {ref}")).click()
    operator.get_by_label("Set your status").select_option("acknowledged")
    with operator.expect_navigation(wait_until="load"):
        operator.get_by_role("button", name="Update status").click()
    expect(operator.locator("#own-status")).to_contain_text("Acknowledged")
    assert seen.all() == [], "\n".join(seen.all())

    page.reload(wait_until="load")
    expect(parties.locator("tr", has_text="Alpha Registry")).to_contain_text("Acknowledged")
    expect(parties.locator("tr", has_text="Bravo Registry")).to_contain_text("Notified")
    assert problems.all() == [], "\n".join(problems.all())


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
