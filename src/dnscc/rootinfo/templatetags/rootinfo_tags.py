"""Numbers as people read them on the root server pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def num(value: Any) -> str:
    """12345678 -> "12,345,678"; None -> "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer():
        return f"{int(number):,}"
    return f"{number:,.2f}"


@register.filter
def percent(share: Any) -> str:
    try:
        return f"{100 * float(share):.1f} %"
    except (TypeError, ValueError):
        return "—"
