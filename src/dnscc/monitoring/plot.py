"""Open findings over time on the health page, drawn by core.charts (server-side SVG)."""

from __future__ import annotations

from typing import Any

from dnscc.core import charts

COLORS = {"critical": "#7a0b0b", "error": "#b42318", "warning": "#9a6700", "notice": "#0b5cad"}


def open_findings_svg(points: list[dict[str, Any]], *, width: int = 720, height: int = 200) -> str:
    """One line per severity that has findings, a point per finished sweep; an empty string
    before the first sweep."""
    if not points:
        return ""
    labels = [f"{p['at']:%Y-%m-%d %H:%M}" for p in points]
    series = [
        charts.Series(severity, [p["counts"].get(severity, 0) for p in points], color)
        for severity, color in COLORS.items()
        if any(p["counts"].get(severity, 0) for p in points)
    ]
    if not series:
        series = [charts.Series("open findings", [0 for _ in points], COLORS["notice"])]
    return charts.line_chart(
        labels, series, title="Open findings over time", width=width, height=height
    )
