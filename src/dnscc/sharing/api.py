"""The sharing API, at /api/v1/sharing/ (the TAXII server itself is at /taxii2/)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.core.errors import InputError, Location
from dnscc.directory.models import Organization
from dnscc.sharing import groups, imports, publish
from dnscc.sharing.models import Import, Pull

router = Router(tags=["sharing"])


class GroupIn(Schema):
    name: str
    agreement: str
    min_vetting: str = "vetted"
    tlp_ceiling: str = "AMBER"
    description: str = ""
    slug: str = ""


class MemberOut(Schema):
    organization: str
    name: str
    vetting: str
    accepted_version: int
    accepted_by: str
    accepted_at: datetime | None
    state: str


class GroupOut(Schema):
    slug: str
    name: str
    description: str
    min_vetting: str
    tlp_ceiling: str
    agreement_version: int
    members: list[MemberOut]


class MemberIn(Schema):
    organization: str
    accept_version: int = 0


class AcceptIn(Schema):
    version: int
    organization: str = ""


class AgreementIn(Schema):
    text: str


class PublishIn(Schema):
    kind: str  # incident, campaign, advisory
    ref: str


class PublicationOut(Schema):
    group: str
    kind: str
    ref: str
    title: str
    tlp: str
    objects: int
    indicators: int
    published_by: str
    published_at: datetime
    misp_event: str


class PullOut(Schema):
    username: str
    organization: str
    stix_id: str
    version: str
    via: str
    at: datetime


class ImportOut(Schema):
    id: int
    kind: str
    source_name: str
    provenance: str
    source_tlp: str
    tlp: str
    may_forward: bool
    sha256: str
    objects: int
    indicators: int
    kept: int
    rejected: int
    tlds: int
    registries: int
    report: dict[str, Any]
    created_at: datetime
    incident_ref: str
    campaign_slug: str


class ImportDetailOut(ImportOut):
    matches: dict[str, Any]


class IncidentFromIn(Schema):
    title: str
    dns_type: str = "malicious-registrations"


class CampaignFromIn(Schema):
    title: str
    due_date: date
    action: str
    legal_basis: str
    legal_reference: str


def _group_out(group: Any) -> dict[str, Any]:
    return groups.group_summary(group)


def _publication_out(p: Any) -> dict[str, Any]:
    return {
        "group": p.group.slug,
        "kind": p.kind,
        "ref": p.ref,
        "title": p.title,
        "tlp": p.tlp,
        "objects": p.object_count,
        "indicators": p.indicator_count,
        "published_by": p.published_by,
        "published_at": p.published_at,
        "misp_event": str(p.uid),
    }


def _import_out(i: Import) -> dict[str, Any]:
    return {
        "id": i.pk,
        "kind": i.kind,
        "source_name": i.source_name,
        "provenance": i.provenance,
        "source_tlp": i.source_tlp,
        "tlp": i.tlp,
        "may_forward": i.may_forward,
        "sha256": i.sha256,
        "objects": i.object_count,
        "indicators": i.indicator_count,
        "kept": i.kept,
        "rejected": i.rejected,
        "tlds": i.tlds,
        "registries": i.registries,
        "report": i.report,
        "created_at": i.created_at,
        "incident_ref": i.incident_ref,
        "campaign_slug": i.campaign_slug,
    }


def _org(slug: str, field: str = "organization") -> Organization:
    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise InputError(f"no organisation {slug!r}", location=Location(field=field))
    return org


@router.get("/groups", response=list[GroupOut])
def list_groups(request: HttpRequest) -> list[dict[str, Any]]:
    """Trust groups: staff all; a member the groups its organisation belongs to."""
    viewer = require_role(request.user)
    found = groups.active_groups(viewer)
    audit.disclosed(
        audit.Actor.of(request.user), "sharing.group", ids=[g.slug for g in found], how="api"
    )
    if not viewer.is_staff:
        # A member sees the groups it belongs to, not who else does.
        return [{**_group_out(g), "members": []} for g in found]
    return [_group_out(g) for g in found]


@router.post("/groups", response={201: GroupOut})
def create_group(request: HttpRequest, payload: GroupIn) -> Status[dict[str, Any]]:
    """Staff: create a trust group with its agreement, minimum vetting and TLP ceiling."""
    viewer = require_staff(request.user)
    group = groups.create_group(
        viewer,
        audit.Actor.of(request.user),
        name=payload.name,
        agreement=payload.agreement,
        min_vetting=payload.min_vetting,
        tlp_ceiling=payload.tlp_ceiling,
        description=payload.description,
        slug=payload.slug,
    )
    return Status(201, _group_out(group))


@router.get("/groups/{slug}", response=GroupOut)
def get_group(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Staff: one trust group with its members and their agreement state."""
    viewer = require_staff(request.user)
    group = groups.visible_group(viewer, slug)
    audit.disclosed(audit.Actor.of(request.user), "sharing.group", ids=[slug], how="api")
    return _group_out(group)


