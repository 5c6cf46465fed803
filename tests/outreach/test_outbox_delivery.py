"""The outbox against a real SMTP server and a real HTTP receiver on loopback."""

from __future__ import annotations

import email
import email.policy
import json
from datetime import timedelta
from typing import Any

import pysequoia
import pytest
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.core.errors import InputError
from dnscc.core.tlp import TLP
from dnscc.directory import services as directory_services
from dnscc.directory.models import Contact, Organization
from dnscc.outreach import services, webhooks
from dnscc.outreach.models import Message, Notice
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import HttpSink, SmtpSink
from tests.conftest import World
from tests.outreach.conftest import due_now, recipient_key

CONTEXT = {"title": "Open resolver abuse", "text": "Details follow.", "tlp": "TLP:AMBER"}


def _notify(world: World, orgs: list[Organization], **kwargs: Any) -> services.Queued:
    coordinator = world.users["coordinator"]
    return services.notify(
        viewer_for(coordinator),
        audit.Actor.of(coordinator),
        kind=kwargs.pop("kind", "notice"),
        context=kwargs.pop("context", CONTEXT),
        organizations=orgs,
        user=coordinator,
        **kwargs,
    )


def _parsed(sink: SmtpSink, address: str) -> email.message.Message:
    data = next(m["data"] for m in sink.received.messages if address in m["rcpt_tos"])
    return email.message_from_bytes(data, policy=email.policy.compat32)


@pytest.mark.django_db
def test_a_notice_reaches_every_contact_signed_with_its_key_in_the_headers(
    world: World, outbox: SmtpSink
) -> None:
    queued = _notify(world, [world.org_a, world.org_b])
    assert queued.messages == 2
    stats = drain()
    assert stats.accepted == 2
    assert outbox.received.total == 2
    for message in Message.objects.all():
        assert message.state == Message.ACCEPTED
        assert outbox.received.keys[message.key] == 1
        parsed = _parsed(outbox, message.address)
        assert parsed["Message-ID"] == f"<{message.key}@center.test>"
        assert parsed.get_content_type() == "multipart/signed"
        assert 'protocol="application/pgp-signature"' in parsed["Content-Type"]
        events = [e["event"] for e in services.timeline(message)]
        assert events == ["queued", "sent", "accepted"]
    mail_from = {m["mail_from"] for m in outbox.received.messages}
    assert all(f.startswith("bounces+") and f.endswith("@center.test") for f in mail_from)


@pytest.mark.django_db
def test_the_signature_of_a_signed_notice_verifies_with_the_centers_key(
    world: World, outbox: SmtpSink
) -> None:
    from dnscc.outreach import pgp

    _notify(world, [world.org_a])
    drain()
    raw = outbox.received.messages[0]["data"]
    signed, signature = services._split_signed(raw)
    assert signed is not None
    assert signature is not None
    cert = pysequoia.Cert.from_bytes(pgp.center_public_key().encode())
    assert pgp.verify_detached(signed, signature, cert)
    assert not pgp.verify_detached(signed.replace(b"Details", b"Detai1s"), signature, cert)


@pytest.mark.django_db
def test_mail_to_a_contact_with_a_valid_key_is_encrypted_and_decrypts(
    world: World, outbox: SmtpSink
) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    _notify(world, [world.org_a])
    message = Message.objects.get()
    assert message.security == Message.ENCRYPTED
    drain()
    parsed = _parsed(outbox, "security@alpha.example")
    assert parsed.get_content_type() == "multipart/encrypted"
    armored = parsed.get_payload()[1].get_payload()
    from dnscc.outreach import pgp

    center = pysequoia.Cert.from_bytes(pgp.center_public_key().encode())
    plain = pysequoia.decrypt(
        decryptor=tsk.decryptor(), bytes=armored.encode(), store=lambda _ids: [center]
    )
    assert b"Open resolver abuse" in plain.bytes
    assert plain.valid_sigs, "the encrypted part is also signed by the center"
    # Header protection (RFC 9788): the Subject travels inside; the outside shows "[...]".
    assert parsed["Subject"] == "[...]"
    assert message.subject not in outbox.received.messages[0]["data"].decode()
    inner = email.message_from_bytes(plain.bytes, policy=email.policy.default)
    assert inner.get_param("hp") == "cipher"
    assert inner.get_param("protected-headers") == "v1"
    assert inner["Subject"] == message.subject
    assert inner["Message-ID"] == parsed["Message-ID"]
    assert inner["X-Dnscc-Idempotency-Key"] == message.key
    assert "Subject: [...]" in inner.get_all("HP-Outer")
    text = inner.get_content()
    # The Legacy Display Element (canonical CRLF, as signed).
    assert text.startswith(f"Subject: {message.subject}\r\n\r\nHello ")


