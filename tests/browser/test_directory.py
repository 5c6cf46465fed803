"""A coordinator's work in the directory: browse, search (htmx), filter, read, add contacts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dnscc.directory.models import Contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def expect_orgs(page: Page, *names: str) -> None:
    """The directory rows show exactly these organisations, in this order (waits for htmx)."""
    expect(page.locator("#org-rows tbody tr td:first-child a")).to_have_text(list(names))
    expect(page.locator("#org-total")).to_have_text(str(len(names)))


def test_a_coordinator_sees_the_console_with_the_directory_figures(page: Page, login: Any) -> None:
    login(page, "coord1")
    expect(page).to_have_title("Duty console · dnscc")
    nav = page.get_by_role("navigation", name="Main")
    page.get_by_text("The directory at a glance").click()
    for link in (
        "Duty console",
        "Directory",
        "TLDs",
        "Lookup",
        "Import",
        "Audit log",
        "API tokens",
    ):
        expect(nav.get_by_role("link", name=link, exact=True)).to_be_visible()
    expect(page.locator(".card", has_text="organizations").locator(".n")).to_have_text("3")
    expect(page.locator(".card", has_text="delegated TLDs").locator(".n")).to_have_text("2")


def test_a_coordinator_searches_the_directory_without_reloading_the_page(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Directory").click()
    expect(page).to_have_url(f"{live_server.url}/directory/")
    expect_orgs(page, "Alpha Registry", "Bravo Registry", "Example CERT")
    # A full navigation would throw this marker away with the old document.
    page.evaluate("() => { window.__noReload = 'still here'; }")
    page.wait_for_function("() => window.htmx !== undefined")

    with page.expect_response(re.compile(r"/directory/\?q=bra")) as answer:
        page.locator("#q").press_sequentially("bra")
    assert answer.value.request.headers.get("hx-request") == "true"
    expect_orgs(page, "Bravo Registry")
    # hx-push-url: the address bar follows, so the search can be bookmarked and shared.
    expect(page).to_have_url(re.compile(r"/directory/\?q=bra"))
    assert page.evaluate("() => window.__noReload") == "still here"

    # Searching by TLD finds its operator, too.
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially(".alpha")
    expect_orgs(page, "Alpha Registry")
    assert page.evaluate("() => window.__noReload") == "still here"


def test_a_coordinator_filters_the_directory_by_region(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/")
    page.evaluate("() => { window.__noReload = 'still here'; }")
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label("Region").select_option("EU")
    expect_orgs(page, "Bravo Registry")
    expect(page).to_have_url(re.compile(r"region=EU"))
    page.get_by_label("Region").select_option("AF")
    expect_orgs(page, "Alpha Registry", "Example CERT")
    assert page.evaluate("() => window.__noReload") == "still here"

    # The pushed address is a real page: opened afresh, it shows the same filtered rows.
    page.goto(page.url)
    expect(page.get_by_label("Region")).to_have_value("AF")
    expect_orgs(page, "Alpha Registry", "Example CERT")


def test_a_coordinator_opens_an_organization_and_sees_its_tlds_and_contacts(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/")
    page.get_by_role("link", name="Alpha Registry").click()
    expect(page).to_have_url(f"{live_server.url}/directory/org/alpha-registry/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alpha Registry")
    expect(page.get_by_role("heading", name="TLDs it runs (1)")).to_be_visible()
    expect(page.locator("#tld-list")).to_contain_text("alpha")
    contacts = page.locator("#contacts tbody tr")
    expect(contacts).to_have_count(1)
    expect(contacts.first).to_contain_text("Alpha security")
    expect(contacts.first).to_contain_text("security@alpha.example")
    expect(contacts.first).to_contain_text("Unverified")
    # Another organisation's contact is not mixed in.
    expect(page.locator("#contacts")).not_to_contain_text("bravo")


def test_a_coordinator_adds_a_contact_and_sees_it_listed(
    page: Page, live_server: Any, login: Any, world: Any
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/org/alpha-registry/")
    form = page.locator("form", has=page.get_by_role("button", name="Add contact"))
    form.get_by_label("Name").fill("Alpha NOC")
    form.get_by_label("Email").fill("noc@alpha.example")
    form.get_by_label("Language").fill("en")
    form.get_by_label("24/7").select_option("yes")
    with page.expect_navigation():
        form.get_by_role("button", name="Add contact").click()
    expect(page).to_have_url(f"{live_server.url}/directory/org/alpha-registry/")
    expect(page.locator(".messages")).to_have_text("Contact added.")
    row = page.locator("#contacts tbody tr", has_text="Alpha NOC")
    expect(row).to_contain_text("noc@alpha.example")
    expect(row).to_contain_text("yes")
    expect(page.locator("#contacts tbody tr")).to_have_count(2)
    assert Contact.objects.filter(organization=world.org_a, email="noc@alpha.example").exists()


def test_a_bad_email_is_refused_with_a_clear_message_and_nothing_is_added(
    page: Page, live_server: Any, login: Any, world: Any
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/org/alpha-registry/")
    form = page.locator("form", has=page.get_by_role("button", name="Add contact"))
    email = form.get_by_label("Email")
    form.get_by_label("Name").fill("Broken")

    # The browser's own check stops the plainly wrong address before it is sent.
    email.fill("not-an-email")
    form.get_by_role("button", name="Add contact").click()
    assert email.evaluate("e => e.validity.typeMismatch") is True
    expect(page).to_have_url(f"{live_server.url}/directory/org/alpha-registry/")
    expect(page.locator(".messages")).to_have_count(0)

    # An address the browser accepts but the server does not: the server explains.
    email.fill("noc@alpha")
    with page.expect_navigation():
        form.get_by_role("button", name="Add contact").click()
    expect(page.locator(".messages li.error")).to_contain_text(
        "'noc@alpha' is not a valid email address"
    )
    expect(page.locator("#contacts tbody tr")).to_have_count(1)
    assert list(
        Contact.objects.filter(organization=world.org_a).values_list("name", flat=True)
    ) == ["Alpha security"]
