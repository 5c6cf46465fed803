"""The center's measurable objectives: a TOML profile (objectives.toml, or the file named
by DNSCC_METRICS_OBJECTIVES), each objective a figure, a statistic, a comparison and a
target, judged against a period's figures.

A verdict is "met", "missed" or "no data" (never a division by zero: a figure without rows
has no value and the objective is not judged). With `per`, the objective is judged in every
group of that dimension that has data, and is met only when every one of them is; with
`where`, it is judged in that one group.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings

from dnscc.core.errors import ConfigError
from dnscc.metrics.figures import DIMENSIONS, FIGURES, STATISTICS, describe_value, group_label

DEFAULT_PATH = Path(__file__).with_name("objectives.toml")
OPS = {
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
}
MET, MISSED, NO_DATA = "met", "missed", "no data"


@dataclass(frozen=True)
class Objective:
    key: str
    title: str
    figure: str
    statistic: str
    op: str
    target: float
    per: str = ""
    where: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "figure": self.figure,
            "statistic": self.statistic,
            "op": self.op,
            "target": self.target,
            "per": self.per,
            "where": dict(self.where),
            "computation": FIGURES[self.figure].computation,
        }


def profile_path() -> Path:
    return Path(settings.METRICS_OBJECTIVES) if settings.METRICS_OBJECTIVES else DEFAULT_PATH


def problems(data: dict[str, Any]) -> list[str]:
    """Every reason the profile `data` cannot be judged (unknown figures first)."""
    found: list[str] = []
    items = data.get("objective", [])
    if not isinstance(items, list):
        return ["`objective` must be an array of tables ([[objective]])"]
    keys: set[str] = set()
    for i, item in enumerate(items, 1):
        where = (
            f"objective {i} ({item.get('key', '?')})"
            if isinstance(item, dict)
            else f"objective {i}"
        )
        if not isinstance(item, dict):
            found.append(f"{where}: not a table")
            continue
        for name in ("key", "title", "figure", "statistic", "op", "target"):
            if name not in item:
                found.append(f"{where}: `{name}` is missing")
        fig = FIGURES.get(str(item.get("figure", "")))
        if "figure" in item and fig is None:
            found.append(
                f"{where}: unknown figure {item['figure']!r} (known: {', '.join(FIGURES)})"
            )
        if fig and "statistic" in item and item["statistic"] not in STATISTICS[fig.kind]:
            found.append(
                f"{where}: figure {fig.key} has no statistic {item['statistic']!r} "
                f"(it has {', '.join(STATISTICS[fig.kind])})"
            )
        if "op" in item and item["op"] not in OPS:
            found.append(f"{where}: unknown comparison {item['op']!r} (use {', '.join(OPS)})")
        if "target" in item and (
            isinstance(item["target"], bool) or not isinstance(item["target"], int | float)
        ):
            found.append(f"{where}: `target` must be a number")
        dims = [str(item["per"])] if item.get("per") else []
        where_tbl = item.get("where", {})
        if not isinstance(where_tbl, dict):
            found.append(f"{where}: `where` must be a table")
            where_tbl = {}
        dims += list(where_tbl)
        for dim in dims:
            if dim not in DIMENSIONS:
                found.append(f"{where}: unknown dimension {dim!r} (known: {', '.join(DIMENSIONS)})")
            elif fig and dim not in fig.dimensions:
                found.append(f"{where}: figure {fig.key} is not broken down by {dim}")
        if item.get("key") in keys:
            found.append(f"{where}: key {item['key']!r} used twice")
        keys.add(str(item.get("key")))
    return found


def read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: objectives profile cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: bad TOML: {exc}") from None


@cache
def load(path: Path | None = None) -> tuple[Objective, ...]:
    """The objectives of the profile; ConfigError naming the file and every problem."""
    path = path or profile_path()
    data = read(path)
    found = problems(data)
    if found:
        raise ConfigError(f"{path}: " + "; ".join(found))
    return tuple(
        Objective(
            key=str(o["key"]),
            title=str(o["title"]),
            figure=str(o["figure"]),
            statistic=str(o["statistic"]),
            op=str(o["op"]),
            target=float(o["target"]),
            per=str(o.get("per", "")),
            where={str(k): str(v) for k, v in o.get("where", {}).items()},
        )
        for o in data.get("objective", [])
    )


def _judge(objective: Objective, number: float | None) -> str:
    if number is None:
        return NO_DATA
    return MET if OPS[objective.op](number, objective.target) else MISSED


def evaluate(
    performance: dict[str, Any], objectives: tuple[Objective, ...] | None = None
) -> list[dict[str, Any]]:
    """Each objective's verdict on a period's figures (from figures.performance)."""
    out = []
    for obj in objectives if objectives is not None else load():
        fig = performance["figures"][obj.figure]
        kind = FIGURES[obj.figure].kind
        groups: list[dict[str, Any]] = []
        if obj.where:
            ((dim, group),) = obj.where.items()
            number = _value(fig["by"][dim].get(group), obj.statistic)
            verdict = _judge(obj, number)
        elif obj.per:
            for group, cell in sorted(fig["by"][obj.per].items()):
                n = _value(cell, obj.statistic)
                groups.append(
                    {
                        "group": group,
                        "label": group_label(obj.per, group),
                        "value": n,
                        "display": describe_value(kind, obj.statistic, n),
                        "verdict": _judge(obj, n),
                    }
                )
            judged = [g for g in groups if g["verdict"] != NO_DATA]
            # The worst group is the objective's value: met only if every region meets it.
            number = None
            if judged:
                worst = max if obj.op in ("<=", "<") else min
                number = worst(g["value"] for g in judged)
            verdict = (
                NO_DATA
                if not judged
                else MET
                if all(g["verdict"] == MET for g in judged)
                else MISSED
            )
        else:
            number = _value(fig["all"], obj.statistic)
            verdict = _judge(obj, number)
        out.append(
            {
                **obj.describe(),
                "value": number,
                "display": describe_value(kind, obj.statistic, number),
                "target_display": describe_value(kind, obj.statistic, obj.target),
                "verdict": verdict,
                "groups": groups,
            }
        )
    return out


def _value(cell: dict[str, Any] | None, statistic: str) -> float | None:
    if cell is None:
        return None
    number = cell.get(statistic)
    return None if number is None else float(number)
