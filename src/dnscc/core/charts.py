"""Server-side SVG charts for the portal and the reports: pure, no JavaScript (the CSP allows
inline SVG and nothing else), text always escaped, numbers always formatted by us.

One module for every picture of the center (open findings, campaign progress, root server
metrics, risk heat maps, objectives over time), so that they look alike and a fix lands once.

    line_chart(labels, [Series("queries", values)], title="Queries per day")
    bar_chart(["AF", "EU"], [Series("median", [3.0, 4.5])], title="Time to notify (h)")
    histogram([0, 16, 32, 48], [10, 3, 1], title="Response sizes")
    heat_map(["very high", ...], ["very low", ...], values, title="Likelihood by impact")

Every function returns a complete `<svg>` element (role="img", an aria-label and a <title>)
sized by its viewBox to the width of its container. An empty input gives a small SVG that
says "no data" rather than an empty string or a division by zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

# A categorical palette readable on white (at least 3:1 against it), 13 colours so that the
# thirteen root server letters each get one before any repeats.
PALETTE = (
    "#0b5cad",
    "#b42318",
    "#1a7f37",
    "#9a6700",
    "#6f42c1",
    "#0e7c86",
    "#c2410c",
    "#4d5b6b",
    "#a21caf",
    "#3f6212",
    "#1d4ed8",
    "#be185d",
    "#854d0e",
)
AXIS = "#d8dde3"
INK = "#5b6470"
MARK = "#b42318"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


@dataclass(frozen=True)
class Series:
    """One named series of values; None is a gap (no data that day), not zero."""

    label: str
    values: Sequence[float | None]
    color: str | None = None


def color_for(index: int) -> str:
    """The palette colour of the index-th series."""
    return PALETTE[index % len(PALETTE)]


def fmt_number(value: float) -> str:
    """A short, readable number: 950, 12.5k, 3.2M, 1.1G; small fractions keep two digits."""
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    if magnitude == 0 or magnitude >= 10 or float(value).is_integer():
        return f"{value:.0f}" if float(value).is_integer() or magnitude >= 10 else f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values covering [low, high] (1, 2, 2.5 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high == low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(1, count)
    if raw < 1e-300:  # a span floats cannot divide (subnormal): one unit instead
        high = low + 1.0
        raw = (high - low) / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    while 10 * power < raw:  # log10 rounded down across a power of ten
        power *= 10
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    # Rounded to the step's own precision (0.1 + 0.2 is not 0.3), never coarser.
    digits = max(0, 2 - math.floor(math.log10(step)))
    first = math.floor(low / step)
    ticks = [round((first + k) * step, digits) for k in range(2)]
    while ticks[-1] < high:
        ticks.append(round((first + len(ticks)) * step, digits))
    return ticks


def downsample(
    values: Sequence[float | None], buckets: int, *, reduce: str = "mean"
) -> list[float | None]:
    """At most `buckets` values, each the mean (or max) of a run of neighbours; gaps stay gaps
    when a whole run is empty. Max keeps a one-day spike visible on a ten-year chart."""
    n = len(values)
    if buckets <= 0 or n <= buckets:
        return list(values)
    out: list[float | None] = []
    for b in range(buckets):
        chunk = [v for v in values[b * n // buckets : (b + 1) * n // buckets] if v is not None]
        if not chunk:
            out.append(None)
        elif reduce == "max":
            out.append(max(chunk))
        else:
            out.append(sum(chunk) / len(chunk))
    return out


def _open(title: str, width: int, height: int) -> list[str]:
    label = escape(title)
    return [
        f'<svg role="img" aria-label="{label}" viewBox="0 0 {width} {height}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{label}</title>",
    ]


def no_data(title: str, *, width: int = 720, height: int = 60) -> str:
    """The picture of nothing: says so in words."""
    parts = _open(title, width, height)
    parts.append(
        f'<text x="{width / 2}" y="{height / 2 + 4}" {FONT} fill="{INK}" text-anchor="middle">'
        f"{escape(title)}: no data</text></svg>"
    )
    return "".join(parts)


def _legend(parts: list[str], series: Sequence[Series], x0: float, y: float, width: int) -> float:
    """Legend entries left to right, wrapping; returns the height used."""
    x, line = x0, 0
    for i, s in enumerate(series):
        color = s.color or color_for(i)
        text = escape(s.label)
        w = 18 + 6.5 * len(s.label)
        if x + w > width - 4 and x > x0:
            x, line = x0, line + 1
        yy = y + line * 15
        parts.append(f'<rect x="{x:.1f}" y="{yy - 8:.1f}" width="10" height="10" fill="{color}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{yy + 1:.1f}" {FONT} fill="{INK}">{text}</text>')
        x += w + 10
    return (line + 1) * 15


def _x_label_indices(n: int, room: float, longest: int) -> list[int]:
    """Which x labels fit without overlapping: the first, the last and evenly spaced ones."""
    if n <= 0:
        return []
    fit = max(2, int(room // max(40, 7 * longest + 28)))
    if n <= fit:
        return list(range(n))
    step = (n - 1) / (fit - 1)
    return sorted({round(i * step) for i in range(fit)})


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 720,
    height: int = 220,
    stacked: bool = False,
    marks: Sequence[int] = (),
    references: Sequence[tuple[float, str]] = (),
    max_points: int = 730,
    reduce: str = "mean",
    y_format: Callable[[float], str] = fmt_number,
    y_min: float | None = None,
) -> str:
    """Series over an x axis of labels (usually dates), as lines or stacked areas.

    `marks` are x indices to flag (anomalous days: a red ring on each series' value);
    `references` are horizontal lines with a label (a threshold, an objective). Longer series
    are reduced to `max_points` buckets (`reduce` = "mean" or "max").
    """
    n = len(labels)
    if n == 0 or not series or all(all(v is None for v in s.values) for s in series):
        return no_data(title, width=width)
    for s in series:
        if len(s.values) != n:
            raise ValueError(f"series {s.label!r} has {len(s.values)} values for {n} labels")
    mark_set = set(marks)
    # Reduce long series; marks follow their bucket.
    if n > max_points:
        values = [downsample(s.values, max_points, reduce=reduce) for s in series]
        buckets = len(values[0])
        mark_set = {m * buckets // n for m in mark_set}
        labels = [labels[b * n // buckets] for b in range(buckets)]
        n = buckets
    else:
        values = [list(s.values) for s in series]
    if stacked:
        running = [0.0] * n
        tops: list[list[float | None]] = []
        for vals in values:
            row: list[float | None] = []
            for i, v in enumerate(vals):
                running[i] += v or 0.0
                row.append(running[i])
            tops.append(row)
        plotted = tops
    else:
        plotted = values
    finite = [v for vals in plotted for v in vals if v is not None]
    finite.extend(r for r, _ in references)
    low = min([0.0, *finite]) if y_min is None else y_min
    ticks = nice_ticks(low, max(finite), 4)
    lo, hi = ticks[0], ticks[-1]

    pad_l = 12 + 6.5 * max(len(y_format(t)) for t in ticks)
    pad_r, pad_t = 12, 8
    legend_parts: list[str] = []
    legend_h = _legend(legend_parts, series, pad_l, 0, width) if len(series) > 1 else 0
    pad_b = 22 + legend_h
    plot_w = width - pad_l - pad_r
    plot_h = height - pad_t - pad_b

    def x(i: int) -> float:
        return pad_l + plot_w * (i / (n - 1) if n > 1 else 0.5)

    def y(v: float) -> float:
        return pad_t + plot_h * (1 - (v - lo) / ((hi - lo) or 1))

    parts = _open(title, width, height)
    for t in ticks:
        parts.append(
            f'<line x1="{pad_l:.1f}" y1="{y(t):.1f}" x2="{width - pad_r}" y2="{y(t):.1f}" '
            f'stroke="{AXIS}"/>'
            f'<text x="{pad_l - 6:.1f}" y="{y(t) + 4:.1f}" {FONT} fill="{INK}" '
            f'text-anchor="end">{escape(y_format(t))}</text>'
        )
    longest = max(len(str(lbl)) for lbl in labels)
    for i in _x_label_indices(n, plot_w, longest):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        parts.append(
            f'<text x="{x(i):.1f}" y="{pad_t + plot_h + 15:.1f}" {FONT} fill="{INK}" '
            f'text-anchor="{anchor}">{escape(str(labels[i]))}</text>'
        )
    dots = n <= 60
    for k in reversed(range(len(series))) if stacked else range(len(series)):
        s = series[k]
        color = s.color or color_for(k)
        name = escape(s.label)
        for run in _runs(plotted[k]):
            coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            if stacked:
                below = plotted[k - 1] if k > 0 else [lo] * n
                base = " ".join(f"{x(i):.1f},{y(below[i] or lo):.1f}" for i, _ in reversed(run))
                parts.append(
                    f'<polygon points="{coords} {base}" fill="{color}" fill-opacity="0.75" '
                    f'stroke="{color}"><title>{name}</title></polygon>'
                )
            elif len(run) > 1:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                    f'points="{coords}"><title>{name}</title></polyline>'
                )
            elif not dots:  # a lone value between gaps would otherwise be invisible
                ((i, v),) = run
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2" fill="{color}">'
                    f"<title>{name}, {escape(str(labels[i]))}: {escape(y_format(v))}</title>"
                    "</circle>"
                )
        if dots and not stacked:
            parts.extend(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                f"<title>{name}, {escape(str(labels[i]))}: {escape(y_format(v))}</title></circle>"
                for i, v in enumerate(plotted[k])
                if v is not None
            )
        for i in sorted(mark_set):
            if 0 <= i < n and plotted[k][i] is not None:
                v = plotted[k][i]
                assert v is not None
                parts.append(
                    f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="6" fill="none" '
                    f'stroke="{MARK}" stroke-width="2"><title>{name}, '
                    f"{escape(str(labels[i]))}: {escape(y_format(v))} (flagged)</title></circle>"
                )
    for value, text in references:
        parts.append(
            f'<line x1="{pad_l:.1f}" y1="{y(value):.1f}" x2="{width - pad_r}" y2="{y(value):.1f}" '
            f'stroke="{INK}" stroke-dasharray="5 4"/>'
            f'<text x="{width - pad_r:.1f}" y="{y(value) - 4:.1f}" {FONT} fill="{INK}" '
            f'text-anchor="end">{escape(text)}</text>'
        )
    if legend_parts:
        top = height - legend_h + 6
        parts.append(f'<g transform="translate(0,{top:.1f})">{"".join(legend_parts)}</g>')
    parts.append("</svg>")
    return "".join(parts)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive non-missing points: a gap breaks the line instead of joining across it."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for i, v in enumerate(values):
        if v is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((i, v))
    if current:
        runs.append(current)
    return runs


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 720,
    height: int | None = None,
    stacked: bool = False,
    references: Sequence[tuple[float, str]] = (),
    y_format: Callable[[float], str] = fmt_number,
    links: Sequence[str | None] | None = None,
) -> str:
    """Horizontal bars, one row per category (long names stay readable on a phone); several
    series side by side or stacked. `links` makes each category label a link (staff pages
    link a figure to the records behind it); URLs are escaped like every other text."""
    if not categories or not series or all(all(not v for v in s.values) for s in series):
        return no_data(title, width=width)
    for s in series:
        if len(s.values) != len(categories):
            raise ValueError(f"series {s.label!r} has {len(s.values)} values")
    per_row = 1 if stacked else len(series)
    bar_h = 14
    row_h = bar_h * per_row + 8
    legend_parts: list[str] = []
    label_w = min(width * 0.4, 14 + 6.5 * max(len(c) for c in categories))
    legend_h = _legend(legend_parts, series, label_w, 0, width) if len(series) > 1 else 0
    total_h = height or int(10 + row_h * len(categories) + 24 + legend_h)
    pad_t = 6
    plot_w = width - label_w - 56
    sums = [
        sum((s.values[i] or 0.0) for s in series)
        if stacked
        else max(s.values[i] or 0.0 for s in series)
        for i in range(len(categories))
    ]
    top = max([*sums, *(r for r, _ in references), 0.0]) or 1.0
    ticks = nice_ticks(0.0, top, 4)
    hi = ticks[-1]

    def w(v: float) -> float:
        return plot_w * (v / hi if hi else 0)

    parts = _open(title, width, total_h)
    plot_bottom = pad_t + row_h * len(categories)
    for t in ticks:
        xx = label_w + w(t)
        parts.append(
            f'<line x1="{xx:.1f}" y1="{pad_t}" x2="{xx:.1f}" y2="{plot_bottom:.1f}" '
            f'stroke="{AXIS}"/>'
            f'<text x="{xx:.1f}" y="{plot_bottom + 13:.1f}" {FONT} fill="{INK}" '
            f'text-anchor="middle">{escape(y_format(t))}</text>'
        )
    for i, category in enumerate(categories):
        y0 = pad_t + i * row_h + 4
        text = escape(category)
        label = (
            f'<text x="{label_w - 6:.1f}" y="{y0 + bar_h * per_row / 2 + 4:.1f}" {FONT} '
            f'fill="#1f2328" text-anchor="end">{text}</text>'
        )
        link = links[i] if links else None
        if link:
            label = f'<a href="{escape(link)}">{label}</a>'
        parts.append(label)
        offset = 0.0
        for k, s in enumerate(series):
            v = s.values[i] or 0.0
            color = s.color or color_for(k)
            yy = y0 if stacked else y0 + k * bar_h
            xx = label_w + (w(offset) if stacked else 0)
            parts.append(
                f'<rect x="{xx:.1f}" y="{yy:.1f}" width="{max(w(v), 0):.1f}" '
                f'height="{bar_h - 2}" fill="{color}"><title>{escape(s.label)}, {text}: '
                f"{escape(y_format(v))}</title></rect>"
            )
            if not stacked and s.values[i] is not None:
                parts.append(
                    f'<text x="{xx + w(v) + 4:.1f}" y="{yy + bar_h - 4:.1f}" {FONT} '
                    f'fill="{INK}">{escape(y_format(v))}</text>'
                )
            offset += v
        if stacked:
            parts.append(
                f'<text x="{label_w + w(offset) + 4:.1f}" y="{y0 + bar_h - 4:.1f}" {FONT} '
                f'fill="{INK}">{escape(y_format(offset))}</text>'
            )
    for value, text in references:
        xx = label_w + w(value)
        parts.append(
            f'<line x1="{xx:.1f}" y1="{pad_t}" x2="{xx:.1f}" y2="{plot_bottom:.1f}" '
            f'stroke="{INK}" stroke-dasharray="5 4"><title>{escape(text)}</title></line>'
        )
    if legend_parts:
        parts.append(
            f'<g transform="translate(0,{plot_bottom + 30:.1f})">{"".join(legend_parts)}</g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram(
    edges: Sequence[float],
    counts: Sequence[float],
    *,
    title: str,
    width: int = 720,
    height: int = 200,
    x_format: Callable[[float], str] = fmt_number,
    y_format: Callable[[float], str] = fmt_number,
    color: str = PALETTE[0],
) -> str:
    """Counts per bucket [edges[i], edges[i+1]) as adjacent vertical bars."""
    if len(edges) != len(counts) + 1:
        raise ValueError(f"{len(edges)} edges for {len(counts)} buckets")
    if not counts or not any(counts):
        return no_data(title, width=width)
    ticks = nice_ticks(0.0, max(counts), 4)
    hi = ticks[-1]
    pad_l = 12 + 6.5 * max(len(y_format(t)) for t in ticks)
    pad_b, pad_t, pad_r = 22, 8, 12
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(counts)

    def y(v: float) -> float:
        return pad_t + plot_h * (1 - v / hi)

    parts = _open(title, width, height)
    for t in ticks:
        parts.append(
            f'<line x1="{pad_l:.1f}" y1="{y(t):.1f}" x2="{width - pad_r}" y2="{y(t):.1f}" '
            f'stroke="{AXIS}"/><text x="{pad_l - 6:.1f}" y="{y(t) + 4:.1f}" {FONT} '
            f'fill="{INK}" text-anchor="end">{escape(y_format(t))}</text>'
        )
    bw = plot_w / n
    for i, c in enumerate(counts):
        span = f"{x_format(edges[i])} to {x_format(edges[i + 1])}"
        parts.append(
            f'<rect x="{pad_l + i * bw:.1f}" y="{y(c):.1f}" width="{max(bw - 1, 0.5):.1f}" '
            f'height="{y(0) - y(c):.1f}" fill="{color}"><title>{escape(span)}: '
            f"{escape(y_format(c))}</title></rect>"
        )
    for i in _x_label_indices(n + 1, plot_w, max(len(x_format(e)) for e in edges)):
        parts.append(
            f'<text x="{pad_l + i * bw:.1f}" y="{pad_t + plot_h + 15:.1f}" {FONT} fill="{INK}" '
            f'text-anchor="middle">{escape(x_format(edges[i]))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def heat_map(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    width: int = 720,
    cell_colors: Sequence[Sequence[str]] | None = None,
    cell_text: Sequence[Sequence[str]] | None = None,
    row_title: str = "",
    column_title: str = "",
    links: Sequence[Sequence[str | None]] | None = None,
) -> str:
    """A grid of cells (rows top to bottom, columns left to right), each shaded by its value
    on one blue scale, or by the colours given (a risk matrix has its own). A cell shows its
    text (default: the value); None is an empty, hatched-grey cell ("no data")."""
    if not rows or not columns:
        return no_data(title, width=width)
    if len(values) != len(rows) or any(len(r) != len(columns) for r in values):
        raise ValueError("values must have one row per row label and one cell per column")
    finite = [v for r in values for v in r if v is not None]
    top = max(finite, default=0.0) or 1.0
    label_w = min(width * 0.35, 16 + 6.5 * max(len(r) for r in rows)) + (16 if row_title else 0)
    head_h = 24 + (16 if column_title else 0)
    cell_w = (width - label_w - 8) / len(columns)
    cell_h = max(26.0, min(48.0, cell_w * 0.6))
    height = int(head_h + cell_h * len(rows) + 8)
    parts = _open(title, width, height)
    if column_title:
        parts.append(
            f'<text x="{label_w + (width - label_w) / 2:.1f}" y="12" {FONT} fill="{INK}" '
            f'text-anchor="middle">{escape(column_title)}</text>'
        )
    if row_title:
        cy = head_h + cell_h * len(rows) / 2
        parts.append(
            f'<text x="12" y="{cy:.1f}" {FONT} fill="{INK}" text-anchor="middle" '
            f'transform="rotate(-90 12 {cy:.1f})">{escape(row_title)}</text>'
        )
    for j, column in enumerate(columns):
        parts.append(
            f'<text x="{label_w + (j + 0.5) * cell_w:.1f}" y="{head_h - 6}" {FONT} '
            f'fill="{INK}" text-anchor="middle">{escape(column)}</text>'
        )
    for i, row in enumerate(rows):
        yy = head_h + i * cell_h
        parts.append(
            f'<text x="{label_w - 6:.1f}" y="{yy + cell_h / 2 + 4:.1f}" {FONT} fill="#1f2328" '
            f'text-anchor="end">{escape(row)}</text>'
        )
        for j in range(len(columns)):
            v = values[i][j]
            if cell_colors is not None:
                fill = cell_colors[i][j]
            elif v is None:
                fill = "#eef0f3"
            else:
                fill = _blue(v / top)
            text = (
                cell_text[i][j] if cell_text is not None else ("" if v is None else fmt_number(v))
            )
            ink = (
                "#ffffff" if cell_colors is None and v is not None and v / top > 0.55 else "#1f2328"
            )
            tip = f"{row}, {columns[j]}: {text or ('no data' if v is None else fmt_number(v))}"
            cell = (
                f'<rect x="{label_w + j * cell_w:.1f}" y="{yy:.1f}" width="{cell_w - 2:.1f}" '
                f'height="{cell_h - 2:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>'
            )
            if text:
                cell += (
                    f'<text x="{label_w + (j + 0.5) * cell_w - 1:.1f}" '
                    f'y="{yy + cell_h / 2 + 3:.1f}" '
                    f'{FONT} fill="{ink}" text-anchor="middle">{escape(text)}</text>'
                )
            link = links[i][j] if links else None
            parts.append(f'<a href="{escape(link)}">{cell}</a>' if link else cell)
    parts.append("</svg>")
    return "".join(parts)


def _blue(share: float) -> str:
    """From a pale to a deep blue; share in [0, 1]."""
    share = min(1.0, max(0.0, share))
    pale, deep = (0xE8, 0xF1, 0xFB), (0x0B, 0x3D, 0x7A)
    r, g, b = (round(p + (d - p) * share) for p, d in zip(pale, deep, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"
