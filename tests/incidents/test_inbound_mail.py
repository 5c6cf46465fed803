"""Inbound mail: reports to the reports address, and replies on an incident's thread address
that join its timeline only with a valid token and (above GREEN) a party contact's
signature."""

from __future__ import annotations

from typing import Any

import pysequoia
import pytest

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Contact
from dnscc.incidents import mail, services
from dnscc.incidents.models import Incident, Report, TimelineEntry
from dnscc.outreach import compose
from dnscc.outreach import services as outreach
from tests.conftest import World
from tests.outreach.conftest import recipient_key


@pytest.fixture(autouse=True)
def _mail_settings(settings: Any) -> None:
    settings.OUTREACH_BOUNCE_DOMAIN = "center.test"
    settings.INBOUND_REPORTS_ADDRESS = ""
    settings.REPORT_MAX_BYTES = 64 * 1024
    settings.OUTREACH_AUTODRAIN = False


def _plain(to: str, text: str = "ns1 is lame since 10:00.", *, subject: str = "Alpha") -> bytes:
    return (
        f"From: Alpha NOC <security@alpha.example>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{text}\r\n"
    ).encode()


def _signed(tsk: Any, to: str, text: str = "Mitigated: DS replaced.") -> bytes:
    content = compose.content_entity(text)
    signature = pysequoia.sign(tsk.signer(), content, mode=pysequoia.SignatureMode.DETACHED)
    return (
        b"From: security@alpha.example\r\n"
        + f"To: {to}\r\n".encode()
        + b"Subject: Re: DNSSEC on .alpha\r\nMIME-Version: 1.0\r\n"
        + b"Content-Type: multipart/signed; micalg=pgp-sha512;"
        + b' protocol="application/pgp-signature"; boundary="S"\r\n\r\n'
        + b"--S\r\n"
        + content
        + b"\r\n--S\r\nContent-Type: application/pgp-signature\r\n\r\n"
        + signature
        + b"\r\n--S--\r\n"
    )


def _incident(world: World, tlp: str = "AMBER") -> Incident:
    user = world.users["coordinator"]
    return services.create_incident(
        viewer_for(user),
        audit.Actor.of(user),
        {"title": "DNSSEC on .alpha", "tlp": tlp, "scope": {"tlds": ["alpha"]}},
        user=user,
    )


def _thread(incident: Incident) -> str:
    return f"incident+{incident.thread_token}@center.test"


def _security_events() -> int:
    return AuditEvent.objects.filter(kind="security").count()


# -- reports ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_mail_to_the_reports_address_becomes_a_new_report(world: World) -> None:
    result = mail.process_incident_mail(_plain("reports@center.test"))
    assert result["type"] == "report"
    report = Report.objects.get(pk=result["report"])
    assert report.source == Report.MAIL
    assert report.state == Report.NEW
    assert report.title == "Alpha"
    assert report.description == "ns1 is lame since 10:00."
    assert report.reporter_email == "security@alpha.example"
    assert report.signed_by == ""
    assert report.organization is None, "an unsigned From vouches for nobody"


@pytest.mark.django_db
def test_a_report_signed_by_a_directory_contacts_key_records_the_signer_and_organisation(
    world: World,
) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    result = mail.process_incident_mail(_signed(tsk, "reports@center.test", "Hijack of ns1"))
    report = Report.objects.get(pk=result["report"])
    assert report.organization == world.org_a
    assert report.signed_by == str(pysequoia.Cert.from_bytes(public.encode()).fingerprint)
    assert len(report.signed_by) == 40
    assert "Hijack of ns1" in report.description


@pytest.mark.django_db
def test_a_report_with_a_signature_from_an_unknown_key_vouches_for_nobody(world: World) -> None:
    _tsk, public = recipient_key()
    other, _ = recipient_key("Mallory <m@example>")
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    before = _security_events()
    result = mail.process_incident_mail(_signed(other, "reports@center.test"))
    report = Report.objects.get(pk=result["report"])
    assert report.organization is None
    assert report.signed_by == ""
    assert _security_events() == before + 1


@pytest.mark.django_db
def test_an_html_only_mail_is_kept_as_text_never_as_html(world: World) -> None:
    raw = (
        b"From: x@example.net\r\nTo: reports@center.test\r\nSubject: html\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello <b>desk</b></p><script>alert(1)</script><img src=x onerror=alert(2)>\r\n"
    )
    report = Report.objects.get(pk=mail.process_incident_mail(raw)["report"])
    assert report.description == "Hello desk"
    page = world.client("coordinator").get(f"/incidents/reports/{report.pk}/").content.decode()
    assert "<script>alert(1)" not in page


@pytest.mark.django_db
def test_an_oversized_mail_is_refused_and_logged(world: World, settings: Any) -> None:
    settings.REPORT_MAX_BYTES = 1024
    before = _security_events()
    result = mail.process_incident_mail(_plain("reports@center.test", "x" * 5000))
    assert result["accepted"] is False
    assert "over the limit of 4096 bytes" in result["why"]
    assert Report.objects.count() == 0
    assert _security_events() == before + 1


@pytest.mark.django_db
def test_mail_for_neither_address_is_left_alone(world: World) -> None:
    assert mail.process_incident_mail(_plain("someone@center.test")) == {"type": "unmatched"}
    assert Report.objects.count() == 0


