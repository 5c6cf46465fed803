"""Issue 18, defect 3: behind a reverse proxy every client was the proxy. The client's
address now comes from X-Forwarded-For only when the peer is a trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dnscc.accounts.models import AuditEvent
from dnscc.core.clientaddr import parse_networks
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


def _report(client: Client, **headers: str) -> int:
    form = {
        "reporter_name": "Ada",
        "reporter_email": "ada@reporter.example",
        "title": "ns1 answers forged data",
        "description": "It answers www with 203.0.113.66.",
        "dns_type": "domain-hijack",
        "scope": "www.alpha",
        "tlp": "AMBER",
    }
    return int(client.post("/report/", form, headers=headers).status_code)


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.OUTREACH_AUTODRAIN = False
    settings.REPORT_RATE = "1/hour"
    settings.TRUSTED_PROXIES = parse_networks([PROXY])


def test_behind_a_trusted_proxy_each_client_has_its_own_report_limit(
    world: World, behind_proxy: None
) -> None:
    proxy = Client(REMOTE_ADDR=PROXY)
    assert _report(proxy, x_forwarded_for="198.51.100.1") == 302
    assert _report(proxy, x_forwarded_for="198.51.100.1") == 429
    # Before the fix the proxy's own bucket was spent: the whole world was refused.
    assert _report(proxy, x_forwarded_for="198.51.100.2") == 302


def test_a_client_cannot_escape_its_limit_by_sending_the_header_itself(
    world: World, behind_proxy: None
) -> None:
    direct = Client(REMOTE_ADDR="203.0.113.9")
    assert _report(direct, x_forwarded_for="198.51.100.3") == 302
    assert _report(direct, x_forwarded_for="198.51.100.4") == 429


def test_without_a_configured_proxy_the_header_is_ignored(world: World, settings: Any) -> None:
    settings.OUTREACH_AUTODRAIN = False
    settings.REPORT_RATE = "1/hour"
    settings.TRUSTED_PROXIES = []
    proxy = Client(REMOTE_ADDR=PROXY)
    assert _report(proxy, x_forwarded_for="198.51.100.5") == 302
    assert _report(proxy, x_forwarded_for="198.51.100.6") == 429


def test_the_audit_log_records_the_client_not_the_proxy(world: World, behind_proxy: None) -> None:
    proxy = Client(REMOTE_ADDR=PROXY)
    proxy.post(
        "/login/",
        {"username": "coord1", "password": PASSWORD},
        headers={"x_forwarded_for": "198.51.100.77"},
    )
    event = AuditEvent.objects.filter(action="auth.login").latest("seq")
    assert event.data["ip"] == "198.51.100.77"
