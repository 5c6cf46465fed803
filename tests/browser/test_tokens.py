"""The API token page: a new secret is shown exactly once; revoking marks the token."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dnscc.accounts.models import ApiToken

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_new_token_is_shown_exactly_once_and_can_be_revoked(
    page: Page, live_server: Any, login: Any, world: Any
) -> None:
    login(page, "coord1")
    page.get_by_role("link", name="API tokens").click()
    expect(page).to_have_url(f"{live_server.url}/account/tokens/")
    page.get_by_label("Name").fill("monitoring script")
    with page.expect_navigation():
        page.get_by_role("button", name="Create token").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("Token “monitoring script” created. Copy it now")
    secret = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(r"dnscc_\w+_\S+", secret), secret
    row = page.locator("tbody tr", has_text="monitoring script")
    expect(row).to_contain_text("active")
    # The list shows only the prefix, never the secret.
    expect(page.locator("table")).not_to_contain_text(secret)
    # Stored hashed: the database does not hold the secret either.
    token = ApiToken.objects.get(user=world.users["coordinator"], name="monitoring script")
    assert secret not in {str(v) for v in ApiToken.objects.filter(pk=token.pk).values()[0].values()}

    # A GET reload (not a re-POST) no longer shows it.
    page.goto(page.url)
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_role("status")).to_have_count(0)
    assert secret not in page.content()

    with page.expect_navigation():
        row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_have_text("Token 'monitoring script' revoked.")
    expect(row).to_contain_text("revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
    token.refresh_from_db()
    assert token.revoked_at is not None
