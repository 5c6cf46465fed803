"""An incident in the browser: a coordinator opens it through the form, previews and sends
the notice to its parties and changes one party's status; the operator of the other party
logs in (its own browser context) and sees only its own party, which it acknowledges. No
console error, no CSP violation, no failed request on either side."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import BrowserContext, Page, expect

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.incidents import services
from tests import delivery
from tests.browser.conftest import Problems, fill_login_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Lame delegations in two registries"


def test_a_coordinator_opens_an_incident_and_the_operator_acknowledges_only_its_own_party(
    page: Page,
    problems: Problems,
    live_server: Any,
    login: Any,
    new_context: Callable[..., BrowserContext],
    settings: Any,
) -> None:
    settings.OUTREACH_AUTODRAIN = False
    login(page, "coord1")
    nav = page.get_by_role("navigation", name="Main")
    with page.expect_navigation(wait_until="load"):
        nav.get_by_role("link", name="Incidents", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="New incident").click()

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("ns1.nic.alpha and ns1.nic.bravo do not answer")
    page.get_by_label("Type").select_option("broken-delegation")
    page.wait_for_function("() => window.htmx !== undefined")
    # htmx computes the severity as impact and urgency change
    with page.expect_response(re.compile(r"/incidents/new/severity\?")):
        page.get_by_label("Impact").select_option("high")
    expect(page.locator("#severity")).to_have_text("High")
    with page.expect_response(re.compile(r"/incidents/new/severity\?")):
        page.get_by_label("Urgency").select_option("high")
    expect(page.locator("#severity")).to_have_text("Critical")
    page.get_by_label("TLDs").fill("alpha\nbravo")
    page.get_by_label("Desk").select_option("AF")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Create incident").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    ref = page.locator("#incident-ref").inner_text()
    assert re.fullmatch(r"DNSCC-\d{4}-\d{4}", ref), ref
    parties = page.locator("#party-table")
    expect(parties).to_contain_text("Alpha Registry")
    expect(parties).to_contain_text("Bravo Registry")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=re.compile("Notify parties not yet reached")).click()
    # The notice is previewed, in each party's language, before anything is sent.
    expect(page.locator("#notice-preview")).to_contain_text("security@alpha.example")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=re.compile(r"^Send to \d+ part")).click()
    expect(page.locator(".messages")).to_contain_text("Queued")
    # Queued is not notified: the party turns Notified when the relay accepts the notice.
    alpha_row = parties.locator("tr", has_text="Alpha Registry")
    expect(alpha_row).to_contain_text("Notice queued, not yet accepted")
    assert delivery.accept() >= 1
    page.reload(wait_until="load")
    expect(alpha_row).to_contain_text("Notified")
    expect(page.locator("#message-table")).to_contain_text("security@alpha.example")

    page.get_by_label("New status of Bravo Registry", exact=True).select_option("unresponsive")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Set status of Bravo Registry").click()
    expect(parties.locator("tr", has_text="Bravo Registry")).to_contain_text("Unresponsive")
    expect(parties.locator("tr", has_text="Bravo Registry")).to_contain_text("coord1")
    assert problems.all() == [], "\n".join(problems.all())

    # The operator of Alpha Registry, in a browser of its own.
    operator = new_context().new_page()
    seen = Problems()
    seen.watch(operator)
    fill_login_form(operator, live_server.url, "op_a")
    with operator.expect_navigation(wait_until="load"):
        operator.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Incidents", exact=True
        ).click()
    expect(operator.locator("#incidents")).to_contain_text(ref)
    with operator.expect_navigation(wait_until="load"):
        operator.get_by_role("link", name=ref).click()
    main = operator.locator("main")
    expect(main).to_contain_text("Alpha Registry in this incident")
    expect(operator.locator("#own-status")).to_contain_text("Notified")
    expect(main).not_to_contain_text("Bravo")
    expect(main).not_to_contain_text("Unresponsive")
    expect(operator.locator("#party-table")).to_have_count(0)
    expect(operator.locator("#own-messages")).not_to_contain_text("No message yet")

    operator.get_by_label("Set your status").select_option("acknowledged")
    operator.get_by_label("Note to the center").fill("Looking at ns1.nic.alpha now")
    with operator.expect_navigation(wait_until="load"):
        operator.get_by_role("button", name="Update status").click()
    expect(operator.locator("#own-status")).to_contain_text("Acknowledged")
    expect(operator.locator("#own-status")).to_contain_text("op_a")
    assert seen.all() == [], "\n".join(seen.all())

    # The coordinator's page shows the acknowledgement after a reload.
    page.reload(wait_until="load")
    alpha = page.locator("#party-table tr", has_text="Alpha Registry")
    expect(alpha).to_contain_text("Acknowledged")
    expect(alpha).to_contain_text("Looking at ns1.nic.alpha now")
    assert problems.all() == [], "\n".join(problems.all())


def test_the_incident_list_filters_with_htmx_and_keeps_the_filters_in_the_url(
    page: Page, problems: Problems, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    user = get_user_model().objects.get(username="coord1")
    for title, tld in (("Alpha outage", "alpha"), ("Bravo zone leak", "bravo")):
        services.create_incident(
            viewer_for(user),
            audit.Actor.of(user),
            {"title": title, "scope": {"tlds": [tld]}, "desk": "AF"},
            user=user,
        )
    page.goto(f"{live_server.url}/incidents/", wait_until="load")
    page.wait_for_function("() => window.htmx !== undefined")
    rows = page.locator("#incidents tbody")
    expect(rows).to_contain_text("Alpha outage")
    expect(rows).to_contain_text("Bravo zone leak")
    with page.expect_response(re.compile(r"/incidents/\?q=leak")):
        page.locator("#q").press_sequentially("leak")
    expect(rows).not_to_contain_text("Alpha outage")
    expect(rows).to_contain_text("Bravo zone leak")
    expect(page).to_have_url(re.compile(r"q=leak"))
    # the table came from htmx: the page itself did not reload
    expect(page.get_by_role("heading", level=1)).to_have_text("Incidents")

    page.get_by_label("Save these filters as").fill("Leaks")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="Save view").click()
    saved = page.locator("#saved-views")
    expect(saved.get_by_role("link", name="Leaks")).to_be_visible()
    page.goto(f"{live_server.url}/incidents/", wait_until="load")
    with page.expect_navigation(wait_until="load"):
        page.locator("#saved-views").get_by_role("link", name="Leaks").click()
    expect(page.locator("#incidents tbody")).not_to_contain_text("Alpha outage")
    assert problems.all() == [], "\n".join(problems.all())
