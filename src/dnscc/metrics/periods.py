"""Periods the center's figures are computed over: an ISO week (`2026-W27`), a month
(`2026-07`), a quarter (`2026-Q3`), or any day range. Boundaries are UTC midnights; a
period is half-open, [start, end).

    >>> parse("2026-Q3").label, parse("2026-Q3").end.isoformat()
    ('2026-Q3', '2026-10-01T00:00:00+00:00')
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from dnscc.core.errors import InputError, Location

KINDS = ("week", "month", "quarter")


@dataclass(frozen=True)
class Period:
    kind: str  # week, month, quarter or range
    label: str
    start: dt.datetime
    end: dt.datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "label": self.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def week(year: int, number: int) -> Period:
    start = dt.date.fromisocalendar(year, number, 1)
    return Period(
        "week", f"{year}-W{number:02d}", _midnight(start), _midnight(start + dt.timedelta(7))
    )


def month(year: int, number: int) -> Period:
    nxt = dt.date(year + (number == 12), number % 12 + 1, 1)
    return Period(
        "month", f"{year}-{number:02d}", _midnight(dt.date(year, number, 1)), _midnight(nxt)
    )


def quarter(year: int, number: int) -> Period:
    first = 3 * (number - 1) + 1
    nxt = dt.date(year + (number == 4), (first + 2) % 12 + 1, 1)
    return Period(
        "quarter", f"{year}-Q{number}", _midnight(dt.date(year, first, 1)), _midnight(nxt)
    )


def day_range(start: dt.date, end: dt.date) -> Period:
    """The days from `start` to `end`, both included."""
    if end < start:
        raise InputError("the period ends before it starts", location=Location(field="end"))
    return Period("range", f"{start} to {end}", _midnight(start), _midnight(end + dt.timedelta(1)))


def containing(kind: str, day: dt.date) -> Period:
    """The week, month or quarter that contains `day`."""
    if kind == "week":
        year, number, _ = day.isocalendar()
        return week(year, number)
    if kind == "month":
        return month(day.year, day.month)
    if kind == "quarter":
        return quarter(day.year, (day.month - 1) // 3 + 1)
    raise InputError(
        f"unknown period kind {kind!r}", location=Location(field="by"), hint=", ".join(KINDS)
    )


def parse(text: str, *, field: str = "period") -> Period:
    """`2026-W27`, `2026-07`, `2026-Q3`, or `2026-07-01..2026-09-30`."""
    value = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})-W(\d{1,2})", value, re.IGNORECASE):
            return week(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", value, re.IGNORECASE):
            return quarter(int(m[1]), int(m[2]))
        if (m := re.fullmatch(r"(\d{4})-(\d{2})", value)) and 1 <= int(m[2]) <= 12:
            return month(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", value):
            return day_range(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
    except ValueError:
        pass  # an impossible week or day: said below
    raise InputError(
        f"{text!r} is not a period",
        location=Location(field=field),
        hint="2026-W27, 2026-07, 2026-Q3 or 2026-07-01..2026-09-30",
    )


def split(period: Period, kind: str) -> list[Period]:
    """The weeks, months or quarters that meet `period`, in order."""
    out: list[Period] = []
    day = period.start.date()
    while _midnight(day) < period.end:
        p = containing(kind, day)
        out.append(p)
        day = p.end.date()
    return out
