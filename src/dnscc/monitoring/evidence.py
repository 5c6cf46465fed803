"""A finding's evidence as people who run DNS read it: the way `dig` prints a query.

The probe stores each proof as a small dict (dnscc.probe.model.Evidence.as_dict):

    {"query": "fr. NS @192.0.2.1", "time": "...", "status": "ok", "rcode": "NOERROR",
     "flags": "QR AA", "records": [...], "section": "authority", "ms": 1.2, "size": 512}

`as_dig` turns it into dig's layout (header, flags, question, the section with its
records, query time, server, when, size). Older rows without the timing fields, and
evidence that is not a query at all (a trimmed string, another structure), still render:
the first as dig without those lines, the others as indented JSON.
"""

from __future__ import annotations

import json
from typing import Any

SECTIONS = {"answer": "ANSWER", "authority": "AUTHORITY", "additional": "ADDITIONAL"}


def _question(query: str) -> tuple[str, str, str]:
    """("fr.", "NS", "192.0.2.1") from "fr. NS @192.0.2.1"."""
    parts = query.split()
    server = parts[-1][1:] if parts and parts[-1].startswith("@") else ""
    if server:
        parts = parts[:-1]
    qname = parts[0] if parts else "."
    qtype = parts[1] if len(parts) > 1 else ""
    return qname, qtype, server


def _when(value: str) -> str:
    # ISO 8601 in UTC ("2026-05-01T10:00:00.123+00:00") as dig's reader expects a date.
    return value.replace("T", " ").replace("+00:00", " UTC") if value else ""


def as_dig(item: Any) -> str:
    """One evidence item in dig's layout (text; the template escapes it)."""
    if not isinstance(item, dict) or "query" not in item:
        if isinstance(item, str):
            return item
        return json.dumps(item, indent=2, ensure_ascii=False, default=str)
    qname, qtype, server = _question(str(item.get("query", "")))
    lines = [f"; <<>> dnscc probe <<>> {item.get('query', '')}"]
    status = item.get("status", "")
    transport = "TCP" if item.get("tcp") else "UDP"
    if status == "ok":
        lines.append(f";; ->>HEADER<<- status: {item.get('rcode') or '?'}")
        flags = str(item.get("flags") or "").lower()
        lines.append(f";; flags: {flags if flags and flags != '-' else '(none)'}")
    elif status == "timeout":
        lines.append(f";; communications error to {server}: timed out")
        lines.append(";; no servers could be reached")
    else:
        lines.append(f";; communications error to {server}: {item.get('note') or status}")
    lines += ["", ";; QUESTION SECTION:", f";{qname}\t\tIN\t{qtype}"]
    records = item.get("records") or []
    if records:
        section = SECTIONS.get(str(item.get("section") or "answer"), "ANSWER")
        lines += ["", f";; {section} SECTION:", *[str(r) for r in records]]
    lines.append("")
    if item.get("ms") is not None:
        lines.append(f";; Query time: {item['ms']:g} msec")
    if server:
        lines.append(f";; SERVER: {server} ({transport})")
    if item.get("time"):
        lines.append(f";; WHEN: {_when(str(item['time']))}")
    if item.get("size") is not None:
        lines.append(f";; MSG SIZE  rcvd: {item['size']}")
    if status == "ok" and item.get("note"):
        lines.append(f";; note: {item['note']}")
    return "\n".join(lines).rstrip("\n")
