"""What the dashboard, the API and the CLI show of a period: the figures, the objectives'
verdicts, each objective over the period's weeks or months (a plot per objective), the rows
of the CSV export, and the incidents behind a figure for staff."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from dnscc.campaigns.models import Campaign
from dnscc.core import charts, csvout
from dnscc.core.errors import InputError, Location
from dnscc.core.tlp import Viewer
from dnscc.incidents.models import Incident
from dnscc.incidents.services import visible_incidents
from dnscc.metrics import figures, objectives, periods
from dnscc.metrics.figures import DIMENSIONS, DURATION, FIGURES, SHARE

MAX_PARTS = 60  # weeks or months per plot: each is a computation of its own
CSV_HEADER = (
    "period",
    "figure",
    "dimension",
    "group",
    "n",
    "median_minutes",
    "p90_minutes",
    "numerator",
    "denominator",
    "share",
    "count",
)


def current_quarter(now: dt.datetime | None = None) -> periods.Period:
    return periods.containing("quarter", (now or timezone.now()).date())


def report(
    period: periods.Period,
    *,
    include_exercises: bool = False,
    by: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The period's figures and verdicts; with `by` (week or month) each objective's value
    in every week or month of the period too."""
    perf = figures.performance(period, include_exercises=include_exercises, now=now)
    out = {**perf, "objectives": objectives.evaluate(perf)}
    if by:
        parts = periods.split(period, by)
        if len(parts) > MAX_PARTS:
            raise InputError(
                f"{len(parts)} {by}s: at most {MAX_PARTS} per plot",
                location=Location(field="by"),
                hint="a shorter period, or by month",
            )
        verdicts = [
            objectives.evaluate(
                figures.performance(p, include_exercises=include_exercises, now=now)
            )
            for p in parts
        ]
        out["series"] = {
            "by": by,
            "labels": [p.label for p in parts],
            "objectives": {
                o["key"]: {
                    "values": [v[i]["value"] for v in verdicts],
                    "groups": _group_series(verdicts, i),
                }
                for i, o in enumerate(out["objectives"])
            },
        }
    return out


def _group_series(verdicts: list[list[dict[str, Any]]], i: int) -> dict[str, list[Any]]:
    groups = sorted({g["group"] for v in verdicts for g in v[i]["groups"]})
    return {
        g: [next((x["value"] for x in v[i]["groups"] if x["group"] == g), None) for v in verdicts]
        for g in groups
    }


def objective_charts(data: dict[str, Any]) -> dict[str, str]:
    """One SVG line chart per objective: its value in each week or month, the target as a
    reference line; an objective judged per group draws a line per group."""
    series = data.get("series")
    out: dict[str, str] = {}
    if not series:
        return out
    for obj in data["objectives"]:
        kind = FIGURES[obj["figure"]].kind
        s = series["objectives"][obj["key"]]
        scale = 100.0 if kind == SHARE else (1 / 60 if kind == DURATION else 1.0)
        unit = "%" if kind == SHARE else ("hours" if kind == DURATION else "")

        def scaled(values: list[Any], k: float = scale) -> list[float | None]:
            return [None if v is None else v * k for v in values]

        lines = (
            [
                charts.Series(figures.group_label(obj["per"], g), scaled(v))
                for g, v in s["groups"].items()
            ]
            if obj["per"] and s["groups"]
            else [charts.Series(obj["title"], scaled(s["values"]))]
        )
        out[obj["key"]] = charts.line_chart(
            series["labels"],
            lines,
            title=f"{obj['title']} ({unit})" if unit else obj["title"],
            references=[(obj["target"] * scale, "target")],
            y_min=0,
        )
    return out


def figure_chart(data: dict[str, Any], figure: str, dimension: str) -> str:
    """A bar chart of a figure per group of a dimension: median and p90 for times (hours),
    the share for shares (%), the count for counts."""
    fig = data["figures"][figure]
    cells = fig["by"].get(dimension, {})
    groups = sorted(cells)
    labels = [figures.group_label(dimension, g) for g in groups]
    if fig["kind"] == DURATION:
        series = [
            charts.Series(
                stat, [None if cells[g][stat] is None else cells[g][stat] / 60 for g in groups]
            )
            for stat in ("median", "p90")
        ]
        title = f"{fig['label']} by {figures.DIMENSION_LABELS[dimension].lower()} (hours)"
    elif fig["kind"] == SHARE:
        series = [
            charts.Series(
                "share",
                [None if cells[g]["share"] is None else 100 * cells[g]["share"] for g in groups],
            )
        ]
        title = f"{fig['label']} by {figures.DIMENSION_LABELS[dimension].lower()} (%)"
    else:
        series = [charts.Series("count", [cells[g]["count"] for g in groups])]
        title = f"{fig['label']} by {figures.DIMENSION_LABELS[dimension].lower()}"
    return charts.bar_chart(labels, series, title=title)


