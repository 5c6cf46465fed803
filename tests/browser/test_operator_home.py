"""The operator's home in a real browser: what it owes, its zones' health, its contacts;
readable at 1400 px and at 390 px (a phone) with nothing wider than the screen."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.incidents import services
from dnscc.monitoring.models import Finding
from tests import delivery

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _work(world: Any, settings: Any) -> None:
    # No sender in the browser's thread (its event loop runs there): the relay's answer is
    # recorded as the sender would (tests/delivery.py).
    settings.OUTREACH_AUTODRAIN = False
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    incident = services.create_incident(
        viewer,
        actor,
        {
            "title": "NS records of several delegations changed through a compromised"
            " registrar account (an-unusually-long-name-without-spaces.alpha)",
            "dns_type": "domain-hijack",
            "impact": "high",
            "urgency": "high",
            "scope": {"tlds": [".alpha"]},
        },
        user=user,
    )
    services.notify_parties(viewer, actor, incident)
    delivery.accept()
    now = timezone.now()
    Finding.objects.create(
        zone="alpha",
        code="DELEGATION04",
        severity="error",
        server="ns1.nic.alpha",
        message="ns1.nic.alpha is lame for alpha",
        evidence=[{"query": "alpha. IN SOA", "server": "192.0.2.1", "rcode": "REFUSED"}],
        first_seen=now,
        last_seen=now,
    )


@pytest.mark.parametrize("width", [1400, 390])
def test_the_operator_home_fits_the_screen_and_says_what_is_owed(
    page: Page, live_server: Any, login: Any, world: Any, width: int, settings: Any
) -> None:
    _work(world, settings)
    page.set_viewport_size({"width": width, "height": 900})
    login(page, "op_a")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alpha Registry")
    expect(page.locator("#owed")).to_contain_text("Acknowledge incident")
    expect(page.locator("#health")).to_contain_text("DELEGATION04")
    expect(page.locator("#contacts")).to_contain_text("security@alpha.example")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow} px wider than a {width} px screen"
    shots = os.environ.get("DNSCC_SCREENSHOTS")
    if shots:  # docs/screenshots/ is refreshed with DNSCC_SCREENSHOTS=docs/screenshots
        page.screenshot(path=str(Path(shots) / f"operator-home-{width}.png"), full_page=True)
