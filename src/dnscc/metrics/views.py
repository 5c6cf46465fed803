"""Portal pages of the center's performance: the dashboard of a period (objectives with a
plot each, figures per group with links to the incidents behind them), its CSV and JSON
export, and the incidents behind one figure. Staff only."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.safestring import mark_safe

from dnscc.accounts import audit
from dnscc.core import charts
from dnscc.core.errors import DnsccError
from dnscc.metrics import dashboard, figures, health, periods, views_transparency
from dnscc.metrics.figures import DIMENSION_LABELS, FIGURES
from dnscc.web.access import role_required


def _svg(text: str) -> Any:
    return mark_safe(text)  # noqa: S308 - core.charts escapes every text it draws


def _params(request: HttpRequest) -> tuple[periods.Period, bool, str]:
    text = request.GET.get("period", "").strip()
    period = periods.parse(text) if text else dashboard.current_quarter()
    include = request.GET.get("exercises") == "1"
    by = request.GET.get("by", "")
    if by not in periods.KINDS:
        by = "week" if period.kind == "month" else "month"
    return period, include, by


@role_required(staff=True)
def overview(request: HttpRequest) -> HttpResponse:
    dimension = request.GET.get("dimension", "region")
    if dimension not in figures.DIMENSIONS:
        dimension = "region"
    fmt = request.GET.get("format", "")
    try:
        period, include, by = _params(request)
        data = dashboard.report(period, include_exercises=include, by="" if fmt else by)
    except DnsccError as exc:
        return render(
            request,
            "metrics/overview.html",
            {"error": str(exc), "dims": DIMENSION_LABELS},
            status=422,
        )
    audit.disclosed(
        audit.Actor.of(request.user), "metrics.performance", ids=[period.label], how=fmt or "view"
    )
    if fmt == "json":
        return JsonResponse(data, json_dumps_params={"indent": 1})
    if fmt == "csv":
        response = HttpResponse(dashboard.csv_text(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="performance-{period.label}.csv"'
        return response
    base = {"period": period.label, **({"exercises": "1"} if include else {})}
    rows = []
    for key, fig in data["figures"].items():
        groups = fig["by"].get(dimension)
        if groups is None:
            continue
        cells = []
        for group, cell in sorted(groups.items()):
            link = ""
            if key not in ("contacts_verified", "contacts_stale", "tlds_with_verified_contact"):
                link = "incidents?" + urlencode(
                    {**base, "figure": key, "dimension": dimension, "group": group}
                )
            cells.append(
                {
                    "label": figures.group_label(dimension, group),
                    "text": figures.cell_text(fig["kind"], cell),
                    "link": link,
                }
            )
        rows.append(
            {
                "key": key,
                "label": fig["label"],
                "all": figures.cell_text(fig["kind"], fig["all"]),
                "cells": cells,
            }
        )
    plots = dashboard.objective_charts(data)
    return render(
        request,
        "metrics/overview.html",
        {
            "data": data,
            "period": period,
            "include": include,
            "by": by,
            "dimension": dimension,
            "dimension_label": DIMENSION_LABELS[dimension],
            "dims": DIMENSION_LABELS,
            "rows": rows,
            "objectives": [
                {**o, "plot": _svg(plots[o["key"]]) if o["key"] in plots else ""}
                for o in data["objectives"]
            ],
            "ack_chart": _svg(dashboard.figure_chart(data, "time_to_acknowledge", "region")),
            "reach_chart": _svg(
                dashboard.figure_chart(
                    data,
                    "parties_reached",
                    dimension if dimension in FIGURES["parties_reached"].dimensions else "region",
                )
            ),
            "query": urlencode(base),
            "computations": [(f.key, f.label, f.computation) for f in FIGURES.values()],
        },
    )


@role_required(staff=True)
def behind(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    figure = request.GET.get("figure", "")
    dimension = request.GET.get("dimension", "")
    group = request.GET.get("group", "")
    try:
        period, include, _ = _params(request)
        qs = dashboard.incidents_behind(
            viewer, figure, period, dimension=dimension, group=group, include_exercises=include
        )
    except DnsccError as exc:
        return render(request, "metrics/behind.html", {"error": str(exc)}, status=422)
    rows = list(qs.order_by("created_at", "id")[:500])
    audit.disclosed(audit.Actor.of(request.user), "incidents.incident", ids=[i.ref for i in rows])
    return render(
        request,
        "metrics/behind.html",
        {
            "figure": FIGURES[figure],
            "period": period,
            "dimension": DIMENSION_LABELS.get(dimension, ""),
            "group": figures.group_label(dimension, group) if dimension else "",
            "incidents": rows,
            "more": qs.count() > len(rows),
        },
    )


@role_required(staff=True)
def health_page(request: HttpRequest) -> HttpResponse:
    """Namespace health per day: a plot per series (all TLDs and each region), the summary
    per region and per operator group."""
    try:
        period, _, _ = _params(request)
        data = health.health(period)
    except DnsccError as exc:
        return render(request, "metrics/health.html", {"error": str(exc)}, status=422)
    audit.disclosed(
        audit.Actor.of(request.user),
        "metrics.health",
        ids=[period.label],
        how=request.GET.get("format", "") or "view",
    )
    if request.GET.get("format") == "json":
        return JsonResponse(data, json_dumps_params={"indent": 1})
    groups = data["groups"]
    regions = [g for g in groups if g.startswith("region:")]
    plots = []
    for key in health.SERIES:
        lines = [
            charts.Series(health.group_label(g), _scale(key, groups[g]["series"][key]))
            for g in (["all"] if "all" in groups else []) + regions
        ]
        title = health.LABELS[key] + (" (%)" if key == "signed_share" else "")
        plots.append(_svg(charts.line_chart(data["days"], lines, title=title, y_min=0)))
    table = [
        {
            "label": health.group_label(g),
            "tlds": groups[g]["tlds"],
            "cells": [_summary_text(key, groups[g]["summary"][key]) for key in health.SERIES],
        }
        for g in groups
        if not g.startswith("operator:")
    ]
    operators = [
        {
            "label": health.group_label(g),
            "tlds": groups[g]["tlds"],
            "cells": [_summary_text(key, groups[g]["summary"][key]) for key in health.SERIES],
        }
        for g in groups
        if g.startswith("operator:")
    ]
    return render(
        request,
        "metrics/health.html",
        {
            "period": period,
            "data": data,
            "plots": plots,
            "headers": [health.LABELS[k] for k in health.SERIES],
            "table": table,
            "operators": operators,
            "swept_days": sum(data["swept"]),
        },
    )


def _scale(key: str, values: list[Any]) -> list[Any]:
    if key != "signed_share":
        return values
    return [None if v is None else 100 * v for v in values]


def _summary_text(key: str, cell: dict[str, Any]) -> str:
    if cell["mean"] is None:
        return "no data"
    if key == "signed_share":
        return f"{100 * cell['mean']:.1f} %"
    return f"{cell['mean']:.1f}"


patterns: list[URLPattern] = [
    path("", overview, name="overview"),
    path("incidents", behind, name="behind"),
    path("health", health_page, name="health"),
    path("transparency", views_transparency.staff, name="transparency"),
    path(
        "transparency/<str:quarter>/v<int:version>/",
        views_transparency.preview,
        name="transparency_preview",
    ),
]
