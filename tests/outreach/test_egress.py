"""The webhook client and the mail sender send nothing outside the egress rule: the
receiver gets no connection, and the message says why (a webhook is refused for good;
mail waits in the outbox, since the relay is configuration that can be fixed)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.core import egress
from dnscc.directory.models import Contact
from dnscc.outreach import services
from dnscc.outreach.models import Message
from dnscc.outreach.sender import SmtpPool, drain
from dnscc.outreach.sinks import HttpSink, SmtpSink
from tests.conftest import World

pytestmark = pytest.mark.django_db

ELSEWHERE = egress.parse("10.0.0.0/8")  # the sinks listen on loopback: outside this rule


def _notify(world: World) -> None:
    coordinator = world.users["coordinator"]
    services.notify(
        viewer_for(coordinator),
        audit.Actor.of(coordinator),
        kind="notice",
        context={"title": "Open resolver abuse", "text": "Details.", "tlp": "TLP:AMBER"},
        organizations=[world.org_b],
        user=coordinator,
    )


def test_a_webhook_outside_the_rule_is_refused_without_a_connection(
    world: World, outbox: SmtpSink, http_sink: HttpSink, settings: Any
) -> None:
    settings.OUTREACH_SMTP_HOST = "localhost"  # the configured relay: exempt wherever it is
    Contact.objects.create(organization=world.org_b, name="Hook", webhook_url=http_sink.url("/ok"))
    with egress.using(ELSEWHERE):
        _notify(world)
        drain()
    hook = Message.objects.get(channel=Message.WEBHOOK)
    assert hook.state == Message.DEAD
    assert "outside the networks the center may send to" in hook.dead_reason
    assert "DNSCC_PROBE_NETWORKS=10.0.0.0/8" in hook.dead_reason
    assert http_sink.received.total == 0


def test_mail_to_a_host_that_is_not_the_relay_and_outside_the_rule_waits_and_says_why() -> None:
    pool = SmtpPool(host="127.0.0.1", port=9, size=1, timeout=2, tls="off", policy=ELSEWHERE)

    async def send() -> Any:
        try:
            return await pool.send("a@center.test", "b@example.test", b"Subject: x\r\n\r\nx\r\n")
        finally:
            await pool.close()

    outcome = asyncio.run(send())
    assert not outcome.ok
    assert not outcome.permanent  # the message waits: configuration can be fixed
    assert "mail to 127.0.0.1 refused" in outcome.reply


def test_the_relay_named_by_the_configuration_is_reached_wherever_it_is(
    world: World, outbox: SmtpSink
) -> None:
    relay_only = egress.parse("10.0.0.0/8", relays=[outbox.host])
    pool = SmtpPool(host=outbox.host, port=outbox.port, size=1, timeout=5, tls="off")
    pool.policy = relay_only

    async def send() -> Any:
        try:
            return await pool.send(
                "a@center.test", "b@example.test", b"Subject: x\r\n\r\nhello\r\n"
            )
        finally:
            await pool.close()

    outcome = asyncio.run(send())
    assert outcome.ok, outcome.reply
    assert outbox.received.total == 1
