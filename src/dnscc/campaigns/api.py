"""The campaigns API, at /api/v1/campaigns/."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.campaigns import reports, services
from dnscc.campaigns.api_results import router as results
from dnscc.campaigns.models import Campaign, Slice
from dnscc.core import exercise_mark
from dnscc.core.errors import InputError, Location

router = Router(tags=["campaigns"])

# Verification, dashboard and exports live in api_results.py (keep this line).
router.add_router("/", results)


class CampaignIn(Schema):
    incident: str
    title: str
    due_date: date
    description: str = ""
    sinkhole_ns: list[str] = []
    tlp: str = "AMBER"


class CampaignOut(Schema):
    slug: str
    incident: str
    title: str
    description: str
    status: str
    tlp: str
    due_date: date
    due_time: str
    sinkhole_ns: list[str]
    names_total: int
    names_unassigned: int
    created_at: datetime
    delivered_at: datetime | None
    ended_at: datetime | None
    exercise: str | None = None


class SliceOut(Schema):
    id: int
    organization: str
    organization_name: str
    tlds: list[str]
    names: int
    deadline: datetime
    deadline_local: str
    state: str
    manifest_sha256: dict[str, str]
    delivered_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_via: str
    reported: int
    verified_ok: int
    verified_bad: int
    mismatches: int


class NameListOut(Schema):
    id: int
    source: str
    kind: str
    sha256: str
    action: str
    legal_basis: str
    legal_reference: str
    expires_at: datetime | None
    lines: int
    added: int
    duplicates: int
    invalid: int
    unassigned: int
    invalid_lines: list[dict[str, Any]]
    non_utf8_lines: int
    unknown_tlds: list[dict[str, Any]]
    tlds_without_operator: list[dict[str, Any]]
    created_at: datetime


class ConstrainedReachOut(Schema):
    total: int
    reached: int
    acknowledged: int
    words: str


class CampaignDetailOut(CampaignOut):
    lists: list[NameListOut]
    slices: list[SliceOut]
    constrained: ConstrainedReachOut | None = Field(
        default=None,
        description="staff: its resource-constrained registries reached (their slice's"
        " notice accepted, not merely queued) and acknowledged",
    )


class GenerateIn(Schema):
    generator: str
    start: date
    end: date
    action: str
    legal_basis: str
    legal_reference: str
    expires_at: datetime | None = None


class OutcomeIn(Schema):
    name: str
    outcome: str
    note: str = ""


def _campaign_out(c: Campaign) -> dict[str, Any]:
    return {
        "slug": c.slug,
        "incident": c.incident.ref,
        "title": c.title,
        "description": c.description,
        "status": c.status,
        "tlp": c.tlp,
        "due_date": c.due_date,
        "due_time": c.due_time.strftime("%H:%M"),
        "sinkhole_ns": c.sinkhole_ns,
        "names_total": c.names_total,
        "names_unassigned": c.names_unassigned,
        "created_at": c.created_at,
        "delivered_at": c.delivered_at,
        "ended_at": c.ended_at,
        "exercise": exercise_mark.ref_of(c.exercise) if c.exercise is not None else None,
    }


def _slice_out(s: Slice) -> dict[str, Any]:
    return {
        "id": s.pk,
        "organization": s.organization.slug,
        "organization_name": s.organization.name,
        "tlds": s.tlds,
        "names": s.names,
        "deadline": s.deadline,
        "deadline_local": services.local_deadline(s),
        "state": s.state,
        "manifest_sha256": s.manifest_sha256,
        "delivered_at": s.delivered_at,
        "acknowledged_at": s.acknowledged_at,
        "acknowledged_via": s.acknowledged_via,
        "reported": s.reported,
        "verified_ok": s.verified_ok,
        "verified_bad": s.verified_bad,
        "mismatches": s.mismatches,
    }


def _detail(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    viewer = require_role(request.user)
    slices = list(services.visible_slices(viewer, campaign))
    lists = (
        [services.name_list_report(nl) for nl in campaign.lists.all()] if viewer.is_staff else []
    )
    return {
        **_campaign_out(campaign),
        "lists": lists,
        "slices": [_slice_out(s) for s in slices],
        "constrained": (
            reports.constrained_reach(campaign.pk).as_dict() if viewer.is_staff else None
        ),
    }


@router.get("", response=list[CampaignOut])
def list_campaigns(
    request: HttpRequest, status: str = "", exercises: bool = False
) -> list[dict[str, Any]]:
    """Campaigns you may see: staff all; an operator those with a slice of its organisation.
    An exercise's campaigns only with `exercises=true`."""
    viewer = require_role(request.user)
    qs = services.listed_campaigns(viewer, exercises=exercises)
    if status:
        qs = qs.filter(status=status)
    rows = list(qs[:500])
    audit.disclosed(
        audit.Actor.of(request.user), "campaigns.campaign", ids=[c.slug for c in rows], how="api"
    )
    return [_campaign_out(c) for c in rows]


