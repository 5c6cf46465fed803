"""Partner intelligence in: STIX 2.1 bundles and MISP events become Intel rows (domains and
addresses with their TLP), matched against the directory (which TLDs, which registries) and
the campaigns, from which a coordinator opens an incident or a campaign.

Streamed: records come one at a time from core.intel and are written in batches; memory
holds one batch, the TLD map and the marking definitions met. The whole import is one
transaction: a malformed document leaves nothing behind.

Labels: each row keeps the strictest label it met (its own markings, its MISP event's tags,
the label the partner shared the whole feed under: `source_tlp`). A marking nobody defines,
or no marking at all without a `source_tlp`, is TLP:RED, the strictest. Nothing lowers it.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core import intel, stix
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError
from dnscc.core.names import tld_of
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.sharing.models import Import, Intel, KeptObject

BATCH = 5_000
MAX_REPORTED = 200
"""Rejections listed one by one in an import's report (all are counted)."""
MAX_INCIDENT_NAMES = 10_000
"""An incident's scope lists names one by one; more belong in a campaign."""
_RANKS = {t.rank: t for t in TLP}


def max_bytes() -> int:
    return int(settings.SHARING_IMPORT_MAX_BYTES)


class _Hashing:
    """Passes reads through and hashes them (the import's SHA-256)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.sha.update(data)
        return data


def _tld_orgs() -> dict[str, int | None]:
    from dnscc.directory import lookup

    index = lookup.get_index()
    return {tld: (orgs[0].id if orgs else None) for tld, orgs in index.tld_orgs.items()}


def _ip_orgs() -> dict[str, int]:
    from dnscc.directory import lookup

    return {ip: orgs[0].id for ip, orgs in lookup.get_index().ip_orgs.items() if orgs}


class _Writer:
    """Counts the records and writes Intel rows in batches."""

    def __init__(self, imp: Import) -> None:
        self.imp = imp
        self.batch: list[Intel] = []
        self.tld_orgs = _tld_orgs()
        self.ip_orgs = _ip_orgs()
        self.markings: dict[str, TLP | None] = {}
        self.events: list[intel.EventEnd] = []
        self.rejections: list[dict[str, Any]] = []
        self.kept_types: Counter[str] = Counter()
        self.objects = self.indicators = self.kept = self.rejected = 0

    def take(self, record: intel.Record) -> None:
        if isinstance(record, intel.Observation):
            self.objects += 1
            self.indicators += 1
            self._observation(record)
        elif isinstance(record, intel.Marking):
            self.objects += 1
            self.markings[record.id] = record.tlp
        elif isinstance(record, intel.EventEnd):
            self.events.append(record)
        elif isinstance(record, intel.Kept):
            self.objects += 1
            self.kept += 1
            self.kept_types[record.type] += 1
            KeptObject.objects.create(
                imported=self.imp,
                ref=record.ref,
                type=record.type[:64],
                custom=record.custom,
                data=stix.dumps(record.obj)[:1_000_000],
            )
        elif isinstance(record, intel.Rejected):
            self.objects += 1
            self.rejected += 1
            if len(self.rejections) < MAX_REPORTED:
                self.rejections.append(
                    {"index": record.index, "ref": record.ref, "reason": record.reason}
                )

    def _observation(self, obs: intel.Observation) -> None:
        if obs.kind == stix.IP:
            tld, org = "", self.ip_orgs.get(obs.value)
        else:
            tld = tld_of(obs.value)
            org = self.tld_orgs.get(tld)
        rank = obs.tlp.rank if obs.tlp is not None else None
        if obs.unknown_marking:
            rank = TLP.RED.rank
        self.batch.append(
            Intel(
                imported=self.imp,
                kind=Intel.IP if obs.kind == stix.IP else Intel.DOMAIN,
                value=obs.value,
                tld=tld,
                organization_id=org,
                tlp_rank=rank,
                pending=(obs.event or obs.pending_marking)[:100],
                ref=obs.ref[:120],
            )
        )
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            Intel.objects.bulk_create(self.batch)
            self.batch = []


def _raise_to(rows: Any, rank: int) -> None:
    """Raise the label of `rows` to at least `rank` (never lower one)."""
    from django.db.models import Q

    rows.filter(Q(tlp_rank__isnull=True) | Q(tlp_rank__lt=rank)).update(tlp_rank=rank)


def _resolve(imp: Import, writer: _Writer, floor: TLP | None) -> None:
    """Markings defined in the bundle, MISP event tags, then the floor; the rest is RED."""
    rows = Intel.objects.filter(imported=imp)
    for marking_id, label in writer.markings.items():
        pending = rows.filter(pending=marking_id)
        # A marking that is not a TLP marking says nothing we can rely on: strictest.
        _raise_to(pending, (label or TLP.RED).rank)
    for event in writer.events:
        pending = rows.filter(pending=event.key)
        if event.tlp is not None:
            _raise_to(pending, event.tlp.rank)
        if not event.may_forward:
            imp.may_forward = False
    event_keys = {e.key for e in writer.events}
    unresolved = rows.exclude(pending="").exclude(pending__in=[*writer.markings, *event_keys])
    _raise_to(unresolved, TLP.RED.rank)  # a marking nobody defined: the strictest
    if floor is not None:
        _raise_to(rows, floor.rank)
    rows.filter(tlp_rank__isnull=True).update(tlp_rank=TLP.RED.rank)
    rows.exclude(pending="").update(pending="")


def _finish(imp: Import, writer: _Writer, floor: TLP | None, sha: str) -> None:
    writer.flush()
    _resolve(imp, writer, floor)
    rows = Intel.objects.filter(imported=imp)
    top = rows.aggregate(m=Max("tlp_rank"))["m"]
    label = _RANKS[top] if top is not None else (floor or TLP.RED)
    imp.tlp = label.value
    if label.rank > TLP.AMBER.rank:
        imp.may_forward = False  # AMBER+STRICT and RED stay where they were shared
    imp.sha256 = sha
    imp.object_count = writer.objects
    imp.indicator_count = writer.indicators
    imp.kept = writer.kept
    imp.rejected = writer.rejected
    imp.tlds = rows.exclude(tld="").values("tld").distinct().count()
    imp.registries = rows.exclude(organization=None).values("organization").distinct().count()
    imp.report = {
        "rejections": writer.rejections,
        "kept_types": dict(writer.kept_types.most_common(50)),
        "events": [
            {"uuid": e.uuid, "info": e.info, "tlp": e.tlp.value if e.tlp else None}
            for e in writer.events[:MAX_REPORTED]
        ],
        "markings": {k: (v.value if v else None) for k, v in list(writer.markings.items())[:50]},
    }
    imp.save()


def _start(
    *,
    kind: str,
    name: str,
    provenance: str,
    source_tlp: str,
    policy: str,
    user: Any,
    source: Any = None,
    group: Any = None,
) -> tuple[Import, TLP | None]:
    from dnscc.core.text import check_text

    provenance = check_text(
        provenance, field="provenance", max_length=300, required=True, one_line=True
    )
    floor = TLP.parse(source_tlp, field="source_tlp") if source_tlp else None
    if policy not in intel.POLICIES:
        raise InputError(
            f"unknown policy {policy!r}",
            location=Location(field="policy"),
            hint="keep (unknown types and custom properties are kept) or reject",
        )
    imp = Import.objects.create(
        kind=kind,
        source_name=(name or "upload")[:300],
        provenance=provenance,
        source=source,
        group=group,
        source_tlp=floor.value if floor else "",
        policy=policy,
        created_by=user if getattr(user, "is_authenticated", False) else None,
        created_at=timezone.now(),
    )
    return imp, floor


def _audit(actor: audit.Actor, imp: Import) -> None:
    audit.record(
        actor,
        "sharing.import",
        obj=imp,
        summary=f"{imp.get_kind_display()} {imp.source_name}: {imp.indicator_count} indicator(s),"
        f" {imp.rejected} rejected, {imp.tlp}",
        data={
            "kind": imp.kind,
            "source": imp.source_name,
            "provenance": imp.provenance,
            "sha256": imp.sha256,
            "tlp": imp.tlp,
            "indicators": imp.indicator_count,
            "rejected": imp.rejected,
        },
    )


def import_stix(
    viewer: Viewer,
    actor: audit.Actor,
    stream: IO[bytes],
    *,
    name: str,
    provenance: str,
    kind: str = Import.STIX_FILE,
    source_tlp: str = "",
    policy: str = intel.KEEP,
    user: Any = None,
    source: Any = None,
    group: Any = None,
) -> Import:
    """Staff only. A STIX 2.1 bundle, streamed. Bad objects are rejected one by one (kept in
    the report); a malformed document raises InputError and leaves nothing."""
    staff_only(viewer, "import partner intelligence")
    return run_stix(
        actor,
        stream,
        name=name,
        provenance=provenance,
        kind=kind,
        source_tlp=source_tlp,
        policy=policy,
        user=user,
        source=source,
        group=group,
    )


def run_stix(
    actor: audit.Actor,
    stream: IO[bytes],
    *,
    name: str,
    provenance: str,
    kind: str,
    source_tlp: str = "",
    policy: str = intel.KEEP,
    user: Any = None,
    source: Any = None,
    group: Any = None,
    envelope: bool = False,
) -> Import:
    """import_stix without the staff check: for a member's TAXII write and the poller
    (`envelope`: a TAXII envelope instead of a bundle)."""
    with transaction.atomic():
        imp, floor = _start(
            kind=kind,
            name=name,
            provenance=provenance,
            source_tlp=source_tlp,
            policy=policy,
            user=user,
            source=source,
            group=group,
        )
        hashing = _Hashing(stream)
        writer = _Writer(imp)
        for record in intel.read_stix(
            hashing, name=name, policy=policy, limit=max_bytes(), envelope=envelope
        ):
            writer.take(record)
        _finish(imp, writer, floor, hashing.sha.hexdigest())
        _audit(actor, imp)
    return imp


def import_misp(
    viewer: Viewer,
    actor: audit.Actor,
    streams: Iterable[tuple[str, IO[bytes]]],
    *,
    name: str,
    provenance: str,
    kind: str = Import.MISP_JSON,
    source_tlp: str = "",
    user: Any = None,
) -> Import:
    """Staff only. MISP JSON: one document, or a feed's event files (each (name, stream)),
    streamed. Attributes of domains and addresses become Intel; the rest is kept."""
    staff_only(viewer, "import partner intelligence")
    return run_misp(
        actor,
        streams,
        name=name,
        provenance=provenance,
        kind=kind,
        source_tlp=source_tlp,
        user=user,
    )


def run_misp(
    actor: audit.Actor,
    streams: Iterable[tuple[str, IO[bytes]]],
    *,
    name: str,
    provenance: str,
    kind: str,
    source_tlp: str = "",
    user: Any = None,
    source: Any = None,
) -> Import:
    """import_misp without the staff check: for the feed poller."""
    with transaction.atomic():
        imp, floor = _start(
            kind=kind,
            name=name,
            provenance=provenance,
            source_tlp=source_tlp,
            policy=intel.KEEP,
            user=user,
            source=source,
        )
        sha = hashlib.sha256()
        writer = _Writer(imp)
        offset = 0
        for file_name, stream in streams:
            hashing = _Hashing(stream)
            for record in intel.read_misp(hashing, name=file_name, limit=max_bytes()):
                if isinstance(record, intel.EventEnd | intel.Observation):
                    record = _renumber(record, offset)
                writer.take(record)
            offset = len(writer.events)
            sha.update(hashing.sha.digest())
        _finish(imp, writer, floor, sha.hexdigest())
        _audit(actor, imp)
    return imp


def _renumber(record: Any, offset: int) -> Any:
    """Event keys are per document (event-1, ...): across a feed's files, make them unique."""
    from dataclasses import replace

    key = record.key if isinstance(record, intel.EventEnd) else record.event
    if not key or not offset:
        return record
    number = int(key.rsplit("-", 1)[1]) + offset
    if isinstance(record, intel.EventEnd):
        return replace(record, key=f"event-{number}")
    return replace(record, event=f"event-{number}")


