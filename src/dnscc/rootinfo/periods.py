"""The LetterDay figures summed per letter and per week or month (PeriodSums), kept at
ingestion, so that plots over years read a row per letter and period (ten years: 130
months or 522 weeks, times 14) instead of a row per letter and day (47,489).

Consistency with the rows: `refresh` recomputes every period holding a changed day from the
LetterDay rows themselves (it never adds a difference), so ingesting a file again, or a
corrected one, leaves the sums equal to what the rows give. A plot over a range reads the
periods the range covers whole from here and its partial first and last periods from the
rows (figures.series, figures.system_sums), so its figures are the rows' to the last digit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction

from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo.columns import QUERY_COLUMNS, RCODE_COLUMNS, SOURCE_COLUMNS

STEPS = ("week", "month")
SYSTEM = ""  # the letter of the rows summing all letters
SUMMED = (*QUERY_COLUMNS, *RCODE_COLUMNS, "rcode_total", *SOURCE_COLUMNS)
# Column groups the plots show as one series per letter: a letter-day counts in a group's
# mean when one of the group's columns has a value (as figures.series reads the rows).
GROUPS = {"queries": QUERY_COLUMNS, "sources": ("sources_ipv4", "sources_ipv6")}


def bucket_of(day: date, step: str) -> date:
    """The first day of the step (day, ISO week, month) holding `day`."""
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def period_end(start: date, step: str) -> date:
    """The last day of the period starting on `start`."""
    if step == "week":
        return start + timedelta(days=6)
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def whole_periods(first: date, last: date, step: str) -> tuple[date, date] | None:
    """(first day of the first, last day of the last) of the periods lying wholly inside
    [first, last]; None when there is none."""
    start = bucket_of(first, step)
    if start != first:
        start = period_end(start, step) + timedelta(days=1)
    end_start = bucket_of(last, step)
    end = period_end(end_start, step)
    if end != last:
        end = end_start - timedelta(days=1)
    return (start, end) if start <= end else None


def group_of(columns: Sequence[str]) -> str | None:
    for name, cols in GROUPS.items():
        if tuple(columns) == cols:
            return name
    return None


def who_of(letters: Iterable[str]) -> str | None:
    """The PeriodSums letter that sums `letters`: one letter's own, "" for all, else None."""
    wanted = set(letters)
    if wanted == set(LETTERS):
        return SYSTEM
    if len(wanted) == 1:
        return wanted.pop()
    return None


# --- keeping them -----------------------------------------------------------------------------


@dataclass
class _Acc:
    days: set[date] = field(default_factory=set)
    letter_days: int = 0
    days_with: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))
    sums: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SUMMED, 0))
    load_times: list[float] = field(default_factory=list)


def refresh(days: Iterable[date], *, apps: Any = None) -> int:
    """Recompute the week and month sums of every period holding one of `days`, from the
    LetterDay rows; the number of PeriodSums rows written. `apps`: a migration's registry."""
    if apps is None:
        from django.apps import apps as current

        apps = current
    letter_day = apps.get_model("rootinfo", "LetterDay")
    period_sums = apps.get_model("rootinfo", "PeriodSums")
    keys = {(step, bucket_of(d, step)) for d in days for step in STEPS}
    if not keys:
        return 0
    lo = min(start for _, start in keys)
    hi = max(period_end(start, step) for step, start in keys)
    accs: dict[tuple[str, str, date], _Acc] = {}
    names = ("letter", "day", *SUMMED, "load_time_max")
    rows = letter_day.objects.filter(day__gte=lo, day__lte=hi).values_list(*names)
    for row in rows.iterator(chunk_size=5000):
        letter, day, load = row[0], row[1], row[-1]
        values = dict(zip(SUMMED, row[2:-1], strict=True))
        for step in STEPS:
            start = bucket_of(day, step)
            if (step, start) not in keys:
                continue
            for who in (letter, SYSTEM):
                acc = accs.get((who, step, start))
                if acc is None:
                    acc = accs[(who, step, start)] = _Acc()
                acc.days.add(day)
                acc.letter_days += 1
                for group, cols in GROUPS.items():
                    if any(values[c] is not None for c in cols):
                        acc.days_with[group] += 1
                for c, v in values.items():
                    if v is not None:
                        acc.sums[c] += v
                if load is not None:
                    acc.load_times.append(float(load))
    with transaction.atomic():
        for step in STEPS:
            starts = sorted(start for s, start in keys if s == step)
            period_sums.objects.filter(step=step, start__in=starts).delete()
        period_sums.objects.bulk_create(
            [
                period_sums(
                    letter=who,
                    step=step,
                    start=start,
                    days=len(acc.days),
                    days_with=acc.days_with,
                    sums=acc.sums,
                    load_times=sorted(acc.load_times),
                )
                for (who, step, start), acc in sorted(accs.items())
            ],
            batch_size=1000,
        )
    return len(accs)


def rebuild_all(*, apps: Any = None) -> int:
    """Recompute every period from every LetterDay row (a migration, a repair)."""
    if apps is None:
        from django.apps import apps as current

        apps = current
    letter_day = apps.get_model("rootinfo", "LetterDay")
    apps.get_model("rootinfo", "PeriodSums").objects.all().delete()
    days = set(letter_day.objects.values_list("day", flat=True).distinct())
    return refresh(days, apps=apps)


# --- reading them -------------------------------------------------------------------------------


def _rows(step: str, span: tuple[date, date], who: Iterable[str]) -> Any:
    from dnscc.rootinfo.models import PeriodSums

    return PeriodSums.objects.filter(
        step=step, start__gte=span[0], start__lte=span[1], letter__in=list(who)
    )


def group_sums(
    group: str, step: str, span: tuple[date, date], letters: Iterable[str]
) -> Iterable[tuple[date, str, int, int]]:
    """(period start, letter, sum of the group's columns, letter-days counted) per letter
    and period of `span` (whole_periods) where the letter has a value in the group."""
    cols = GROUPS[group]
    for start, letter, sums, days_with in _rows(step, span, letters).values_list(
        "start", "letter", "sums", "days_with"
    ):
        if days_with.get(group):
            yield start, letter, sum(sums[c] for c in cols), days_with[group]


def column_sums(
    columns: Sequence[str], step: str, span: tuple[date, date], who: str
) -> Iterable[tuple[date, int, dict[str, int]]]:
    """(period start, days with figures, {column: sum}) of `who` per period of `span`."""
    for start, days, sums in (
        _rows(step, span, [who]).order_by("start").values_list("start", "days", "sums")
    ):
        if days:
            yield start, days, {c: sums[c] for c in columns}


def load_times(step: str, span: tuple[date, date], who: str) -> Iterable[tuple[date, list[float]]]:
    """(period start, each letter-day's slowest load time) of `who` per period of `span`."""
    for start, times in (
        _rows(step, span, [who]).order_by("start").values_list("start", "load_times")
    ):
        if times:
            yield start, times