@router.post("/groups/{slug}/members", response={201: GroupOut})
def add_member(request: HttpRequest, slug: str, payload: MemberIn) -> Status[dict[str, Any]]:
    """Staff: invite an organisation into a trust group (it must meet the vetting level)."""
    viewer = require_staff(request.user)
    group = groups.visible_group(viewer, slug)
    groups.add_member(
        viewer,
        audit.Actor.of(request.user),
        group,
        _org(payload.organization),
        accept_version=payload.accept_version,
    )
    return Status(201, _group_out(group))


@router.post("/groups/{slug}/agreement", response={201: GroupOut})
def new_agreement(request: HttpRequest, slug: str, payload: AgreementIn) -> Status[dict[str, Any]]:
    """Staff: publish a new version of the group's agreement; members accept it again."""
    viewer = require_staff(request.user)
    group = groups.visible_group(viewer, slug)
    groups.new_agreement(viewer, audit.Actor.of(request.user), group, payload.text)
    return Status(201, _group_out(group))


@router.post("/groups/{slug}/accept")
def accept(request: HttpRequest, slug: str, payload: AcceptIn) -> dict[str, Any]:
    """A member organisation accepts the latest agreement (staff: on behalf of one)."""
    viewer = require_role(request.user)
    group = groups.get_group_for_invitee(viewer, slug)
    if viewer.is_staff:
        org = _org(payload.organization)
    else:
        org = Organization.objects.get(pk=viewer.organization_id)
    membership = groups.accept_agreement(
        viewer, audit.Actor.of(request.user), group, org, version=payload.version
    )
    return {
        "group": group.slug,
        "organization": org.slug,
        "state": groups.member_state(group, membership),
    }


@router.post("/groups/{slug}/publish", response={201: PublicationOut})
def publish_to(request: HttpRequest, slug: str, payload: PublishIn) -> Status[dict[str, Any]]:
    """Staff: publish an incident or advisory to a trust group as STIX 2.1 (TLP-checked)."""
    viewer = require_staff(request.user)
    group = groups.visible_group(viewer, slug)
    pub = publish.publish_named(
        viewer, audit.Actor.of(request.user), group, payload.kind, payload.ref
    )
    return Status(201, _publication_out(pub))


