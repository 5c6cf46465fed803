"""Inbound mail for incidents: new reports sent to the reports address, and replies to an
incident's thread address `incident+<thread_token>@...`.

Mail reaches here from outreach.services.process_inbound (whatever is not a bounce or a
signed acknowledgement: incidents.signals registers this reader there) or from `dnscc report
inbound < message.eml`. Only the text is kept: the text/plain part, or an HTML part reduced
to text (never rendered), bounded in size.

A reply joins an incident's timeline only with a valid thread token, and, when the
incident is above TLP:GREEN, an OpenPGP signature (PGP/MIME) that verifies against the key
of a contact of one of the incident's parties. Anything else is refused, recorded in the
audit log as a security event, and never attached.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.db import transaction

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.core.tlp import TLP
from dnscc.incidents import intake, timeline
from dnscc.incidents.models import Incident

log = logging.getLogger(__name__)

THREAD_RE = re.compile(r"^incident\+([A-Za-z0-9_-]{8,32})@", re.IGNORECASE)
TEXT_IN_TIMELINE = 4000  # characters of a reply kept in the timeline entry's data
# The audit kind of refused and suspicious mail.
SECURITY = AuditEvent.SECURITY
ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


def reports_address() -> str:
    return (
        settings.INBOUND_REPORTS_ADDRESS or f"reports@{settings.OUTREACH_BOUNCE_DOMAIN}"
    ).lower()


def mail_max_bytes() -> int:
    # Room for headers, MIME structure, a signature and an HTML alternative.
    return 4 * intake.report_max_bytes()


class _Text(HTMLParser):
    """HTML to plain text: tags dropped, script and style content dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr", "h1", "h2", "h3"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines()))


def body_text(msg: EmailMessage) -> str:
    """The first text/plain part that is not an attachment, else the first HTML part as
    text; "" when there is none."""
    html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html"):
            continue
        try:
            content = part.get_content()
        except (LookupError, ValueError):  # an unknown charset: decode leniently
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if ctype == "text/plain":
            return str(content).strip()
        if html is None:
            html = str(content)
    return html_to_text(html).strip() if html is not None else ""


def _recipients(msg: EmailMessage) -> list[str]:
    values = [str(v) for h in ADDRESS_HEADERS for v in (msg.get_all(h) or [])]
    # Not lowercased: the thread token in the local part is case-sensitive.
    return [addr for _name, addr in getaddresses(values) if addr]


def _cert(armored: str) -> Any:
    from dnscc.outreach import pgp

    cert = pgp.check_recipient_key(armored).cert
    if cert is None:
        try:
            import pysequoia

            cert = pysequoia.Cert.from_bytes(armored.encode())
        except Exception:  # noqa: BLE001 - an unreadable key verifies nothing
            cert = None
    return cert


def verify_signature(raw: bytes, msg: EmailMessage, contacts: Any) -> tuple[str, Any]:
    """("signed", contact) when the PGP/MIME signature verifies against one of `contacts`'
    keys; ("unsigned", None) without a signature; ("bad", None) when it verifies against
    none of them (forged, altered, or an unknown key)."""
    from dnscc.outreach import pgp
    from dnscc.outreach.services import _split_signed

    if msg.get_content_type() != "multipart/signed":
        return "unsigned", None
    try:
        signed, signature = _split_signed(raw)
    except Exception:  # a malformed signed mail is a bad signature, not a crash
        log.warning("inbound mail: malformed multipart/signed body", exc_info=True)
        return "bad", None
    if signed is None or signature is None:
        return "bad", None
    for contact in contacts:
        if not contact.pgp_key.strip():
            continue
        cert = _cert(contact.pgp_key)
        if cert is not None and pgp.verify_detached(signed, signature, cert):
            return "signed", contact
    return "bad", None


def _fingerprint(contact: Any) -> str:
    if contact.pgp_fingerprint:
        return str(contact.pgp_fingerprint)[:64]
    cert = _cert(contact.pgp_key)
    return str(getattr(cert, "fingerprint", "") or "")[:64]


def _refuse(what: str, why: str, data: dict[str, Any]) -> dict[str, Any]:
    """Refused mail is recorded for the security team and goes no further."""
    log.warning("inbound mail refused: %s (%s)", why, what)
    with transaction.atomic():
        audit.record(
            audit.SYSTEM,
            "incident.mail_refused",
            kind=SECURITY,
            object_type="incidents.mail",
            summary=f"{what} refused: {why}"[:300],
            data=data,
        )
    return {"type": what, "accepted": False, "why": why}


