"""Template filters of the risk pages: dictionary and list look-ups by a variable key."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """mapping[key], or "" when there is none."""
    if isinstance(mapping, dict):
        return mapping.get(key, "")
    return ""


@register.filter
def index(sequence: Any, i: int) -> Any:
    try:
        return sequence[i]
    except (IndexError, TypeError, KeyError):
        return ""
