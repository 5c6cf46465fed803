"""Signed webhooks: the signature an operator verifies, and the address policy.

Signature (documented for operators in docs/outreach.md):

    X-Dnscc-Timestamp: <unix seconds>
    X-Dnscc-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body)>

The receiver recomputes the HMAC over the timestamp and the raw body, compares in constant
time, refuses a timestamp more than five minutes from its clock (replay), and discards a
body whose `id` (also sent as Idempotency-Key) it has seen before (a copy after a crash).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from urllib.parse import urlsplit

from dnscc.core.errors import InputError, Location

TOLERANCE_SECONDS = 300


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def headers(secret: bytes, body: bytes, *, key: str, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        "User-Agent": "dnscc-outbox/1",
        "Idempotency-Key": key,
        "X-Dnscc-Timestamp": str(timestamp),
        "X-Dnscc-Signature": signature(secret, timestamp, body),
    }


def verify(
    secret: bytes,
    *,
    timestamp: str,
    signature_header: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """The operator's side: True when the body is ours and fresh."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        return False
    expected = signature(secret, ts, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature_header.split(","))


def url_host(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError(
            f"{url!r} is not an http(s) URL",
            location=Location(field="webhook_url"),
            hint="use https://host/path",
        )
    return parts.hostname.lower()


def forbidden_address(address: str) -> str | None:
    """Why an IP address may not be a webhook target in production, or None."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_private:
        return "private"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "reserved"
    return None