# --- seeing imports and their matches ---------------------------------------------------------


def visible_imports(viewer: Viewer) -> list[Import]:
    """Staff only (imports are the center's working material), each through the TLP rule."""
    if not viewer.is_staff:
        return []
    return [i for i in Import.objects.all()[:500] if can_see(viewer, i.labelled())]


def get_import(viewer: Viewer, import_id: int) -> Import:
    imp = Import.objects.filter(pk=import_id).first()
    if imp is None or not viewer.is_staff or not can_see(viewer, imp.labelled()):
        raise NotFoundError(f"no import {import_id}")
    return imp


def matches(imp: Import) -> dict[str, Any]:
    """Which TLDs and registries the import touches, what the directory does not know, and
    which campaigns already name the same domains."""
    from dnscc.campaigns import services as campaigns
    from dnscc.directory.models import Organization

    rows = Intel.objects.filter(imported=imp)
    per_tld = list(
        rows.filter(kind=Intel.DOMAIN)
        .values("tld", "organization_id")
        .annotate(n=Count("id"))
        .order_by("-n", "tld")
    )
    org_ids = {r["organization_id"] for r in per_tld if r["organization_id"]}
    org_ids |= set(
        rows.filter(kind=Intel.IP)
        .exclude(organization=None)
        .values_list("organization_id", flat=True)
    )
    orgs = {o.pk: o for o in Organization.objects.filter(pk__in=org_ids)}
    registries: Counter[int] = Counter()
    for r in per_tld:
        if r["organization_id"]:
            registries[r["organization_id"]] += r["n"]
    for org_id in (
        rows.filter(kind=Intel.IP)
        .exclude(organization=None)
        .values_list("organization_id", flat=True)
    ):
        registries[org_id] += 1
    domains = rows.filter(kind=Intel.DOMAIN).values("value")
    return {
        "tlds": [
            {
                "tld": r["tld"],
                "names": r["n"],
                "registry": orgs[r["organization_id"]].name if r["organization_id"] else "",
                "registry_slug": orgs[r["organization_id"]].slug if r["organization_id"] else "",
            }
            for r in per_tld
        ],
        "registries": [
            {"slug": orgs[k].slug, "name": orgs[k].name, "names": n}
            for k, n in registries.most_common()
        ],
        "unmatched_tlds": sorted({r["tld"] for r in per_tld if not r["organization_id"]}),
        "addresses": rows.filter(kind=Intel.IP).count(),
        "campaigns": campaigns.campaigns_naming(domains),
    }


