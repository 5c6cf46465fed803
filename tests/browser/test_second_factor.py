"""A coordinator enrols an authenticator app and logs in with it, in the browser; the
test computes the TOTP codes from the key the page shows, as the app would."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests.browser.conftest import fill_login_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _code(secret: str, *, drift: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=drift):06d}"


def test_a_coordinator_enrols_then_logs_in_with_a_code(
    page: Page, live_server: Any, world: Any, settings: Any
) -> None:
    settings.SECOND_FACTOR_ROLES = ["admin", "coordinator"]
    fill_login_form(page, live_server.url, "coord1")
    assert page.url == f"{live_server.url}/account/security/?required=1"
    expect(page.get_by_role("alert")).to_contain_text("Your role must use a second factor")
    page.get_by_role("button", name="Enrol an authenticator app").click()
    expect(page.locator("figure.qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code").fill(_code(secret))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.goto(f"{live_server.url}/directory/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url == f"{live_server.url}/directory/"

    with page.expect_navigation():  # let the log-out land before the next page load
        page.locator(".who").get_by_role("button", name="Log out").click()
    fill_login_form(page, live_server.url, "coord1")
    assert page.url.startswith(f"{live_server.url}/login/verify/")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    # A code is used once: enrolment spent this 30-second step's, so the app's next one.
    page.get_by_label("Code").fill(_code(secret, drift=1))
    page.get_by_role("button", name="Verify").click()
    assert page.url == f"{live_server.url}/"
    expect(page.get_by_role("heading", name="Duty console")).to_be_visible()
