"""STIX 2.1 mapping of what the center knows: pure code, no Django.

What becomes what (docs/sharing.md has the table with examples):

    incident          incident SDO, the DNS type as a label, the reference as an external id
    domain, NS, IP    indicator SDO with a STIX pattern ([domain-name:value = '...'], ...)
    campaign          campaign SDO; its names as indicators that "indicate" it; the per-TLD
                      coverage as a note on it; "related-to" its incident
    advisory          report SDO linking the CSAF document by URL and SHA-256
    organisation      identity SDO (only where its TLP and vetting allow: `identity_exportable`)
    finding           sighting SRO of an indicator for the zone, seen by the center
    TLP 2.0           the official marking definitions (OASIS, by id) on every object

Structural objects (incident, campaign, note, report, identity, sighting) are built with the
`stix2` library, which checks every property. Indicators and relationships come in the
millions for a large campaign; `stix2` costs about 0.7 ms an object here, so they are written
as plain dicts of exactly the shape `stix2` produces (docs/decisions/0013-stix-taxii-misp-
libraries.md; tests/core/test_stix_shape.py compares them with `stix2`'s objects).

Identifiers are deterministic (the same campaign name always has the same indicator id), so
publishing again adds versions instead of duplicates. They are UUIDs of version 4 form whose
random bits come from a SHA-256 of the object's key: STIX asks for version 4 for SDOs.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from dnscc.core.errors import InputError, Location
from dnscc.core.tlp import TLP

__all__ = [
    "MARKINGS",
    "TLP_EXTENSION",
    "AdvisoryInfo",
    "CampaignInfo",
    "FindingInfo",
    "IncidentInfo",
    "advisory_objects",
    "campaign_objects",
    "finding_objects",
    "identity",
    "identity_exportable",
    "incident_objects",
    "indicator",
    "marking_ref",
    "pattern_for",
    "relationship",
    "stix_id",
    "timestamp",
    "tlp_of_refs",
    "write_bundle",
]

TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
"""The OASIS extension every TLP 2.0 marking definition declares itself through."""

_TLP2_IDS = {
    TLP.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    TLP.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    TLP.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    TLP.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    TLP.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# TLP 1.0 markings predefined by STIX 2.1 itself (what older partners still send).
_TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": TLP.CLEAR,  # WHITE
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": TLP.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": TLP.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": TLP.RED,
}
KNOWN_MARKINGS: dict[str, TLP] = {**{v: k for k, v in _TLP2_IDS.items()}, **_TLP1_IDS}
"""Every marking definition id whose TLP label the center knows without being told."""


def _marking(label: TLP) -> dict[str, Any]:
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": _TLP2_IDS[label],
        "created": "2022-10-01T00:00:00.000Z",
        "name": label.label,
        "extensions": {
            TLP_EXTENSION: {
                "extension_type": "property-extension",
                "tlp_2_0": label.value.lower(),
            }
        },
    }


MARKINGS: dict[TLP, dict[str, Any]] = {label: _marking(label) for label in TLP}
"""The official TLP 2.0 marking definitions, byte for byte as OASIS publishes them."""


def marking_ref(label: TLP) -> str:
    """The id of the official TLP 2.0 marking definition of `label`."""
    return _TLP2_IDS[label]


def tlp_of_marking(obj: dict[str, Any]) -> TLP | None:
    """The TLP label a marking-definition object defines (2.0 extension or 1.0 definition)."""
    known = KNOWN_MARKINGS.get(str(obj.get("id", "")))
    if known is not None:
        return known
    ext = (obj.get("extensions") or {}).get(TLP_EXTENSION)
    value: Any = None
    if isinstance(ext, dict):
        value = ext.get("tlp_2_0")
    elif obj.get("definition_type") == "tlp" and isinstance(obj.get("definition"), dict):
        value = obj["definition"].get("tlp")
    if not isinstance(value, str):
        return None
    try:
        return TLP.parse(value)
    except InputError:
        return None


def tlp_of_refs(refs: Iterable[Any], defined: dict[str, TLP] | None = None) -> TLP | None:
    """The strictest TLP among marking refs, or None when no ref is a known TLP marking.

    `defined` adds marking definitions met in the same bundle. A ref that is not a known TLP
    marking is not counted here; callers treat "no known marking" as the strictest label."""
    best: TLP | None = None
    for ref in refs:
        label = KNOWN_MARKINGS.get(str(ref)) or (defined or {}).get(str(ref))
        if label is not None and (best is None or label.rank > best.rank):
            best = label
    return best


# --- identifiers and timestamps ----------------------------------------------------------

_NAMESPACE = "dnscc"


def stix_id(kind: str, *key: str) -> str:
    """A deterministic STIX id: `kind--<uuid>` whose bits come from SHA-256 of the key,
    shaped as a version 4 UUID (STIX recommends version 4 for SDOs and SROs)."""
    digest = hashlib.sha256("\x1f".join((_NAMESPACE, kind, *key)).encode()).digest()
    return f"{kind}--{uuid.UUID(bytes=digest[:16], version=4)}"


def timestamp(at: datetime) -> str:
    """A STIX timestamp in UTC with milliseconds: 2026-01-02T03:04:05.678Z."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_timestamp(text: str, *, field: str = "timestamp") -> datetime:
    """A STIX / TAXII timestamp (RFC 3339, UTC) as an aware datetime, or InputError."""
    value = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(
            f"{text!r} is not a timestamp",
            location=Location(field=field),
            hint="write RFC 3339 in UTC, e.g. 2026-01-02T03:04:05.678Z",
        ) from None
    if parsed.tzinfo is None:
        raise InputError(
            f"{text!r} has no time zone", location=Location(field=field), hint="end it with Z"
        )
    return parsed.astimezone(UTC)


