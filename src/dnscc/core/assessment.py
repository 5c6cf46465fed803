"""Comparison of two frozen risk assessments: what moved between last year and this year.

A snapshot (made by dnscc.risk when an assessment is frozen) holds, among the rest,
    "risks": [{"ref", "title", "level", "score", ...}]   the register at the freeze
    "gaps": {"state": {event: {region: "covered" | "partial" | "uncovered"}}}
    "threats": {"events": {event: {"incidents": n, "findings": n, ...}}}
Pure: two dicts in, the differences out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dnscc.core.riskscale import LEVELS

__all__ = ["compare"]

_STATE_RANK = {"uncovered": 0, "partial": 1, "covered": 2}


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else -1


def compare(previous: Mapping[str, Any] | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """Risks up, down, new and retired (by their reference, level then score); coverage
    cells gained and lost; threat figures that changed. With no previous snapshot every
    risk is new (a baseline)."""
    prev_risks = {r["ref"]: r for r in (previous or {}).get("risks", [])}
    cur_risks = {r["ref"]: r for r in current.get("risks", [])}
    up, down, same = [], [], 0
    for ref, risk in cur_risks.items():
        old = prev_risks.get(ref)
        if old is None:
            continue
        before = (_rank(old.get("level", "")), old.get("score", 0))
        after = (_rank(risk.get("level", "")), risk.get("score", 0))
        change = {
            "ref": ref,
            "title": risk.get("title", ""),
            "from": old.get("level"),
            "to": risk.get("level"),
            "score_from": old.get("score"),
            "score_to": risk.get("score"),
        }
        if after > before:
            up.append(change)
        elif after < before:
            down.append(change)
        else:
            same += 1
    new = [
        {"ref": ref, "title": r.get("title", ""), "level": r.get("level")}
        for ref, r in cur_risks.items()
        if ref not in prev_risks
    ]
    retired = [
        {"ref": ref, "title": r.get("title", ""), "level": r.get("level")}
        for ref, r in prev_risks.items()
        if ref not in cur_risks
    ]
    prev_state = ((previous or {}).get("gaps") or {}).get("state", {})
    cur_state = (current.get("gaps") or {}).get("state", {})
    gained: list[dict[str, Any]] = []
    lost: list[dict[str, Any]] = []
    for event, regions in cur_state.items():
        for region, state in regions.items():
            old_state = prev_state.get(event, {}).get(region)
            if old_state is None or old_state == state:
                continue
            item = {"event": event, "region": region, "from": old_state, "to": state}
            (gained if _STATE_RANK[state] > _STATE_RANK[old_state] else lost).append(item)
    prev_threats = ((previous or {}).get("threats") or {}).get("events", {})
    cur_threats = (current.get("threats") or {}).get("events", {})
    threats = []
    for event, figures in cur_threats.items():
        old = prev_threats.get(event, {})
        delta = {
            key: {"from": old.get(key, 0), "to": figures.get(key, 0)}
            for key in ("incidents", "findings", "campaign_names")
            if old.get(key, 0) != figures.get(key, 0)
        }
        if delta:
            threats.append({"event": event, "changes": delta})
    by_level_prev = {lv: 0 for lv in LEVELS}
    by_level_cur = {lv: 0 for lv in LEVELS}
    for r in prev_risks.values():
        if r.get("level") in by_level_prev:
            by_level_prev[r["level"]] += 1
    for r in cur_risks.values():
        if r.get("level") in by_level_cur:
            by_level_cur[r["level"]] += 1
    return {
        "baseline": previous is None,
        "risks": {"up": up, "down": down, "new": new, "retired": retired, "unchanged": same},
        "coverage": {"gained": gained, "lost": lost},
        "threats": threats,
        "levels": {"previous": by_level_prev, "current": by_level_cur},
    }
