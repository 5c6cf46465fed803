"""A coordinator registers a passkey and logs in with it, in the browser: Chromium's
virtual authenticator (DevTools WebAuthn domain) plays the security key, so the real
navigator.credentials calls, the page script and the server's checks all run.

WebAuthn refuses an IP address as the relying party, so the pages are opened as
http://localhost:PORT (a secure context, like https)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dnscc.accounts.models import AuditEvent, Passkey
from tests.browser.conftest import Problems, fill_login_form

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _virtual_authenticator(page: Page, base: str) -> Any:
    # The live server's first answer (URL conf, templates) can take longer than the default
    # timeout on a loaded machine: wait for it once here, not in the steps under test.
    page.goto(f"{base}/login/", timeout=60_000)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp


def test_a_coordinator_registers_a_passkey_then_logs_in_with_it(
    page: Page, live_server: Any, world: Any, settings: Any, problems: Problems
) -> None:
    settings.SECOND_FACTOR_ROLES = ["admin", "coordinator"]
    base = live_server.url.replace("127.0.0.1", "localhost")
    _virtual_authenticator(page, base)
    fill_login_form(page, base, "coord1")
    assert page.url == f"{base}/account/security/?required=1"
    page.get_by_label("Name of the new passkey").fill("work laptop")
    with page.expect_navigation():
        page.get_by_role("button", name="Register a passkey").click()
    expect(page.locator("#passkeys")).to_contain_text("work laptop")
    # A first second factor comes with recovery codes, shown once.
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.goto(f"{base}/directory/")
    assert page.url == f"{base}/directory/"  # the session counts as verified

    with page.expect_navigation():  # let the log-out land before the next page load
        page.locator(".who").get_by_role("button", name="Log out").click()
    fill_login_form(page, base, "coord1")
    assert page.url.startswith(f"{base}/login/verify/")
    with page.expect_navigation():
        page.get_by_role("button", name="Use a passkey").click()
    assert page.url == f"{base}/"
    expect(page.get_by_role("heading", name="Duty console")).to_be_visible()
    passkey = Passkey.objects.get(user=world.users["coordinator"])
    assert passkey.last_used_at is not None
    actions = list(
        AuditEvent.objects.filter(action__startswith="auth.2fa").values_list("action", flat=True)
    )
    assert actions[-3:] == ["auth.2fa_enrolled", "auth.2fa_recovery_codes", "auth.2fa_verified"]
    assert problems.all() == []  # the page script runs under the CSP, no failed request


def test_a_passkey_of_another_site_is_refused(
    page: Page, live_server: Any, world: Any, settings: Any
) -> None:
    """The same authenticator, but the page opened as 127.0.0.1: the browser itself refuses
    an IP address as relying party, and the page says so instead of going on."""
    base = live_server.url.replace("localhost", "127.0.0.1")
    _virtual_authenticator(page, base)
    fill_login_form(page, base, "op_a")
    page.goto(f"{base}/account/security/")
    page.get_by_role("button", name="Register a passkey").click()
    expect(page.locator("#passkey-status")).to_contain_text("Passkey")
    assert not Passkey.objects.exists()
