"""The pictures of the root server information pages, drawn with the portal's one chart
module (core.charts): the data each plot shows, over a date range, a point per day, week or
month by the range's length (figures.step_for): over years, from the sums kept at ingestion
(periods.py, SizeMonth), else summed in SQL."""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from typing import Any

from dnscc.core import charts
from dnscc.core.charts import Series
from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo import figures, periods, sizes
from dnscc.rootinfo.baseline import Rule
from dnscc.rootinfo.models import Anomaly, DailyFile, LetterDay, SizeMonth

STEP_WORDS = {"day": "per day", "week": "per day, weekly means", "month": "per day, monthly means"}
RESPONSE_BIN = 256  # response sizes shown in 256-byte rows (16 rows up to 4,096)


def _labels(xs: list[date], step: str) -> list[str]:
    return [f"{x:%Y-%m}" if step == "month" else f"{x:%Y-%m-%d}" for x in xs]


def _percent(v: float) -> str:
    return f"{v:.0f} %"


def system_plots(first: date, last: date) -> dict[str, str]:
    """Name -> SVG of the system-wide plots over the range."""
    out: dict[str, str] = {}
    step, xs, per_letter = figures.series(figures.QUERY_COLUMNS, first, last)
    out["queries"] = charts.line_chart(
        _labels(xs, step),
        [Series(f"{k}-root", v, charts.color_for(LETTERS.index(k))) for k, v in per_letter.items()],
        title=f"Queries received {STEP_WORDS[step]}, by letter (stacked)",
        stacked=True,
    )
    out["rcodes"] = _rcode_plot(first, last, letters=LETTERS)
    step, xs, sources = figures.series(("sources_ipv4", "sources_ipv6"), first, last)
    out["sources"] = charts.line_chart(
        _labels(xs, step),
        [Series(f"{k}-root", v, charts.color_for(LETTERS.index(k))) for k, v in sources.items()],
        title=f"Unique sources (IPv4 + IPv6) {STEP_WORDS[step]}, by letter",
    )
    out["load"] = _load_plot(first, last, letters=LETTERS)
    out.update(_size_plots(first, last, letters=LETTERS))
    return out


def letter_plots(letter: str, first: date, last: date) -> dict[str, str]:
    out: dict[str, str] = {}
    step, xs, data = figures.system_sums(figures.QUERY_COLUMNS, first, last, letters=letter)
    marked = _marks(letter, "queries", xs, step)
    out["queries"] = charts.line_chart(
        _labels(xs, step),
        [
            Series("UDP IPv4", data["queries_udp4"]),
            Series("UDP IPv6", data["queries_udp6"]),
            Series("TCP IPv4", data["queries_tcp4"]),
            Series("TCP IPv6", data["queries_tcp6"]),
        ],
        title=f"Queries received {STEP_WORDS[step]} (stacked; anomalous days marked)",
        stacked=True,
        marks=marked,
    )
    out["rcodes"] = _rcode_plot(first, last, letters=letter)
    step, xs, src = figures.system_sums(figures.SOURCE_COLUMNS, first, last, letters=letter)
    out["sources"] = charts.line_chart(
        _labels(xs, step),
        [
            Series("IPv4", src["sources_ipv4"]),
            Series("IPv6", src["sources_ipv6"]),
            Series("IPv6 /64 aggregates", src["sources_ipv6_aggregate"]),
        ],
        title=f"Unique sources {STEP_WORDS[step]}",
    )
    out["load"] = _load_plot(first, last, letters=letter)
    out.update(_size_plots(first, last, letters=letter))
    return out


def _marks(letter: str, series: str, xs: list[date], step: str) -> list[int]:
    days = Anomaly.objects.filter(letter=letter, series=series).values_list("day", flat=True)
    index = {x: i for i, x in enumerate(xs)}
    out = []
    for d in days:
        key = (
            d
            if step == "day"
            else d - timedelta(days=d.weekday())
            if step == "week"
            else d.replace(day=1)
        )
        if key in index:
            out.append(index[key])
    return out


def _rcode_plot(first: date, last: date, *, letters: str) -> str:
    cols = (*figures.RCODE_COLUMNS, "rcode_total")
    step, xs, sums = figures.system_sums(cols, first, last, letters=letters)
    total = sums["rcode_total"]
    shares: dict[str, list[float | None]] = {}
    named = {
        "NOERROR": "rcode_noerror",
        "NXDOMAIN": "rcode_nxdomain",
        "REFUSED": "rcode_refused",
        "SERVFAIL": "rcode_servfail",
    }
    for label, col in named.items():
        shares[label] = [100 * v / t if t else None for v, t in zip(sums[col], total, strict=True)]
    shares["other"] = [
        100 * max(t - sum(sums[c][i] for c in named.values()), 0) / t if t else None
        for i, t in enumerate(total)
    ]
    return charts.line_chart(
        _labels(xs, step),
        [Series(k, v) for k, v in shares.items()],
        title=f"RCODE share of responses {STEP_WORDS[step]} (stacked)",
        stacked=True,
        y_format=_percent,
    )


