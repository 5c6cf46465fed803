"""The threat catalogue in the center: load the shipped file (or a center's own file of the
same shape) into ThreatSource and ThreatEvent rows, idempotently. The file format and its
checks are dnscc.core.threats; the shipped file is catalogue.toml beside this module."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import transaction

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location
from dnscc.core.taxonomy import DNS_TYPES
from dnscc.core.threats import Catalogue, parse_catalogue
from dnscc.risk.models import ThreatEvent, ThreatSource

SHIPPED = Path(__file__).with_name("catalogue.toml")


def probe_codes() -> set[str]:
    """The finding codes the probe knows (its profile), which events may name."""
    from dnscc.probe.profile import load_profile

    return set(load_profile().codes)


def parse(text: str, *, file: str) -> Catalogue:
    return parse_catalogue(
        text,
        file=file,
        incident_types=set(DNS_TYPES),
        probe_codes=probe_codes(),
        known_sources=set(ThreatSource.objects.values_list("key", flat=True)),
    )


def load_catalogue(actor: audit.Actor, path: str | Path | None = None) -> dict[str, Any]:
    """Load the shipped catalogue, or `path`: sources and events created or updated by
    their stable key; events absent from the file are left as they are. All or nothing."""
    file = Path(path) if path else SHIPPED
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the catalogue: {exc}", location=Location(file=str(file))
        ) from None
    catalogue = parse(text, file=file.name)
    shipped = path is None
    created = {"sources": 0, "events": 0}
    updated = {"sources": 0, "events": 0}
    with transaction.atomic():
        for source in catalogue.sources.values():
            _, made = ThreatSource.objects.update_or_create(
                key=source.id,
                defaults={
                    "type": source.type,
                    "subtype": source.subtype,
                    "name": source.name,
                    "description": source.description,
                },
            )
            (created if made else updated)["sources"] += 1
        sources = {s.key: s for s in ThreatSource.objects.all()}
        for event in catalogue.events.values():
            row, made = ThreatEvent.objects.update_or_create(
                key=event.id,
                defaults={
                    "name": event.name,
                    "description": event.description,
                    "relevance": event.relevance,
                    "incident_types": list(event.incident_types),
                    "probe_codes": list(event.probe_codes),
                    "asset_kinds": list(event.asset_kinds),
                    "reference": event.reference,
                    "retired": event.retired,
                    "shipped": shipped,
                },
            )
            row.sources.set([sources[s] for s in event.sources])
            (created if made else updated)["events"] += 1
        result = {
            "file": file.name,
            "version": catalogue.version,
            "created": created,
            "updated": updated,
        }
        audit.record(
            actor,
            "risk.catalogue_load",
            object_type="risk.catalogue",
            object_id=file.name,
            summary=f"catalogue {file.name}: {created['events']} new event(s), "
            f"{updated['events']} updated",
            data=result,
        )
    return result


def ensure_catalogue() -> None:
    """Load the shipped catalogue once, the first time the center needs it."""
    if not ThreatEvent.objects.exists():
        load_catalogue(audit.SYSTEM)


def events(*, include_retired: bool = False) -> list[ThreatEvent]:
    ensure_catalogue()
    qs = ThreatEvent.objects.prefetch_related("sources")
    if not include_retired:
        qs = qs.filter(retired=False)
    return list(qs)


def get_event(key: str, *, field: str = "event") -> ThreatEvent:
    ensure_catalogue()
    event = ThreatEvent.objects.filter(key=str(key or "").strip()).first()
    if event is None:
        raise InputError(
            f"unknown threat event {key!r}",
            location=Location(field=field),
            hint="see `dnscc risk catalogue list` for the events' identifiers",
        )
    return event


def event_index() -> dict[str, dict[str, list[str]]]:
    """incident type -> event keys, probe code -> event keys (what evidences what)."""
    by_type: dict[str, list[str]] = {}
    by_code: dict[str, list[str]] = {}
    for e in events():
        for t in e.incident_types:
            by_type.setdefault(t, []).append(e.key)
        for c in e.probe_codes:
            by_code.setdefault(c, []).append(e.key)
    return {"types": by_type, "codes": by_code}


def describe(event: ThreatEvent) -> dict[str, Any]:
    return {
        "key": event.key,
        "name": event.name,
        "description": event.description,
        "relevance": event.relevance,
        "sources": [
            {"key": s.key, "type": s.type, "subtype": s.subtype, "name": s.name}
            for s in event.sources.all()
        ],
        "incident_types": event.incident_types,
        "probe_codes": event.probe_codes,
        "asset_kinds": event.asset_kinds,
        "reference": event.reference,
        "retired": event.retired,
        "shipped": event.shipped,
    }
