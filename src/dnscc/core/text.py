"""The one check of free text that enters the center (titles, notes, references).

PostgreSQL cannot store a NUL character in text, so one is refused here, where the field can
be named, rather than failing the write later. A one-line value (a title, a legal reference
that goes into a signed manifest) may hold no control character at all: no tab, no line
break.
"""

from __future__ import annotations

from dnscc.core.errors import InputError, Location

__all__ = ["check_text", "has_control"]


def has_control(value: str) -> bool:
    """True when `value` holds a C0 control character or DEL."""
    return any(ord(c) < 32 or ord(c) == 127 for c in value)


def check_text(
    value: object,
    *,
    field: str,
    max_length: int | None = None,
    required: bool = False,
    one_line: bool = False,
) -> str:
    """`value` stripped, or InputError naming `field`: not text, a NUL character, a control
    character in a one-line value, empty when required, longer than `max_length`."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InputError(f"{field} must be text", location=Location(field=field))
    text = value.strip()
    if one_line and has_control(text):
        raise InputError(
            f"the {field.replace('_', ' ')} has control characters (tab, line break, NUL)",
            location=Location(field=field),
            hint="write it on one line, without tabs",
        )
    if "\x00" in text:
        raise InputError(
            f"{field} contains a NUL character", location=Location(field=field), hint="remove it"
        )
    if required and not text:
        raise InputError(f"{field} is required", location=Location(field=field))
    if max_length is not None and len(text) > max_length:
        raise InputError(
            f"{field} has {len(text)} characters, more than {max_length}",
            location=Location(field=field),
        )
    return text