def _load_plot(first: date, last: date, *, letters: str) -> str:
    step = figures.step_for(first, last)
    groups: dict[date, list[float]] = {}
    rows = LetterDay.objects.filter(
        day__gte=first, day__lte=last, letter__in=list(letters), load_time_max__isnull=False
    )
    who = periods.who_of(letters)
    whole = periods.whole_periods(first, last, step) if step != "day" else None
    if whole is not None and who is not None:
        # The periods the range covers whole: their load times kept at ingestion.
        groups.update(periods.load_times(step, whole, who))
        rows = rows.exclude(day__gte=whole[0], day__lte=whole[1])
    for d, v in rows.values_list("day", "load_time_max"):
        groups.setdefault(figures.bucket_of(d, step), []).append(float(v))
    xs = sorted(groups)

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return charts.line_chart(
        _labels(xs, step),
        [
            Series("median", [statistics.median(groups[x]) for x in xs]),
            Series("90th percentile", [pct(groups[x], 0.9) for x in xs]),
            Series("slowest", [max(groups[x]) for x in xs]),
        ],
        title="Zone load time, slowest serial of each letter and day (seconds)",
    )


def _size_plots(first: date, last: date, *, letters: str) -> dict[str, str]:
    """The UDP query size distribution of the range, and UDP response sizes over time."""
    step = figures.step_for(first, last)
    columns: dict[date, dict[str, list[int]]] = {}
    if step == "day":
        for d, values in DailyFile.objects.filter(
            metric="traffic-sizes", day__gte=first, day__lte=last, letter__in=list(letters)
        ).values_list("day", "values"):
            col = columns.setdefault(d, {})
            for name, hist in sizes.month_histograms([values]).items():
                col[name] = sizes.add(col.get(name), hist)
    else:
        # All letters: the rows summing them (letter ""), one per month.
        who = [periods.SYSTEM] if periods.who_of(letters) == periods.SYSTEM else list(letters)
        for m, hists in SizeMonth.objects.filter(
            month__gte=first.replace(day=1), month__lte=last, letter__in=who
        ).values_list("month", "histograms"):
            col = columns.setdefault(m, {})
            for name, hist in hists.items():
                col[name] = sizes.add(col.get(name), hist)
    xs = sorted(columns)
    total: list[int] | None = None
    for x in xs:
        if "udp-request-sizes" in columns[x]:
            total = sizes.add(total, columns[x]["udp-request-sizes"])
    out = {}
    edges = [float(e) for e in range(0, sizes.CAPS["udp-request-sizes"] + 32, 16)]
    title = "UDP query sizes over the range (bytes; the last bar: 288 or more)"
    out["query_sizes"] = (
        charts.histogram(edges, total, title=title) if total else charts.no_data(title)
    )
    per = RESPONSE_BIN // 16
    rows = [f"{i * RESPONSE_BIN}-{(i + 1) * RESPONSE_BIN - 1}" for i in range(4096 // RESPONSE_BIN)]
    rows.append("4096 or more")
    grid: list[list[float | None]] = [[None] * len(xs) for _ in rows]
    for j, x in enumerate(xs):
        responses = columns[x].get("udp-response-sizes")
        if not responses:
            continue
        whole = sum(responses) or 1
        coarse = [sum(responses[i * per : (i + 1) * per]) for i in range(len(rows) - 1)]
        coarse.append(responses[-1])
        for i, v in enumerate(coarse):
            grid[i][j] = round(100 * v / whole, 1)
    out["response_sizes"] = charts.heat_map(
        rows[::-1],
        _labels(xs, "month" if step != "day" else "day"),
        grid[::-1],
        title="UDP response sizes over time (share of responses, %)",
        cell_text=[["" for _ in xs] for _ in rows],
        row_title="bytes",
        column_title="month" if step != "day" else "day",
    )
    return out


def anomaly_plot(
    letter: str, rule: Rule, first: date, last: date
) -> tuple[str, list[dict[str, Any]]]:
    """(SVG, rows) of a letter's series around an anomaly, the anomalous days marked."""
    marked = set(
        Anomaly.objects.filter(
            letter=letter, series=rule.name, day__gte=first, day__lte=last
        ).values_list("day", flat=True)
    )
    rows = []
    for r in LetterDay.objects.filter(letter=letter, day__gte=first, day__lte=last).values(
        "day", *rule.fields
    ):
        v = rule.value(r)
        if v is not None:
            rows.append({"day": r["day"], "value": v, "anomalous": r["day"] in marked})
    svg = charts.line_chart(
        [f"{r['day']:%Y-%m-%d}" for r in rows],
        [Series(f"{letter}-root {rule.label}", [r["value"] for r in rows])],
        title=f"{letter}-root: {rule.label} per day (anomalous days marked)",
        marks=[i for i, r in enumerate(rows) if r["anomalous"]],
    )
    return svg, rows


def system_anomaly_plot(
    letters: list[str], first: date, last: date
) -> tuple[str, list[dict[str, Any]]]:
    """(SVG, rows) of the queries of the letters of a system-wide anomaly."""
    marked = set(
        Anomaly.objects.filter(
            letter="", series="system", day__gte=first, day__lte=last
        ).values_list("day", flat=True)
    )
    step, xs, per_letter = figures.series(figures.QUERY_COLUMNS, first, last, letters=letters)
    svg = charts.line_chart(
        _labels(xs, step),
        [Series(f"{k}-root", v, charts.color_for(LETTERS.index(k))) for k, v in per_letter.items()],
        title="Queries received per day by the letters concerned (anomalous days marked)",
        marks=[i for i, x in enumerate(xs) if x in marked],
    )
    rows = [
        {"day": x, "letter": k, "value": v[i], "anomalous": x in marked}
        for k, v in per_letter.items()
        for i, x in enumerate(xs)
        if v[i] is not None
    ]
    return svg, rows
