"""Logging in and out through the real forms."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fill_login_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def session_cookie(page: Page) -> list[dict[str, Any]]:
    return [c for c in page.context.cookies() if c["name"] == "sessionid"]


def test_the_login_page_is_readable_without_javascript_and_logs_in(
    new_context: Any, live_server: Any, world: Any
) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{live_server.url}/")
    # Deny by default: the dashboard sends an anonymous visitor to the login form.
    assert page.url.startswith(f"{live_server.url}/login/")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    # Scripts really are off: htmx, loaded by every page, never ran.
    assert page.evaluate("() => typeof window.htmx") == "undefined"
    fill_login_form(page, live_server.url, "coord1")
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", name="Duty console")).to_be_visible()
    page.get_by_text("The directory at a glance").click()  # a <details>: works without scripts
    expect(page.get_by_text("delegated TLDs")).to_be_visible()
    expect(page.locator(".who")).to_contain_text("coord1")


def test_a_wrong_password_shows_the_error_and_opens_no_session(
    page: Page, live_server: Any, world: Any
) -> None:
    fill_login_form(page, live_server.url, "coord1", password="not the password")
    assert page.url.startswith(f"{live_server.url}/login/")
    expect(page.locator("p.errors")).to_have_text(
        "Your user name and password did not match. Please try again."
    )
    assert session_cookie(page) == []
    page.goto(f"{live_server.url}/directory/")
    assert page.url.startswith(f"{live_server.url}/login/")


def test_logging_out_with_the_post_button_ends_the_session(
    page: Page, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    assert session_cookie(page)
    logout = page.get_by_role("button", name="Log out")
    assert logout.evaluate("b => b.form.method") == "post"
    with page.expect_navigation():
        logout.click()
    assert session_cookie(page) == []
    page.goto(f"{live_server.url}/directory/")
    assert page.url.startswith(f"{live_server.url}/login/")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
