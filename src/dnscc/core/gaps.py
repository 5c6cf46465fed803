"""Gap analysis of existing responders: who covers which threat event, in which region, with
which capability, and the cells nobody covers. Pure: dnscc.risk feeds it the inventory.

The matrix is organisation x threat event x region x capability (the issue's four axes). A
coverage entry for region "*" covers every region (a global body such as DNS-OARC). A cell
(threat event, region) is

    covered    when every capability has at least one responder,
    partial    when some capability has none,
    uncovered  (a gap) when no responder covers it at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ALL_REGIONS", "CAPABILITIES", "Coverage", "gap_matrix"]

# What a responder does about a threat event (the capabilities, NIST CSF-like).
CAPABILITIES: tuple[str, ...] = ("detect", "coordinate", "mitigate", "recover")
ALL_REGIONS = "*"


@dataclass(frozen=True)
class Coverage:
    organization: str  # a display key (slug); the caller decides what is shown
    event: str
    region: str  # an ICANN region code, or "*" for every region
    capability: str


def gap_matrix(
    events: Sequence[str], regions: Sequence[str], coverage: Iterable[Coverage]
) -> dict[str, Any]:
    """The matrix and its gaps.

    Returns {"cells": {event: {region: {capability: [orgs...]}}},
             "state": {event: {region: "covered" | "partial" | "uncovered"}},
             "gaps": [{"event", "region"}...]  (uncovered cells, in events x regions order),
             "partial": [{"event", "region", "missing": [...]}...],
             "by_region": {region: {"covered": n, "partial": n, "uncovered": n, "share": f}},
             "responders": {org: number of cells it covers}}
    """
    cells: dict[str, dict[str, dict[str, list[str]]]] = {
        e: {r: {c: [] for c in CAPABILITIES} for r in regions} for e in events
    }
    responders: dict[str, set[tuple[str, str]]] = {}
    for entry in coverage:
        if entry.event not in cells or entry.capability not in CAPABILITIES:
            continue
        targets = regions if entry.region == ALL_REGIONS else [entry.region]
        for region in targets:
            if region not in cells[entry.event]:
                continue
            names = cells[entry.event][region][entry.capability]
            if entry.organization not in names:
                names.append(entry.organization)
            responders.setdefault(entry.organization, set()).add((entry.event, region))
    state: dict[str, dict[str, str]] = {}
    gaps: list[dict[str, str]] = []
    partial: list[dict[str, Any]] = []
    by_region = {r: {"covered": 0, "partial": 0, "uncovered": 0} for r in regions}
    for e in events:
        state[e] = {}
        for r in regions:
            caps = cells[e][r]
            missing = [c for c in CAPABILITIES if not caps[c]]
            if len(missing) == len(CAPABILITIES):
                s = "uncovered"
                gaps.append({"event": e, "region": r})
            elif missing:
                s = "partial"
                partial.append({"event": e, "region": r, "missing": missing})
            else:
                s = "covered"
            for c in caps:
                caps[c].sort()
            state[e][r] = s
            by_region[r][s] += 1
    summary: dict[str, dict[str, Any]] = {}
    for r, counts in by_region.items():
        total = sum(counts.values())
        summary[r] = {**counts, "share": round(counts["covered"] / total, 4) if total else None}
    return {
        "cells": cells,
        "state": state,
        "gaps": gaps,
        "partial": partial,
        "by_region": summary,
        "responders": {o: len(c) for o, c in sorted(responders.items())},
    }
