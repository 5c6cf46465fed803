"""Codes are stored, labels are read: every audit action, message kind and state reads as
words in the portal, and the TLP badges keep FIRST's colours readable on black."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template

from dnscc.web import labels

SRC = Path(__file__).resolve().parents[2] / "src" / "dnscc"
CSS = SRC / "web" / "static" / "dnscc" / "portal.css"


def _recorded_actions() -> set[str]:
    """The action codes the source passes to audit.record (literal second arguments)."""
    found: set[str] = set()
    pattern = re.compile(r"audit\.record\(\s*[^,()]+(?:\([^()]*\))?,\s*\"([a-z_]+\.[a-z_]+)\"")
    for path in SRC.rglob("*.py"):
        found |= set(pattern.findall(path.read_text()))
    return found


def test_every_audit_action_the_source_records_has_a_label_of_its_own() -> None:
    actions = _recorded_actions()
    assert len(actions) > 40, "the source scan found too few actions: the pattern broke"
    missing = sorted(a for a in actions if a not in labels.AUDIT_ACTIONS)
    assert not missing, f"add these to dnscc/web/labels.py AUDIT_ACTIONS: {missing}"


def test_every_message_template_kind_has_a_label() -> None:
    kinds = {p.name.split(".")[0] for p in (SRC / "outreach" / "messages").glob("*.txt")}
    assert kinds, "no message templates found"
    assert kinds <= set(labels.MESSAGE_KINDS), kinds - set(labels.MESSAGE_KINDS)


@pytest.mark.parametrize(
    ("code", "vocabulary", "label"),
    [
        ("advisory_update", "message_kind", "Advisory update"),
        ("not_registered", "outcome", "Not registered (blocked)"),
        ("disclose.view", "audit_action", "Shown (page)"),
        ("incident.party_add", "audit_action", "Party added"),
        ("dead", "message_state", "Dead letter"),
        ("acknowledged", "message_status", "Acknowledged"),
        ("not_contacted", "party_status", "Not contacted"),
        ("ack", "timeline", "Acknowledgement"),
    ],
)
def test_a_code_reads_as_its_label(code: str, vocabulary: str, label: str) -> None:
    assert labels.label(code, vocabulary) == label


def test_an_unknown_code_still_reads_as_words_not_as_a_code() -> None:
    assert labels.label("some_new_state", "party_status") == "Some new state"
    assert labels.label("thing.was_done", "audit_action") == "Thing: was done"
    assert labels.label("", "party_status") == ""


def test_the_human_filter_and_the_tlp_tag_are_built_into_every_template() -> None:
    html = Template('{{ code|human:"outcome" }} {% tlp level %}').render(
        Context({"code": "not_registered", "level": "AMBER+STRICT"})
    )
    assert "Not registered (blocked)" in html
    assert '<span class="tlp tlp-AMBERSTRICT">TLP:AMBER+STRICT</span>' in html


def test_the_tlp_tag_escapes_what_it_is_given() -> None:
    html = Template("{% tlp level %}").render(Context({"level": "<script>x</script>"}))
    assert "<script>" not in html


def _luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@pytest.mark.parametrize(
    ("css_class", "first_colour"),
    [("CLEAR", "ffffff"), ("GREEN", "33ff00"), ("AMBER", "ffc000"), ("RED", "ff2b2b")],
)
def test_each_tlp_badge_has_firsts_colour_readable_on_black(
    css_class: str, first_colour: str
) -> None:
    css = CSS.read_text().lower()
    assert re.search(r"\.tlp \{[^}]*background:#000", css), "TLP badges are drawn on black"
    rule = re.search(rf"\.tlp-{css_class.lower()}[^{{]*\{{ color:#([0-9a-f]{{3,6}})", css)
    assert rule, f"no colour for .tlp-{css_class}"
    colour = rule.group(1)
    colour = "".join(c * 2 for c in colour) if len(colour) == 3 else colour
    assert colour == first_colour
    contrast = (_luminance(colour) + 0.05) / (0 + 0.05)
    assert contrast >= 4.5, f"TLP:{css_class} on black has contrast {contrast:.1f}"


def test_a_tlp_badge_without_a_level_class_is_still_white_on_black() -> None:
    css = CSS.read_text().lower()
    assert re.search(r"\.tlp \{[^}]*color:#fff", css)