def csv_text(data: dict[str, Any]) -> str:
    """Every cell of a period's figures as CSV (the one CSV writer)."""
    buf = io.StringIO()
    w = csvout.writer(buf)
    w.writerow(CSV_HEADER)
    label = data["period"]["label"]
    for key, fig in data["figures"].items():
        cells = [("", "", fig["all"])] + [
            (dim, group, cell)
            for dim, groups in fig["by"].items()
            for group, cell in groups.items()
        ]
        for dim, group, cell in cells:
            w.writerow(
                [
                    label,
                    key,
                    dim or "all",
                    group or ("all" if not dim else ""),
                    _blank(cell.get("n")),
                    _blank(cell.get("median")),
                    _blank(cell.get("p90")),
                    _blank(cell.get("numerator")),
                    _blank(cell.get("denominator")),
                    _blank(cell.get("share")),
                    _blank(cell.get("count")),
                ]
            )
    return buf.getvalue()


def _blank(value: Any) -> Any:
    return "" if value is None else value


# -- the incidents behind a figure -------------------------------------------------------------

_INCIDENT_FIELDS = {"region": "desk", "type": "dns_type"}
_PARTY_FIELDS = {
    "region": "parties__organization__region",
    "type": "dns_type",
    "kind": "parties__organization__kind",
    "constrained": "parties__organization__resource_constrained",
}
_SLICE_FIELDS = {
    "region": "campaigns__slices__organization__region",
    "kind": "campaigns__slices__organization__kind",
    "constrained": "campaigns__slices__organization__resource_constrained",
}
_PARTY_FIGURES = {"time_to_notify", "time_to_acknowledge", "parties_reached", "parties_unreachable"}
_CAMPAIGN_FIGURES = {"campaign_coverage", "time_to_verified_coverage"}


def incidents_behind(
    viewer: Viewer,
    figure: str,
    period: periods.Period,
    *,
    dimension: str = "",
    group: str = "",
    include_exercises: bool = False,
) -> QuerySet[Incident]:
    """The incidents (the viewer may see, by the one TLP rule) whose rows a figure's cell
    counts; InputError for a figure that counts no incidents or an unknown dimension."""
    if figure not in FIGURES:
        raise InputError(f"unknown figure {figure!r}", location=Location(field="figure"))
    fig = FIGURES[figure]
    if dimension and dimension not in fig.dimensions:
        raise InputError(
            f"figure {figure} is not broken down by {dimension!r}",
            location=Location(field="dimension"),
            hint=", ".join(fig.dimensions) or "no dimension",
        )
    qs = visible_incidents(viewer)
    qs = figures.live(qs, Incident, include=include_exercises)
    if figure in _CAMPAIGN_FIGURES:
        cond = Q(
            campaigns__created_at__gte=period.start,
            campaigns__created_at__lt=period.end,
            campaigns__slices__delivered_at__isnull=False,
        )
        if figure == "time_to_verified_coverage":
            cond &= Q(campaigns__slices__state="complete")
        if dimension:
            cond &= Q(**{_SLICE_FIELDS[dimension]: _group_value(dimension, group)})
        ids = figures.live(
            Campaign.objects.filter(incident__in=qs), Campaign, include=include_exercises
        ).values("incident_id")
        return qs.filter(cond, pk__in=ids).distinct()
    if figure not in _PARTY_FIGURES and figure not in {
        "time_to_triage",
        "time_to_first_notification",
        "time_to_mitigate",
    }:
        raise InputError(
            f"figure {figure} does not count incidents",
            location=Location(field="figure"),
        )
    qs = qs.filter(created_at__gte=period.start, created_at__lt=period.end)
    cond = Q()
    if figure == "time_to_triage":
        cond = Q(triaged_at__isnull=False)
    elif figure == "time_to_first_notification":
        cond = Q(first_notified_at__isnull=False)
    elif figure == "time_to_mitigate":
        cond = Q(mitigated_at__isnull=False, triaged_at__isnull=False)
    else:
        cond = Q(parties__role="affected")
        if figure == "time_to_notify":
            cond &= Q(parties__notified_at__isnull=False)
        elif figure == "parties_reached":
            cond &= Q(parties__notified_at__isnull=False) | Q(
                parties__status__in=("queued", "unreachable", "delivery_failed")
            )
        elif figure == "time_to_acknowledge":
            cond &= Q(parties__notified_at__isnull=False, parties__acknowledged_at__isnull=False)
        else:
            cond &= Q(parties__status__in=("unreachable", "delivery_failed"))
    if dimension:
        fields = _PARTY_FIELDS if figure in _PARTY_FIGURES else _INCIDENT_FIELDS
        cond &= Q(**{fields[dimension]: _group_value(dimension, group)})
    return qs.filter(cond).distinct()


def _group_value(dimension: str, group: str) -> Any:
    if dimension == "constrained":
        return group == "yes"
    return group


def dimensions() -> tuple[str, ...]:
    return DIMENSIONS
