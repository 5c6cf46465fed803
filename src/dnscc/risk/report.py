"""The assessment report: HTML (the portal page and a standalone document) and PDF, with its
plots drawn from the frozen snapshot by dnscc.core.charts (server-side SVG):

    likelihood x impact heat map     how many risks sit in each cell, coloured by the level
                                     of risk Table I-2 gives the cell
    threat frequency over time       incidents and findings per month, per threat event
    severity distribution            incidents of the period by severity
    coverage by region               gap-matrix cells covered, partial and uncovered
    gap matrix                       threat event x region, coloured by coverage
    year over year                   risks per level, previous assessment against this one

The PDF is the standalone HTML rendered by dnscc.core.pdf (offline: inline CSS and SVG).
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from dnscc.core import charts
from dnscc.core.pdf import html_to_pdf
from dnscc.core.riskscale import LEVELS, RISK_MATRIX
from dnscc.risk.models import Assessment

LEVEL_COLORS = {
    "very low": "#d1f2dc",
    "low": "#e8f5c8",
    "moderate": "#fff3cd",
    "high": "#f9c8a7",
    "very high": "#f3a6a2",
}
STATE_COLORS = {"covered": "#d1f2dc", "partial": "#fff3cd", "uncovered": "#f3a6a2"}
STATE_INK = {"covered": "#1a7f37", "partial": "#9a6700", "uncovered": "#b42318"}
REGION_NAMES = {
    "AF": "Africa",
    "AP": "Asia/Pacific",
    "EU": "Europe",
    "LAC": "Latin America/Caribbean",
    "NA": "North America",
}


def heat_map_svg(risks: list[dict[str, Any]], *, residual: bool = False) -> str:
    rows = list(reversed(LEVELS))  # very high at the top
    li_key, im_key = (
        ("residual_likelihood", "residual_impact") if residual else ("likelihood", "impact")
    )
    counts = {(r, c): 0 for r in rows for c in LEVELS}
    for risk in risks:
        li, im = risk.get(li_key), risk.get(im_key)
        if li in LEVELS and im in LEVELS:
            counts[(li, im)] += 1
    values = [[float(counts[(r, c)]) for c in LEVELS] for r in rows]
    colors = [[LEVEL_COLORS[RISK_MATRIX[r][LEVELS.index(c)]] for c in LEVELS] for r in rows]
    text = [[str(counts[(r, c)]) if counts[(r, c)] else "" for c in LEVELS] for r in rows]
    title = "Residual risks: likelihood by impact" if residual else "Risks: likelihood by impact"
    return charts.heat_map(
        rows,
        list(LEVELS),
        values,
        title=title,
        cell_colors=colors,
        cell_text=text,
        row_title="Likelihood",
        column_title="Impact",
    )


def frequency_svg(threats: dict[str, Any], *, top: int = 6) -> str:
    events = threats.get("events", {})
    ranked = sorted(events.items(), key=lambda kv: -sum(kv[1]["frequency"]))[:top]
    series = [
        charts.Series(row["name"], [float(v) for v in row["frequency"]], charts.color_for(i))
        for i, (_, row) in enumerate(ranked)
        if any(row["frequency"])
    ]
    return charts.line_chart(
        threats.get("months", []),
        series,
        title="Threat frequency: incidents and findings per month",
    )


def severity_svg(threats: dict[str, Any]) -> str:
    severity = threats.get("severity", {})
    labels = list(severity)
    return charts.bar_chart(
        labels,
        [charts.Series("incidents", [float(severity[s]) for s in labels])],
        title="Incidents of the period by severity",
    )


def coverage_svg(gaps: dict[str, Any]) -> str:
    by_region = gaps.get("by_region", {})
    regions = list(by_region)
    series = [
        charts.Series(state, [float(by_region[r][state]) for r in regions], STATE_INK[state])
        for state in ("covered", "partial", "uncovered")
    ]
    return charts.bar_chart(
        [REGION_NAMES.get(r, r) for r in regions],
        series,
        stacked=True,
        title="Coverage by region: threat events covered, partly covered, uncovered",
    )


def gap_matrix_svg(gaps: dict[str, Any], names: dict[str, str]) -> str:
    events, regions, state = gaps.get("events", []), gaps.get("regions", []), gaps.get("state", {})
    values = [[1.0 for _ in regions] for _ in events]
    colors = [[STATE_COLORS[state[e][r]] for r in regions] for e in events]
    text = [[state[e][r] for r in regions] for e in events]
    return charts.heat_map(
        [names.get(e, e) for e in events],
        regions,
        values,
        title="Gap matrix: threat event by region",
        cell_colors=colors,
        cell_text=text,
        row_title="",
        column_title="ICANN region",
    )


def year_over_year_svg(comparison: dict[str, Any]) -> str:
    levels = comparison.get("levels", {})
    previous, current = levels.get("previous", {}), levels.get("current", {})
    series = [charts.Series("this assessment", [float(current.get(lv, 0)) for lv in LEVELS])]
    if not comparison.get("baseline"):
        series.insert(
            0, charts.Series("previous assessment", [float(previous.get(lv, 0)) for lv in LEVELS])
        )
    return charts.bar_chart(list(LEVELS), series, title="Risks per level, year over year")


def context(a: Assessment) -> dict[str, Any]:
    snap = a.snapshot
    names = {e["key"]: e["name"] for e in snap.get("catalogue", [])}
    comparison = snap.get("comparison") or {}
    plots: dict[str, SafeString] = {
        # The chart module escapes every text it draws.
        "heat_map": mark_safe(heat_map_svg(snap.get("risks", []))),  # noqa: S308
        "residual_heat_map": mark_safe(heat_map_svg(snap.get("risks", []), residual=True)),  # noqa: S308
        "frequency": mark_safe(frequency_svg(snap.get("threats", {}))),  # noqa: S308
        "severity": mark_safe(severity_svg(snap.get("threats", {}))),  # noqa: S308
        "coverage": mark_safe(coverage_svg(snap.get("gaps", {}))),  # noqa: S308
        "gap_matrix": mark_safe(gap_matrix_svg(snap.get("gaps", {}), names)),  # noqa: S308
        "year_over_year": mark_safe(year_over_year_svg(comparison)),  # noqa: S308
    }
    threats = snap.get("threats", {})
    threat_rows = [
        {"key": key, **row}
        for key, row in sorted(
            threats.get("events", {}).items(),
            key=lambda kv: -kv[1]["incidents"] - kv[1]["findings"],
        )
    ]
    risks = sorted(snap.get("risks", []), key=lambda r: (-(r.get("score") or -1), r["ref"]))
    gaps = snap.get("gaps", {})
    return {
        "a": a,
        "snap": snap,
        "names": names,
        "plots": plots,
        "risks": risks,
        "threat_rows": threat_rows,
        "gap_list": [
            {
                "event": names.get(g["event"], g["event"]),
                "region": REGION_NAMES.get(g["region"], g["region"]),
            }
            for g in gaps.get("gaps", [])
        ],
        "comparison": comparison,
        "survey": snap.get("survey"),
        "region_names": REGION_NAMES,
    }


def report_html(a: Assessment) -> str:
    """The standalone report: one HTML document with inline CSS and SVG."""
    return render_to_string("risk/report.html", context(a))


def report_pdf(a: Assessment) -> bytes:
    """The PDF, kept in the cache while nothing it shows changes: the snapshot never does,
    so the key is what may (status, summary, comments)."""
    import hashlib

    from django.core.cache import cache

    state = f"{a.status}|{a.signed_at}|{a.summary}|{a.comments.count()}"
    key = f"risk-report:{a.pk}:{a.sha256}:{hashlib.sha256(state.encode()).hexdigest()[:16]}"
    pdf = cache.get(key)
    if pdf is None:
        pdf = html_to_pdf(report_html(a), title=f"{a.title} (v{a.version})")
        cache.set(key, pdf, timeout=3600)
    return bytes(pdf)
