"""The one CSV writer of the project: every export (directory, campaign reports, manifests)
writes through it, so a cell cannot become a spreadsheet formula.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab
or carriage return before one of them) as a formula: a contact named ``=cmd|' /C calc'!A0``
or ``+1 =HYPERLINK(...)`` would run on the machine of whoever opens the export (CSV
injection, OWASP). Such a cell is written with a leading apostrophe, which spreadsheets show
as text; `unescape_cell` takes it off again so that an export imports back unchanged.

Values that are not text (numbers, booleans, dates) are written as Python formats them;
a value the caller knows to be safe and wants byte-for-byte (a validated DNS name in a
signed manifest) is wrapped in `Verbatim`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

__all__ = ["FORMULA_START", "Verbatim", "escape_cell", "unescape_cell", "writer"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class Verbatim(str):
    """Text the caller vouches for: written as is (e.g. a validated DNS name)."""

    __slots__ = ()


def escape_cell(value: str) -> str:
    """`value` with a leading apostrophe when a spreadsheet would read it as a formula."""
    if isinstance(value, Verbatim):
        return str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def unescape_cell(value: str) -> str:
    """The inverse of `escape_cell` (for importers reading the center's own exports)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


class _Writer:
    __slots__ = ("_csv",)

    def __init__(self, stream: _Writable, lineterminator: str) -> None:
        self._csv = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[Any]) -> None:
        """Write one row; text cells are escaped, other values written as they are."""
        self._csv.writerow([escape_cell(c) if isinstance(c, str) else c for c in cells])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)

    def writeheader(self, columns: Sequence[str]) -> None:
        self._csv.writerow(columns)


def writer(stream: _Writable, *, lineterminator: str = "\n") -> _Writer:
    """A csv.writer-like object over `stream` whose text cells cannot be formulas."""
    return _Writer(stream, lineterminator)
