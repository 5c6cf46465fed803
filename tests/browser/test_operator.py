"""An operator sees its own organisation and nothing else of the directory."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_operator_sees_only_its_own_organization_in_the_navigation(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "op_a")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My organization")).to_be_visible()
    for staff_only in ("Directory", "TLDs", "Import", "Audit log", "Health", "Alerts"):
        expect(nav.get_by_role("link", name=staff_only, exact=True)).to_have_count(0)
    # What the navigation offers, an operator may open: no link leads to a 403.
    for href in nav.get_by_role("link").evaluate_all("links => links.map(a => a.href)"):
        response = page.request.get(href)
        assert response.status == 200, f"{href}: {response.status}"
    expect(page.locator("main")).to_contain_text("You act for Alpha Registry")

    nav.get_by_role("link", name="My organization").click()
    expect(page).to_have_url(f"{live_server.url}/directory/org/alpha-registry/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alpha Registry")
    expect(page.locator("#tld-list")).to_contain_text("alpha")
    expect(page.locator("#contacts")).to_contain_text("security@alpha.example")
    # Editing the directory is for the center's staff.
    expect(page.get_by_role("button", name="Add contact")).to_have_count(0)
    expect(page.get_by_role("button", name="Remove")).to_have_count(0)


def test_an_operator_gets_a_404_page_for_another_organization(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "op_a")
    response = page.goto(f"{live_server.url}/directory/org/bravo-registry/")
    assert response is not None
    assert response.status == 404
    expect(page).to_have_title("Not found · dnscc")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("There is nothing here, or nothing you may see.")
    expect(page.locator("main")).not_to_contain_text("Bravo")
    # Still inside the portal, logged in, with a way back.
    expect(page.get_by_role("link", name="Back to your home page")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("op_a")


def test_an_operator_gets_a_403_page_for_the_directory(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "op_a")
    response = page.goto(f"{live_server.url}/directory/")
    assert response is not None
    assert response.status == 403
    expect(page).to_have_title("Not allowed · dnscc")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("Only center staff may open this page.")
    expect(page.locator("#org-rows")).to_have_count(0)
