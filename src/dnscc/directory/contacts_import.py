"""Import contact data from CSV or JSON (schema in docs/directory.md).

Each record is one contact of one organisation. The organisation is named by `organization`
(its slug) or by `tld` (the operator of that TLD); a record may also carry organisation
attributes (organization_name, organization_kind, region, country, time_zone, languages,
resource_constrained), which update the organisation, or create it when `organization`
names a slug that does not exist yet and `organization_name` is given.

Bad records are reported with file, line and field; the valid ones are imported. Everything
happens in one transaction, so a crash leaves nothing half-written; a dry run does the same
work and rolls back, so its diff is exactly what a real run would do. An existing contact
(same organisation and email) is updated, never duplicated: importing twice changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from dnscc.accounts import audit
from dnscc.core import csvout, inputguard
from dnscc.core.errors import InputError, Location
from dnscc.core.names import normalize_name
from dnscc.directory import lookup, validation
from dnscc.directory.constrained import constrained_evidence
from dnscc.directory.models import Contact, Organization, Tld

# Columns that `dnscc export contacts` writes but the center derives itself (from the key,
# from a verification): accepted so that an export imports back, and never read.
DERIVED_FIELDS = frozenset({"pgp_fingerprint", "verified_at"})
KNOWN_FIELDS = (
    frozenset({"organization", "tld", *validation.ORGANIZATION_FIELDS, *validation.CONTACT_FIELDS})
    | DERIVED_FIELDS
)


@dataclass
class ContactReport:
    source: str
    dry_run: bool
    records: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    organizations_created: list[str] = field(default_factory=list)
    organizations_updated: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "records": self.records,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "organizations_created": self.organizations_created,
            "organizations_updated": self.organizations_updated,
            "errors": [e.as_dict() for e in self.errors],
        }


def _records_csv(text: str, source: str) -> list[tuple[int, dict[str, Any]]]:
    # The one input guard reads the CSV: a field over its size limit is an error with its
    # line, not a crash. A quoted value may span lines (an OpenPGP key does): a record is
    # reported by the line where it starts.
    reader = inputguard.csv_rows(text, source=source, refuse_nul=False)
    first = next(reader, None)
    header = first[1] if first else []
    if not header:
        raise InputError("the file is empty", location=Location(source, 1))
    unknown = [h for h in header if h not in KNOWN_FIELDS]
    if unknown:
        # A misspelt column would silently drop its values from every row; refuse the file.
        raise InputError(
            f"unknown column(s): {', '.join(inputguard.excerpt(u) for u in unknown[:10])}",
            location=Location(source, 1, unknown[0][:80]),
            hint=f"known columns: {', '.join(sorted(KNOWN_FIELDS))}",
        )
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, values in reader:
        if len(values) > len(header):
            rows.append((line, {"__extra__": values[len(header) :]}))
            continue
        if not any(v.strip() for v in values):
            continue
        record: dict[str, Any] = dict.fromkeys(header)  # missing trailing values are None
        # An export escapes cells a spreadsheet would run as formulas; read them back.
        record.update(zip(header, map(csvout.unescape_cell, values), strict=False))
        rows.append((line, record))
    return rows


def _records_json(text: str, source: str) -> list[tuple[int, dict[str, Any]]]:
    # Depth-limited (the guard): a deeply nested file is refused, not a RecursionError.
    # NUL characters are checked per record below, so one bad record does not stop the rest.
    data = inputguard.load_json(text, source=source, allow_nul=True)
    if isinstance(data, dict) and isinstance(data.get("contacts"), list):
        items = data["contacts"]
        start = text.find("[", text.find('"contacts"'))
    elif isinstance(data, list):
        items, start = data, text.find("[")
    else:
        raise InputError(
            "expected a list of contact records, or an object with a 'contacts' list",
            location=Location(source, 1),
        )
    # Line of each record: walk the array with raw_decode to find where each item starts.
    decoder = json.JSONDecoder()
    lines: list[int] = []
    pos = start + 1
    for _ in items:
        while text[pos] in " \t\r\n,":
            pos += 1
        lines.append(text.count("\n", 0, pos) + 1)
        _, pos = decoder.raw_decode(text, pos)
    return list(zip(lines, items, strict=True))


def parse_records(
    text: str, *, source: str, fmt: str | None = None
) -> list[tuple[int, dict[str, Any]]]:
    fmt = fmt or (
        "json" if source.lower().endswith(".json") or text.lstrip()[:1] in "[{" else "csv"
    )
    if fmt not in ("csv", "json"):
        raise InputError(f"unknown format {fmt!r}", hint="use csv or json")
    return _records_json(text, source) if fmt == "json" else _records_csv(text, source)


def import_contacts(
    text: str,
    *,
    source: str = "input",
    fmt: str | None = None,
    actor: audit.Actor = audit.SYSTEM,
    dry_run: bool = False,
) -> ContactReport:
    """Import what is valid, report the rest. File-level problems raise InputError."""
    records = parse_records(text, source=source, fmt=fmt)
    report = ContactReport(source=source, dry_run=dry_run, records=len(records))
    with transaction.atomic():
        for line, record in records:
            try:
                inputguard.refuse_nul(record, field="")
                with transaction.atomic():
                    _import_one(record, report)
            except InputError as exc:
                loc = Location(source, line, exc.location.field)
                report.errors.append(InputError(exc.problem, location=loc, hint=exc.hint))
        if report.created or report.updated or report.organizations_created:
            audit.record(
                actor,
                "directory.import_contacts",
                object_type="directory.contact",
                summary=f"{source}: {len(report.created)} new, {len(report.updated)} updated,"
                f" {len(report.errors)} rejected",
                data={k: v for k, v in report.as_dict().items() if k != "errors"},
            )
        if dry_run:  # the same work, undone: the report is exactly what a real run does
            transaction.set_rollback(True)
    if not dry_run:
        lookup.invalidate()
    return report


def _field_error(field: str, message: str, hint: str | None = None) -> InputError:
    return InputError(message, location=Location(field=field), hint=hint)


def _evidence(
    org: Organization | None, fields: dict[str, Any], record: dict[str, Any], report: ContactReport
) -> dict[str, Any]:
    """The flag's evidence when a row sets it: its constrained_reason column, else the file."""
    reason = record.get("constrained_reason") or f"set by the contact file {report.source}"
    return constrained_evidence(
        org, fields, {"constrained_reason": reason}, audit.Actor("contact import")
    )