# --- patterns and indicators ---------------------------------------------------------------

DOMAIN, IP, NAME_SERVER = "domain", "ip", "ns"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(kind: str, value: str) -> str:
    """The STIX pattern of one indicator value: a domain name, a name server name or an IP
    address (version picked from the address)."""
    if kind == IP:
        address = ipaddress.ip_address(value)
        sco = "ipv4-addr" if address.version == 4 else "ipv6-addr"
        return f"[{sco}:value = {_quote(address.compressed)}]"
    return f"[domain-name:value = {_quote(value)}]"


_PATTERN_VALUE = re.compile(
    r"^\[\s*(domain-name|ipv4-addr|ipv6-addr):value\s*=\s*'((?:[^'\\]|\\.)*)'\s*\]$"
)


def simple_pattern_value(pattern: str) -> tuple[str, str] | None:
    """(kind, value) of a single-comparison pattern on a domain or address, else None."""
    match = _PATTERN_VALUE.match(pattern.strip())
    if match is None:
        return None
    sco, raw = match.groups()
    value = re.sub(r"\\(.)", r"\1", raw)
    return (DOMAIN if sco == "domain-name" else IP), value


@dataclass(frozen=True)
class Context:
    """What every object of one export shares: its label, author and time."""

    tlp: TLP
    created_by: str
    created: str  # a STIX timestamp

    def __post_init__(self) -> None:
        if self.tlp is TLP.RED:
            raise InputError(
                "TLP:RED is never exported",
                location=Location(field="tlp"),
                hint="share it in person",
            )


def indicator(
    ctx: Context,
    kind: str,
    value: str,
    *,
    key: str,
    description: str,
    labels: tuple[str, ...] = (),
    modified: str | None = None,
) -> dict[str, Any]:
    """One indicator as `stix2` would serialise it (without the 0.7 ms it takes to build).
    `key` scopes the deterministic id (a campaign slug, an incident reference)."""
    obj: dict[str, Any] = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id("indicator", key, kind, value),
        "created_by_ref": ctx.created_by,
        "created": ctx.created,
        "modified": modified or ctx.created,
        "name": value,
        "description": description,
        "indicator_types": ["malicious-activity"],
        "pattern": pattern_for(kind, value),
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": ctx.created,
    }
    if labels:
        obj["labels"] = list(labels)
    obj["object_marking_refs"] = [marking_ref(ctx.tlp)]
    return obj


