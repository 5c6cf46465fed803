"""The duty console in a real browser on the demo's own data, end to end.

What `dnscc demo` (without the lab) loads is loaded once for this module: the directory from
the real root zone, the demo's users, incidents, campaign, advisory, risk, metrics and root
server data, and the namespace health sweep it records (src/dnscc/monitoring/demo.py). That
costs about 30 s of CPU (a minute on a loaded two-core machine), paid once: it is the price
of knowing that what a newcomer sees after `scripts/run` is what the Done-when of issue 10
asks for, which a world arranged like the demo cannot prove. The module has one test, so the
data is flushed with it (a transactional test) and again by the fixture.

The clock is set to 15:00 UTC of today for the module (time-machine, ticking): the demo's
coordinator staffs the Africa and Europe desks, so the Latin America and Caribbean desk, on
duty from 14:00 to 18:00 UTC, is staffed by nobody, and its critical .cl alert must reach
the coordinator's console anyway.

The walk: the console lists that alert on top, the .ng registry that no notice reaches and
the hijack incident's due notify deadline; the coordinator opens an incident from the group
of .ke's expired signatures (scope filled in), adds the national CERT found in the
directory, previews the notice with a note and sends it. A real SMTP server (the demo's mail
catcher) receives it; Kenya's registry turns Notified only once the catcher accepted, and
Acknowledged once the demo operator (a member of it) acknowledged in its own portal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.urls import get_resolver
from playwright.sync_api import BrowserContext, Page, expect

from dnscc.core import egress
from dnscc.incidents.models import Incident, Party
from dnscc.outreach import mailbox
from dnscc.outreach.sender import Stats, drain
from tests.browser.conftest import Problems, fill_login_form
from tests.conftest import PASSWORD
from tests.outreach.conftest import catcher, center_key_file  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Please re-sign .ke and tell us when the signatures are valid again."
CERT = "Demo National CERT"
KENYA = "Kenya Network Information Centre (demo)"


def _in_thread(work: Callable[[], Any]) -> Any:
    """Run `work` in a thread of its own: Playwright's asyncio loop runs in the test's
    thread, and the demo and the sender may start loops of their own."""

    def run() -> Any:
        try:
            return work()
        finally:
            connection.close()  # the worker thread's own connection

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result(timeout=600)


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """`dnscc demo` (no lab) loaded once into the test database at 15:00 UTC today."""
    from dnscc.demo import run_demo

    afternoon = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    with (
        time_machine.travel(afternoon, tick=True),
        django_db_blocker.unblock(),
        egress.using(egress.current()),  # the demo installs its rule; ours comes back after
    ):
        try:
            yield _in_thread(lambda: run_demo(lab=False, password=PASSWORD))
        finally:
            call_command("flush", interactive=False, verbosity=0)


def _drain() -> Stats:
    """Send what is due, as the outbox's periodic job does."""
    return _in_thread(drain)


def test_on_the_demo_the_coordinator_goes_from_the_console_to_a_notice_the_relay_accepted_and_the_operator_acknowledged(  # noqa: E501
    demo: dict[str, Any],
    page: Page,
    problems: Problems,
    live_server: Any,
    catcher: Path,  # noqa: F811 (the fixture, imported above)
    new_context: Callable[..., BrowserContext],
) -> None:
    hijack = Incident.objects.get(title__startswith="Registrar account takeovers")
    get_resolver().url_patterns  # noqa: B018  (URL modules imported before the clock runs)
    fill_login_form(page, live_server.url, "coordinator")

    # The console: the unstaffed desk's critical alert on top, then what else waits.
    expect(page.get_by_role("heading", level=1)).to_have_text("Duty console")
    lines = page.locator("#console-lines > li")
    expect(lines.first).to_contain_text("DNSCC_HIJACK on .cl")
    expect(lines.first).to_contain_text("Latin America/Caribbean islands desk")
    expect(lines.first).to_contain_text("nobody staffs it")
    expect(page.locator("#desk-on-duty")).to_contain_text("Nobody staffs it")
    console = page.locator("#console-lines")
    expect(console).to_contain_text(
        f"Registry of .ng (inferred) cannot be reached for {hijack.ref}: no usable contact"
    )
    expect(console).to_contain_text(f"{hijack.ref}: notify deadline")

    # The alert groups: .ke's four expired signatures are one group.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name=re.compile(r"^Alerts")
        ).click()
    group = page.locator("section.alert-group", has_text="RRSIG_EXPIRED on .ke")
    expect(group).to_contain_text("4 alerts")
    with page.expect_navigation(wait_until="load"):
        group.get_by_role("link", name="Open incident").click()

    # The incident form comes filled in from the group.
    expect(page.get_by_role("heading", level=1)).to_have_text("New incident from monitoring alerts")
    expect(page.get_by_label("TLDs")).to_have_value(re.compile(r"^\s*ke\s*$"))
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Create incident").click()
    ref = page.locator("#incident-ref").inner_text()
    parties = page.locator("#party-table")
    expect(parties).to_contain_text(KENYA)

    # The national CERT, found in the directory.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Add a party from the directory").click()
    page.wait_for_function("() => window.htmx !== undefined")
    with page.expect_response(re.compile(r"/parties/add\?q=National")):
        page.get_by_label("Search the directory").fill("National CERT")
    result = page.locator(".party-result", has_text=CERT)
    result.get_by_label("Why").fill("the national CERT follows .ke's incidents")
    with page.expect_navigation(wait_until="load"):
        result.get_by_role("button", name=f"Add {CERT}").click()
    expect(parties).to_contain_text(CERT)

    # The notice, previewed with the coordinator's note, then sent.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=re.compile(r"Notify parties not yet reached \(2\)")).click()
    preview = page.locator("#notice-preview")
    expect(preview).to_contain_text("security@nic.ke.example")
    expect(preview).to_contain_text("incidents@cert.example")
    page.get_by_label("Added to the notice").fill(NOTE)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Update the preview").click()
    expect(preview).to_contain_text(NOTE)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Send to 2 parties").click()
    expect(page.locator(".messages")).to_contain_text("to 2 party(ies)")
    kenya = parties.locator("tr", has_text=KENYA)
    expect(kenya).to_contain_text("Notice queued, not yet accepted")
    assert Party.objects.get(incident__ref=ref, organization__name=KENYA).status == Party.QUEUED
    assert mailbox.read(catcher) == []

    # The relay (the mail catcher) accepts the demo's waiting mail and this notice: then,
    # and only then, the parties are notified.
    _drain()
    ours = [m for m in mailbox.read(catcher) if ref in m.subject]
    assert {m.to for m in ours} >= {"security@nic.ke.example", "incidents@cert.example"}
    assert all(NOTE in m.text for m in ours)
    page.reload(wait_until="load")
    for name in (KENYA, CERT):
        expect(parties.locator("tr", has_text=name)).to_contain_text("Notified")
    assert problems.all() == [], "\n".join(problems.all())

    # The demo operator, a member of Kenya's registry, acknowledges in its own portal.
    operator = new_context().new_page()
    seen = Problems()
    seen.watch(operator)
    fill_login_form(operator, live_server.url, "operator")
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
    expect(kenya).to_contain_text("Acknowledged")
    expect(parties.locator("tr", has_text=CERT)).to_contain_text("Notified")
    assert problems.all() == [], "\n".join(problems.all())
