"""Import the TLD namespace from a root zone file into the directory.

Idempotent: a second import of the same zone changes nothing. A coordinator's decisions
stay: a TLD that already has an operator keeps it; only TLDs without one are placed, into
the organisation that already holds other members of their inferred group, or into a new
inferred organisation. TLDs gone from the zone are marked undelegated, never deleted.
One transaction per import; a dry run performs the same work and rolls it back, so the
diff it shows is exactly what the real run would do.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from dnscc.accounts import audit
from dnscc.core.grouping import OperatorGroup, group_operators
from dnscc.core.rootzone import RootZone, TldDelegation, parse_root_zone
from dnscc.core.tlp import TLP
from dnscc.directory import lookup
from dnscc.directory.models import Organization, RootServer, Tld

_TLD_FIELDS = ("unicode_name", "kind", "country", "region", "ns", "glue", "ds", "delegated")


@dataclass
class RootZoneReport:
    source: str
    serial: int
    dry_run: bool
    tlds_in_zone: int = 0
    created: list[str] = field(default_factory=list)
    updated: dict[str, list[str]] = field(default_factory=dict)
    undelegated: list[str] = field(default_factory=list)
    unchanged: int = 0
    organizations_created: list[str] = field(default_factory=list)
    assigned: int = 0
    root_servers: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.undelegated or self.organizations_created)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "serial": self.serial,
            "dry_run": self.dry_run,
            "tlds_in_zone": self.tlds_in_zone,
            "created": self.created,
            "updated": self.updated,
            "undelegated": self.undelegated,
            "unchanged": self.unchanged,
            "organizations_created": self.organizations_created,
            "tlds_assigned_to_operators": self.assigned,
            "root_servers": self.root_servers,
            "warnings": self.warnings,
        }


def import_root_zone(
    source: str | os.PathLike[str],
    *,
    actor: audit.Actor = audit.SYSTEM,
    dry_run: bool = False,
    name: str | None = None,
) -> RootZoneReport:
    """Parse, group and store. Raises InputError/ValidationErrors (file, line, field)."""
    zone = parse_root_zone(source, source=name)
    groups = group_operators(zone)
    report = RootZoneReport(source=zone.source, serial=zone.serial, dry_run=dry_run)
    report.tlds_in_zone = len(zone.tlds)
    report.warnings = list(zone.warnings)
    with transaction.atomic():
        _apply(zone, groups, report)
        if report.changed:
            audit.record(
                actor,
                "directory.import_root_zone",
                object_type="directory.tld",
                summary=f"root zone {zone.serial}: {len(report.created)} new, "
                f"{len(report.updated)} changed, {len(report.undelegated)} undelegated TLDs",
                data={k: v for k, v in report.as_dict().items() if k != "warnings"},
            )
        if dry_run:  # the same work, undone: the report is exactly what a real run does
            transaction.set_rollback(True)
    lookup.invalidate()
    return report


def _tld_fields(d: TldDelegation, serial: int) -> dict[str, Any]:
    return {
        "unicode_name": d.unicode_name,
        "kind": d.kind.value,
        "country": d.country or "",
        "region": d.region.value if d.region else "",
        "ns": list(d.ns),
        "glue": {host: list(addrs) for host, addrs in d.glue.items()},
        "ds": [[r.key_tag, r.algorithm, r.digest_type, r.digest] for r in d.ds],
        "delegated": True,
        "root_serial": serial,
    }


def _apply(zone: RootZone, groups: tuple[OperatorGroup, ...], report: RootZoneReport) -> None:
    existing = {t.name: t for t in Tld.objects.all()}
    names_taken = {n.lower() for n in Organization.objects.values_list("name", flat=True)}
    slugs_taken = set(Organization.objects.values_list("slug", flat=True))

    def new_slug(name: str) -> str:
        base = slugify(name.replace(".", " "))[:90] or "organization"
        slug, n = base, 2
        while slug in slugs_taken:
            slug, n = f"{base}-{n}", n + 1
        slugs_taken.add(slug)
        return slug

    report.root_servers = _root_servers(zone, new_slug, names_taken)

    to_create: list[Tld] = []
    to_update: list[Tld] = []
    for name, delegation in zone.tlds.items():
        values = _tld_fields(delegation, zone.serial)
        tld = existing.get(name)
        if tld is None:
            to_create.append(Tld(name=name, **values))
            report.created.append(name)
            continue
        changed = [f for f in _TLD_FIELDS if getattr(tld, f) != values[f]]
        if changed:
            report.updated[name] = changed
        else:
            report.unchanged += 1
        if changed or tld.root_serial != zone.serial:
            for key, value in values.items():
                setattr(tld, key, value)
            to_update.append(tld)
    for name, tld in existing.items():
        if name not in zone.tlds and tld.delegated:
            tld.delegated = False
            to_update.append(tld)
            report.undelegated.append(name)
    Tld.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        Tld.objects.bulk_update(to_update, [*_TLD_FIELDS, "root_serial"], batch_size=500)

    # Place TLDs that have no operator yet.
    operator_of = dict(Tld.objects.values_list("name", "operator_id"))
    inferred_by_key = {
        o.inference_key: o
        for o in Organization.objects.filter(inferred=True).exclude(inference_key="")
    }
    assignments: dict[int, list[str]] = {}
    for group in groups:
        unplaced = [t for t in group.tlds if operator_of.get(t) is None]
        if not unplaced:
            continue
        current = Counter(operator_of[t] for t in group.tlds if operator_of.get(t) is not None)
        if current:
            org_id = current.most_common(1)[0][0]
        else:
            org = inferred_by_key.get(group.key)
            if org is None:
                org = _new_inferred(group, new_slug, names_taken)
                report.organizations_created.append(org.name)
            org_id = org.pk
        assignments.setdefault(org_id, []).extend(unplaced)
    for org_id, tld_names in assignments.items():
        Tld.objects.filter(name__in=tld_names).update(operator_id=org_id)
        report.assigned += len(tld_names)


def _unique_name(name: str, names_taken: set[str]) -> str:
    candidate, n = name, 2
    while candidate.lower() in names_taken:
        candidate, n = f"{name} {n}", n + 1
    names_taken.add(candidate.lower())
    return candidate


def _new_inferred(group: OperatorGroup, new_slug: Any, names_taken: set[str]) -> Organization:
    name = _unique_name(group.name, names_taken)
    return Organization.objects.create(
        name=name,
        slug=new_slug(
            f"registry-{group.tlds[0]}"
            if len(group.tlds) == 1
            else f"operator-{group.ns_domains[0] if group.ns_domains else group.key}"
        ),
        kind=Organization.TLD_REGISTRY,
        region=group.region.value if group.region else "",
        country=group.country or "",
        inferred=True,
        inference_key=group.key,
        inference_evidence={
            "evidence": group.evidence,
            "ns_domains": list(group.ns_domains),
            "shared_servers": list(group.shared_servers),
            "tlds_at_inference": list(group.tlds),
        },
    )


def _root_servers(zone: RootZone, new_slug: Any, names_taken: set[str]) -> int:
    orgs = {o.name: o for o in Organization.objects.filter(kind=Organization.ROOT_SERVER_OPERATOR)}
    count = 0
    for server in zone.root_servers:
        info = server.operator
        if info is None:
            continue
        org = orgs.get(info.operator)
        if org is None:
            org = Organization.objects.create(
                name=_unique_name(info.operator, names_taken),
                slug=new_slug(info.operator),
                kind=Organization.ROOT_SERVER_OPERATOR,
                country=info.country,
                region=info.region.value,
                tlp=TLP.GREEN.value,  # who runs a root server letter is public knowledge
            )
            orgs[info.operator] = org
        RootServer.objects.update_or_create(
            letter=info.letter,
            defaults={"host": server.host, "addresses": list(server.addresses), "operator": org},
        )
        count += 1
    return count
