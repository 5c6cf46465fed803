"""The one CSV writer: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnscc.core import csvout


def _write(*rows: list[object]) -> list[list[str]]:
    out = io.StringIO()
    writer = csvout.writer(out)
    writer.writerows(rows)
    return list(csv.reader(io.StringIO(out.getvalue())))


@pytest.mark.parametrize(
    "value", ["=cmd|' /C calc'!A0", '+1 =HYPERLINK("http://x")', "-2+3", "@SUM(A1)", "\t=1"]
)
def test_a_cell_that_starts_like_a_formula_is_written_as_text(value: str) -> None:
    ((cell,),) = _write([value])
    assert cell == "'" + value


def test_plain_text_numbers_and_verbatim_names_are_written_as_they_are() -> None:
    assert _write(["Alpha security", 42, True, csvout.Verbatim("-lab.example")]) == [
        ["Alpha security", "42", "True", "-lab.example"]
    ]


@given(st.text())
def test_escaping_is_undone_by_unescape(value: str) -> None:
    escaped = csvout.escape_cell(value)
    assert not escaped.startswith(csvout.FORMULA_START)
    assert csvout.unescape_cell(escaped) == value or value.startswith("'")
