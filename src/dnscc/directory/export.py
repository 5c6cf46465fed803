"""Export the directory as CSV or JSON. Contacts export is re-importable (same columns) and,
like every disclosure of labelled data, is written to the audit log."""

from __future__ import annotations

import io
import json
from typing import Any

from dnscc.accounts import audit
from dnscc.core import csvout
from dnscc.core.errors import InputError, Location, PermissionDenied
from dnscc.core.tlp import Viewer, can_see
from dnscc.directory import validation
from dnscc.directory.models import Contact, Organization, Tld

KINDS = ("organizations", "tlds", "contacts")

ORG_COLUMNS = [
    "slug",
    "name",
    "kind",
    "region",
    "country",
    "time_zone",
    "languages",
    "resource_constrained",
    "vetting",
    "inferred",
    "tlp",
    "tlds",
]
TLD_COLUMNS = [
    "name",
    "unicode_name",
    "kind",
    "country",
    "region",
    "operator",
    "ns",
    "ds",
    "delegated",
]
# The importer's columns, so that an export imports back; then what the center derives.
CONTACT_COLUMNS = ["organization", *validation.CONTACT_FIELDS, "pgp_fingerprint", "verified_at"]


def rows(kind: str, viewer: Viewer) -> tuple[list[str], list[dict[str, Any]]]:
    if not viewer.is_staff:
        raise PermissionDenied("Only center staff may export the directory.")
    if kind == "organizations":
        orgs = Organization.objects.prefetch_related("tlds")
        return ORG_COLUMNS, [
            {
                "slug": o.slug,
                "name": o.name,
                "kind": o.kind,
                "region": o.region,
                "country": o.country,
                "time_zone": o.time_zone,
                "languages": o.languages,
                "resource_constrained": o.resource_constrained,
                "vetting": o.vetting,
                "inferred": o.inferred,
                "tlp": o.tlp,
                "tlds": sorted(t.name for t in o.tlds.all() if t.delegated),
            }
            for o in orgs
            if can_see(viewer, o.labelled())
        ]
    if kind == "tlds":
        return TLD_COLUMNS, [
            {
                "name": t.name,
                "unicode_name": t.unicode_name,
                "kind": t.kind,
                "country": t.country,
                "region": t.region,
                "operator": t.operator.slug if t.operator else "",
                "ns": t.ns,
                "ds": t.ds,
                "delegated": t.delegated,
            }
            for t in Tld.objects.select_related("operator")
        ]
    if kind == "contacts":
        return CONTACT_COLUMNS, [
            {
                "organization": c.organization.slug,
                "name": c.name,
                "kind": c.kind,
                "email": c.email,
                "webhook_url": c.webhook_url,
                "phone": c.phone,
                "language": c.language,
                "is_24x7": c.is_24x7,
                "exercise_opt_in": c.exercise_opt_in,
                "tlp": c.tlp,
                "pgp_key": c.pgp_key,
                "pgp_fingerprint": c.pgp_fingerprint,
                "verified_at": c.verified_at.isoformat() if c.verified_at else "",
            }
            for c in Contact.objects.select_related("organization")
            if can_see(viewer, c.labelled())
        ]
    raise InputError(
        f"cannot export {kind!r}",
        location=Location(field="what"),
        hint=f"use one of: {', '.join(KINDS)}",
    )


def render(columns: list[str], data: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    if fmt != "csv":
        raise InputError(
            f"unknown format {fmt!r}", location=Location(field="format"), hint="use csv or json"
        )
    out = io.StringIO()
    writer = csvout.writer(out)
    writer.writeheader(columns)
    for row in data:
        writer.writerow(_csv_cell(k, row.get(k, "")) for k in columns)
    return out.getvalue()


def _csv_cell(column: str, value: Any) -> Any:
    if isinstance(value, list):
        if column in ("tlds", "ns"):
            return " ".join(map(str, value))
        if column == "languages":
            return ",".join(value)
        return json.dumps(value)
    return value


def export(kind: str, fmt: str, viewer: Viewer, actor: audit.Actor) -> str:
    """Render an export and record the disclosure (what, how many, which format)."""
    columns, data = rows(kind, viewer)
    text = render(columns, data, fmt)
    ids = [_disclosed_id(kind, r) for r in data]
    audit.disclosed(actor, f"directory.{kind}", ids=ids, how="export", format=fmt)
    return text


def _disclosed_id(kind: str, row: dict[str, Any]) -> str:
    if kind == "contacts":
        # A contact's name ("Security team") is not unique; its organisation and address are.
        return f"{row['organization']}:{row['email'] or row['webhook_url']}"
    return str(row.get("slug") or row.get("name"))
