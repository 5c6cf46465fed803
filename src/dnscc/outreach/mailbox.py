"""The demo's mail catcher and its mailbox: a real SMTP server (aiosmtpd) on loopback that
the demo's outbox sends to, keeping every mail it accepts as a file, and the reader behind
the portal's "Demo mailbox" page (development mode only).

`scripts/run` starts `dnscc outreach catcher` and points DNSCC_SMTP_HOST/PORT at it, so the
demo's notices are accepted (parties turn `notified`, slices `delivered`) and a newcomer can
read what each registry received: signed, or signed and encrypted (the center encrypts to
itself as well, so the page can decrypt with the center's key and show the text).

Files: DNSCC_DEMO_MAILBOX (default DATA_DIR/mailbox), one `<time>-<n>.eml` per recipient,
written to a temporary name then renamed, so a reader never sees half a mail.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import itertools
import os
import time
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

# Catch nothing bigger than this (the outbox's mails are a few kB; manifests are links).
MAX_BYTES = 10_000_000
_counter = itertools.count()


def store(directory: Path, *, mail_from: str, rcpt_tos: list[str], data: bytes) -> list[Path]:
    """Keep one copy per recipient, each with an `X-Catcher-*` envelope header."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for rcpt in rcpt_tos:
        envelope = f"X-Catcher-Mail-From: {mail_from}\r\nX-Catcher-Rcpt-To: {rcpt}\r\n".encode()
        name = f"{time.time_ns()}-{os.getpid()}-{next(_counter)}"
        tmp = directory / f".{name}.tmp"
        tmp.write_bytes(envelope + data)
        final = directory / f"{name}.eml"
        tmp.rename(final)
        paths.append(final)
    return paths


class Catcher:
    """The aiosmtpd handler: accepts every mail for any recipient and stores it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode()
        store(
            self.directory,
            mail_from=str(envelope.mail_from),
            rcpt_tos=[str(r) for r in envelope.rcpt_tos],
            data=data,
        )
        return "250 Message accepted for delivery (dnscc demo mail catcher)"


def start(directory: Path, *, host: str = "127.0.0.1", port: int = 8025) -> Any:
    """Start the catcher in a thread of its own (aiosmtpd's Controller); `.stop()` it."""
    from aiosmtpd.controller import Controller

    controller = Controller(
        Catcher(directory),
        hostname=host,
        port=port,
        server_hostname="catcher.dnscc.test",
        data_size_limit=MAX_BYTES,
    )
    controller.start()
    return controller


def serve(directory: Path, *, host: str = "127.0.0.1", port: int = 8025) -> None:
    """Run the catcher until interrupted (the `dnscc outreach catcher` command)."""
    import asyncio
    import logging
    import signal

    # aiosmtpd logs every command at INFO: the demo's terminal wants only problems.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    controller = start(directory, host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
        loop.close()


# -- reading ------------------------------------------------------------------------------


@dataclass
class Mail:
    """One caught mail, as the Demo mailbox page shows it."""

    name: str
    received_at: float
    to: str
    mail_from: str
    subject: str
    outer_subject: str
    date: str
    key: str
    security: str  # "plain", "signed", "encrypted"
    signature: str  # what checking the signature said
    text: str
    ack_url: str
    problems: list[str] = field(default_factory=list)

    @property
    def security_label(self) -> str:
        return {
            "plain": "Plain (not signed)",
            "signed": "Signed (OpenPGP, PGP/MIME)",
            "encrypted": "Signed and encrypted (OpenPGP, PGP/MIME)",
        }[self.security]


def _header(msg: EmailMessage, name: str, default: str = "") -> str:
    """A header as text, RFC 2047 encoded words decoded ("=?utf-8?q?...?=" -> "é")."""
    value = msg.get(name)
    if value is None:
        return default
    try:
        return str(email.header.make_header(email.header.decode_header(str(value))))
    except (ValueError, LookupError):
        return str(value)


def _text_of(part: EmailMessage) -> str:
    for sub in part.walk():
        if sub.get_content_type() == "text/plain":
            payload = sub.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(sub.get_content_charset() or "utf-8", "replace")
    return ""


def read_one(path: Path) -> Mail:
    """Parse, check the signature, decrypt with the center's key where it can."""
    from dnscc.outreach import pgp
    from dnscc.outreach.services import _split_signed

    raw = path.read_bytes()
    outer = email.message_from_bytes(raw, policy=email.policy.compat32)
    mail = Mail(
        name=path.stem,
        received_at=path.stat().st_mtime,
        to=_header(outer, "X-Catcher-Rcpt-To", _header(outer, "To")),
        mail_from=_header(outer, "From"),
        subject=_header(outer, "Subject"),
        outer_subject=_header(outer, "Subject"),
        date=_header(outer, "Date"),
        key=str(outer.get("X-Dnscc-Idempotency-Key", "")),
        security="plain",
        signature="",
        text="",
        ack_url=str(outer.get("X-Dnscc-Ack", "")),
    )
    content_type = outer.get_content_type()
    try:
        center = pgp.center_key().extract_certificate()
    except Exception as exc:  # noqa: BLE001 - the page says what it could not do
        mail.problems.append(f"the center's key is not available: {exc}")
        center = None
    if content_type == "multipart/signed":
        mail.security = "signed"
        signed, signature = _split_signed(raw)
        parts: Any = outer.get_payload()
        mail.text = _text_of(parts[0]) if isinstance(parts, list) and parts else ""
        if center is not None and signed is not None and signature is not None:
            ok = pgp.verify_detached(signed, signature, center)
            mail.signature = (
                f"valid: signed by the center's key {pgp.center_fingerprint()}"
                if ok
                else "INVALID: the signature does not verify with the center's key"
            )
    elif content_type == "multipart/encrypted":
        mail.security = "encrypted"
        _decrypt_into(mail, outer, center)
    else:
        mail.text = _text_of(outer)
        mail.signature = "none"
    return mail


def _decrypt_into(mail: Mail, outer: EmailMessage, center: Any) -> None:
    import pysequoia

    from dnscc.outreach import pgp

    parts: Any = outer.get_payload()
    if center is None or not isinstance(parts, list) or len(parts) < 2:
        mail.problems.append("not decrypted")
        return
    armored = parts[1].get_payload()
    try:
        plain = pysequoia.decrypt(
            decryptor=pgp.center_key().decryptor(),
            bytes=str(armored).encode(),
            store=lambda _ids: [center],
        )
    except Exception as exc:  # noqa: BLE001
        mail.problems.append(f"could not decrypt with the center's key: {exc}")
        return
    inner = email.message_from_bytes(plain.bytes or b"", policy=email.policy.compat32)
    mail.subject = _header(inner, "Subject", mail.subject)
    mail.key = mail.key or str(inner.get("X-Dnscc-Idempotency-Key", ""))
    mail.ack_url = mail.ack_url or str(inner.get("X-Dnscc-Ack", ""))
    mail.text = _text_of(inner)
    mail.signature = (
        f"valid: signed inside the encryption by the center's key {pgp.center_fingerprint()};"
        " decrypted here with the center's own copy"
        if plain.valid_sigs
        else "INVALID: no valid signature inside the encryption"
    )


def read(directory: Path, *, limit: int = 200) -> list[Mail]:
    """The newest `limit` mails, newest first."""
    if not directory.is_dir():
        return []
    paths = sorted(directory.glob("*.eml"), reverse=True)[:limit]
    return [read_one(p) for p in paths]


def count(directory: Path) -> int:
    return len(list(directory.glob("*.eml"))) if directory.is_dir() else 0
