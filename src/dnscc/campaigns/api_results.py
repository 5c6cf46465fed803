"""API of verification, the dashboard and exports (mounted inside campaigns.api's router).

Routes (under /api/v1/campaigns/):

    POST /{slug}/verify                         staff: queue a DNS verification now (202)
    GET  /{slug}/dashboard                      staff: coverage, progress, laggards
    GET  /{slug}/report.csv, /{slug}/report.json staff: the report per name (streamed)
    GET  /{slug}/campaign.rpz                    staff: the names as an RPZ (streamed)
    GET  /{slug}/slices/{slice_id}/verification  staff, or the slice's own operator
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Router, Schema, Status

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.campaigns import reports, services
from dnscc.campaigns.models import Campaign, Target

router = Router(tags=["campaigns"])


class NameResult(Schema):
    name: str
    tld: str
    action: str
    outcome: str
    observed: str
    verified_ok: bool | None
    mismatch: bool
    verified_at: datetime | None


class SliceVerificationOut(Schema):
    slice: int
    organization: str
    names: int
    reported: int
    verified_ok: int
    verified_bad: int
    mismatches: int
    last_verified_at: datetime | None
    offset: int
    limit: int
    results: list[NameResult]


def _staff_campaign(request: HttpRequest, slug: str) -> Campaign:
    viewer = require_staff(request.user)
    return services.get_campaign(viewer, slug)


def _stream(chunks: Any, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.post("/{slug}/verify", response={202: dict[str, Any]})
def verify(request: HttpRequest, slug: str) -> Status[dict[str, Any]]:
    """Staff: queue a DNS verification of the campaign's names at each TLD's own servers."""
    campaign = _staff_campaign(request, slug)
    from dnscc.campaigns.tasks import verify_campaign_task

    result = verify_campaign_task.enqueue(campaign.pk, actor=request.user.get_username())
    return Status(202, {"queued": True, "task": str(result.id)})


@router.get("/{slug}/dashboard", response=dict[str, Any])
def dashboard(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Staff: coverage per organisation, region and TLD, progress over time and the laggards."""
    campaign = _staff_campaign(request, slug)
    return reports.dashboard(campaign, viewer=require_staff(request.user))


@router.get("/{slug}/report.csv")
def report_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Staff: the campaign report as CSV (one row per name, outcome codes as stored)."""
    campaign = _staff_campaign(request, slug)
    audit.disclosed(audit.Actor.of(request.user), "campaign.report", ids=[campaign.pk], how="csv")
    return _stream(
        reports.report_csv(campaign, viewer=require_staff(request.user)),
        "text/csv; charset=utf-8",
        f"{slug}.csv",
    )


@router.get("/{slug}/report.json")
def report_json(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Staff: the campaign report as JSON."""
    campaign = _staff_campaign(request, slug)
    audit.disclosed(audit.Actor.of(request.user), "campaign.report", ids=[campaign.pk], how="json")
    return _stream(
        reports.report_json(campaign, viewer=require_staff(request.user)),
        "application/json",
        f"{slug}.json",
    )


@router.get("/{slug}/campaign.rpz")
def campaign_rpz(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Staff: a response policy zone of the names not yet acted on, for resolver operators."""
    campaign = _staff_campaign(request, slug)
    audit.disclosed(audit.Actor.of(request.user), "campaign.rpz", ids=[campaign.pk], how="rpz")
    return _stream(reports.rpz_chunks(campaign), "text/dns; charset=utf-8", f"{slug}.rpz")


@router.get("/{slug}/slices/{slice_id}/verification", response=SliceVerificationOut)
def slice_verification(
    request: HttpRequest, slug: str, slice_id: int, offset: int = 0, limit: int = 1000
) -> dict[str, Any]:
    """What DNS showed for a slice's names at the last verification run."""
    viewer = require_role(request.user)
    campaign = services.get_campaign(viewer, slug)
    slice_ = services.get_slice(viewer, campaign, slice_id)
    offset, limit = max(0, offset), max(1, min(limit, 10_000))
    rows = Target.objects.filter(slice=slice_).order_by("name")[offset : offset + limit]
    return {
        "slice": slice_.pk,
        "organization": slice_.organization.name,
        "names": slice_.names,
        "reported": slice_.reported,
        "verified_ok": slice_.verified_ok,
        "verified_bad": slice_.verified_bad,
        "mismatches": slice_.mismatches,
        "last_verified_at": slice_.last_verified_at,
        "offset": offset,
        "limit": limit,
        "results": list(
            rows.values(
                "name",
                "tld",
                "action",
                "outcome",
                "observed",
                "verified_ok",
                "mismatch",
                "verified_at",
            )
        ),
    }