@pytest.mark.django_db
def test_header_protection_can_be_turned_off_for_clients_that_mishandle_it(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_PGP_PROTECT_HEADERS = False
    _tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    _notify(world, [world.org_a])
    drain()
    parsed = _parsed(outbox, "security@alpha.example")
    assert parsed.get_content_type() == "multipart/encrypted"
    assert parsed["Subject"] == Message.objects.get().subject


@pytest.mark.django_db
def test_a_signed_only_mail_keeps_its_subject_outside(world: World, outbox: SmtpSink) -> None:
    _notify(world, [world.org_a])
    drain()
    parsed = _parsed(outbox, "security@alpha.example")
    assert parsed.get_content_type() == "multipart/signed"
    assert parsed["Subject"] == Message.objects.get().subject


@pytest.mark.django_db
@pytest.mark.parametrize("policy", ["signed", "hold"])
def test_an_expired_recipient_key_is_flagged_and_the_policy_decides(
    world: World, outbox: SmtpSink, settings: Any, policy: str
) -> None:
    import time

    settings.OUTREACH_UNUSABLE_KEY_POLICY = policy
    _tsk, public = recipient_key(validity_seconds=1)
    time.sleep(1.1)
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    queued = _notify(world, [world.org_a])
    message = Message.objects.get()
    assert message.flags
    assert "expired" in message.flags[0]
    assert queued.flagged
    assert "expired" in queued.flagged[0]["flag"]
    drain()
    message.refresh_from_db()
    if policy == "hold":
        assert message.state == Message.HELD
        assert outbox.received.total == 0
    else:
        assert message.state == Message.ACCEPTED
        assert message.security == Message.SIGNED
        assert _parsed(outbox, message.address).get_content_type() == "multipart/signed"


@pytest.mark.django_db
def test_a_template_with_a_missing_variable_sends_nothing_and_names_it(
    world: World, outbox: SmtpSink
) -> None:
    with pytest.raises(InputError) as caught:
        _notify(world, [world.org_a], context={"title": "No text"})
    assert caught.value.location.field == "text"
    assert Message.objects.count() == 0
    assert Notice.objects.count() == 0


@pytest.mark.django_db
def test_each_organization_gets_its_preferred_language_when_a_translation_exists(
    world: World, outbox: SmtpSink
) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(languages=["fr-CA", "en"])
    Organization.objects.filter(pk=world.org_b.pk).update(languages=["de", "es"])
    Organization.objects.filter(pk=world.csirt.pk).update(languages=["sw"])
    Contact.objects.create(organization=world.csirt, name="CERT", email="cert@example.org")
    world.org_a.refresh_from_db()
    world.org_b.refresh_from_db()
    world.csirt.refresh_from_db()
    _notify(world, [world.org_a, world.org_b, world.csirt])
    langs = {
        m.organization.slug: m.language for m in Message.objects.select_related("organization")
    }
    assert langs == {"alpha-registry": "fr", "bravo-registry": "es", "example-cert": "en"}
    french = Message.objects.get(organization=world.org_a)
    assert "Bonjour" in french.body


@pytest.mark.django_db
def test_smtp_down_defers_with_backoff_and_a_later_pass_delivers(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    port = outbox.port
    settings.OUTREACH_SMTP_PORT = 1  # nothing listens there
    _notify(world, [world.org_a])
    stats = drain()
    message = Message.objects.get()
    assert stats.deferred == 1
    assert message.state == Message.QUEUED
    assert message.last_error.startswith("SMTP")
    settings.OUTREACH_SMTP_PORT = port
    drain()
    message.refresh_from_db()
    assert message.state == Message.QUEUED, "not before its backoff"
    due_now()
    drain()
    message.refresh_from_db()
    assert message.state == Message.ACCEPTED
    assert message.attempts == 2
    assert [e["event"] for e in services.timeline(message)] == [
        "queued",
        "deferred",
        "sent",
        "accepted",
    ]


@pytest.mark.django_db
def test_a_5xx_answer_makes_a_dead_letter_that_a_coordinator_can_retry(
    world: World, outbox: SmtpSink
) -> None:
    outbox.replies["security@alpha.example"] = "550 5.1.1 no such mailbox"
    _notify(world, [world.org_a])
    drain()
    message = Message.objects.get()
    assert message.state == Message.DEAD
    assert "550" in message.dead_reason
    del outbox.replies["security@alpha.example"]
    coordinator = world.users["coordinator"]
    before = AuditEvent.objects.count()
    services.retry(viewer_for(coordinator), audit.Actor.of(coordinator), message.key)
    assert AuditEvent.objects.count() == before + 1
    drain()
    message.refresh_from_db()
    assert message.state == Message.ACCEPTED
    assert outbox.received.keys[message.key] == 1


@pytest.mark.django_db
def test_a_4xx_answer_is_retried_until_the_attempts_run_out(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_MAX_ATTEMPTS = 3
    outbox.replies["security@alpha.example"] = "451 4.3.0 try later"
    _notify(world, [world.org_a])
    for _ in range(3):
        due_now()
        drain()
    message = Message.objects.get()
    assert message.state == Message.DEAD
    assert message.attempts == 3
    assert message.dead_reason.startswith("gave up after 3 attempts")


@pytest.mark.django_db
def test_one_smtp_connection_carries_many_messages(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_SMTP_CONNECTIONS = 1
    orgs = [
        Organization.objects.create(name=f"Org {i}", slug=f"org-{i}", kind="tld_registry")
        for i in range(20)
    ]
    for org in orgs:
        Contact.objects.create(organization=org, name="Sec", email=f"sec@{org.slug}.example")
    _notify(world, orgs)
    drain()
    assert outbox.received.total == 20
    assert outbox.sessions == 1


def _webhook_world(world: World, sink: HttpSink, path: str) -> Contact:
    return Contact.objects.create(organization=world.org_b, name="Hook", webhook_url=sink.url(path))


@pytest.mark.django_db
def test_a_webhook_carries_a_signature_the_operator_can_verify(
    world: World, outbox: SmtpSink, http_sink: HttpSink
) -> None:
    contact = _webhook_world(world, http_sink, "/ok")
    _notify(world, [world.org_b])
    drain()
    hook = Message.objects.get(channel=Message.WEBHOOK)
    assert hook.state == Message.ACCEPTED
    got = http_sink.received.messages[0]
    secret = directory_services.webhook_secret(contact.pk)
    headers = got["headers"]
    assert webhooks.verify(
        secret,
        timestamp=headers["x-dnscc-timestamp"],
        signature_header=headers["x-dnscc-signature"],
        body=got["body"],
    )
    assert not webhooks.verify(
        secret,
        timestamp=headers["x-dnscc-timestamp"],
        signature_header=headers["x-dnscc-signature"],
        body=got["body"] + b" ",
    )
    body = json.loads(got["body"])
    assert body["id"] == hook.key == headers["idempotency-key"]
    assert body["data"]["title"] == CONTEXT["title"]


def test_a_replayed_webhook_outside_the_window_is_refused() -> None:
    secret = b"s3cret"
    body = b'{"id": "x"}'
    sent = webhooks.headers(secret, body, key="k", now=1_000_000)
    ok = dict(
        timestamp=sent["X-Dnscc-Timestamp"], signature_header=sent["X-Dnscc-Signature"], body=body
    )
    assert webhooks.verify(secret, now=1_000_100, **ok)
    assert not webhooks.verify(secret, now=1_000_000 + 301, **ok)
    assert not webhooks.verify(b"other", now=1_000_100, **ok)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "state", "reason"),
    [
        ("/redirect", Message.DEAD, "redirects are not followed"),
        ("/gone", Message.DEAD, "410"),
        ("/error", Message.QUEUED, "500"),
        ("/hang", Message.QUEUED, "no answer within"),
    ],
)
def test_webhooks_that_redirect_fail_or_hang_are_dead_or_retried(
    world: World, outbox: SmtpSink, http_sink: HttpSink, path: str, state: str, reason: str
) -> None:
    _webhook_world(world, http_sink, path)
    _notify(world, [world.org_b], channels=(Message.WEBHOOK,))
    drain()
    hook = Message.objects.get()
    assert hook.state == state
    assert reason in (hook.dead_reason or hook.last_error)


@pytest.mark.django_db
def test_in_production_a_webhook_to_a_loopback_address_is_refused(
    world: World, outbox: SmtpSink, http_sink: HttpSink, settings: Any
) -> None:
    settings.OUTREACH_WEBHOOK_ALLOW_PRIVATE = False
    _webhook_world(world, http_sink, "/ok")
    _notify(world, [world.org_b], channels=(Message.WEBHOOK,))
    drain()
    hook = Message.objects.get()
    assert hook.state == Message.DEAD
    assert "loopback" in hook.dead_reason
    assert http_sink.received.total == 0


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("169.254.1.1", "private"),
        ("::ffff:127.0.0.1", "loopback"),
        ("fe80::1", "private"),
        ("192.0.2.10", "private"),
    ],
)
def test_private_and_loopback_addresses_are_forbidden_targets(address: str, why: str) -> None:
    assert webhooks.forbidden_address(address) in (why, "link-local", "reserved", "private")


