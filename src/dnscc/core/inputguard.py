"""The one guard on structured input from outside (files, request bodies, query strings).

Three things crashed importers and API calls before they reached a parser's own checks:

- JSON nested deeper than any real record (``'[' * 100000``) blew Python's recursion limit
  (RecursionError: CLI exit 70, API 500). `load_json` refuses nesting past `MAX_JSON_DEPTH`
  with an InputError naming where.
- A CSV field longer than the csv module's limit (131,072 bytes) raised csv.Error
  mid-file. `csv_rows` reports it as an InputError with the line.
- A NUL character, which PostgreSQL cannot store in text, failed the write (a 500). Every
  string is checked here, where the field can still be named (`refuse_nul`,
  `check_params`), and refused with "contains a NUL character".

Values the guard lets through are what the parser would have seen; the parsers keep their
own, more specific checks. Error messages quote offending values through `excerpt`, so a
5 MB bad value gives a short message, not a 5 MB one.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from dnscc.core.errors import InputError, Location

__all__ = [
    "MAX_CSV_FIELD",
    "MAX_JSON_DEPTH",
    "check_params",
    "csv_rows",
    "excerpt",
    "load_json",
    "refuse_nul",
]

# Deep enough for every document the center reads (a CSAF document nests about 10 levels),
# far below Python's recursion limit.
MAX_JSON_DEPTH = 64
# The csv module's own default limit, stated here so the message can say it.
MAX_CSV_FIELD = 131_072
EXCERPT = 80


def excerpt(value: object, limit: int = EXCERPT) -> str:
    """`repr` of a value cut to about `limit` characters, saying how long it really was."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def _nul(field: str, location: Location | None = None) -> InputError:
    return InputError(
        f"{field} contains a NUL character",
        location=location or Location(field=field),
        hint="remove it: text fields cannot hold NUL (\\x00 or \\u0000)",
    )


def refuse_nul(value: Any, *, field: str, location: Location | None = None) -> None:
    """InputError naming `field` (or the path inside it) when any string in `value` (a
    string, or lists and dicts of them, keys included) holds a NUL character."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                where = location or Location()
                raise _nul(path, Location(where.file, where.line, path))
        elif isinstance(item, Mapping):
            for key, sub in item.items():
                key_path = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and "\x00" in key:
                    raise _nul(path or "key", location)
                stack.append((key_path, sub))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{i}]", sub) for i, sub in enumerate(item))


def _depth(value: Any, limit: int) -> int | None:
    """The nesting depth of a parsed JSON value, or None once it passes `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return None
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def load_json(
    text: str | bytes,
    *,
    source: str | None = None,
    field: str = "",
    max_depth: int = MAX_JSON_DEPTH,
    allow_nul: bool = False,
) -> Any:
    """Parse JSON from outside: InputError (with the line) for bad JSON, nesting deeper than
    `max_depth`, or a NUL character in any string (unless `allow_nul`)."""
    where = Location(file=source, field=field or None)
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputError(
            f"the JSON is nested deeper than {max_depth} levels",
            location=where,
            hint="send records, not deeply nested lists",
        ) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}",
            location=Location(file=source, line=exc.lineno, field=field or None),
        ) from None
    except UnicodeDecodeError:
        raise InputError("the JSON is not UTF-8 text", location=where) from None
    if _depth(data, max_depth) is None:
        raise InputError(
            f"the JSON is nested deeper than {max_depth} levels",
            location=where,
            hint="send records, not deeply nested lists",
        )
    if not allow_nul:
        refuse_nul(data, field=field, location=Location(file=source))
    return data


def csv_rows(
    text: str, *, source: str | None = None, delimiter: str = ",", refuse_nul: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """The rows of CSV text with the line each starts on. InputError (with the line) for a
    field longer than MAX_CSV_FIELD, malformed CSV, or (unless the caller checks records
    itself: `refuse_nul` False) a NUL character."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "field larger than field limit" in message:
                message = f"a field is longer than {MAX_CSV_FIELD} bytes"
            raise InputError(
                message, location=Location(file=source, line=reader.line_num or start)
            ) from None
        line, start = start, reader.line_num + 1
        if refuse_nul:
            for column, value in enumerate(values, 1):
                if "\x00" in value:
                    raise _nul(f"column {column}", Location(file=source, line=line))
        yield line, values


def check_params(params: Iterable[tuple[str, str]], *, where: str = "query") -> None:
    """InputError naming the parameter when a name or value of a query string or form holds
    a NUL character (PostgreSQL would refuse it later, as a 500)."""
    for name, value in params:
        if "\x00" in name or "\x00" in value:
            clean = name.replace("\x00", "")
            raise InputError(
                f"the {where} parameter {clean!r} contains a NUL character",
                location=Location(field=clean),
                hint="remove it",
            )