def relationship(
    ctx: Context, source: str, rel: str, target: str, *, modified: str | None = None
) -> dict[str, Any]:
    """A relationship SRO as `stix2` would serialise it."""
    return {
        "type": "relationship",
        "spec_version": "2.1",
        "id": stix_id("relationship", source, rel, target),
        "created_by_ref": ctx.created_by,
        "created": ctx.created,
        "modified": modified or ctx.created,
        "relationship_type": rel,
        "source_ref": source,
        "target_ref": target,
        "object_marking_refs": [marking_ref(ctx.tlp)],
    }


def _built(obj: Any) -> dict[str, Any]:
    """A `stix2` object as a plain dict (its own serialisation, so the shape is the library's)."""
    result: dict[str, Any] = json.loads(obj.serialize())
    return result


def identity(
    name: str, *, key: str, identity_class: str, created: str, tlp: TLP = TLP.CLEAR
) -> dict[str, Any]:
    """An identity SDO (the center itself, or an organisation that may be named); the
    center's own identity is public (TLP:CLEAR)."""
    import stix2

    return _built(
        stix2.v21.Identity(
            id=stix_id("identity", key),
            name=name,
            identity_class=identity_class,
            created=created,
            modified=created,
            object_marking_refs=[marking_ref(tlp)],
        )
    )


_VETTING_RANK = {"unvetted": 0, "vetted": 1, "trusted": 2}


def identity_exportable(org_tlp: TLP, org_vetting: str) -> bool:
    """An organisation is named in an export only when its directory entry may be seen by
    the community (CLEAR or GREEN) and the center has vetted it: an unvetted or AMBER
    organisation stays a TLD in the coverage note."""
    return org_tlp.rank <= TLP.GREEN.rank and _VETTING_RANK.get(org_vetting, 0) >= 1


# --- incidents, campaigns, advisories, findings --------------------------------------------


@dataclass(frozen=True)
class IncidentInfo:
    ref: str
    title: str
    summary: str
    dns_type: str
    severity: str
    created: str
    modified: str
    names: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()


def incident_objects(ctx: Context, info: IncidentInfo) -> list[dict[str, Any]]:
    """The incident SDO, an indicator per name and address of its scope, each related to it."""
    import stix2

    incident_id = stix_id("incident", info.ref)
    objects = [
        _built(
            stix2.v21.Incident(
                id=incident_id,
                created_by_ref=ctx.created_by,
                created=info.created,
                modified=info.modified,
                name=f"{info.ref}: {info.title}",
                description=info.summary or info.title,
                labels=[info.dns_type, f"severity:{info.severity}"],
                external_references=[{"source_name": "dnscc", "external_id": info.ref}],
                object_marking_refs=[marking_ref(ctx.tlp)],
            )
        )
    ]
    described = f"In the scope of incident {info.ref}"
    for kind, values in ((DOMAIN, info.names), (IP, info.ips)):
        for value in values:
            ind = indicator(ctx, kind, value, key=info.ref, description=described)
            objects.append(ind)
            objects.append(relationship(ctx, ind["id"], "related-to", incident_id))
    return objects


@dataclass(frozen=True)
class Coverage:
    tld: str
    names: int
    verified: int = 0
    registry: str = ""  # named only where identity_exportable allowed it


@dataclass(frozen=True)
class CampaignInfo:
    slug: str
    title: str
    description: str
    action: str
    created: str
    modified: str
    incident_ref: str = ""
    coverage: tuple[Coverage, ...] = field(default_factory=tuple)


def campaign_id(slug: str) -> str:
    return stix_id("campaign", slug)


def campaign_objects(ctx: Context, info: CampaignInfo) -> list[dict[str, Any]]:
    """The campaign SDO, its coverage note, and its relation to the incident (the names
    come from `campaign_indicators`, streamed)."""
    import stix2

    cid = campaign_id(info.slug)
    objects = [
        _built(
            stix2.v21.Campaign(
                id=cid,
                created_by_ref=ctx.created_by,
                created=info.created,
                modified=info.modified,
                name=info.title,
                description=info.description or info.title,
                first_seen=info.created,
                objective=f"coordinated {info.action} of the names at their registries",
                external_references=[{"source_name": "dnscc", "external_id": info.slug}],
                object_marking_refs=[marking_ref(ctx.tlp)],
            )
        )
    ]
    if info.coverage:
        lines = [
            f"{c.tld}: {c.names} name(s), {c.verified} verified"
            + (f", registry {c.registry}" if c.registry else "")
            for c in info.coverage
        ]
        objects.append(
            _built(
                stix2.v21.Note(
                    id=stix_id("note", info.slug, "coverage"),
                    created_by_ref=ctx.created_by,
                    created=info.created,
                    modified=info.modified,
                    abstract=f"Coverage per TLD: {len(info.coverage)} TLD(s)",
                    content="\n".join(lines),
                    object_refs=[cid],
                    object_marking_refs=[marking_ref(ctx.tlp)],
                )
            )
        )
    if info.incident_ref:
        objects.append(relationship(ctx, cid, "related-to", stix_id("incident", info.incident_ref)))
    return objects


