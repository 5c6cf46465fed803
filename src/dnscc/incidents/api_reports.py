"""Reports through the API, under /api/v1/reports/.

Any account with a role may report (a member's report carries its organisation) and read
its own reports; staff read every report past confirmation and decide on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.incidents import intake

router = Router(tags=["reports"])


class ReportIn(Schema):
    title: str
    description: str = ""
    dns_type: str = "other"
    scope: str | list[str] | dict[str, list[str]] = ""
    tlp: str = "AMBER"
    reporter_name: str = ""
    reporter_email: str = ""


class ReportOut(Schema):
    id: int
    source: str
    state: str
    title: str
    description: str
    dns_type: str
    scope: dict[str, list[str]]
    tlp: str
    reporter_name: str
    reporter_email: str
    organization: str | None
    signed_by: str
    alert: int | None
    desk: str
    incident: str | None
    decided_by: str
    decided_at: datetime | None
    rejection_reason: str
    created_at: datetime
    confirmed_at: datetime | None


class OpenIn(Schema):
    impact: str = ""
    urgency: str = ""
    severity: str = ""
    summary: str = ""
    desk: str = ""


class RefIn(Schema):
    ref: str


class RejectIn(Schema):
    reason: str


@router.post("", response={201: ReportOut})
def create_report(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    """Report something to the center (any signed-in role); staff triage it."""
    viewer = require_role(request.user)
    report = intake.submit_report(
        viewer, audit.Actor.of(request.user), payload.dict(), user=request.user
    )
    return Status(201, intake.report_dict(report))


@router.get("", response=list[ReportOut])
def list_reports(
    request: HttpRequest,
    state: str = "all",
    desk: str = "",
    source: str = "",
    limit: int = 500,
    exercises: bool = False,
) -> list[dict[str, Any]]:
    """Reports: staff the triage queue (state, desk, source filters); a member its own reports.
    An exercise's synthetic reports only with `exercises=true`."""
    viewer = require_role(request.user)
    rows = intake.search_reports(
        viewer, state=state, desk=desk, source=source, limit=limit, exercises=exercises
    )
    if viewer.is_staff:
        audit.disclosed(
            audit.Actor.of(request.user), "incidents.report", ids=[r.pk for r in rows], how="api"
        )
    return [intake.report_dict(r) for r in rows]


@router.get("/{report_id}", response=ReportOut)
def get_report(request: HttpRequest, report_id: int) -> dict[str, Any]:
    """One report: staff any past confirmation; a member only its own."""
    viewer = require_role(request.user)
    report = intake.get_report(viewer, report_id)
    if viewer.is_staff:
        audit.disclosed(
            audit.Actor.of(request.user), "incidents.report", ids=[report.pk], how="api"
        )
    return intake.report_dict(report)


@router.post("/{report_id}/open", response=ReportOut)
def open_report(request: HttpRequest, report_id: int, payload: OpenIn) -> dict[str, Any]:
    """Staff: open the report as a new incident."""
    viewer = require_staff(request.user)
    report = intake.get_report(viewer, report_id)
    data = {k: v for k, v in payload.dict().items() if v}
    intake.open_report(viewer, audit.Actor.of(request.user), report, data, user=request.user)
    return intake.report_dict(intake.get_report(viewer, report_id))


@router.post("/{report_id}/merge", response=ReportOut)
def merge_report(request: HttpRequest, report_id: int, payload: RefIn) -> dict[str, Any]:
    """Staff: merge the report into an existing incident (its scope joins the incident's)."""
    viewer = require_staff(request.user)
    report = intake.get_report(viewer, report_id)
    intake.merge_report(viewer, audit.Actor.of(request.user), report, payload.ref)
    return intake.report_dict(intake.get_report(viewer, report_id))


@router.post("/{report_id}/link", response=ReportOut)
def link_report(request: HttpRequest, report_id: int, payload: RefIn) -> dict[str, Any]:
    """Staff: keep the report beside a related incident."""
    viewer = require_staff(request.user)
    report = intake.get_report(viewer, report_id)
    intake.link_report(viewer, audit.Actor.of(request.user), report, payload.ref)
    return intake.report_dict(intake.get_report(viewer, report_id))


@router.post("/{report_id}/reject", response=ReportOut)
def reject_report(request: HttpRequest, report_id: int, payload: RejectIn) -> dict[str, Any]:
    """Staff: reject the report with a reason the reporter reads."""
    viewer = require_staff(request.user)
    report = intake.get_report(viewer, report_id)
    intake.reject_report(viewer, audit.Actor.of(request.user), report, payload.reason)
    return intake.report_dict(intake.get_report(viewer, report_id))