def process_incident_mail(raw: bytes) -> dict[str, Any]:
    """One inbound mail: a reply on an incident's thread, a new report to the reports
    address, or {"type": "unmatched"} for mail that is neither."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    recipients = _recipients(msg)
    token = next((m.group(1) for r in recipients if (m := THREAD_RE.match(r))), None)
    is_report = reports_address() in (r.lower() for r in recipients)
    if token is None and not is_report:
        return {"type": "unmatched"}
    sender = parseaddr(str(msg.get("From", "")).replace("\x00", ""))[1].lower()
    # PostgreSQL text cannot hold NUL: mail text is kept without it.
    subject = " ".join(str(msg.get("Subject", "")).replace("\x00", "").split())
    what = "incident-reply" if token else "report"
    facts = {"from": sender[:254], "subject": subject[:200], "bytes": len(raw)}
    if len(raw) > mail_max_bytes():
        return _refuse(what, f"{len(raw)} bytes, over the limit of {mail_max_bytes()} bytes", facts)
    text = body_text(msg).replace("\x00", "")
    if token is not None:
        return _reply(raw, msg, token, sender, subject, text, facts)
    return _report(raw, msg, sender, subject, text, facts)


def _report(
    raw: bytes, msg: EmailMessage, sender: str, subject: str, text: str, facts: dict[str, Any]
) -> dict[str, Any]:
    from dnscc.directory.models import Contact

    if len(text.encode()) > intake.report_max_bytes():
        return _refuse(
            "report",
            f"the text is over the limit of {intake.report_max_bytes()} bytes"
            " (DNSCC_REPORT_MAX_BYTES)",
            facts,
        )
    contacts = Contact.objects.filter(email__iexact=sender).select_related("organization")
    state, contact = verify_signature(raw, msg, contacts)
    if state == "bad":
        # A forged or unknown signature: still a report, but it vouches for nobody.
        facts["signature"] = "did not verify"
        with transaction.atomic():
            audit.record(
                audit.SYSTEM,
                "incident.mail_signature",
                kind=SECURITY,
                object_type="incidents.mail",
                summary=f"report mail from {sender} with a signature that did not verify"[:300],
                data=facts,
            )
    report = intake.create_mail_report(
        title=subject,
        text=text,
        sender=sender,
        organization=contact.organization if contact else None,
        signed_by=_fingerprint(contact) if contact else "",
    )
    return {
        "type": "report",
        "accepted": True,
        "report": report.pk,
        "signed_by": report.signed_by,
        "organization": contact.organization.slug if contact else None,
    }


def _reply(
    raw: bytes,
    msg: EmailMessage,
    token: str,
    sender: str,
    subject: str,
    text: str,
    facts: dict[str, Any],
) -> dict[str, Any]:
    from dnscc.directory.models import Contact

    incident = Incident.objects.filter(thread_token=token).first()
    if incident is None:
        return _refuse("incident-reply", "unknown thread token", {**facts, "token": token[:8]})
    orgs = incident.parties.values_list("organization_id", flat=True)
    contacts = Contact.objects.filter(organization_id__in=orgs).select_related("organization")
    state, contact = verify_signature(raw, msg, contacts)
    facts["incident"] = incident.ref
    if state == "bad":
        return _refuse("incident-reply", "the signature did not verify", facts)
    if state == "unsigned" and TLP(incident.tlp).rank > TLP.GREEN.rank:
        return _refuse(
            "incident-reply",
            f"an unsigned reply to a TLP:{incident.tlp} incident",
            facts,
        )
    party = incident.parties.filter(organization=contact.organization).first() if contact else None
    who = f"{sender} ({contact.organization.name}, signed)" if contact else sender
    with transaction.atomic():
        entry = timeline.add(
            incident,
            "mail",
            f"Mail from {who}: {subject or '(no subject)'}",
            actor=f"mail:{sender}",
            party=party,
            data={
                "from": sender,
                "subject": subject[:300],
                "text": text[:TEXT_IN_TIMELINE],
                "truncated": len(text) > TEXT_IN_TIMELINE,
                "signed_by": _fingerprint(contact) if contact else "",
                "organization": contact.organization.slug if contact else None,
            },
        )
        audit.record(
            audit.Actor(f"mail:{sender}"[:150]),
            "incident.mail",
            obj=incident,
            summary=f"reply by mail on {incident.ref} from {sender}"[:300],
            data={"entry": entry.pk, "signed": contact is not None},
        )
    return {
        "type": "incident-reply",
        "accepted": True,
        "incident": incident.ref,
        "signed": contact is not None,
    }