def campaign_indicators(
    ctx: Context, info: CampaignInfo, names: Iterable[str]
) -> Iterator[dict[str, Any]]:
    """An indicator per name and its "indicates" relationship to the campaign, lazily: a
    million names never sit in memory at once."""
    cid = campaign_id(info.slug)
    described = f"Named in campaign {info.slug} ({info.action})"
    labels = (f"campaign:{info.slug}",)
    for name in names:
        ind = indicator(ctx, DOMAIN, name, key=info.slug, description=described, labels=labels)
        yield ind
        yield relationship(ctx, ind["id"], "indicates", cid)


@dataclass(frozen=True)
class AdvisoryInfo:
    tracking_id: str
    title: str
    summary: str
    url: str
    sha256: str
    published: str


def advisory_objects(ctx: Context, info: AdvisoryInfo, center_id: str) -> list[dict[str, Any]]:
    """A report SDO whose external reference is the CSAF document, by URL and SHA-256."""
    import stix2

    return [
        _built(
            stix2.v21.Report(
                id=stix_id("report", info.tracking_id),
                created_by_ref=ctx.created_by,
                created=info.published,
                modified=info.published,
                name=f"{info.tracking_id}: {info.title}",
                description=info.summary,
                report_types=["threat-report"],
                published=info.published,
                object_refs=[center_id],
                external_references=[
                    {
                        "source_name": "csaf",
                        "external_id": info.tracking_id,
                        "url": info.url,
                        "hashes": {"SHA-256": info.sha256},
                    }
                ],
                object_marking_refs=[marking_ref(ctx.tlp)],
            )
        )
    ]


@dataclass(frozen=True)
class FindingInfo:
    zone: str
    code: str
    message: str
    first_seen: str
    last_seen: str
    key: str


def finding_objects(ctx: Context, info: FindingInfo, center_id: str) -> list[dict[str, Any]]:
    """An indicator for the zone and a sighting of it by the center (monitoring finding)."""
    import stix2

    ind = indicator(
        ctx,
        DOMAIN,
        info.zone or ".",
        key=f"finding:{info.code}",
        description=info.message,
        labels=(info.code,),
    )
    sighting = _built(
        stix2.v21.Sighting(
            id=stix_id("sighting", info.key),
            created_by_ref=ctx.created_by,
            created=ctx.created,
            modified=info.last_seen,
            first_seen=info.first_seen,
            last_seen=info.last_seen,
            count=1,
            description=f"{info.code}: {info.message}",
            sighting_of_ref=ind["id"],
            where_sighted_refs=[center_id],
            object_marking_refs=[marking_ref(ctx.tlp)],
        )
    )
    return [ind, sighting]


# --- bundles -----------------------------------------------------------------------------


def dumps(obj: dict[str, Any]) -> str:
    """The one JSON form of an object (compact, key order kept)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def bundle_chunks(objects: Iterable[dict[str, Any]], *, key: str) -> Iterator[str]:
    """A bundle as text chunks, object by object (nothing but one object in memory)."""
    yield '{"type":"bundle","id":"' + stix_id("bundle", key) + '","objects":['
    first = True
    for obj in objects:
        yield dumps(obj) if first else "," + dumps(obj)
        first = False
    yield "]}"


def write_bundle(objects: Iterable[dict[str, Any]], out: IO[str], *, key: str) -> int:
    """Write a bundle object by object; returns how many objects."""
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for obj in objects:
            count += 1
            yield obj

    for chunk in bundle_chunks(counted(), key=key):
        out.write(chunk)
    return count
