"""The portal's template filters and tags, built in to every template (settings.TEMPLATES
"builtins"): no `{% load %}` needed.

    {{ party.status|human:"party_status" }}   the label of a code (dnscc.web.labels)
    {% tlp incident.tlp %}                    a TLP 2.0 badge, FIRST's colours on black
    {{ evidence_item|dig }}                   one probe evidence item as dig prints it
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from dnscc.web import labels

register = template.Library()


@register.filter
def human(value: Any, vocabulary: str = "") -> str:
    """The human label of a stored code (see dnscc.web.labels)."""
    return labels.label(value, vocabulary)


@register.simple_tag
def tlp(value: Any) -> SafeString:
    """`TLP:AMBER+STRICT` as a badge: the TLP 2.0 colour of the label on black (FIRST's
    TLP 2.0 standard: "the label on a black background")."""
    text = str(value or "").upper().removeprefix("TLP:")
    css = "".join(ch for ch in text if ch.isalpha()) or "NONE"
    return format_html('<span class="tlp tlp-{}">TLP:{}</span>', css, text or "?")


@register.filter
def dig(item: Any) -> str:
    """One evidence item as `dig` prints it: query, server, flags, sections, timing."""
    from dnscc.monitoring.evidence import as_dig

    return as_dig(item)
