"""Import the IANA Root Zone Database: each TLD's type, manager, RDAP URLs and DNSSEC flag.

The root zone says which servers answer for a TLD, and operator inference groups TLDs by
them (the technical operator); IANA says who the TLD belongs to (the TLD Manager, the
sponsoring organisation). The directory keeps both: `Tld.manager` is an organisation created
per manager (found again by its IANA name, `Organization.iana_name`, however a coordinator
renames it), beside `Tld.operator`. A coordinator links them (`services.link_manager`: the
manager's TLDs take an operator) or merges them (the same organisation).

Idempotent: a second import of the same file changes nothing. A TLD keeps the manager
organisation it has while IANA still names the same manager (a coordinator's merge stays);
when IANA names another, the TLD moves and the report says so. The file and the loaded root
zone disagree now and then (the snapshot is a year older than the zone): TLDs in one and not
the other are listed in the report, never guessed. One transaction; a dry run does the same
work and rolls it back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location
from dnscc.core.ianadb import IanaTld, parse_iana_rootdb
from dnscc.core.regions import classify_tld
from dnscc.core.tlp import TLP
from dnscc.directory import lookup
from dnscc.directory.models import Organization, Tld

_FIELDS = ("iana_type", "iana_manager", "manager_id", "rdap_urls", "iana_dnssec")


@dataclass
class IanaReport:
    source: str
    dry_run: bool
    rows: int = 0
    assigned: int = 0
    managers_created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    unchanged: int = 0
    manager_changed: dict[str, list[str]] = field(default_factory=dict)  # tld -> [old, new]
    not_in_directory: list[str] = field(default_factory=list)
    not_in_iana: list[str] = field(default_factory=list)
    retired_but_delegated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.managers_created or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "assigned": self.assigned,
            "managers_created": self.managers_created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "manager_changed": self.manager_changed,
            "disagreements": {
                "in_iana_not_in_root_zone": self.not_in_directory,
                "in_root_zone_not_in_iana": self.not_in_iana,
                "not_assigned_in_iana_but_delegated": self.retired_but_delegated,
            },
        }


def read_source(source: str | os.PathLike[str]) -> tuple[str, str]:
    """(text, name) of a path, or of CSV text given as a str holding a newline."""
    if isinstance(source, str) and "\n" in source:
        return source, "<text>"
    path = Path(source)
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start})", location=Location(str(path))
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read: {exc.strerror or exc}", location=Location(str(path))
        ) from None


def import_iana_rootdb(
    source: str | os.PathLike[str],
    *,
    actor: audit.Actor = audit.SYSTEM,
    dry_run: bool = False,
    name: str | None = None,
) -> IanaReport:
    """Parse and store. Raises ValidationErrors (file, line, column) for a bad file, with
    nothing written."""
    text, default_name = read_source(source)
    where = name or default_name
    rows = parse_iana_rootdb(text, source=where)
    report = IanaReport(source=where, dry_run=dry_run, rows=len(rows))
    with transaction.atomic():
        _apply(rows, report)
        if report.changed:
            audit.record(
                actor,
                "directory.import_iana_rootdb",
                object_type="directory.tld",
                summary=f"IANA root zone database: {len(report.updated)} TLDs updated, "
                f"{len(report.managers_created)} managers added",
                data={
                    k: v
                    for k, v in report.as_dict().items()
                    if k in ("source", "rows", "managers_created", "manager_changed")
                },
            )
        if dry_run:
            transaction.set_rollback(True)
    lookup.invalidate()
    return report


def _apply(rows: list[IanaTld], report: IanaReport) -> None:
    tlds = {t.name: t for t in Tld.objects.all()}
    by_iana_name = {
        o.iana_name: o for o in Organization.objects.exclude(iana_name="").order_by("pk")
    }
    names_taken = {n.lower() for n in Organization.objects.values_list("name", flat=True)}
    slugs_taken = set(Organization.objects.values_list("slug", flat=True))
    listed: set[str] = set()
    to_update: list[Tld] = []
    for row in rows:
        listed.add(row.name)
        tld = tlds.get(row.name)
        if row.manager is None:
            if tld is not None and tld.delegated:
                report.retired_but_delegated.append(row.name)
            continue
        report.assigned += 1
        if tld is None or not tld.delegated:
            report.not_in_directory.append(row.name)
            if tld is None:
                continue
        manager_id = tld.manager_id
        if manager_id is None or tld.iana_manager != row.manager:
            if tld.iana_manager and tld.iana_manager != row.manager:
                report.manager_changed[row.name] = [tld.iana_manager, row.manager]
            org = by_iana_name.get(row.manager)
            if org is None:
                org = _new_manager(row, names_taken, slugs_taken)
                by_iana_name[row.manager] = org
                report.managers_created.append(org.name)
            manager_id = org.pk
        values = {
            "iana_type": row.type,
            "iana_manager": row.manager,
            "manager_id": manager_id,
            "rdap_urls": list(row.rdap_urls),
            "iana_dnssec": row.dnssec,
        }
        changed = [f for f in _FIELDS if getattr(tld, f) != values[f]]
        if changed:
            for key, value in values.items():
                setattr(tld, key, value)
            to_update.append(tld)
            report.updated[row.name] = [f.removesuffix("_id") for f in changed]
        else:
            report.unchanged += 1
    report.not_in_iana = sorted(n for n, t in tlds.items() if t.delegated and n not in listed)
    if to_update:
        Tld.objects.bulk_update(to_update, list(_FIELDS), batch_size=500)


def _new_manager(row: IanaTld, names_taken: set[str], slugs_taken: set[str]) -> Organization:
    assert row.manager is not None
    name, n = row.manager[:200], 2
    while name.lower() in names_taken:
        name, n = f"{row.manager[:190]} {n}", n + 1
    names_taken.add(name.lower())
    base = slugify(row.manager)[:90] or f"manager-{row.name}"
    slug, n = base, 2
    while slug in slugs_taken:
        slug, n = f"{base}-{n}", n + 1
    slugs_taken.add(slug)
    cls = classify_tld(row.name)
    country = (cls.country or "") if row.type == "country-code" else ""
    return Organization.objects.create(
        name=name,
        slug=slug,
        kind=Organization.TLD_REGISTRY,
        iana_name=row.manager,
        country=country,
        region=cls.region.value if country and cls.region else "",
        tlp=TLP.GREEN.value,  # IANA publishes who manages each TLD
    )
