"""A strict reader of the IANA Root Zone Database export (CSV).

Columns, in this order: `Domain,Type,TLD Manager,RDAP URLs,DNSSEC,Search` (the export of
https://www.iana.org/domains/root/db scraped daily by public projects; the snapshot shipped
in src/dnscc/data is one). Domains are U-labels or A-labels with a leading dot; the type is
one of IANA's six; the manager "Not assigned" marks a TLD retired or never delegated; RDAP
URLs may be several (separated by blanks, ";" or "|"); DNSSEC is Yes or No. Right-to-left
IDN TLDs come wrapped in bidirectional marks (U+200F ... U+200E) for display: they are
removed before the name is read.

Every problem of a file (a missing column, an unknown type, a duplicate TLD, a bad name,
a DNSSEC value that is not Yes or No, an RDAP URL that is not http(s)) is collected with its
line and field and raised together as ValidationErrors: the whole file is refused.
Pure: no Django.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from dnscc.core.errors import InputError, Location, ValidationErrors
from dnscc.core.names import normalize_name

__all__ = ["COLUMNS", "NOT_ASSIGNED", "TYPES", "IanaTld", "parse_iana_rootdb"]

COLUMNS = ("Domain", "Type", "TLD Manager", "RDAP URLs", "DNSSEC", "Search")
TYPES = (
    "generic",
    "country-code",
    "sponsored",
    "generic-restricted",
    "infrastructure",
    "test",
)
NOT_ASSIGNED = "Not assigned"
_SPLIT = re.compile(r"[\s;|]+")
_BIDI = dict.fromkeys([0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


@dataclass(frozen=True, slots=True)
class IanaTld:
    """One row: the TLD (A-label, no dot), its type, manager (None when not assigned),
    RDAP base URLs, whether IANA lists it as DNSSEC-signed, and its line."""

    name: str
    type: str
    manager: str | None
    rdap_urls: tuple[str, ...]
    dnssec: bool
    line: int

    @property
    def assigned(self) -> bool:
        return self.manager is not None


def parse_iana_rootdb(text: str, *, source: str = "<text>") -> list[IanaTld]:
    """Parse the CSV text; ValidationErrors naming file, line and column for every problem."""
    errors: list[InputError] = []

    def bad(line: int, column: str, message: str, hint: str | None = None) -> None:
        errors.append(InputError(message, location=Location(source, line, column), hint=hint))

    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise ValidationErrors(
            [InputError("the file is empty", location=Location(source))]
        ) from None
    except csv.Error as exc:
        raise ValidationErrors(
            [InputError(f"not CSV: {exc}", location=Location(source, 1))]
        ) from None
    if tuple(h.strip() for h in header) != COLUMNS:
        raise ValidationErrors(
            [
                InputError(
                    f"the header is {','.join(header)!r}",
                    location=Location(source, 1),
                    hint=f"the IANA Root Zone Database export has: {','.join(COLUMNS)}",
                )
            ]
        )
    rows: list[IanaTld] = []
    first_line: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(COLUMNS):
                bad(line, "Domain", f"{len(fields)} columns, expected {len(COLUMNS)}")
                continue
            domain, kind, manager, rdap, dnssec, _search = (f.strip() for f in fields)
            try:
                name = normalize_name(domain.translate(_BIDI).removeprefix("."))
            except InputError as exc:
                bad(line, "Domain", f"{domain!r}: {exc.problem}")
                continue
            if not name or "." in name:
                bad(line, "Domain", f"{domain!r} is not a top-level domain")
                continue
            if name in first_line:
                bad(
                    line,
                    "Domain",
                    f"{domain} is listed twice (first on line {first_line[name]})",
                    "keep one row per TLD",
                )
                continue
            first_line[name] = line
            if kind not in TYPES:
                bad(line, "Type", f"{kind!r} is not an IANA TLD type", f"one of {', '.join(TYPES)}")
                continue
            if dnssec not in ("Yes", "No"):
                bad(line, "DNSSEC", f"{dnssec!r} is not Yes or No")
                continue
            urls = tuple(u for u in _SPLIT.split(rdap) if u)
            wrong = [u for u in urls if not u.startswith(("https://", "http://"))]
            if wrong:
                bad(line, "RDAP URLs", f"{wrong[0]!r} is not an http(s) URL")
                continue
            if not manager:
                bad(line, "TLD Manager", "no manager", f"write {NOT_ASSIGNED!r} for a retired TLD")
                continue
            rows.append(
                IanaTld(
                    name=name,
                    type=kind,
                    manager=None if manager == NOT_ASSIGNED else manager,
                    rdap_urls=urls,
                    dnssec=dnssec == "Yes",
                    line=line,
                )
            )
    except csv.Error as exc:
        bad(reader.line_num, "Domain", f"not CSV: {exc}")
    if errors:
        raise ValidationErrors(errors)
    return rows