@pytest.mark.django_db
def test_the_outreach_inbound_address_hands_reports_over(world: World) -> None:
    result = outreach.process_inbound(_plain("reports@center.test"))
    assert result["type"] == "report"
    assert Report.objects.filter(source=Report.MAIL).count() == 1


# -- replies on an incident's thread -----------------------------------------------------


@pytest.mark.django_db
def test_a_reply_with_a_wrong_token_is_refused_logged_and_never_on_a_timeline(
    world: World,
) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    incident = _incident(world)
    before = _security_events()
    raw = _signed(tsk, "incident+notTheRightToken0@center.test")
    result = outreach.process_inbound(raw)
    assert result["accepted"] is False
    assert result["why"] == "unknown thread token"
    assert not TimelineEntry.objects.filter(kind="mail").exists()
    assert _security_events() == before + 1
    assert incident.timeline.filter(kind="mail").count() == 0


@pytest.mark.django_db
def test_a_reply_signed_by_an_unknown_key_is_refused_and_never_on_the_timeline(
    world: World,
) -> None:
    _tsk, public = recipient_key()
    mallory, _ = recipient_key("Mallory <m@example>")
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    incident = _incident(world)
    before = _security_events()
    result = mail.process_incident_mail(_signed(mallory, _thread(incident)))
    assert result == {
        "type": "incident-reply",
        "accepted": False,
        "why": "the signature did not verify",
    }
    assert not incident.timeline.filter(kind="mail").exists()
    event = AuditEvent.objects.filter(kind="security").latest("seq")
    assert _security_events() == before + 1
    assert event.data["incident"] == incident.ref


@pytest.mark.django_db
def test_an_altered_signed_reply_is_refused(world: World) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    incident = _incident(world)
    raw = _signed(tsk, _thread(incident)).replace(b"Mitigated", b"Unharmed")
    assert mail.process_incident_mail(raw)["accepted"] is False
    assert not incident.timeline.filter(kind="mail").exists()


@pytest.mark.django_db
def test_an_unsigned_reply_to_an_amber_incident_is_refused(world: World) -> None:
    incident = _incident(world, tlp="AMBER")
    result = mail.process_incident_mail(_plain(_thread(incident)))
    assert result["accepted"] is False
    assert "unsigned" in result["why"]
    assert not incident.timeline.filter(kind="mail").exists()


@pytest.mark.django_db
def test_a_reply_signed_by_a_partys_contact_joins_the_timeline(world: World) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    incident = _incident(world)
    result = outreach.process_inbound(_signed(tsk, _thread(incident)))
    assert result == {
        "type": "incident-reply",
        "accepted": True,
        "incident": incident.ref,
        "signed": True,
    }
    entry = incident.timeline.get(kind="mail")
    assert "Alpha Registry, signed" in entry.summary
    assert entry.data["text"].startswith("Mitigated: DS replaced.")
    assert entry.data["organization"] == "alpha-registry"
    assert entry.party is not None
    assert entry.party.organization == world.org_a


@pytest.mark.django_db
def test_a_long_reply_is_truncated_in_the_timeline(world: World) -> None:
    incident = _incident(world, tlp="GREEN")
    mail.process_incident_mail(_plain(_thread(incident), "y" * 9000))
    entry = incident.timeline.get(kind="mail")
    assert len(entry.data["text"]) == mail.TEXT_IN_TIMELINE
    assert entry.data["truncated"] is True


@pytest.mark.django_db
def test_an_unsigned_reply_to_a_green_incident_joins_the_timeline(world: World) -> None:
    incident = _incident(world, tlp="GREEN")
    result = mail.process_incident_mail(_plain(_thread(incident), subject="<b>Re</b>"))
    assert result["accepted"] is True
    entry = incident.timeline.get(kind="mail")
    assert entry.data["signed_by"] == ""
    assert entry.party is None


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["reply", "report"])
def test_a_signed_mail_cut_off_at_a_delimiter_is_a_bad_signature_and_logged(
    world: World, where: str
) -> None:
    tsk, public = recipient_key()
    Contact.objects.filter(pk=world.contact_a.pk).update(pgp_key=public)
    incident = _incident(world)
    to = _thread(incident) if where == "reply" else "reports@center.test"
    raw = _signed(tsk, to)
    cut = raw[: raw.index(b"\r\n--S\r\nContent-Type: application/pgp-signature")] + b"\r\n--S"
    before = _security_events()
    result = mail.process_incident_mail(cut)
    assert _security_events() == before + 1
    if where == "reply":
        assert result == {
            "type": "incident-reply",
            "accepted": False,
            "why": "the signature did not verify",
        }
        assert not incident.timeline.filter(kind="mail").exists()
    else:
        report = Report.objects.get(pk=result["report"])
        assert report.organization is None  # it vouches for nobody
        assert report.signed_by == ""


@pytest.mark.django_db
def test_nul_characters_are_stripped_from_mail_text(world: World) -> None:
    result = mail.process_incident_mail(
        _plain("reports@center.test", "ns1\x00 is lame", subject="Al\x00pha")
    )
    report = Report.objects.get(pk=result["report"])
    assert report.description == "ns1 is lame"
    assert report.title == "Alpha"
