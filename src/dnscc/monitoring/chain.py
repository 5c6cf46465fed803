"""The DNSSEC chain of a zone as a picture, as DNSViz draws it: the parent's DS records,
the zone's DNSKEYs, the RRSIGs they make and the RRsets those cover, with every link that
fails drawn in red and labelled with why. Laid out by Graphviz (`dot`, Debian's graphviz
package, the layout engine DNSViz uses; docs/decisions/0009-dnssec-chain-picture.md) and
served as inline SVG: no JavaScript.

Input: the `chain` list a probe report carries (dnscc.probe.checks.dnssec.chain): nodes
{kind: node, id, type, label, status, note} and edges {kind: edge, from, to, status, note}.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any

from django.utils.html import escape

OK_COLOR, BAD_COLOR = "#1a7f37", "#b42318"
SHAPES = {"zone": "folder", "DS": "box", "DNSKEY": "ellipse", "RRSIG": "note", "RRset": "box3d"}
RANKS = ["zone", "DS", "DNSKEY", "RRSIG", "RRset"]
TIMEOUT_S = 5.0


def _quote(text: object) -> str:
    """A DOT double-quoted string (no HTML labels: nothing from a server is markup)."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{s[:120]}"'


def to_dot(zone: str, items: Sequence[dict[str, Any]]) -> str:
    """The chain as a DOT graph, top to bottom: parent, DS, DNSKEY, RRSIG, RRset."""
    lines = [
        "digraph chain {",
        '  graph [rankdir=TB, nodesep=0.3, ranksep=0.45, fontname="sans-serif", '
        f'bgcolor="transparent", label={_quote(f"DNSSEC chain of {zone}")}, labelloc=t];',
        '  node [fontname="sans-serif", fontsize=10, style=filled, fillcolor="#ffffff"];',
        '  edge [fontname="sans-serif", fontsize=9];',
    ]
    nodes = [i for i in items if i.get("kind") == "node"]
    ids = {str(n.get("id")) for n in nodes}
    for rank in RANKS:
        members = [n for n in nodes if n.get("type") == rank]
        if not members:
            continue
        lines.append("  { rank=same;")
        for n in members:
            bad = n.get("status") == "bad"
            label = str(n.get("label", ""))
            if bad and n.get("note"):
                label += f"\n({n['note']})"
            color = BAD_COLOR if bad else OK_COLOR
            lines.append(
                f"    {_quote(n['id'])} [label={_quote(label)}, "
                f"shape={SHAPES.get(str(n.get('type')), 'box')}, color={_quote(color)}, "
                f"penwidth={2 if bad else 1}, "
                f"fillcolor={_quote('#fdecea' if bad else '#ffffff')}];"
            )
        lines.append("  }")
    for e in items:
        if e.get("kind") != "edge" or str(e.get("from")) not in ids or str(e.get("to")) not in ids:
            continue
        bad = e.get("status") == "bad"
        attrs = [f"color={_quote(BAD_COLOR if bad else OK_COLOR)}"]
        if bad:
            attrs += ["style=dashed", "penwidth=2"]
            if e.get("note"):
                attrs.append(f"label={_quote(e['note'])}, fontcolor={_quote(BAD_COLOR)}")
        lines.append(f"  {_quote(e['from'])} -> {_quote(e['to'])} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def chain_svg(zone: str, items: Sequence[dict[str, Any]]) -> str:
    """Inline SVG of the chain, or "" when there is nothing to draw or no `dot`."""
    if not any(i.get("kind") == "node" and i.get("type") != "zone" for i in items):
        return ""
    dot = shutil.which("dot")
    if dot is None:
        return ""
    try:
        run = subprocess.run(
            [dot, "-Tsvg"],
            input=to_dot(zone, items),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    svg = run.stdout
    start = svg.find("<svg")
    if start < 0:
        return ""
    svg = svg[start:]
    # Fit the page: drop the fixed size, keep the viewBox; say what it shows.
    svg = re.sub(r'\s(width|height)="[^"]*pt"', "", svg, count=2)
    return svg.replace(
        "<svg", f'<svg role="img" aria-label="DNSSEC chain of {escape(zone)}" class="chain"', 1
    )


def broken_links(items: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """The failing nodes and links in words, for the text beside the picture."""
    labels = {str(i.get("id")): str(i.get("label", "")) for i in items if i.get("kind") == "node"}
    out = []
    for i in items:
        if i.get("status") != "bad":
            continue
        if i.get("kind") == "node":
            out.append({"what": str(i.get("label", "")), "why": str(i.get("note", ""))})
        else:
            out.append(
                {
                    "what": f"{labels.get(str(i.get('from')), '?')} → "
                    f"{labels.get(str(i.get('to')), '?')}",
                    "why": str(i.get("note", "")),
                }
            )
    return out
