"""Email messages as bytes: PGP/MIME signed, or signed and encrypted (RFC 3156).

The signed content entity is canonical (CRLF line ends, quoted-printable so no line has
trailing white space or exceeds 76 characters) because RFC 3156 §5 signs its exact bytes.
Every message carries its idempotency key twice: as the Message-ID <KEY@domain> and as
X-Dnscc-Idempotency-Key, so a recipient (or its mail filter) can discard a second copy.
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


def content_entity(body: str) -> bytes:
    """The text part, canonical: what a PGP/MIME signature covers."""
    encoded = quopri.encodestring(body.replace("\r\n", "\n").encode("utf-8"), quotetabs=False)
    text = encoded.decode("ascii")
    return (
        'Content-Type: text/plain; charset="utf-8"'
        + CRLF
        + "Content-Transfer-Encoding: quoted-printable"
        + CRLF
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


def encrypted_entity(body: str, cert: Any) -> bytes:
    """multipart/encrypted, the text part signed and encrypted in one (RFC 3156 §6.2)."""
    armored = pgp.sign_and_encrypt(content_entity(body), cert)
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
) -> bytes:
    """The whole message: headers plus a signed (or signed and encrypted) body."""
    entity = encrypted_entity(body, cert) if cert is not None else signed_entity(body)
    headers = {
        "From": sender,
        "To": to,
        "Subject": subject,
        "Date": formatdate(usegmt=True),
        "Message-ID": f"<{key}@{domain}>",
        "MIME-Version": "1.0",
        "Auto-Submitted": "auto-generated",
        "X-Dnscc-Idempotency-Key": key,
        **(extra_headers or {}),
    }
    head = "".join(f"{name}: {_header(value)}{CRLF}" for name, value in headers.items())
    return head.encode("ascii") + entity
