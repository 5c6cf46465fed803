"""Slice manifests (what one registry is asked to do) and the outcome files operators return.

A campaign splits its names per registry; each slice goes out with a manifest, as CSV (for
spreadsheets and scripts) and JSON (with the campaign's metadata). Both are deterministic:
rows sorted by name, fixed column order `name,tld,action,legal_basis,expires`, fixed JSON
key order, UTF-8, so the same slice always has the same SHA-256 and an operator can quote
the checksum back ("we processed manifest 3f2a...").

CSV cells of free text (action, legal basis) that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) get a leading apostrophe (the OWASP "CSV
injection" advice); names are never altered (normalised names start with a letter, digit,
'-' or '_'; '-' alone is harmless in a cell that is not followed by a formula).

The operator returns one line per name: `name,outcome[,note]` (a header row is optional,
extra columns are ignored). Outcomes:

    done             the action was carried out (blocked, held, sinkholed, as asked)
    not_registered   the name is not registered and nothing was needed (or it has now been
                     blocked from registration, where that was the action)
    refused          the operator will not act; the note says why (e.g. no legal basis)
    pending          accepted, not done yet; a later file will say more

Spelling is forgiving ("Not registered", "not-registered"); the stored form is the
keyword. `parse_outcomes` streams the file (plain, gzip or zip, like name lists) and
reports every bad line with its number; a name outside the operator's slice is an error
("not in your slice"), so one registry cannot report on another's names.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dnscc.core import csvout
from dnscc.core.errors import InputError, Location
from dnscc.core.namelist import IngestSummary, read_text_lines
from dnscc.core.names import normalize_name, tld_of
from dnscc.core.text import check_text

__all__ = [
    "COLUMNS",
    "OUTCOMES",
    "CampaignMeta",
    "Manifest",
    "ManifestDigest",
    "ManifestRow",
    "Outcome",
    "OutcomeReport",
    "build_manifest",
    "parse_outcomes",
]

MANIFEST_VERSION = 1
COLUMNS = ("name", "tld", "action", "legal_basis", "expires")
OUTCOMES = ("done", "not_registered", "refused", "pending")
MAX_NOTE = 500


def _error(message: str, field_name: str, hint: str | None = None) -> InputError:
    return InputError(message, location=Location(field=field_name), hint=hint)


def _text(value: str, field_name: str, *, required: bool = True) -> str:
    return check_text(value, field=field_name, required=required, one_line=True)


def _iso_date(value: str | datetime.date, field_name: str) -> str:
    if isinstance(value, datetime.datetime):
        raise _error(f"{field_name} is a date, not a date and time", field_name)
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise _error(
            f"{field_name} {value!r} is not a date", field_name, hint="write YYYY-MM-DD"
        ) from None


@dataclass(frozen=True)
class CampaignMeta:
    """The campaign facts printed in every slice's manifest.

    `deadline` must be timezone-aware; the manifest shows it in UTC and in `timezone`
    (an IANA name such as "Europe/Zurich", the coordinator's or the operator's).
    `expires` is the date after which the action may be lifted, as a default for rows.
    """

    campaign_id: str
    title: str
    organization: str
    tlds: tuple[str, ...]
    deadline: datetime.datetime
    timezone: str
    default_action: str
    legal_basis: str
    expires: str | datetime.date

    def as_dict(self) -> dict[str, object]:
        """The JSON form, keys in a fixed order; raises InputError for bad values."""
        if self.deadline.tzinfo is None or self.deadline.utcoffset() is None:
            raise _error("the deadline has no timezone", "deadline", hint="give an aware datetime")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise _error(f"unknown timezone {self.timezone!r}", "timezone") from None
        utc = self.deadline.astimezone(datetime.UTC).replace(microsecond=0)
        local = self.deadline.astimezone(zone).replace(microsecond=0)
        tlds = sorted({normalize_name(t) for t in self.tlds})
        return {
            "campaign_id": _text(self.campaign_id, "campaign_id"),
            "title": _text(self.title, "title"),
            "organization": _text(self.organization, "organization"),
            "tlds": tlds,
            "deadline_utc": utc.isoformat().replace("+00:00", "Z"),
            "deadline_local": local.isoformat(),
            "deadline_timezone": self.timezone,
            "default_action": _text(self.default_action, "default_action"),
            "legal_basis": _text(self.legal_basis, "legal_basis"),
            "expires": _iso_date(self.expires, "expires"),
        }


@dataclass(frozen=True)
class ManifestRow:
    """One name of a slice. Empty action, legal basis or expiry take the campaign's default.

    `tld` may be left empty; when given it must be the name's top-level label.
    """

    name: str
    tld: str = ""
    action: str = ""
    legal_basis: str = ""
    expires: str | datetime.date = ""


@dataclass(frozen=True)
class ManifestDigest:
    """A short description of a manifest, for the timeline and the notice text."""

    campaign_id: str
    rows: int
    tlds: tuple[str, ...]
    by_action: tuple[tuple[str, int], ...]
    csv_sha256: str
    json_sha256: str


@dataclass(frozen=True)
class Manifest:
    csv: bytes
    json: bytes
    csv_sha256: str
    json_sha256: str
    digest: ManifestDigest


def build_manifest(meta: CampaignMeta, rows: Iterable[ManifestRow]) -> Manifest:
    """The CSV and JSON manifest of one slice, byte-for-byte reproducible, with SHA-256s.

    Raises InputError (with the row's name) for an invalid name, a TLD that does not match
    the name, a duplicate name, or a bad date or text.
    """
    header = meta.as_dict()
    default_expires = str(header["expires"])
    records: dict[str, tuple[str, str, str, str, str]] = {}
    for row in rows:
        name = normalize_name(row.name)
        if not name:
            raise _error("the root is not a name for a manifest", "name")
        tld = tld_of(name)
        if row.tld and normalize_name(row.tld) != tld:
            raise _error(f"{name!r} is not under the TLD {row.tld!r}", "tld")
        if name in records:
            raise _error(f"{name!r} appears twice in the slice", "name")
        action = _text(row.action, "action", required=False) or str(header["default_action"])
        basis = _text(row.legal_basis, "legal_basis", required=False) or str(header["legal_basis"])
        expires = _iso_date(row.expires, "expires") if row.expires else default_expires
        records[name] = (name, tld, action, basis, expires)
    ordered = [records[name] for name in sorted(records)]

    text = io.StringIO()
    writer = csvout.writer(text, lineterminator="\r\n")  # RFC 4180
    writer.writeheader(COLUMNS)
    for name, tld, action, basis, expires in ordered:
        # Names are validated DNS names, written as they are (operators match them).
        writer.writerow((csvout.Verbatim(name), csvout.Verbatim(tld), action, basis, expires))
    csv_bytes = text.getvalue().encode("utf-8")

    document = {
        "manifest_version": MANIFEST_VERSION,
        "campaign": header,
        "columns": list(COLUMNS),
        "rows": [dict(zip(COLUMNS, record, strict=True)) for record in ordered],
    }
    json_bytes = (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode(
        "utf-8"
    )

    counts: dict[str, int] = {}
    for record in ordered:
        counts[record[2]] = counts.get(record[2], 0) + 1
    csv_sha = hashlib.sha256(csv_bytes).hexdigest()
    json_sha = hashlib.sha256(json_bytes).hexdigest()
    digest = ManifestDigest(
        campaign_id=str(header["campaign_id"]),
        rows=len(ordered),
        tlds=tuple(sorted({record[1] for record in ordered})),
        by_action=tuple(sorted(counts.items())),
        csv_sha256=csv_sha,
        json_sha256=json_sha,
    )
    return Manifest(csv_bytes, json_bytes, csv_sha, json_sha, digest)


# --- Outcomes returned by operators ------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    name: str
    outcome: str
    note: str
    line: int


@dataclass
class OutcomeReport:
    """The accepted outcomes (one per name) and the problems, each with its line number.

    `errors` keeps the first `max_errors`; `error_count` counts them all.
    """

    filename: str
    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    error_count: int = 0
    max_errors: int = 1000
    summary: IngestSummary = field(default_factory=IngestSummary)

    def add_error(self, line: int, message: str, field_name: str | None = None) -> None:
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(
                InputError(
                    message, location=Location(file=self.filename, line=line, field=field_name)
                )
            )

    def by_outcome(self) -> Mapping[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for item in self.outcomes:
            counts[item.outcome] += 1
        return counts


def _outcome_keyword(text: str) -> str | None:
    key = text.strip().lower().replace("-", "_").replace(" ", "_")
    return key if key in OUTCOMES else None


def parse_outcomes(
    stream: IO[bytes] | BinaryIO,
    *,
    filename: str,
    allowed: Container[str] | None,
    max_bytes: int | None = 10 * 1024 * 1024,
    max_errors: int = 1000,
) -> OutcomeReport:
    """Read an operator's outcome file (see the module doc); bad lines become errors.

    `allowed` holds the normalised names of the operator's slice (a set); None accepts
    any valid name. A name given twice keeps its first line and reports the second.
    Raises InputError only for an unreadable file or one over `max_bytes`.
    """
    report = OutcomeReport(filename=filename, max_errors=max_errors)
    seen: dict[str, int] = {}
    columns: tuple[int, int, int | None] = (0, 1, 2)
    first_data = True
    for text, number, _file in read_text_lines(
        stream, filename=filename, max_bytes=max_bytes, summary=report.summary
    ):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            cells = [cell.strip() for cell in next(csv.reader([text]))]
        except csv.Error as exc:
            # e.g. a lone carriage return: "new-line character seen in unquoted field"
            report.add_error(number, f"the line is not valid CSV: {exc}")
            continue
        if first_data:
            first_data = False
            lowered = [cell.lower() for cell in cells]
            if "name" in lowered or "outcome" in lowered:
                if "name" not in lowered or "outcome" not in lowered:
                    report.add_error(number, "the header needs the columns name and outcome")
                    return report
                note_column = lowered.index("note") if "note" in lowered else None
                columns = (lowered.index("name"), lowered.index("outcome"), note_column)
                continue
        name_at, outcome_at, note_at = columns
        if len(cells) <= max(name_at, outcome_at):
            report.add_error(number, "the line needs a name and an outcome")
            continue
        try:
            name = normalize_name(cells[name_at])
        except InputError as exc:
            report.add_error(number, exc.problem, "name")
            continue
        if not name:
            report.add_error(number, "the name is empty", "name")
            continue
        if allowed is not None and name not in allowed:
            report.add_error(number, f"{name!r} is not in your slice", "name")
            continue
        outcome = _outcome_keyword(cells[outcome_at])
        if outcome is None:
            report.add_error(
                number,
                f"unknown outcome {cells[outcome_at]!r}; use one of {', '.join(OUTCOMES)}",
                "outcome",
            )
            continue
        if name in seen:
            report.add_error(number, f"{name!r} was already given on line {seen[name]}", "name")
            continue
        note = cells[note_at] if note_at is not None and note_at < len(cells) else ""
        note = "".join(c if c.isprintable() else " " for c in note)[:MAX_NOTE]
        seen[name] = number
        report.outcomes.append(Outcome(name, outcome, note, number))
    for item in report.summary.invalid:  # lines too long to read
        report.add_error(item.line, item.reason)
    return report
