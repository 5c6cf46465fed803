"""Publishing to a trust group: the center's incidents, campaigns, advisories and findings
become STIX objects in the group's collections (served over TAXII and as a MISP feed).

The rules, checked before anything is written:
- TLP:RED is never published; nothing above the group's TLP ceiling is.
- A label is never lowered: the published label is the strictest of the object's own and of
  every partner import it came from (`provenance`).
- `may_forward`: content that came from an import that may not be forwarded (AMBER+STRICT,
  RED, a MISP event for "your organisation only") is never re-published to another group.
- AMBER+STRICT goes only to the organisations themselves: each name's indicator is for the
  registry of its TLD, the campaign or incident object for the organisations it concerns.

Objects get a `date_added` strictly increasing within their collection, assigned under a
lock on the collection, so a TAXII client resuming with `added_after` never skips one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core import stix
from dnscc.core.errors import ConflictError, InputError, Location, PermissionDenied
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.sharing.models import Collection, Import, Publication, SharedObject, TrustGroup

BATCH = 5_000
"""Rows per INSERT: a batch of objects as JSON text is a few MB."""


@dataclass(frozen=True)
class Item:
    obj: dict[str, Any]
    for_org: int | None = None
    value: str = ""


def center_identity() -> dict[str, Any]:
    return stix.identity(
        settings.OUTREACH_CSAF_PUBLISHER,
        key="center",
        identity_class="organization",
        created="2026-01-01T00:00:00.000Z",
    )


def _ctx(label: TLP, created: dt.datetime) -> stix.Context:
    return stix.Context(
        tlp=label, created_by=center_identity()["id"], created=stix.timestamp(created)
    )


# --- provenance and checks -------------------------------------------------------------------


def provenance(*, incident_ref: str = "", campaign_slug: str = "") -> list[Import]:
    """The partner imports an incident or campaign was opened from."""
    q = Q(pk__in=[])
    if incident_ref:
        q |= Q(incident_ref=incident_ref)
    if campaign_slug:
        q |= Q(campaign_slug=campaign_slug)
    return list(Import.objects.filter(q))


def effective_tlp(own: TLP, sources: Iterable[Import]) -> TLP:
    """The strictest of the object's label and its sources' labels: never lowered."""
    label = own
    for imp in sources:
        theirs = TLP(imp.tlp)
        if theirs.rank > label.rank:
            label = theirs
    return label


def check_publishable(group: TrustGroup, label: TLP, sources: Iterable[Import], what: str) -> None:
    """Refuse RED, anything above the ceiling, and non-forwardable content from elsewhere."""
    if label is TLP.RED:
        raise PermissionDenied(f"{what} is TLP:RED: it is never exported")
    ceiling = TLP(group.tlp_ceiling)
    if label.rank > ceiling.rank:
        raise PermissionDenied(
            f"{what} is {label.label}, above {group.name}'s ceiling {ceiling.label}",
            hint="publish to a group whose ceiling allows it",
        )
    for imp in sources:
        if not imp.may_forward and imp.group_id != group.pk:
            raise PermissionDenied(
                f"{what} comes from {imp.provenance} ({imp.get_kind_display()} #{imp.pk}),"
                " which may not be forwarded to another group",
                hint="ask the source for permission to share it further",
            )


def _collection(group: TrustGroup, kind: str) -> Collection:
    collection = group.collections.filter(kind=kind).first()
    if collection is None:
        raise ConflictError(f"{group.name} has no {kind} collection")
    return collection


# --- storing ---------------------------------------------------------------------------------


def _store(
    collection: Collection,
    publication: Publication,
    items: Iterable[Item],
    *,
    label: TLP,
    may_forward: bool,
) -> tuple[int, int]:
    """Write the items in order with strictly increasing date_added; an object version the
    collection has already is skipped. Returns (objects, indicators). Call in a transaction."""
    locked = Collection.objects.select_for_update().get(pk=collection.pk)
    step = dt.timedelta(microseconds=1)
    at = timezone.now()
    if locked.last_added is not None and at <= locked.last_added:
        at = locked.last_added + step
    count = indicators = 0
    batch: list[SharedObject] = []
    for item in items:
        obj = item.obj
        batch.append(
            SharedObject(
                collection=locked,
                publication=publication,
                stix_id=obj["id"],
                stix_type=obj["type"],
                version=version_of(obj),
                date_added=at,
                tlp=label.value,
                for_org_id=item.for_org,
                may_forward=may_forward,
                value=item.value,
                data=stix.dumps(obj),
            )
        )
        at += step
        count += 1
        indicators += obj["type"] == "indicator"
        if len(batch) >= BATCH:
            SharedObject.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        SharedObject.objects.bulk_create(batch, ignore_conflicts=True)
    Collection.objects.filter(pk=locked.pk).update(last_added=at - step)
    return count, indicators


def version_of(obj: dict[str, Any]) -> str:
    """An object's version in one text form (its `modified`, else `created`), so that
    versions sort and compare as text."""
    raw = obj.get("modified") or obj.get("created") or ""
    try:
        return stix.timestamp(stix.parse_timestamp(str(raw)))
    except InputError:
        return str(raw)[:32]


def _header(label: TLP) -> list[Item]:
    """The markings the objects reference and the center's identity (TLP:CLEAR)."""
    markings = [stix.MARKINGS[label]] + (
        [stix.MARKINGS[TLP.CLEAR]] if label is not TLP.CLEAR else []
    )
    return [Item(m) for m in markings] + [Item(center_identity())]


