"""The shared SVG charts: well-formed, escaped, honest about gaps and empty data."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnscc.core import charts
from dnscc.core.charts import Series

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{NS}text")]


def test_a_line_chart_is_well_formed_and_titled() -> None:
    svg = charts.line_chart(
        ["d1", "d2", "d3"], [Series("queries", [1, 5, 3])], title="Queries per day"
    )
    root = parse(svg)
    assert root.get("aria-label") == "Queries per day"
    assert len(list(root.iter(f"{NS}polyline"))) == 1
    assert "style" not in svg  # the CSP forbids inline styles
    assert "<script" not in svg


def test_labels_and_titles_are_escaped() -> None:
    svg = charts.line_chart(
        ["<b>", "x&y"], [Series('<script>alert(1)</script>"', [1, 2])], title="a<b"
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert "<b>" in texts(root)


def test_a_gap_breaks_the_line_instead_of_drawing_zero() -> None:
    svg = charts.line_chart(["1", "2", "3", "4"], [Series("s", [1, None, 2, 3])], title="t")
    root = parse(svg)
    lines = list(root.iter(f"{NS}polyline"))
    assert len(lines) == 1  # the lone first point is a dot, not a line
    assert len(lines[0].get("points", "").split()) == 2
    assert len(list(root.iter(f"{NS}circle"))) == 3


def test_marked_days_get_a_ring_that_says_flagged() -> None:
    svg = charts.line_chart(
        [f"d{i}" for i in range(10)], [Series("q", list(range(10)))], title="t", marks=[7]
    )
    flagged = [
        c for c in parse(svg).iter(f"{NS}circle") if "flagged" in (c.findtext(f"{NS}title") or "")
    ]
    assert len(flagged) == 1
    assert "d7" in (flagged[0].findtext(f"{NS}title") or "")


def test_a_long_series_is_reduced_and_a_spike_survives_with_max() -> None:
    values: list[float | None] = [1.0] * 3650
    values[1234] = 1000.0
    svg = charts.line_chart(
        [str(i) for i in range(3650)],
        [Series("q", values)],
        title="ten years",
        max_points=365,
        reduce="max",
        marks=[1234],
    )
    root = parse(svg)
    points = root.find(f"{NS}polyline")
    assert points is not None
    assert len(points.get("points", "").split()) == 365
    assert any("1k" in t for t in texts(root))  # the axis reaches the spike
    assert any("flagged" in (c.findtext(f"{NS}title") or "") for c in root.iter(f"{NS}circle"))


def test_stacked_areas_reach_the_total() -> None:
    svg = charts.line_chart(
        ["a", "b"], [Series("x", [1, 2]), Series("y", [3, 4])], title="t", stacked=True
    )
    root = parse(svg)
    assert len(list(root.iter(f"{NS}polygon"))) == 2
    assert "6" in texts(root)  # the top tick covers 2 + 4


def test_no_data_is_said_in_words() -> None:
    for svg in (
        charts.line_chart([], [], title="Load"),
        charts.line_chart(["a"], [Series("s", [None])], title="Load"),
        charts.bar_chart([], [], title="Load"),
        charts.histogram([0, 1], [0], title="Load"),
        charts.heat_map([], [], [], title="Load"),
    ):
        assert texts(parse(svg)) == ["Load: no data"]


def test_a_series_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values for 3 labels"):
        charts.line_chart(["a", "b", "c"], [Series("s", [1, 2])], title="t")
    with pytest.raises(ValueError, match="3 edges for 3 buckets"):
        charts.histogram([0, 1, 2], [1, 2, 3], title="t")


def test_bars_carry_their_values_and_escaped_links() -> None:
    svg = charts.bar_chart(
        ["AF", "EU"],
        [Series("median", [3.5, 12_000])],
        title="t",
        links=['/x?a=1&b="2"', None],
    )
    root = parse(svg)
    assert {"3.5", "12k"} <= set(texts(root))
    anchors = list(root.iter(f"{NS}a"))
    assert [a.get("href") for a in anchors] == ['/x?a=1&b="2"']


def test_a_heat_map_shows_each_cell_and_its_own_colours() -> None:
    svg = charts.heat_map(
        ["high", "low"],
        ["low", "high"],
        [[1, 2], [None, 4]],
        title="risk",
        cell_colors=[["#ff0", "#f00"], ["#0f0", "#ff0"]],
        cell_text=[["1", "2"], ["", "4"]],
    )
    root = parse(svg)
    fills = [r.get("fill") for r in root.iter(f"{NS}rect")]
    assert fills == ["#ff0", "#f00", "#0f0", "#ff0"]
    assert {"1", "2", "4"} <= set(texts(root))


def test_a_histogram_draws_a_bar_per_bucket() -> None:
    svg = charts.histogram([0, 16, 32, 48], [10, 0, 2], title="sizes")
    rects = list(parse(svg).iter(f"{NS}rect"))
    assert len(rects) == 3
    assert "16 to 32: 0" in (rects[1].findtext(f"{NS}title") or "")


@given(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.floats(-1e9, 1e9, allow_nan=False),
    st.integers(1, 8),
)
def test_ticks_cover_the_range_in_equal_steps(low: float, high: float, count: int) -> None:
    ticks = charts.nice_ticks(low, high, count)
    assert ticks[0] <= min(low, high)
    assert ticks[-1] >= max(low, high)
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1


@pytest.mark.parametrize(("low", "high"), [(5e-324, 5e-324), (0.0, 5e-324), (-1e-310, 1e-310)])
def test_ticks_of_a_span_floats_cannot_divide_are_one_unit_apart(low: float, high: float) -> None:
    # Hypothesis found these: log10 of an underflowed step raised, or found no step.
    ticks = charts.nice_ticks(low, high, 8)
    assert ticks[0] <= low
    assert ticks[-1] >= high
    assert len({round(b - a, 6) for a, b in itertools.pairwise(ticks)}) == 1


@given(st.lists(st.one_of(st.none(), st.floats(0, 1e6)), max_size=500), st.integers(1, 100))
def test_downsampling_keeps_the_maximum_and_the_bucket_count(
    values: list[float | None], buckets: int
) -> None:
    out = charts.downsample(values, buckets, reduce="max")
    assert len(out) == min(len(values), buckets)
    present = [v for v in values if v is not None]
    kept = [v for v in out if v is not None]
    assert (max(kept) if kept else None) == (max(present) if present else None)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0, "0"), (950, "950"), (12_500, "12.5k"), (3_200_000, "3.2M"), (0.25, "0.25"), (2.5, "2.5")],
)
def test_numbers_read_short(value: float, text: str) -> None:
    assert charts.fmt_number(value) == text
