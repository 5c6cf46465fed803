"""The one check of a URL the center stores and later shows as a link or publishes.

Only http and https with a host: a ``javascript:`` or ``data:`` reference would become a
live script in the portal and travel in published CSAF documents. Refused values are
quoted as a bounded excerpt.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from dnscc.core.errors import InputError, Location
from dnscc.core.inputguard import excerpt
from dnscc.core.text import has_control

__all__ = ["SCHEMES", "check_http_url"]

SCHEMES = ("http", "https")


def check_http_url(value: object, *, field: str, max_length: int = 2000) -> str:
    """`value` stripped, or InputError naming `field` unless it is an http(s) URL with a
    host, without spaces or control characters, at most `max_length` characters."""
    if not isinstance(value, str):
        raise InputError(f"{field} must be text", location=Location(field=field))
    text = value.strip()
    if len(text) > max_length:
        raise InputError(
            f"{field} has {len(text)} characters, more than {max_length}",
            location=Location(field=field),
        )
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if (
        parts is None
        or parts.scheme.lower() not in SCHEMES
        or not host
        or has_control(text)
        or " " in text
    ):
        raise InputError(
            f"{excerpt(text)} is not an http(s) URL",
            location=Location(field=field),
            hint="give a link that starts with https:// (or http://) and names a host",
        )
    return text