def _publication(
    group: TrustGroup,
    collection: Collection,
    actor: audit.Actor,
    *,
    kind: str,
    ref: str,
    title: str,
    label: TLP,
    audience: list[int],
) -> Publication:
    return Publication.objects.create(
        group=group,
        collection=collection,
        kind=kind,
        ref=ref,
        title=title[:300],
        tlp=label.value,
        published_by=actor.name[:150],
        published_at=timezone.now(),
        audience=audience,
    )


def _finish(actor: audit.Actor, publication: Publication, objects: int, indicators: int) -> None:
    Publication.objects.filter(pk=publication.pk).update(
        object_count=objects, indicator_count=indicators
    )
    publication.object_count, publication.indicator_count = objects, indicators
    audit.record(
        actor,
        "sharing.publish",
        obj=publication,
        summary=f"{publication.kind} {publication.ref} to {publication.group.slug}"
        f" ({objects} objects, {publication.tlp})",
        data={
            "group": publication.group.slug,
            "kind": publication.kind,
            "ref": publication.ref,
            "tlp": publication.tlp,
            "objects": objects,
            "audience": publication.audience,
        },
    )


# --- incidents -------------------------------------------------------------------------------


def incident_info(incident: Any) -> stix.IncidentInfo:
    scope = incident.scope or {}
    return stix.IncidentInfo(
        ref=incident.ref,
        title=incident.title,
        summary=incident.summary,
        dns_type=incident.dns_type,
        severity=incident.severity,
        created=stix.timestamp(incident.created_at),
        modified=stix.timestamp(timezone.now()),
        names=tuple(scope.get("names", [])),
        ips=tuple(ip for ip in scope.get("ips", []) if "/" not in ip),
    )


def publish_incident(
    viewer: Viewer, actor: audit.Actor, group: TrustGroup, incident: Any
) -> Publication:
    """Staff only. The incident and the names and addresses of its scope."""
    staff_only(viewer, "publish to trust groups")
    if not can_see(viewer, incident.labelled()):
        from dnscc.core.errors import NotFoundError

        raise NotFoundError(f"no incident {incident.ref!r}")
    sources = provenance(incident_ref=incident.ref)
    label = effective_tlp(TLP(incident.tlp), sources)
    check_publishable(group, label, sources, f"incident {incident.ref}")
    audience = sorted(set(incident.parties.values_list("organization_id", flat=True)))
    collection = _collection(group, "incidents")
    ctx = _ctx(label, incident.created_at)
    objects = stix.incident_objects(ctx, incident_info(incident))
    strict = label is TLP.AMBER_STRICT
    with transaction.atomic():
        pub = _publication(
            group,
            collection,
            actor,
            kind="incident",
            ref=incident.ref,
            title=incident.title,
            label=label,
            audience=audience if strict else [],
        )
        items = _header(label) + [
            Item(o, value=o["name"] if o["type"] == "indicator" else "") for o in objects
        ]
        count, indicators = _store(
            collection, pub, items, label=label, may_forward=all(s.may_forward for s in sources)
        )
        _finish(actor, pub, count, indicators)
        _timeline(incident, actor, f"published to {group.name} ({label.label}, {count} objects)")
    return pub


def _timeline(incident: Any, actor: audit.Actor, summary: str) -> None:
    from dnscc.incidents import timeline

    timeline.add(incident, "link", summary, actor=actor.name, data={"sharing": True})


# --- campaigns -------------------------------------------------------------------------------