def _names(imp: Import) -> Iterator[str]:
    yield from (
        Intel.objects.filter(imported=imp, kind=Intel.DOMAIN)
        .order_by("value")
        .values_list("value", flat=True)
        .distinct()
        .iterator(chunk_size=BATCH)
    )


def open_incident(
    viewer: Viewer,
    actor: audit.Actor,
    imp: Import,
    *,
    title: str,
    dns_type: str = "malicious-registrations",
    user: Any = None,
) -> Any:
    """Staff only. An incident whose scope is the import's names and addresses, labelled at
    least as the import (never lower), linked to it (its provenance)."""
    from dnscc.incidents import services as incidents
    from dnscc.incidents import timeline

    staff_only(viewer, "open incidents")
    if imp.incident_ref:
        raise ConflictError(f"import #{imp.pk} already opened incident {imp.incident_ref}")
    names = list(_names(imp))
    if len(names) > MAX_INCIDENT_NAMES:
        raise ConflictError(
            f"the import names {len(names):,} domains, more than an incident's scope holds"
            f" ({MAX_INCIDENT_NAMES:,})",
            hint="open a campaign from it instead",
        )
    ips = list(
        Intel.objects.filter(imported=imp, kind=Intel.IP).values_list("value", flat=True).distinct()
    )
    with transaction.atomic():
        incident = incidents.create_incident(
            viewer,
            actor,
            {
                "title": title,
                "summary": f"From partner intelligence: {imp.provenance}"
                f" ({imp.get_kind_display()} {imp.source_name}, import #{imp.pk}).",
                "dns_type": dns_type,
                "tlp": imp.tlp,
                "scope": {"names": names, "ips": ips[:MAX_INCIDENT_NAMES]},
            },
            user=user,
        )
        Import.objects.filter(pk=imp.pk).update(incident_ref=incident.ref)
        imp.incident_ref = incident.ref
        timeline.add(
            incident,
            "report",
            f"opened from import #{imp.pk}: {imp.provenance} ({imp.tlp})",
            actor=actor.name,
            data={"import": imp.pk, "sha256": imp.sha256, "tlp": imp.tlp},
        )
        audit.record(
            actor,
            "sharing.import.incident",
            obj=imp,
            summary=f"import #{imp.pk} opened {incident.ref}",
            data={"incident": incident.ref},
        )
    return incident