def test_a_public_address_is_an_allowed_target() -> None:
    assert webhooks.forbidden_address("9.9.9.9") is None


@pytest.mark.django_db
def test_a_red_notice_is_refused(world: World, outbox: SmtpSink) -> None:
    with pytest.raises(InputError):
        _notify(world, [world.org_a], tlp=TLP.RED)


@pytest.mark.django_db
def test_an_organization_without_a_contact_is_reported_unreachable(
    world: World, outbox: SmtpSink
) -> None:
    queued = _notify(world, [world.org_a, world.csirt])
    assert queued.unreachable == ["example-cert"]


@pytest.mark.django_db
def test_an_unusable_recipient_key_is_flagged_and_the_mail_goes_signed_only(
    world: World, outbox: SmtpSink
) -> None:
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key="-----BEGIN PGP junk")
    queued = _notify(world, [world.org_a])
    message = Message.objects.get()
    assert message.security == Message.SIGNED
    assert "unusable" in message.flags[0]
    assert queued.flagged[0]["organization"] == "alpha-registry"
    drain()
    message.refresh_from_db()
    assert message.state == Message.ACCEPTED
    assert "flagged" in [e["event"] for e in services.timeline(message)]


@pytest.mark.django_db
def test_held_mail_is_sent_when_a_coordinator_retries_it(
    world: World, outbox: SmtpSink, settings: Any
) -> None:
    settings.OUTREACH_UNUSABLE_KEY_POLICY = "hold"
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key="-----BEGIN PGP junk")
    _notify(world, [world.org_a])
    message = Message.objects.get()
    assert message.state == Message.HELD
    coordinator = world.users["coordinator"]
    services.retry(viewer_for(coordinator), audit.Actor.of(coordinator), message.key)
    drain()
    message.refresh_from_db()
    assert message.state == Message.ACCEPTED
    assert outbox.received.keys[message.key] == 1