def campaign_info(campaign: Any, *, named: dict[int, str] | None = None) -> stix.CampaignInfo:
    """The campaign, its main action and its per-TLD coverage (registries named only where
    `identity_exportable` allows: `named` maps organisation id -> name)."""
    from dnscc.campaigns.models import Target

    actions = Counter(campaign.lists.values_list("action", flat=True))
    rows = (
        Target.objects.filter(campaign=campaign)
        .values("tld", "slice__organization_id")
        .annotate(n=Count("id"), ok=Count("id", filter=Q(verified_ok=True)))
        .order_by("tld")
    )
    coverage = tuple(
        stix.Coverage(
            tld=r["tld"],
            names=r["n"],
            verified=r["ok"],
            registry=(named or {}).get(r["slice__organization_id"] or 0, ""),
        )
        for r in rows
    )
    return stix.CampaignInfo(
        slug=campaign.slug,
        title=campaign.title,
        description=campaign.description,
        action=actions.most_common(1)[0][0] if actions else "act on",
        created=stix.timestamp(campaign.created_at),
        modified=stix.timestamp(timezone.now()),
        incident_ref=campaign.incident.ref,
        coverage=coverage,
    )


def _named_registries(campaign: Any) -> dict[int, str]:
    from dnscc.directory.models import Organization

    ids = campaign.slices.values_list("organization_id", flat=True)
    return {
        o.pk: o.name
        for o in Organization.objects.filter(pk__in=ids)
        if stix.identity_exportable(TLP(o.tlp), o.vetting)
    }


def campaign_names(campaign: Any) -> Iterator[tuple[str, int | None]]:
    """(name, registry organisation id) of every target, in name order, streamed."""
    from dnscc.campaigns.models import Target

    qs = Target.objects.filter(campaign=campaign).order_by("name")
    yield from qs.values_list("name", "slice__organization_id").iterator(chunk_size=BATCH)


def publish_campaign(
    viewer: Viewer, actor: audit.Actor, group: TrustGroup, campaign: Any
) -> Publication:
    """Staff only. The campaign, its coverage note, and every name as an indicator."""
    staff_only(viewer, "publish to trust groups")
    if not can_see(viewer, campaign.labelled()):
        from dnscc.core.errors import NotFoundError

        raise NotFoundError(f"no campaign {campaign.slug!r}")
    sources = provenance(incident_ref=campaign.incident.ref, campaign_slug=campaign.slug)
    label = effective_tlp(TLP(campaign.tlp), sources)
    check_publishable(group, label, sources, f"campaign {campaign.slug}")
    strict = label is TLP.AMBER_STRICT
    audience = sorted(set(campaign.slices.values_list("organization_id", flat=True)))
    collection = _collection(group, "campaigns")
    ctx = _ctx(label, campaign.created_at)
    info = campaign_info(campaign, named=_named_registries(campaign))

    def items() -> Iterator[Item]:
        yield from _header(label)
        for obj in stix.campaign_objects(ctx, info):
            yield Item(obj)
        cid = stix.campaign_id(info.slug)
        described = f"Named in campaign {info.slug} ({info.action})"
        labels = (f"campaign:{info.slug}",)
        for name, org_id in campaign_names(campaign):
            ind = stix.indicator(
                ctx, stix.DOMAIN, name, key=info.slug, description=described, labels=labels
            )
            owner = org_id if strict else None
            yield Item(ind, for_org=owner, value=name)
            yield Item(stix.relationship(ctx, ind["id"], "indicates", cid), for_org=owner)

    with transaction.atomic():
        pub = _publication(
            group,
            collection,
            actor,
            kind="campaign",
            ref=campaign.slug,
            title=campaign.title,
            label=label,
            audience=audience if strict else [],
        )
        count, indicators = _store(
            collection, pub, items(), label=label, may_forward=all(s.may_forward for s in sources)
        )
        _finish(actor, pub, count, indicators)
        _timeline(
            campaign.incident,
            actor,
            f"campaign {campaign.slug} published to {group.name} ({label.label}, {count} objects)",
        )
    return pub


def _bundle_objects(viewer: Viewer, campaign: Any) -> tuple[Iterator[dict[str, Any]], str]:
    staff_only(viewer, "export campaigns")
    sources = provenance(incident_ref=campaign.incident.ref, campaign_slug=campaign.slug)
    label = effective_tlp(TLP(campaign.tlp), sources)
    if label is TLP.RED:
        raise PermissionDenied(f"campaign {campaign.slug} is TLP:RED: it is never exported")
    ctx = _ctx(label, campaign.created_at)
    info = campaign_info(campaign, named=_named_registries(campaign))

    def objects() -> Iterator[dict[str, Any]]:
        yield from (item.obj for item in _header(label))
        yield from stix.campaign_objects(ctx, info)
        yield from stix.campaign_indicators(ctx, info, (n for n, _ in campaign_names(campaign)))

    return objects(), f"campaign:{campaign.slug}:{info.modified}"