@router.post("", response={201: CampaignDetailOut})
def create_campaign(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """Staff: create a campaign for an incident (draft until names are loaded and delivered)."""
    viewer = require_staff(request.user)
    campaign = services.create_campaign(
        viewer,
        audit.Actor.of(request.user),
        incident_ref=payload.incident,
        title=payload.title,
        due_date=payload.due_date,
        description=payload.description,
        sinkhole_ns=payload.sinkhole_ns,
        tlp=payload.tlp,
        user=request.user,
    )
    return Status(201, _detail(request, campaign))


@router.get("/{slug}", response=CampaignDetailOut)
def get_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One campaign with its counts (staff), or an operator's view of it."""
    viewer = require_role(request.user)
    campaign = services.get_campaign(viewer, slug)
    audit.disclosed(audit.Actor.of(request.user), "campaigns.campaign", ids=[slug], how="api")
    return _detail(request, campaign)


def _optional_datetime(value: str, field: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{value!r} is not a date and time",
            location=Location(field=field),
            hint="write YYYY-MM-DDTHH:MM:SSZ",
        ) from None
    if parsed.tzinfo is None:
        from datetime import UTC

        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@router.post("/{slug}/names", response={201: NameListOut})
def upload_names(
    request: HttpRequest,
    slug: str,
    file: File[UploadedFile],
    action: Form[str],
    legal_basis: Form[str],
    legal_reference: Form[str],
    expires_at: Form[str] = "",
    encoding: Form[str] = "",
) -> Status[dict[str, Any]]:
    """Staff: load a name list (text, CSV, gzip or zip) with its action and legal basis; names are
    split per registry into slices."""
    viewer = require_staff(request.user)
    campaign = services.get_campaign(viewer, slug)
    name_list = services.load_names(
        viewer,
        audit.Actor.of(request.user),
        campaign,
        file,
        filename=file.name or "upload",
        action=action,
        legal_basis=legal_basis,
        legal_reference=legal_reference,
        expires_at=_optional_datetime(expires_at, "expires_at"),
        encoding=encoding or None,
    )
    return Status(201, services.name_list_report(name_list))


@router.post("/{slug}/generate", response={201: NameListOut})
def generate_names(request: HttpRequest, slug: str, payload: GenerateIn) -> Status[dict[str, Any]]:
    """Staff: load names from a DGA generator (family, seed, dates) instead of a file."""
    viewer = require_staff(request.user)
    campaign = services.get_campaign(viewer, slug)
    name_list = services.generate_names(
        viewer,
        audit.Actor.of(request.user),
        campaign,
        generator=payload.generator,
        start=payload.start,
        end=payload.end,
        action=payload.action,
        legal_basis=payload.legal_basis,
        legal_reference=payload.legal_reference,
        expires_at=payload.expires_at,
    )
    return Status(201, services.name_list_report(name_list))


@router.post("/{slug}/deliver")
def deliver(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Staff: deliver the pending slices: each registry's signed manifest goes through the outbox.
    Irreversible."""
    viewer = require_staff(request.user)
    campaign = services.get_campaign(viewer, slug)
    return services.deliver(viewer, audit.Actor.of(request.user), campaign, user=request.user)


@router.post("/{slug}/end", response=CampaignOut)
def end_campaign(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Staff: end the campaign; no more deliveries or escalations. Irreversible."""
    viewer = require_staff(request.user)
    campaign = services.get_campaign(viewer, slug)
    return _campaign_out(services.end_campaign(viewer, audit.Actor.of(request.user), campaign))


@router.get("/{slug}/slices", response=list[SliceOut])
def list_slices(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """Slices of a campaign: staff all; an operator only its own."""
    viewer = require_role(request.user)
    campaign = services.get_campaign(viewer, slug)
    slices = list(services.visible_slices(viewer, campaign))
    audit.disclosed(
        audit.Actor.of(request.user), "campaigns.slice", ids=[s.pk for s in slices], how="api"
    )
    return [_slice_out(s) for s in slices]


@router.get("/{slug}/slices/{slice_id}", response=SliceOut)
def get_slice(request: HttpRequest, slug: str, slice_id: int) -> dict[str, Any]:
    """One slice: its names count, deadline in UTC and the organisation's time zone, state and
    progress."""
    viewer = require_role(request.user)
    slice_ = services.get_slice(viewer, services.get_campaign(viewer, slug), slice_id)
    audit.disclosed(audit.Actor.of(request.user), "campaigns.slice", ids=[slice_.pk], how="api")
    return _slice_out(slice_)


@router.get("/{slug}/slices/{slice_id}/manifest.{fmt}")
def get_manifest(request: HttpRequest, slug: str, slice_id: int, fmt: str) -> HttpResponse:
    """A delivered slice's manifest (csv, json, their .asc signatures, or sha256 checksums), byte
    for byte as delivered."""
    viewer = require_role(request.user)
    slice_ = services.get_slice(viewer, services.get_campaign(viewer, slug), slice_id)
    content, content_type = services.manifest(viewer, audit.Actor.of(request.user), slice_, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{services.manifest_filename(slice_, fmt)}"'
    )
    return response


@router.post("/{slug}/slices/{slice_id}/acknowledge", response=SliceOut)
def acknowledge(request: HttpRequest, slug: str, slice_id: int) -> dict[str, Any]:
    """The slice's organisation (or staff) acknowledges receipt of the slice."""
    viewer = require_role(request.user)
    slice_ = services.get_slice(viewer, services.get_campaign(viewer, slug), slice_id)
    return _slice_out(
        services.acknowledge_slice(viewer, audit.Actor.of(request.user), slice_, via="api")
    )


@router.post("/{slug}/slices/{slice_id}/outcomes")
def record_outcomes(
    request: HttpRequest, slug: str, slice_id: int, file: File[UploadedFile | None] = None
) -> dict[str, Any] | HttpResponse:
    """A CSV upload (multipart `file`: name,outcome[,note]) or a JSON list
    [{"name", "outcome", "note"}]. A file with any error changes nothing (422, every error
    with its line)."""
    viewer = require_role(request.user)
    slice_ = services.get_slice(viewer, services.get_campaign(viewer, slug), slice_id)
    actor = audit.Actor.of(request.user)
    if file is not None:
        return services.record_outcomes(
            viewer, actor, slice_, file, filename=file.name or "outcomes.csv"
        )
    if (request.content_type or "").startswith("multipart/"):
        # The form was parsed already: its raw body cannot be read again as JSON.
        raise InputError(
            'the multipart upload has no "file" field',
            location=Location(field="file"),
            hint='send the CSV as the form field "file", or a JSON list as the body',
        )
    # A JSON body is held in memory: Django's DATA_UPLOAD_MAX_MEMORY_SIZE bounds it (the
    # upload middleware lets campaign uploads through up to their larger file limit).
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    too_big = limit is not None and length > limit
    body = b""
    if not too_big:
        try:
            body = request.body
        except RequestDataTooBig:
            too_big = True
    if too_big:
        return JsonResponse(
            {
                "detail": f"the JSON body is over the limit of {limit} bytes",
                "hint": 'send a large outcome list as a CSV file (multipart field "file")',
            },
            status=413,
        )
    items = services.outcomes_json_body(body)
    return services.record_outcomes(
        viewer, actor, slice_, services.outcomes_from_json(items), filename="request body"
    )
