"""A small server-side SVG line chart (no JavaScript, allowed by the CSP)."""

from __future__ import annotations

from typing import Any

from django.utils.html import escape

COLORS = {"critical": "#7a0b0b", "error": "#b42318", "warning": "#9a6700", "notice": "#0b5cad"}


def open_findings_svg(points: list[dict[str, Any]], *, width: int = 720, height: int = 180) -> str:
    if len(points) < 1:
        return ""
    pad_l, pad_b, pad_t = 40, 22, 10
    series = {sev: [p["counts"].get(sev, 0) for p in points] for sev in COLORS}
    top = max([1, *[v for values in series.values() for v in values]])
    n = len(points)

    def x(i: int) -> float:
        return pad_l + (width - pad_l - 10) * (i / (n - 1) if n > 1 else 0.5)

    def y(v: int) -> float:
        return pad_t + (height - pad_t - pad_b) * (1 - v / top)

    parts = [
        f'<svg role="img" aria-label="Open findings over time" viewBox="0 0 {width} {height}" '
        f'width="100%" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{pad_l}" y1="{y(0)}" x2="{width - 10}" y2="{y(0)}" stroke="#d8dde3"/>',
        f'<text x="4" y="{y(top) + 4}" font-size="11" fill="#5b6470">{top}</text>',
        f'<text x="4" y="{y(0) + 4}" font-size="11" fill="#5b6470">0</text>',
    ]
    for sev, values in series.items():
        if not any(values):
            continue
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{COLORS[sev]}" stroke-width="2" points="{coords}">'
            f"<title>{escape(sev)}</title></polyline>"
        )
        # A dot per sweep, so that a single sweep is visible too.
        parts.extend(
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{COLORS[sev]}">'
            f"<title>{escape(sev)}: {v}</title></circle>"
            for i, v in enumerate(values)
        )
    first, last = points[0]["at"], points[-1]["at"]
    parts.append(
        f'<text x="{pad_l}" y="{height - 4}" font-size="11" fill="#5b6470">'
        f"{first:%Y-%m-%d %H:%M}</text>"
    )
    parts.append(
        f'<text x="{width - 10}" y="{height - 4}" font-size="11" fill="#5b6470" '
        f'text-anchor="end">{last:%Y-%m-%d %H:%M}</text>'
    )
    legend_x = pad_l + 10
    for sev, color in COLORS.items():
        parts.append(
            f'<text x="{legend_x}" y="{pad_t + 12}" font-size="11" fill="{color}">{sev}</text>'
        )
        legend_x += 70
    parts.append("</svg>")
    return "".join(parts)