def export_campaign_bundle(viewer: Viewer, actor: audit.Actor, campaign: Any, out: IO[str]) -> int:
    """Staff only. The campaign as one STIX bundle written to `out`, streamed (a million
    names in bounded memory). RED is refused. Returns the number of objects."""
    objects, key = _bundle_objects(viewer, campaign)
    count = stix.write_bundle(objects, out, key=key)
    audit.disclosed(actor, "campaigns.campaign", ids=[campaign.slug], how="stix", objects=count)
    return count


def campaign_bundle_chunks(viewer: Viewer, actor: audit.Actor, campaign: Any) -> Iterator[str]:
    """The same bundle as text chunks for a streamed HTTP answer (checked before it starts)."""
    objects, key = _bundle_objects(viewer, campaign)
    audit.disclosed(actor, "campaigns.campaign", ids=[campaign.slug], how="stix")
    return stix.bundle_chunks(objects, key=key)


def publish_named(
    viewer: Viewer, actor: audit.Actor, group: TrustGroup, kind: str, ref: str
) -> Publication:
    """Publish an incident (by reference), a campaign (slug) or an advisory (tracking id)."""
    if kind == "incident":
        from dnscc.incidents import services as incidents

        return publish_incident(viewer, actor, group, incidents.get_incident(viewer, ref))
    if kind == "campaign":
        from dnscc.campaigns import services as campaigns

        return publish_campaign(viewer, actor, group, campaigns.get_campaign(viewer, ref))
    if kind == "advisory":
        from dnscc.outreach import advisories

        return publish_advisory(viewer, actor, group, advisories.get_advisory(viewer, ref))
    raise InputError(
        f"unknown kind {kind!r}",
        location=Location(field="kind"),
        hint="incident, campaign or advisory",
    )


# --- advisories and findings -------------------------------------------------------------------


def publish_advisory(
    viewer: Viewer, actor: audit.Actor, group: TrustGroup, advisory: Any
) -> Publication:
    """Staff only. A published CSAF advisory as a report linking its document."""
    staff_only(viewer, "publish to trust groups")
    from dnscc.outreach import advisories

    if advisory.status != advisory.PUBLISHED:
        raise ConflictError(f"advisory {advisory.tracking_id} is not published yet")
    label = TLP(advisory.tlp)
    check_publishable(group, label, [], f"advisory {advisory.tracking_id}")
    collection = _collection(group, "advisories")
    published = advisory.updated_at
    ctx = _ctx(label, published)
    center = center_identity()
    info = stix.AdvisoryInfo(
        tracking_id=advisory.tracking_id,
        title=advisory.title,
        summary=advisory.summary,
        url=advisories.document_url(advisory),
        sha256=advisory.sha256,
        published=stix.timestamp(published),
    )
    with transaction.atomic():
        pub = _publication(
            group,
            collection,
            actor,
            kind="advisory",
            ref=advisory.tracking_id,
            title=advisory.title,
            label=label,
            audience=[],
        )
        items = _header(label) + [Item(o) for o in stix.advisory_objects(ctx, info, center["id"])]
        count, indicators = _store(collection, pub, items, label=label, may_forward=True)
        _finish(actor, pub, count, indicators)
    return pub


def publish_findings(
    viewer: Viewer, actor: audit.Actor, group: TrustGroup, findings: Iterable[Any], *, tlp: str
) -> Publication:
    """Staff only. Open monitoring findings as sightings by the center."""
    staff_only(viewer, "publish to trust groups")
    label = TLP.parse(tlp)
    check_publishable(group, label, [], "the findings")
    collection = _collection(group, "sightings")
    now = timezone.now()
    ctx = _ctx(label, now)
    center = center_identity()
    found = list(findings)
    if not found:
        raise InputError("there are no findings to publish", location=Location(field="findings"))
    with transaction.atomic():
        pub = _publication(
            group,
            collection,
            actor,
            kind="finding",
            ref=now.strftime("%Y%m%dT%H%M%S"),
            title=f"{len(found)} monitoring finding(s)",
            label=label,
            audience=[],
        )
        items = _header(label)
        for f in found:
            info = stix.FindingInfo(
                zone=f.zone,
                code=f.code,
                message=f.message,
                first_seen=stix.timestamp(f.first_seen),
                last_seen=stix.timestamp(f.last_seen),
                key=f"finding:{f.pk}",
            )
            items += [Item(o) for o in stix.finding_objects(ctx, info, center["id"])]
        count, indicators = _store(collection, pub, items, label=label, may_forward=True)
        _finish(actor, pub, count, indicators)
    return pub


def publication_objects(publication: Publication) -> Iterator[dict[str, Any]]:
    for text in publication.shared.order_by("date_added").values_list("data", flat=True):
        yield json.loads(text)
