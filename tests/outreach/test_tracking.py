"""Tracking per recipient: acknowledgements (link, portal, API, signed reply), bounces,
follow-ups for silence, and the contact-verification mail going through the outbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pysequoia
import pytest
from django.test import Client
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Contact
from dnscc.outreach import services
from dnscc.outreach.models import Message
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from tests.conftest import World
from tests.outreach.conftest import recipient_key

CONTEXT = {"title": "Hijack of ns1", "text": "We observed a hijack.", "tlp": "TLP:AMBER"}


def _send(world: World, orgs: list[Any] | None = None) -> Message:
    coordinator = world.users["coordinator"]
    services.notify(
        viewer_for(coordinator),
        audit.Actor.of(coordinator),
        kind="notice",
        context=CONTEXT,
        organizations=orgs or [world.org_a],
        user=coordinator,
    )
    drain()
    return Message.objects.filter(organization=world.org_a).first()  # type: ignore[return-value]


@pytest.mark.django_db
def test_the_signed_link_asks_first_and_a_post_acknowledges(world: World, outbox: SmtpSink) -> None:
    message = _send(world)
    link = services.ack_url(message.key).removeprefix("http://127.0.0.1:8000")
    client = Client()
    assert client.get(link).status_code == 200
    message.refresh_from_db()
    assert message.acknowledged_at is None, "opening the link must not acknowledge"
    response = client.post(link)
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.acknowledged_via == "link"
    assert message.status == "acknowledged"
    assert [e["event"] for e in services.timeline(message)][-1] == "acknowledged"


@pytest.mark.django_db
def test_a_forged_acknowledgement_link_is_refused(world: World, outbox: SmtpSink) -> None:
    message = _send(world)
    response = Client().post(f"/outreach/ack/{message.key}/{'0' * 32}/")
    assert response.status_code == 404
    message.refresh_from_db()
    assert message.acknowledged_at is None


@pytest.mark.django_db
def test_the_operator_acknowledges_through_the_api_and_only_the_first_counts(
    world: World, outbox: SmtpSink
) -> None:
    message = _send(world)
    response = world.api("operator").post(f"/api/v1/outreach/messages/{message.key}/ack")
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    again = world.api("operator").post(f"/api/v1/outreach/messages/{message.key}/ack")
    assert again.status_code == 200
    message.refresh_from_db()
    assert message.acknowledged_via == "api"
    assert [e["event"] for e in services.timeline(message)].count("acknowledged") == 1


@pytest.mark.django_db
def test_another_organization_cannot_see_or_acknowledge_the_message(
    world: World, outbox: SmtpSink
) -> None:
    message = _send(world)
    response = world.api("outsider").post(f"/api/v1/outreach/messages/{message.key}/ack")
    assert response.status_code == 404
    assert world.api("outsider").get(f"/api/v1/outreach/messages/{message.key}").status_code == 404


@pytest.mark.django_db
def test_the_operator_acknowledges_in_the_portal(world: World, outbox: SmtpSink) -> None:
    message = _send(world)
    client = world.client("operator")
    page = client.get("/outreach/mine/")
    assert CONTEXT["title"].encode() in page.content
    response = client.post(f"/outreach/messages/{message.key}/ack")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.acknowledged_via == "portal"


def _signed_reply(tsk: Any, key: str, text: str = "Received, thanks.") -> bytes:
    from dnscc.outreach import compose

    content = compose.content_entity(text)
    signature = pysequoia.sign(tsk.signer(), content, mode=pysequoia.SignatureMode.DETACHED)
    return (
        b"From: security@alpha.example\r\nTo: dnscc@center.test\r\nSubject: Re: x\r\n"
        + f"In-Reply-To: <{key}@center.test>\r\nMIME-Version: 1.0\r\n".encode()
        + b"Content-Type: multipart/signed; micalg=pgp-sha512;"
        + b' protocol="application/pgp-signature"; boundary="S"\r\n\r\n'
        + b"--S\r\n"
        + content
        + b"\r\n--S\r\nContent-Type: application/pgp-signature\r\n\r\n"
        + signature
        + b"\r\n--S--\r\n"
    )


@pytest.mark.django_db
def test_an_openpgp_signed_reply_from_the_contacts_key_acknowledges(
    world: World, outbox: SmtpSink
) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    message = _send(world)
    result = services.process_inbound(_signed_reply(tsk, message.key))
    assert result["acknowledged"] is True
    message.refresh_from_db()
    assert message.acknowledged_via == "signed-reply"


@pytest.mark.django_db
def test_a_reply_signed_by_another_key_does_not_acknowledge(world: World, outbox: SmtpSink) -> None:
    _tsk, public = recipient_key()
    other, _ = recipient_key("Mallory <m@example>")
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    message = _send(world)
    result = services.process_inbound(_signed_reply(other, message.key))
    assert result["acknowledged"] is False
    message.refresh_from_db()
    assert message.acknowledged_at is None


@pytest.mark.django_db
def test_a_bounce_marks_the_recipient_bounced_and_shows_in_its_timeline(
    world: World, outbox: SmtpSink
) -> None:
    from tests.outreach.test_pure import _dsn

    message = _send(world)
    raw = _dsn("failed", "5.1.1").replace(b"0123456789abcdef0123456789abcdef", message.key.encode())
    result = services.process_inbound(raw)
    assert result["reports"][0]["matched"] is True
    message.refresh_from_db()
    assert message.state == Message.BOUNCED
    assert "5.1.1" in message.last_error
    assert "bounced" in [e["event"] for e in services.timeline(message)]


@pytest.mark.django_db
def test_silence_brings_a_follow_up_in_the_recipients_language_and_acking_it_acks_the_notice(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    from dnscc.directory.models import Organization

    Organization.objects.filter(pk=world.org_a.pk).update(languages=["es"])
    world.org_a.refresh_from_db()
    message = _send(world)
    later = timezone.now() + timedelta(hours=settings.OUTREACH_FOLLOWUP_HOURS + 1)
    assert services.schedule_followups(audit.SYSTEM, now=later) == 1
    assert services.schedule_followups(audit.SYSTEM, now=later) == 0, "one per period"
    drain()
    followup = Message.objects.get(parent=message)
    assert followup.state == Message.ACCEPTED
    assert followup.subject.startswith("Recordatorio")
    services.acknowledge(followup, via="link", by="x", actor=audit.SYSTEM)
    message.refresh_from_db()
    assert message.acknowledged_at is not None
    assert services.schedule_followups(audit.SYSTEM, now=later + timedelta(days=2)) == 0


@pytest.mark.django_db
def test_notices_with_their_own_ladder_get_no_generic_follow_up(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    """An incident's parties and a campaign's slices are reminded by incidents.sla and
    campaigns.escalation: the generic follow-up would remind them twice."""
    coordinator = world.users["coordinator"]
    for n, source in enumerate(services.OWN_LADDER_SOURCES):
        services.notify(
            viewer_for(coordinator),
            audit.Actor.of(coordinator),
            kind="notice",
            context=CONTEXT,
            organizations=[world.org_a],
            source=(source, str(n + 1)),
        )
    drain()
    assert Message.objects.filter(state=Message.ACCEPTED).count() == 2
    later = timezone.now() + timedelta(hours=settings.OUTREACH_FOLLOWUP_HOURS + 1)
    assert services.schedule_followups(audit.SYSTEM, now=later) == 0
    _send(world)  # a plain notice is followed up
    assert services.schedule_followups(audit.SYSTEM, now=later) == 1


@pytest.mark.django_db
def test_the_scheduler_enqueues_follow_ups_hourly(world: World) -> None:
    from dnscc.outreach import tasks

    now = timezone.now()
    assert tasks.schedule(now=now) == [tasks.FOLLOWUP_SCHEDULE]
    assert tasks.schedule(now=now + timedelta(minutes=59)) == []
    assert tasks.schedule(now=now + timedelta(minutes=61)) == [tasks.FOLLOWUP_SCHEDULE]


@pytest.mark.django_db
def test_contact_verification_mail_goes_through_the_outbox(world: World, outbox: SmtpSink) -> None:
    response = world.api("coordinator").post(
        f"/api/v1/directory/contacts/{world.contact_a.pk}/verify"
    )
    assert response.status_code == 200
    message = Message.objects.get(kind="contact_verification")
    assert f"/directory/verify/{world.contact_a.pk}/" in message.body
    drain()
    message.refresh_from_db()
    assert message.state == Message.ACCEPTED
    assert outbox.received.keys[message.key] == 1


@pytest.mark.django_db
def test_the_coordinator_sees_per_recipient_status_of_a_notice(
    world: World, outbox: SmtpSink
) -> None:
    message = _send(world, [world.org_a, world.org_b])
    response = world.api("coordinator").get(f"/api/v1/outreach/notices/{message.notice_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"accepted": 2}
    page = world.client("coordinator").get(f"/outreach/notices/{message.notice_id}/")
    assert b"security@bravo.example" in page.content


@pytest.mark.django_db
def test_the_message_page_shows_the_timeline_to_the_recipient_and_staff_only(
    world: World, outbox: SmtpSink
) -> None:
    message = _send(world)
    for role in ("operator", "coordinator"):
        page = world.client(role).get(f"/outreach/messages/{message.key}/")
        assert page.status_code == 200
        assert b"accepted" in page.content
        assert message.key.encode() in page.content
    assert world.client("outsider").get(f"/outreach/messages/{message.key}/").status_code == 404
    outbox_page = world.client("coordinator").get("/outreach/")
    assert outbox_page.status_code == 200
