"""What the ingestion's worker processes send back for each file: the file read and made
ready for SQL (JSON already encoded, the LetterDay columns already computed), so that the
storing process only executes statements. Pure: no Django (workers never set it up)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from dnscc.core.errors import InputError
from dnscc.core.rssac002 import parse_many
from dnscc.rootinfo.columns import COLUMNS, columns_of


class Prepared(NamedTuple):
    letter: str
    metric: str
    day: date
    version: int
    values: str  # JSON
    extras: str  # JSON
    notes: str  # JSON
    notes_count: int
    sha256: str
    source: str
    columns: tuple[object, ...] | None  # in COLUMNS[metric] order; None: no LetterDay columns


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


def prepare_many(items: Iterable[tuple[str, str, bytes | str]]) -> list[Prepared | InputError]:
    out: list[Prepared | InputError] = []
    for doc in parse_many(items):
        if isinstance(doc, InputError):
            out.append(doc)
            continue
        cols = None
        if doc.letter and doc.metric in COLUMNS:
            by_name = columns_of(doc.metric, doc.values)
            cols = tuple(by_name[c] for c in COLUMNS[doc.metric])
        out.append(
            Prepared(
                doc.letter,
                doc.metric,
                doc.day,
                doc.version,
                _json(doc.values),
                _json(doc.extras),
                _json([n.as_dict() for n in doc.notes]),
                len(doc.notes),
                doc.sha256,
                doc.source[:500],
                cols,
            )
        )
    return out