@router.get("/groups/{slug}/publications", response=list[PublicationOut])
def publications(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """Staff: what was published to a trust group, newest first."""
    viewer = require_staff(request.user)
    group = groups.visible_group(viewer, slug)
    rows = list(group.publications.select_related("group")[:500])
    audit.disclosed(
        audit.Actor.of(request.user), "sharing.publication", ids=[p.pk for p in rows], how="api"
    )
    return [_publication_out(p) for p in rows]


@router.get("/groups/{slug}/pulls", response=list[PullOut])
def pulls(request: HttpRequest, slug: str, limit: int = 1000) -> list[dict[str, Any]]:
    """Who pulled what, newest first (staff)."""
    viewer = require_staff(request.user)
    group = groups.visible_group(viewer, slug)
    rows = list(
        Pull.objects.filter(group=group).select_related("organization")[
            : max(1, min(limit, 10_000))
        ]
    )
    audit.disclosed(
        audit.Actor.of(request.user), "sharing.pull", ids=[p.pk for p in rows], how="api"
    )
    return [
        {
            "username": p.username,
            "organization": p.organization.slug if p.organization else "",
            "stix_id": p.stix_id,
            "version": p.version,
            "via": p.via,
            "at": p.at,
        }
        for p in rows
    ]


@router.get("/imports", response=list[ImportOut])
def list_imports(request: HttpRequest) -> list[dict[str, Any]]:
    """Staff: STIX and MISP imports with their provenance and counts."""
    viewer = require_staff(request.user)
    rows = imports.visible_imports(viewer)
    audit.disclosed(
        audit.Actor.of(request.user), "sharing.import", ids=[i.pk for i in rows], how="api"
    )
    return [_import_out(i) for i in rows]


@router.post("/imports/stix", response={201: ImportDetailOut})
def import_stix(
    request: HttpRequest,
    file: File[UploadedFile],
    provenance: Form[str],
    source_tlp: Form[str] = "",
    policy: Form[str] = "keep",
) -> Status[dict[str, Any]]:
    """A STIX 2.1 bundle (multipart `file`), streamed."""
    viewer = require_staff(request.user)
    imp = imports.import_stix(
        viewer,
        audit.Actor.of(request.user),
        file,
        name=file.name or "bundle.json",
        provenance=provenance,
        kind=Import.STIX_API,
        source_tlp=source_tlp,
        policy=policy,
        user=request.user,
    )
    return Status(201, {**_import_out(imp), "matches": imports.matches(imp)})


@router.post("/imports/misp", response={201: ImportDetailOut})
def import_misp(
    request: HttpRequest,
    file: File[UploadedFile],
    provenance: Form[str],
    source_tlp: Form[str] = "",
) -> Status[dict[str, Any]]:
    """A MISP JSON export or event (multipart `file`), streamed."""
    viewer = require_staff(request.user)
    imp = imports.import_misp(
        viewer,
        audit.Actor.of(request.user),
        [(file.name or "event.json", file)],
        name=file.name or "event.json",
        provenance=provenance,
        source_tlp=source_tlp,
        user=request.user,
    )
    return Status(201, {**_import_out(imp), "matches": imports.matches(imp)})


@router.get("/imports/{import_id}", response=ImportDetailOut)
def get_import(request: HttpRequest, import_id: int) -> dict[str, Any]:
    """Staff: one import with the directory matches of its indicators."""
    viewer = require_staff(request.user)
    imp = imports.get_import(viewer, import_id)
    audit.disclosed(audit.Actor.of(request.user), "sharing.import", ids=[imp.pk], how="api")
    return {**_import_out(imp), "matches": imports.matches(imp)}


@router.post("/imports/{import_id}/incident", response={201: dict[str, str]})
def incident_from_import(
    request: HttpRequest, import_id: int, payload: IncidentFromIn
) -> Status[dict[str, str]]:
    """Staff: open an incident from an import (its names and addresses as the scope)."""
    viewer = require_staff(request.user)
    imp = imports.get_import(viewer, import_id)
    incident = imports.open_incident(
        viewer,
        audit.Actor.of(request.user),
        imp,
        title=payload.title,
        dns_type=payload.dns_type,
        user=request.user,
    )
    return Status(201, {"incident": incident.ref})


@router.post("/imports/{import_id}/campaign", response={201: dict[str, str]})
def campaign_from_import(
    request: HttpRequest, import_id: int, payload: CampaignFromIn
) -> Status[dict[str, str]]:
    """Staff: start a campaign from an import's domain names."""
    viewer = require_staff(request.user)
    imp = imports.get_import(viewer, import_id)
    campaign = imports.open_campaign(
        viewer,
        audit.Actor.of(request.user),
        imp,
        title=payload.title,
        due_date=payload.due_date,
        action=payload.action,
        legal_basis=payload.legal_basis,
        legal_reference=payload.legal_reference,
        user=request.user,
    )
    return Status(201, {"campaign": campaign.slug, "incident": campaign.incident.ref})


@router.get("/campaigns/{slug}/stix")
def campaign_bundle(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """The campaign as one STIX 2.1 bundle (staff), streamed."""
    from dnscc.campaigns import services as campaigns

    viewer = require_staff(request.user)
    campaign = campaigns.get_campaign(viewer, slug)
    chunks = publish.campaign_bundle_chunks(viewer, audit.Actor.of(request.user), campaign)
    response = StreamingHttpResponse(chunks, content_type="application/stix+json;version=2.1")
    response["Content-Disposition"] = f'attachment; filename="{campaign.slug}.stix.json"'
    return response