def _resolve_organization(record: dict[str, Any], report: ContactReport) -> Organization:
    slug = validation.text(record.get("organization"), "organization", max_length=100)
    tld_text = validation.text(record.get("tld"), "tld", max_length=100)
    org_fields = validation.clean_organization(record)
    org: Organization | None = None
    if tld_text:
        try:
            tld_name = normalize_name(tld_text.lstrip("."))
        except InputError as exc:
            raise _field_error("tld", exc.problem) from None
        tld = Tld.objects.filter(name=tld_name).select_related("operator").first()
        if tld is None:
            raise _field_error(
                "tld",
                f"no TLD .{tld_name} in the directory",
                "import the root zone first, or check the spelling",
            )
        if tld.operator is None:
            raise _field_error("tld", f".{tld_name} has no operator in the directory yet")
        org = tld.operator
        if slug and slug != org.slug:
            raise _field_error(
                "organization",
                f"organization {slug!r} does not operate .{tld_name}"
                f" (its operator is {org.slug!r})",
            )
    elif slug:
        org = Organization.objects.filter(slug=slug).first()
        if org is None:
            name = org_fields.get("name")
            if not name:
                raise _field_error(
                    "organization",
                    f"no organization {slug!r}",
                    "give organization_name to create it, or use an existing slug",
                )
            if slugify(slug) != slug:
                raise _field_error(
                    "organization",
                    f"{slug!r} is not a valid slug",
                    "use lower-case letters, digits and dashes",
                )
            if Organization.objects.filter(name__iexact=name).exists():
                raise _field_error(
                    "organization_name",
                    f"duplicate organization: {name!r} already exists under another slug",
                    "use that organization's slug",
                )
            org_fields.update(_evidence(None, org_fields, record, report))
            org = Organization.objects.create(slug=slug, **org_fields)
            report.organizations_created.append(slug)
            return org
    else:
        raise _field_error("organization", "name the organization (its slug) or a tld")
    org_fields.update(_evidence(org, org_fields, record, report))
    changes = {k: v for k, v in org_fields.items() if getattr(org, k) != v}
    if (
        "name" in changes
        and Organization.objects.filter(name__iexact=changes["name"]).exclude(pk=org.pk).exists()
    ):
        raise _field_error(
            "organization_name", f"duplicate organization: {changes['name']!r} already exists"
        )
    if changes:
        for key, value in changes.items():
            setattr(org, key, value)
        org.save()
        if org.slug not in report.organizations_updated:
            report.organizations_updated.append(org.slug)
    return org


def _import_one(record: dict[str, Any], report: ContactReport) -> None:
    if "__extra__" in record:
        raise _field_error("", "this row has more values than the header has columns")
    if not isinstance(record, dict):
        raise _field_error("", f"a record must be an object, not {type(record).__name__}")
    unknown = sorted(k for k in record if k not in KNOWN_FIELDS)
    if unknown:
        raise _field_error(
            unknown[0],
            f"unknown field {unknown[0]!r}",
            f"known fields: {', '.join(sorted(KNOWN_FIELDS))}",
        )
    org = _resolve_organization(record, report)
    clean = validation.clean_contact(record)
    existing = org.contacts.filter(email=clean["email"]).first() if clean["email"] else None
    if existing is None and not clean["email"]:
        existing = org.contacts.filter(email="", webhook_url=clean["webhook_url"]).first()
    label = f"{org.slug}: {clean['email'] or clean['webhook_url']}"
    if existing is None:
        Contact.objects.create(organization=org, **clean)
        report.created.append(label)
        return
    changed = {k: v for k, v in clean.items() if getattr(existing, k) != v}
    if not changed:
        report.unchanged += 1
        return
    for key, value in changed.items():
        setattr(existing, key, value)
    existing.save()
    report.updated.append(label)
