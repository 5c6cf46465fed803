"""Import the TLD namespace from a root zone file into the directory.

Only what checks out is imported (core.zonecheck): the ZONEMD digest when the zone has one
(a snapshot whose signatures were removed imports with the note "snapshot, digest not
verifiable"; a fetched copy must verify), the apex signatures against the trust anchor for a
fetched copy, a complete NSEC chain, an SOA serial that does not go back from the one
loaded, and no more than DNSCC_ROOTZONE_MAX_SHRINK_PERCENT of the delegated TLDs removed.
`allow_shrink` accepts a zone with fewer delegations (and NSEC gaps where they were). A
refusal (RootZoneRefused, exit 65) names every check that failed, its line, and what to do;
the directory is then unchanged.

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

import dns.rrset
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from dnscc.accounts import audit
from dnscc.core import zonecheck
from dnscc.core.errors import InputError, Location, ValidationErrors
from dnscc.core.grouping import OperatorGroup, group_operators
from dnscc.core.rootzone import RootZone, TldDelegation, parse_root_zone
from dnscc.core.tlp import TLP
from dnscc.directory import lookup
from dnscc.directory.models import Organization, RootServer, RootZoneLoad, Tld

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
    checks: dict[str, str] = field(default_factory=dict)  # check -> what it found
    notes: list[str] = field(default_factory=list)

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
            "checks": self.checks,
            "notes": self.notes,
        }


class RootZoneRefused(ValidationErrors):
    """A root zone that failed a check: each error names the check (its field), the line
    when there is one, and what to do. Nothing was written."""


def loaded_serial() -> int | None:
    """The SOA serial of the root zone the directory holds (the last import), if any."""
    last = RootZoneLoad.objects.values_list("serial", flat=True).first()
    if last is not None:
        return int(last)
    found = Tld.objects.aggregate(m=Max("root_serial"))["m"]
    return int(found) if found is not None else None


def serial_older(new: int, old: int) -> bool:
    """RFC 1982 serial number arithmetic: whether `new` comes before `old`."""
    return new != old and ((new < old and old - new < 2**31) or (new > old and new - old > 2**31))


@dataclass
class Verdict:
    """What the checks found: in words per check, notes for the record, and the states the
    directory keeps (ZONEMD: verified/none/unverifiable; NSEC: complete/gaps/none)."""

    checks: dict[str, str]
    notes: list[str]
    digest: str
    chain: str


def verify_zone(
    zone: RootZone,
    *,
    allow_shrink: bool = False,
    fetched: bool = False,
    anchors: dns.rrset.RRset | None = None,
) -> Verdict:
    """Run the checks; their Verdict, or RootZoneRefused with every failure.

    `fetched`: the copy came from the network, so it must carry a ZONEMD that verifies (no
    snapshot excuse) and, with `anchors`, apex signatures that validate."""
    where = zone.source
    problems: list[InputError] = []
    checks: dict[str, str] = {}
    notes: list[str] = []

    def refuse(check: str, message: str, hint: str, line: int | None = None) -> None:
        problems.append(InputError(message, location=Location(where, line, check), hint=hint))

    fresh = "fetch a fresh copy (dnscc import rootzone --url URL or --axfr SERVER)"
    digest = zonecheck.zonemd(zone.records)
    checks["ZONEMD"] = digest.detail
    if digest.status in (zonecheck.MISMATCH, zonecheck.UNSUPPORTED):
        refuse("ZONEMD", digest.detail, fresh, digest.line)
    elif digest.status == zonecheck.UNVERIFIABLE:
        if fetched:
            refuse("ZONEMD", digest.detail, fresh, digest.line)
        else:
            notes.append("snapshot, digest not verifiable")
    elif digest.status == zonecheck.NONE:
        if fetched:
            refuse(
                "ZONEMD",
                "the zone has no ZONEMD record: a copy of the root zone carries one",
                "check the source: the root zone has carried ZONEMD since December 2023",
            )
        else:
            notes.append("no ZONEMD: the content is not checked")
    if anchors is not None:
        trouble = zonecheck.validate_apex(zone.records, anchors)
        checks["DNSSEC"] = "; ".join(trouble) or (
            "the DNSKEY, SOA and ZONEMD sets validate against the trust anchor"
        )
        for text in trouble:
            refuse(
                "DNSSEC",
                text,
                "check the source, and DNSCC_TRUST_ANCHOR (default: the shipped IANA anchors)",
                _apex_line(zone),
            )

    chain = zonecheck.nsec_chain(zone.records, zone.tlds)
    if not chain.present:
        checks["NSEC"] = "the zone has no NSEC chain: completeness not checked"
        if fetched:
            refuse("NSEC", "the zone has no NSEC chain", fresh)
    else:
        checks["NSEC"] = (
            f"complete ({chain.links} links)"
            if chain.complete
            else f"{len(chain.broken)} break(s), {len(chain.gaps)} gap(s) in {chain.links} links"
        )
        for line, text in chain.broken[:20]:
            refuse("NSEC", f"the NSEC chain is broken: {text}", fresh, line)
        if chain.gaps and not allow_shrink:
            for line, text in chain.gaps[:20]:
                refuse(
                    "NSEC",
                    f"names are missing: {text}",
                    "use a complete copy; if these names were removed on purpose, "
                    "pass --allow-shrink",
                    line,
                )
        elif chain.gaps:
            notes.append(f"NSEC gaps accepted (--allow-shrink): {len(chain.gaps)}")

    loaded = loaded_serial()
    if loaded is not None:
        checks["SOA serial"] = f"{zone.serial} (loaded: {loaded})"
        if serial_older(zone.serial, loaded):
            refuse(
                "SOA serial",
                f"the SOA serial {zone.serial} is older than the loaded zone's {loaded}",
                "import a copy at least as recent as the one loaded",
                _apex_line(zone),
            )

    delegated = set(Tld.objects.filter(delegated=True).values_list("name", flat=True))
    removed = delegated - set(zone.tlds)
    limit = settings.ROOTZONE_MAX_SHRINK_PERCENT
    if delegated:
        share = 100 * len(removed) / len(delegated)
        checks["delegations"] = (
            f"{len(removed)} of {len(delegated)} delegated TLDs would be removed ({share:.1f}%)"
        )
        if share > limit and not allow_shrink:
            refuse(
                "delegations",
                f"the import would undelegate {len(removed)} of {len(delegated)} TLDs "
                f"({share:.0f}%), more than DNSCC_ROOTZONE_MAX_SHRINK_PERCENT={limit}%",
                "check the file (cut short?); pass --allow-shrink if these TLDs were removed",
            )
    if problems:
        raise RootZoneRefused(problems)
    chain_state = "none" if not chain.present else "gaps" if chain.gaps else "complete"
    return Verdict(checks, notes, digest.status, chain_state)


def _apex_line(zone: RootZone) -> int | None:
    return next((r.line for r in zone.records if r.owner == "" and r.rtype == "SOA"), None)


def import_root_zone(
    source: str | os.PathLike[str],
    *,
    actor: audit.Actor = audit.SYSTEM,
    dry_run: bool = False,
    name: str | None = None,
    allow_shrink: bool = False,
    fetched: bool = False,
    anchors: dns.rrset.RRset | None = None,
) -> RootZoneReport:
    """Parse, check, group and store. Raises InputError/ValidationErrors (file, line,
    field) for a malformed zone, RootZoneRefused for one that fails a check."""
    zone = parse_root_zone(source, source=name, keep_records=True)
    verdict = verify_zone(zone, allow_shrink=allow_shrink, fetched=fetched, anchors=anchors)
    groups = group_operators(zone)
    report = RootZoneReport(source=zone.source, serial=zone.serial, dry_run=dry_run)
    report.tlds_in_zone = len(zone.tlds)
    report.warnings = list(zone.warnings)
    report.checks, report.notes = verdict.checks, verdict.notes
    with transaction.atomic():
        _apply(zone, groups, report)
        _record_load(zone, verdict, actor)
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


def _record_load(zone: RootZone, verdict: Verdict, actor: audit.Actor) -> None:
    """Keep what was loaded and how it was checked; the same zone again adds nothing."""
    row = {
        "serial": zone.serial,
        "source": zone.source[:500],
        "digest": verdict.digest,
        "chain": verdict.chain,
        "dnssec": verdict.checks.get("DNSSEC", ""),
    }
    last = RootZoneLoad.objects.values(*row).first()
    if last != row:
        RootZoneLoad.objects.create(
            **row,
            actor=actor.name[:150],
            digest_detail=verdict.checks.get("ZONEMD", ""),
            notes=verdict.notes,
        )


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