def open_campaign(
    viewer: Viewer,
    actor: audit.Actor,
    imp: Import,
    *,
    title: str,
    due_date: date,
    action: str,
    legal_basis: str,
    legal_reference: str,
    user: Any = None,
) -> Any:
    """Staff only. A campaign of the import's domain names (split per registry as any
    campaign), under the import's incident (opened first when there is none)."""
    from dnscc.campaigns import services as campaigns

    staff_only(viewer, "create campaigns")
    if imp.campaign_slug:
        raise ConflictError(f"import #{imp.pk} already opened campaign {imp.campaign_slug}")
    with transaction.atomic():
        if not imp.incident_ref:
            open_incident(viewer, actor, imp, title=title, user=user)
        campaign = campaigns.create_campaign(
            viewer,
            actor,
            incident_ref=imp.incident_ref,
            title=title,
            due_date=due_date,
            description=f"From partner intelligence: {imp.provenance} (import #{imp.pk}).",
            tlp=imp.tlp,
            user=user,
        )
        Import.objects.filter(pk=imp.pk).update(campaign_slug=campaign.slug)
        imp.campaign_slug = campaign.slug
        campaigns.load_names(
            viewer,
            actor,
            campaign,
            _NameStream(_names(imp)),  # type: ignore[arg-type]
            filename=f"import-{imp.pk}.txt",
            action=action,
            legal_basis=legal_basis,
            legal_reference=legal_reference,
        )
        audit.record(
            actor,
            "sharing.import.campaign",
            obj=imp,
            summary=f"import #{imp.pk} opened campaign {campaign.slug}",
            data={"campaign": campaign.slug, "incident": imp.incident_ref},
        )
    campaign.refresh_from_db()
    return campaign


class _NameStream(io.RawIOBase):
    """The names as a byte stream of lines, produced as they are read."""

    def __init__(self, names: Iterator[str]) -> None:
        self.names = names
        self.buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while len(self.buffer) < len(target):
            chunk = b"".join(
                n.encode() + b"\n" for n, _ in zip(self.names, range(1000), strict=False)
            )
            if not chunk:
                break
            self.buffer += chunk
        size = min(len(target), len(self.buffer))
        target[:size] = self.buffer[:size]
        self.buffer = self.buffer[size:]
        return size
