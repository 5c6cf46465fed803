"""A robust baseline for a daily series, and whether a day leaves it (pure: no Django).

The baseline of a day is the median of the trailing `window_days` (the day left out) and
its spread 1.4826 x the median absolute deviation (MAD: the standard deviation of a normal
series, unmoved by the outliers it is meant to find), floored at `min_spread_share` of the
median. When the series has a weekly rhythm (the medians per weekday differ from the
overall median by more than `weekday_effect` spreads, with three weeks of history), the day
is compared with the same weekdays only. With fewer than `min_days` days of history there
is no judgement, and the method says so.
"""

from __future__ import annotations

import statistics
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dnscc.core.errors import InputError, Location

MAD_SCALE = 1.4826
DIRECTIONS = ("up", "down", "both")
SEVERITIES = ("notice", "warning", "error", "critical")


@dataclass(frozen=True)
class Baseline:
    window_days: int = 28
    min_days: int = 7
    weekday_min_days: int = 21
    weekday_effect: float = 2.0
    min_spread_share: float = 0.02


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    columns: tuple[str, ...] = ()
    numerator: tuple[str, ...] = ()
    denominator: tuple[str, ...] = ()
    direction: str = "up"
    threshold: float = 6.0
    min_change: float = 0.5
    min_value: float = 0.0
    severity: str = "warning"

    @property
    def fields(self) -> tuple[str, ...]:
        return self.columns + self.numerator + self.denominator

    def value(self, row: Mapping[str, Any]) -> float | None:
        """The series' value on one day's figures; None when they lack it."""

        def total(cols: tuple[str, ...]) -> float | None:
            got = [row[c] for c in cols if row.get(c) is not None]
            return float(sum(got)) if got else None

        if self.columns:
            return total(self.columns)
        num, den = total(self.numerator), total(self.denominator)
        if num is None or not den:
            return None
        return num / den


@dataclass(frozen=True)
class Profile:
    baseline: Baseline
    min_letters: int
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Judgement:
    day: date
    value: float
    baseline: float | None
    spread: float | None
    score: float | None
    anomalous: bool
    method: str

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return self.value / self.baseline


def judge(
    history: Mapping[date, float], day: date, value: float, rule: Rule, b: Baseline
) -> Judgement:
    """Whether `value` on `day` leaves the baseline of `history` (other days' values)."""
    first = day - timedelta(days=b.window_days)
    window = {d: v for d, v in history.items() if first <= d < day}
    if len(window) < b.min_days:
        return Judgement(
            day,
            value,
            None,
            None,
            None,
            False,
            f"not judged: {len(window)} day(s) of history, {b.min_days} needed",
        )
    values = list(window.values())
    median = statistics.median(values)
    spread = _spread(values, median, b)
    method = f"median and MAD of the {len(values)} previous days"
    if len(window) >= b.weekday_min_days:
        by_weekday: dict[int, list[float]] = {}
        for d, v in window.items():
            by_weekday.setdefault(d.weekday(), []).append(v)
        effect = max(abs(statistics.median(vs) - median) for vs in by_weekday.values()) / spread
        same = by_weekday.get(day.weekday(), [])
        if effect >= b.weekday_effect and len(same) >= 3:
            median = statistics.median(same)
            spread = _spread(same, median, b)
            method = f"median and MAD of the {len(same)} previous {day:%A}s (weekly rhythm)"
    score = (value - median) / spread
    change = (value - median) / abs(median) if median else float("inf")
    up = score >= rule.threshold and change >= rule.min_change
    down = score <= -rule.threshold and -change >= rule.min_change
    anomalous = (
        (up and rule.direction in ("up", "both")) or (down and rule.direction in ("down", "both"))
    ) and value >= rule.min_value
    return Judgement(day, value, median, spread, score, anomalous, method)


def _spread(values: list[float], median: float, b: Baseline) -> float:
    mad = statistics.median(abs(v - median) for v in values)
    return max(MAD_SCALE * mad, b.min_spread_share * abs(median), 1e-9)


# --- the profile file ------------------------------------------------------------------------


def default_path() -> Path:
    return Path(__file__).with_name("profile.toml")


def load_profile(path: str | Path | None = None) -> Profile:
    """Read the anomaly profile; InputError naming the file and key of a bad value."""
    where = Path(path) if path else default_path()
    try:
        data = tomllib.loads(where.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(
            f"cannot read: {exc.strerror}", location=Location(file=str(where))
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not TOML: {exc}", location=Location(file=str(where))) from None

    def bad(key: str, problem: str) -> InputError:
        return InputError(problem, location=Location(file=str(where), field=key))

    raw_b = data.get("baseline", {})
    try:
        baseline = Baseline(**{k: type(getattr(Baseline(), k))(v) for k, v in raw_b.items()})
    except (TypeError, ValueError) as exc:
        raise bad("baseline", f"bad baseline settings: {exc}") from None
    if not 1 <= baseline.min_days <= baseline.window_days:
        raise bad("baseline.min_days", "must be between 1 and window_days")
    min_letters = data.get("system", {}).get("min_letters", 3)
    if not isinstance(min_letters, int) or not 2 <= min_letters <= 13:
        raise bad("system.min_letters", "must be a whole number from 2 to 13")
    rules = []
    from dnscc.rootinfo.figures import COLUMNS  # the LetterDay columns a rule may name

    known = {c for cols in COLUMNS.values() for c in cols}
    for name, spec in data.get("series", {}).items():
        key = f"series.{name}"
        try:
            rule = Rule(
                name=name,
                label=str(spec.get("label", name)),
                columns=tuple(spec.get("columns", ())),
                numerator=tuple(spec.get("numerator", ())),
                denominator=tuple(spec.get("denominator", ())),
                direction=str(spec.get("direction", "up")),
                threshold=float(spec.get("threshold", 6.0)),
                min_change=float(spec.get("min_change", 0.5)),
                min_value=float(spec.get("min_value", 0.0)),
                severity=str(spec.get("severity", "warning")),
            )
        except (TypeError, ValueError) as exc:
            raise bad(key, str(exc)) from None
        if bool(rule.columns) == bool(rule.numerator or rule.denominator):
            raise bad(key, "give either columns, or numerator and denominator")
        if rule.numerator and not rule.denominator:
            raise bad(key, "a numerator needs a denominator")
        unknown = [c for c in rule.fields if c not in known]
        if unknown:
            raise bad(key, f"unknown columns {unknown}: use {', '.join(sorted(known))}")
        if rule.direction not in DIRECTIONS:
            raise bad(f"{key}.direction", f"one of {', '.join(DIRECTIONS)}")
        if rule.severity not in SEVERITIES:
            raise bad(f"{key}.severity", f"one of {', '.join(SEVERITIES)}")
        if rule.threshold <= 0 or rule.min_change < 0:
            raise bad(key, "threshold must be positive and min_change not negative")
        rules.append(rule)
    if not rules:
        raise bad("series", "no series to watch")
    return Profile(baseline, min_letters, tuple(rules))