@pytest.mark.django_db
def test_a_sender_never_claims_again_what_it_holds_even_after_its_lease_lapsed(
    world: World, outbox: SmtpSink
) -> None:
    _notify(world, [world.org_a, world.org_b])
    token, claimed = services.claim(limit=10, lease_seconds=60)
    assert len(claimed) == 2
    Message.objects.update(lease_until=timezone.now() - timedelta(seconds=1))  # lapsed
    held = [claimed[0].pk]
    _token, again = services.claim(limit=10, exclude=held)
    assert [m.pk for m in again] == [claimed[1].pk], "only the one this sender does not hold"
    assert Message.objects.get(pk=held[0]).claim_token == token


@pytest.mark.django_db
def test_a_group_commit_records_only_the_claims_still_held(world: World, outbox: SmtpSink) -> None:
    _notify(world, [world.org_a, world.org_b])
    token, claimed = services.claim(limit=10)
    mine, taken = claimed
    Message.objects.filter(pk=taken.pk).update(claim_token="another-sender")
    recorded = services.record_accepted([(mine.pk, token, "250 OK"), (taken.pk, token, "250 OK")])
    assert recorded == {mine.pk}
    mine.refresh_from_db()
    taken.refresh_from_db()
    assert (mine.state, taken.state) == (Message.ACCEPTED, Message.SENDING)
    assert [e["event"] for e in services.timeline(mine)] == ["queued", "sent", "accepted"]
    assert [e["event"] for e in services.timeline(taken)] == ["queued"]
    assert mine.events.get(event="accepted").detail == "250 OK"


@pytest.mark.django_db
def test_no_more_than_concurrency_messages_are_ever_sent_and_unrecorded(
    world: World, outbox: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    orgs = [world.org_a, world.org_b]
    for i in range(6):
        Contact.objects.create(
            organization=orgs[i % 2], name=f"Extra {i}", email=f"extra{i}@{orgs[i % 2].slug}.test"
        )
    _notify(world, orgs)
    total = Message.objects.count()
    assert total == 8
    recorded: list[int] = []
    worst = 0
    record = services.record_accepted

    def counting(items: list[tuple[int, str, str]], **kwargs: Any) -> set[int]:
        nonlocal worst
        # Everything the server has accepted so far, minus what is already recorded.
        worst = max(worst, outbox.received.total - len(recorded))
        done = record(items, **kwargs)
        recorded.extend(done)
        return done

    monkeypatch.setattr(services, "record_accepted", counting)
    stats = drain(concurrency=2)
    assert stats.accepted == total
    assert 0 < worst <= 2
