"""The after-action report (HSEEP's AAR and improvement plan): the objective table, the
timeline plot, what each registry did, per region, the exercise's log, the hot wash and
the improvement items; HTML for the portal, PDF through the center's one renderer
(dnscc.core.pdf), the plot from dnscc.core.charts. Comparisons between exercises of the
same scenario share the same figures.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from dnscc.core import charts
from dnscc.core.pdf import html_to_pdf
from dnscc.exercises.models import Exercise


def _fmt_seconds(value: float | None) -> str:
    if value is None:
        return "no data"
    value = float(value)
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def formatted(objective: dict[str, Any]) -> dict[str, Any]:
    """An objective row with its value and target in words."""
    if objective["kind"] == "time":
        value = _fmt_seconds(objective["value"])
        target = f"≤ {_fmt_seconds(objective['target'])}"
        real = _fmt_seconds(objective["real"]) if objective["real"] is not None else ""
    else:
        value = "no data" if objective["value"] is None else f"{objective['value'] * 100:.1f} %"
        target = f"≥ {objective['target'] * 100:.0f} %"
        real = ""
    return {**objective, "value_text": value, "target_text": target, "real_text": real}


def timeline_svg(exercise: Exercise, score: dict[str, Any]) -> str:
    """Cumulative registries notified, acknowledged and acted over the exercise's minutes."""
    from datetime import datetime

    rows = score.get("organizations", [])
    start = exercise.started_at
    if start is None or not rows:
        return charts.no_data("What the registries did, over time")

    def offset(text: str | None) -> float | None:
        if not text:
            return None
        return (datetime.fromisoformat(text) - start).total_seconds()

    series_times = {
        "notified": [offset(r["notified_at"]) for r in rows],
        "acknowledged": [offset(r["acknowledged_at"]) for r in rows],
        "acted in the lab": [offset(r["acted_at"]) for r in rows],
    }
    last = max([t for times in series_times.values() for t in times if t is not None], default=0.0)
    end = (exercise.finished_at - start).total_seconds() if exercise.finished_at else last
    end = max(end, last, 1.0)
    buckets = 60
    step = end / buckets
    labels = [_fmt_seconds(step * (i + 1)) for i in range(buckets)]
    series = [
        charts.Series(
            name,
            [
                float(sum(1 for t in times if t is not None and t <= step * (i + 1)))
                for i in range(buckets)
            ],
        )
        for name, times in series_times.items()
    ]
    return charts.line_chart(
        labels,
        series,
        title="Registries over the exercise (real time since the start)",
        references=[(float(len(rows)), "all registries")],
        y_min=0,
    )


def context(exercise: Exercise) -> dict[str, Any]:
    """What the report shows (the page and the PDF read the same)."""
    from dnscc.exercises import scoring

    score = exercise.score or scoring.score(exercise)
    comparison = compare(exercise.scenario_id)
    return {
        "exercise": exercise,
        "score": score,
        "objectives": [formatted(o) for o in score.get("objectives", [])],
        "figures": score.get("figures", {}),
        "organizations": score.get("organizations", []),
        "regions": score.get("regions", []),
        "timeline_svg": timeline_svg(exercise, score),
        "events": list(exercise.events.all()[:500]),
        "hot_washes": list(exercise.hot_washes.all()),
        "improvements": list(exercise.improvements.select_related("owner")),
        "comparison": comparison,
    }


def html(exercise: Exercise) -> str:
    """The report as one self-contained HTML document (inline CSS and SVG)."""
    return render_to_string("exercises/report.html", context(exercise))


def pdf(exercise: Exercise) -> bytes:
    return html_to_pdf(html(exercise), title=f"After-action report {exercise.ref}")


def compare(scenario_id: str) -> dict[str, Any]:
    """The finished exercises of one scenario side by side: each objective's value and
    verdict per exercise, oldest first."""
    rows = list(
        Exercise.objects.filter(
            scenario_id=scenario_id, status__in=(Exercise.FINISHED, Exercise.ARCHIVED)
        ).order_by("finished_at", "pk")
    )
    keys: list[tuple[str, str]] = []
    for e in rows:
        for o in (e.score or {}).get("objectives", []):
            if (o["key"], o["label"]) not in keys:
                keys.append((o["key"], o["label"]))
    table = []
    for key, label in keys:
        cells = []
        for e in rows:
            found = next(
                (o for o in (e.score or {}).get("objectives", []) if o["key"] == key), None
            )
            cells.append(formatted(found) if found else None)
        table.append({"key": key, "label": label, "cells": cells})
    return {"scenario": scenario_id, "exercises": rows, "rows": table}
