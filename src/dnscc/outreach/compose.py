"""Email messages as bytes: PGP/MIME signed, or signed and encrypted (RFC 3156).

The signed content entity is canonical (CRLF line ends, quoted-printable so no line has
trailing white space or exceeds 76 characters) because RFC 3156 §5 signs its exact bytes.
Every message carries its idempotency key twice: as the Message-ID <KEY@domain> and as
X-Dnscc-Idempotency-Key, so a recipient (or its mail filter) can discard a second copy.

An encrypted message protects its headers (RFC 9788, "Header Protection for
Cryptographically Protected Email"): the encrypted part carries the real From, To, Subject,
Date and Message-ID, marked `hp="cipher"` (and `protected-headers="v1"`, what Thunderbird,
K-9 and Enigmail-era clients read), with HP-Outer fields recording what the outside shows;
the outer Subject is "[...]", so an incident's title does not travel in clear. A Legacy
Display Element (the Subject as the first line of the text, `hp-legacy-display="1"`) keeps
the subject visible in clients that know neither.
"""

from __future__ import annotations

import quopri
import secrets
from email.header import Header
from email.utils import formatdate
from typing import Any

from dnscc.outreach import pgp

CRLF = "\r\n"


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)


def _header(value: str) -> str:
    # Strip line breaks (header injection) and RFC 2047-encode anything non-ASCII.
    value = " ".join(value.split())
    try:
        value.encode("ascii")
    except UnicodeEncodeError:
        return Header(value, "utf-8").encode()
    return value


OBSCURED_SUBJECT = "[...]"  # RFC 9788 §4.1: the outer Subject of a protected message


def content_entity(
    body: str,
    *,
    protected: dict[str, str] | None = None,
    outer: dict[str, str] | None = None,
) -> bytes:
    """The text part, canonical: what a PGP/MIME signature covers. With `protected` header
    fields it is the root of an encrypted payload that carries them (RFC 9788), `outer`
    being what the outside of the message shows."""
    content_type = 'Content-Type: text/plain; charset="utf-8"'
    head = ""
    if protected is not None:
        content_type += '; protected-headers="v1"; hp="cipher"; hp-legacy-display="1"'
        head = "".join(f"{name}: {_header(value)}{CRLF}" for name, value in protected.items())
        head += "".join(
            f"HP-Outer: {name}: {_header(value)}{CRLF}" for name, value in (outer or {}).items()
        )
        subject = " ".join(protected.get("Subject", "").split())
        body = f"Subject: {subject}\n\n{body}"  # the Legacy Display Element (RFC 9788 §4.5)
    encoded = quopri.encodestring(body.replace("\r\n", "\n").encode("utf-8"), quotetabs=False)
    text = encoded.decode("ascii")
    return (
        content_type
        + CRLF
        + "Content-Transfer-Encoding: quoted-printable"
        + CRLF
        + head
        + CRLF
        + _crlf(text)
    ).encode("ascii")


def _boundary() -> str:
    return "dnscc-" + secrets.token_hex(12)


def signed_entity(body: str) -> bytes:
    """multipart/signed over the text part (RFC 3156 §5)."""
    content = content_entity(body)
    signature, micalg = pgp.sign_detached(content)
    b = _boundary()
    return (
        (
            f"Content-Type: multipart/signed; micalg={micalg};"
            f' protocol="application/pgp-signature"; boundary="{b}"{CRLF}{CRLF}'
            f"This is an OpenPGP/MIME signed message (RFC 4880 and 3156){CRLF}"
            f"--{b}{CRLF}"
        ).encode()
        + content
        + (
            f"{CRLF}--{b}{CRLF}"
            f'Content-Type: application/pgp-signature; name="signature.asc"{CRLF}'
            f"Content-Description: OpenPGP digital signature{CRLF}"
            f'Content-Disposition: attachment; filename="signature.asc"{CRLF}{CRLF}'
            f"{_crlf(signature.strip())}{CRLF}"
            f"--{b}--{CRLF}"
        ).encode()
    )


def encrypted_entity(
    body: str,
    cert: Any,
    *,
    protected: dict[str, str] | None = None,
    outer: dict[str, str] | None = None,
) -> bytes:
    """multipart/encrypted, the text part signed and encrypted in one (RFC 3156 §6.2),
    carrying the `protected` header fields when given (RFC 9788)."""
    armored = pgp.sign_and_encrypt(content_entity(body, protected=protected, outer=outer), cert)
    b = _boundary()
    return (
        f'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";'
        f' boundary="{b}"{CRLF}{CRLF}'
        f"This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156){CRLF}"
        f"--{b}{CRLF}"
        f"Content-Type: application/pgp-encrypted{CRLF}"
        f"Content-Description: PGP/MIME version identification{CRLF}{CRLF}"
        f"Version: 1{CRLF}{CRLF}"
        f"--{b}{CRLF}"
        f'Content-Type: application/octet-stream; name="encrypted.asc"{CRLF}'
        f"Content-Description: OpenPGP encrypted message{CRLF}"
        f'Content-Disposition: inline; filename="encrypted.asc"{CRLF}{CRLF}'
        f"{_crlf(armored.strip())}{CRLF}"
        f"--{b}--{CRLF}"
    ).encode()


def message_bytes(
    *,
    key: str,
    sender: str,
    to: str,
    subject: str,
    body: str,
    domain: str,
    cert: Any | None = None,
    extra_headers: dict[str, str] | None = None,
    protect_headers: bool = True,
) -> bytes:
    """The whole message: headers plus a signed (or signed and encrypted) body. Encrypted
    with `protect_headers`, the Subject travels inside and the outside shows "[...]"."""
    headers = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Date": formatdate(usegmt=True),
        "Message-ID": f"<{key}@{domain}>",
        "Auto-Submitted": "auto-generated",
        "X-Dnscc-Idempotency-Key": key,
        **(extra_headers or {}),
    }
    if cert is None:
        entity = signed_entity(body)
    elif protect_headers:
        # Every non-structural field goes inside (an RFC 9788 reader ignores the outer
        # ones), and HP-Outer records what the outside shows.
        outer = {**headers, "Subject": OBSCURED_SUBJECT}
        entity = encrypted_entity(body, cert, protected=dict(headers), outer=outer)
        headers = outer
    else:
        entity = encrypted_entity(body, cert)
    head = "".join(f"{name}: {_header(value)}{CRLF}" for name, value in headers.items())
    return head.encode("ascii") + f"MIME-Version: 1.0{CRLF}".encode() + entity
