"""The one domain-name normaliser of dnscc.

Every name that enters the center (a report, an import, a root zone, an API call) goes through
`normalize_name`, so that two spellings of one name compare equal as plain strings:

* surrounding whitespace and one trailing dot (the root label, RFC 1034 section 3.1) are
  removed; "." and "" mean the root and normalise to "" (the empty string);
* letters are case-folded (DNS names compare case-insensitively, RFC 4343);
* U-labels become A-labels with IDNA 2008 (RFC 5890-5892) after the UTS #46 mapping
  (non-transitional), so "BÜCHER.de." and "xn--bcher-kva.de" are the same name;
* the result is checked: no empty label, a label is at most 63 octets and the name at most
  253 octets in text form (255 on the wire, RFC 1035 section 2.3.4), each label is
  letters, digits, hyphen and underscore (underscore for service labels, RFC 8552), and an
  A-label ("xn--") must decode to a valid U-label (RFC 5891 section 5.4).

Leading or trailing hyphens are accepted on purpose: abusive names that a coordination
center must be able to report exist with them, and refusing a name in a report helps no one.

The common case (an ASCII name) costs one regular-expression match; IDNA work happens only
for non-ASCII input and for labels starting with "xn--" (decoded once, then cached).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

import idna

from dnscc.core.errors import InputError, Location
from dnscc.core.inputguard import excerpt

__all__ = [
    "MAX_LABEL_LENGTH",
    "MAX_NAME_LENGTH",
    "is_subdomain",
    "labels",
    "normalize_ip",
    "normalize_name",
    "tld_of",
    "to_unicode",
]

MAX_LABEL_LENGTH = 63
MAX_NAME_LENGTH = 253

_FIELD = "name"
_LABEL = r"[a-z0-9_-]{1,63}"
# A whole lower-case ASCII name in one match: the fast path.
_ASCII_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}")
_LABEL_CHARS = re.compile(r"[a-z0-9_-]+")
_HINT_CHARS = "a name has labels of letters, digits, '-' and '_' separated by dots"


def _error(message: str, hint: str = _HINT_CHARS) -> InputError:
    return InputError(message, location=Location(field=_FIELD), hint=hint)


@lru_cache(maxsize=4096)
def _decode_alabel(label: str) -> str | None:
    """The U-label of an A-label, or None when it does not decode under IDNA 2008."""
    try:
        return idna.decode(label)
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def normalize_name(text: str) -> str:
    """The canonical A-label form of a domain name, or InputError(field="name").

    Returns "" for the root ("." or an empty string).
    """
    if not isinstance(text, str):
        raise _error(f"a name must be text, not {type(text).__name__}")
    name = text.strip()
    if name.endswith("."):
        name = name[:-1]
    if name.isascii():
        name = name.lower()
        if len(name) <= MAX_NAME_LENGTH and _ASCII_NAME.fullmatch(name) and "xn--" not in name:
            return name
        if not name:
            return ""  # "" or ".": the root
        return _check_ascii(name, text)
    return _normalize_unicode(name, text)


def _check_ascii(name: str, original: str) -> str:
    """Slow path for ASCII names: explain what is wrong, or validate the A-labels."""
    shown = original.strip()
    parts = name.split(".")
    for index, label in enumerate(parts, start=1):
        if not label:
            raise _error(
                f"label {index} of {excerpt(shown)} is empty",
                hint="remove the doubled or leading dot",
            )
        if len(label) > MAX_LABEL_LENGTH:
            raise _error(
                f"label {label[:20]!r}... of {excerpt(shown)} has {len(label)} octets,"
                f" more than {MAX_LABEL_LENGTH}",
                hint="each label is at most 63 octets (RFC 1035 section 2.3.4)",
            )
        if not _LABEL_CHARS.fullmatch(label):
            bad = sorted({c for c in label if not _LABEL_CHARS.fullmatch(c)})
            raise _error(
                f"label {excerpt(label)} of {excerpt(shown)} has invalid characters "
                f"{excerpt(''.join(bad))}"
            )
        if label.startswith("xn--") and _decode_alabel(label) is None:
            raise _error(
                f"label {excerpt(label)} of {excerpt(shown)} is not a valid A-label",
                hint="an 'xn--' label must be valid Punycode of an IDNA 2008 U-label",
            )
    if len(name) > MAX_NAME_LENGTH:
        raise _error(
            f"name {shown[:40]!r}... has {len(name)} octets, more than {MAX_NAME_LENGTH}",
            hint="a name is at most 253 octets in text form (RFC 1035 section 2.3.4)",
        )
    return name


def _normalize_unicode(name: str, original: str) -> str:
    shown = original.strip()
    try:
        mapped = idna.uts46_remap(name, std3_rules=False, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise _error(f"name {excerpt(shown)} cannot be mapped with UTS #46: {exc}") from None
    if mapped.endswith("."):
        mapped = mapped[:-1]
    out: list[str] = []
    for index, label in enumerate(mapped.split("."), start=1):
        if not label:
            raise _error(
                f"label {index} of {excerpt(shown)} is empty",
                hint="remove the doubled or leading dot",
            )
        if label.isascii():
            out.append(label.lower())
            continue
        try:
            out.append(idna.alabel(label).decode("ascii"))
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise _error(
                f"label {excerpt(label)} of {excerpt(shown)} is not a valid IDNA 2008 label: {exc}",
                hint="check for symbols, emoji or mixed scripts, which IDNA 2008 forbids",
            ) from None
    return _check_ascii(".".join(out), original)


def to_unicode(name: str) -> str:
    """The name with A-labels shown as U-labels, for display only.

    Tolerant: a label that does not decode is kept as it is.
    """
    if "xn--" not in name.lower():
        return name
    parts = name.split(".")
    for index, label in enumerate(parts):
        if label[:4].lower() == "xn--":
            decoded = _decode_alabel(label.lower())
            if decoded is not None:
                parts[index] = decoded
    return ".".join(parts)


def labels(name: str) -> tuple[str, ...]:
    """The labels of a normalised name, leftmost first; () for the root."""
    return tuple(name.split(".")) if name else ()


def tld_of(name: str) -> str:
    """The top-level label of a normalised name; "" for the root."""
    return name.rpartition(".")[2]


def is_subdomain(name: str, parent: str) -> bool:
    """Whether `name` equals `parent` or lies below it (both normalised; "" is the root)."""
    if not parent:
        return True
    return name == parent or name.endswith("." + parent)


def normalize_ip(text: str) -> str:
    """The compressed text form of an IPv4 or IPv6 address (RFC 5952), or InputError."""
    try:
        return ipaddress.ip_address(text.strip()).compressed
    except (ValueError, AttributeError):
        raise InputError(
            f"{excerpt(text)} is not an IP address",
            location=Location(field="ip"),
            hint="write an IPv4 address as 192.0.2.1 or an IPv6 address as 2001:db8::1",
        ) from None
