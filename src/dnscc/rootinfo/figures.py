"""The figures of each letter and day (LetterDay) from the files read, and what the portal,
the API and the exports read back: the latest day per letter, series over a date range
(summed in SQL, a point per day, week or month by the range's length)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Max, Min, Q, Sum
from django.db.models.functions import Coalesce

from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo import periods
from dnscc.rootinfo.columns import (  # noqa: F401 - re-exported for the pages
    COLUMNS,
    LOAD_COLUMNS,
    QUERY_COLUMNS,
    RCODE_COLUMNS,
    RESPONSE_COLUMNS,
    SOURCE_COLUMNS,
    columns_of,
)
from dnscc.rootinfo.models import DailyFile, LetterDay


def store_letter_days(cursor: Any, docs: Iterable[Any]) -> None:
    """Upsert the LetterDay columns of these files (prepare.Prepared): one statement per
    metric, inside the caller's transaction."""
    by_metric: dict[str, dict[tuple[str, date], tuple[object, ...]]] = {}
    for doc in docs:
        if doc.columns is not None:
            by_metric.setdefault(doc.metric, {})[(doc.letter, doc.day)] = doc.columns
    ops = connection.ops
    table = ops.quote_name(LetterDay._meta.db_table)
    for metric, rows in by_metric.items():
        cols = COLUMNS[metric]
        names = ", ".join(cols)
        marks = ", ".join(["%s"] * (len(cols) + 2))
        updates = ", ".join(f"{c} = excluded.{c}" for c in cols)
        cursor.executemany(
            f"INSERT INTO {table} (letter, day, {names}) VALUES ({marks}) "  # noqa: S608 - names from the model, values bound
            f"ON CONFLICT (letter, day) DO UPDATE SET {updates}",
            [(letter, ops.adapt_datefield_value(day), *v) for (letter, day), v in rows.items()],
        )


# --- reading back ---------------------------------------------------------------------------


def total(row: Any, columns: Iterable[str]) -> int | None:
    """The sum of columns that have a value; None when none has."""
    values = [getattr(row, c) for c in columns if getattr(row, c) is not None]
    return sum(values) if values else None


def data_range() -> tuple[date, date] | None:
    agg = LetterDay.objects.aggregate(first=Min("day"), last=Max("day"))
    if agg["first"] is None:
        return None
    return agg["first"], agg["last"]


def latest_per_letter() -> dict[str, dict[str, Any]]:
    """For each letter, its latest day with traffic figures and that day's figures."""
    out: dict[str, dict[str, Any]] = {}
    latest = dict(
        LetterDay.objects.filter(queries_udp4__isnull=False)
        .values("letter")
        .annotate(last=Max("day"))
        .values_list("letter", "last")
    )
    if not latest:
        return out
    q = Q()
    for letter, day in latest.items():
        q |= Q(letter=letter, day=day)
    for row in LetterDay.objects.filter(q):
        # Sources and load time may be published for another (earlier) day: the latest.
        extra = (
            LetterDay.objects.filter(letter=row.letter, sources_ipv4__isnull=False)
            .order_by("-day")
            .values("day", "sources_ipv4", "sources_ipv6")
            .first()
        )
        load = (
            LetterDay.objects.filter(letter=row.letter, load_time_max__isnull=False)
            .order_by("-day")
            .values("day", "load_time_median", "load_time_max")
            .first()
        )
        rcodes = row
        if row.rcode_total is None:  # the RCODE file of that day not (yet) published
            rcodes = (
                LetterDay.objects.filter(letter=row.letter, rcode_total__isnull=False)
                .order_by("-day")
                .first()
                or row
            )
        out[row.letter] = {
            "day": row.day,
            "row": row,
            "queries": total(row, QUERY_COLUMNS),
            "responses": total(row, RESPONSE_COLUMNS),
            "rcodes": rcode_mix(rcodes),
            "rcodes_day": rcodes.day,
            "sources": extra,
            "load": load,
        }
    return out


def rcode_mix(row: Any) -> list[tuple[str, float]]:
    """The RCODE shares of one LetterDay: [(label, share)] summing to 1 (or empty)."""
    if not row.rcode_total:
        return []
    parts = [
        ("NOERROR", row.rcode_noerror or 0),
        ("NXDOMAIN", row.rcode_nxdomain or 0),
        ("REFUSED", row.rcode_refused or 0),
        ("SERVFAIL", row.rcode_servfail or 0),
    ]
    other = row.rcode_total - sum(v for _, v in parts)
    parts.append(("other", max(other, 0)))
    return [(label, v / row.rcode_total) for label, v in parts]


def step_for(first: date, last: date) -> str:
    """A point per day up to four months, per week up to three years, else per month."""
    days = (last - first).days
    if days <= 124:
        return "day"
    if days <= 3 * 366:
        return "week"
    return "month"


bucket_of = periods.bucket_of


def _whole(first: date, last: date, step: str, usable: bool) -> tuple[date, date] | None:
    """The periods of the range that PeriodSums answers for (None: the rows answer all)."""
    if step == "day" or not usable:
        return None
    return periods.whole_periods(first, last, step)


def series(
    columns: Iterable[str], first: date, last: date, *, letters: Iterable[str] = LETTERS
) -> tuple[str, list[date], dict[str, list[float | None]]]:
    """Per letter, the mean per day of the sum of `columns`, a point per step (day, week
    or month): (step, x, {letter: values}). The periods the range covers whole come from
    PeriodSums when the columns are one of its groups; the rest from the rows (SQL sums the
    columns of each row; the rows are put in their step here)."""
    step = step_for(first, last)
    cols = list(columns)
    wanted = list(letters)
    group = periods.group_of(cols)
    whole = _whole(first, last, step, group is not None)
    sums: dict[date, dict[str, list[float]]] = {}
    if whole is not None and group is not None:
        for start, letter, value, days in periods.group_sums(group, step, whole, wanted):
            sums.setdefault(start, {})[letter] = [float(value), days]
    expr = sum((Coalesce(c, 0) for c in cols[1:]), Coalesce(cols[0], 0))
    has_any = Q()
    for c in cols:
        has_any |= Q(**{f"{c}__isnull": False})
    qs = LetterDay.objects.filter(has_any, day__gte=first, day__lte=last, letter__in=wanted)
    if whole is not None:
        qs = qs.exclude(day__gte=whole[0], day__lte=whole[1])
    for day, letter, v in qs.annotate(v=expr).values_list("day", "letter", "v"):
        cell = sums.setdefault(bucket_of(day, step), {}).setdefault(letter, [0.0, 0])
        cell[0] += float(v or 0)
        cell[1] += 1
    xs = sorted(sums)
    out: dict[str, list[float | None]] = {}
    for who in wanted:
        cells = [sums[x].get(who) for x in xs]
        out[who] = [cell[0] / cell[1] if cell else None for cell in cells]
    return step, xs, {k: v for k, v in out.items() if any(x is not None for x in v)}


def system_sums(
    columns: Iterable[str], first: date, last: date, *, letters: Iterable[str] = LETTERS
) -> tuple[str, list[date], dict[str, list[float]]]:
    """Per column, the sum over letters (a mean per day per step): (step, x, {col: values}).
    Whole periods from PeriodSums for all letters or one; the rest from the rows."""
    step = step_for(first, last)
    cols = list(columns)
    wanted = list(letters)
    qs = LetterDay.objects.filter(day__gte=first, day__lte=last, letter__in=wanted)
    if step == "day":
        rows = list(qs.values("day").annotate(**{c: Sum(c) for c in cols}).order_by("day"))
        xs = [r["day"] for r in rows]
        return step, xs, {c: [float(r[c] or 0) for r in rows] for c in cols}
    # Sum over letters per day first, then the mean of those days per step: two levels,
    # done here over at most one row per day outside the whole periods.
    who = periods.who_of(wanted)
    whole = _whole(first, last, step, who is not None and set(cols) <= set(periods.SUMMED))
    totals: dict[date, tuple[list[float], int]] = {}
    if whole is not None and who is not None:
        for start, days, sums in periods.column_sums(cols, step, whole, who):
            totals[start] = ([float(sums[c]) for c in cols], days)
        qs = qs.exclude(day__gte=whole[0], day__lte=whole[1])
    for r in qs.values("day").annotate(**{c: Sum(c) for c in cols}).order_by("day"):
        key = bucket_of(r["day"], step)
        values, days = totals.get(key, ([0.0] * len(cols), 0))
        totals[key] = ([a + float(r[c] or 0) for a, c in zip(values, cols, strict=True)], days + 1)
    xs = sorted(totals)
    return (
        step,
        xs,
        {c: [totals[x][0][i] / totals[x][1] for x in xs] for i, c in enumerate(cols)},
    )


def zone_sizes(first: date, last: date) -> list[tuple[date, int]]:
    """The root zone's size per day (the Root Zone Maintainer's zone-size, largest serial)."""
    out = []
    for day, values in DailyFile.objects.filter(
        letter="", metric="zone-size", day__gte=first, day__lte=last
    ).values_list("day", "values"):
        if values:
            out.append((day, int(values[max(values, key=int)])))
    return sorted(out)
