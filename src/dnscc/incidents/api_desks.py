"""Duty desks API (/api/v1/desks/): who is on duty, handovers (and their acknowledgement),
open SLA breaches. Staff only: it lists incidents of every desk."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from dnscc.accounts import audit
from dnscc.accounts.services import require_staff
from dnscc.incidents import desks, sla

router = Router(tags=["incidents"])


class HandoverOut(Schema):
    id: int
    from_desk: str
    to_desk: str
    shift_start: datetime
    created_at: datetime
    acknowledged_by: str
    acknowledged_at: datetime | None
    counts: dict[str, int]


class HandoverDetailOut(HandoverOut):
    note: dict[str, Any]
    text: str
    may_acknowledge: bool


class DeskOut(Schema):
    region: str
    name: str
    label: str
    time_zone: str
    shift_start_hour: int
    shift_hours: int
    window: str
    lead: str
    coordinators: list[str]
    on_duty: bool
    next_start: datetime
    handover: HandoverOut | None
    breaches: list[dict[str, Any]]
    open_incidents: int


class NextOut(Schema):
    region: str
    at: datetime | None
    coordinators: list[str]


class StatusOut(Schema):
    now: datetime
    on_duty: str
    on_duty_coordinators: list[str]
    next: NextOut
    problems: list[str]
    unassigned_breaches: list[dict[str, Any]]
    desks: list[DeskOut]


class BreachQuery(Schema):
    desk: str = ""


class HandoverQuery(Schema):
    desk: str = ""
    limit: int = 50


@router.get("", response=StatusOut)
def status(request: HttpRequest) -> dict[str, Any]:
    """Staff: the duty desks: who is on duty, who staffs each desk, the next shift change, open
    breaches per desk."""
    require_staff(request.user)
    return desks.desk_status()


@router.get("/handovers", response=list[HandoverOut])
def list_handovers(request: HttpRequest, filters: Query[HandoverQuery]) -> list[dict[str, Any]]:
    """Staff: shift handovers, newest first (filter by desk)."""
    viewer = require_staff(request.user)
    rows = desks.list_handovers(viewer, desk=filters.desk.upper(), limit=filters.limit)
    return [desks.handover_row(h) for h in rows]


def _detail(request: HttpRequest, handover: Any) -> dict[str, Any]:
    viewer = require_staff(request.user)
    return {
        **desks.handover_row(handover),
        "note": handover.note,
        "text": handover.text,
        "may_acknowledge": desks.may_acknowledge(viewer, handover),
    }


@router.get("/handovers/{handover_id}", response=HandoverDetailOut)
def get_handover(request: HttpRequest, handover_id: int) -> dict[str, Any]:
    """Staff: one handover with its note (open incidents, breaches, what falls due)."""
    viewer = require_staff(request.user)
    handover = desks.get_handover(viewer, handover_id)
    audit.disclosed(
        audit.Actor.of(request.user), "incidents.handover", ids=[handover.pk], how="api"
    )
    return _detail(request, handover)


@router.post("/handovers/{handover_id}/acknowledge", response=HandoverDetailOut)
def acknowledge(request: HttpRequest, handover_id: int) -> dict[str, Any]:
    """A coordinator of the incoming desk acknowledges the handover."""
    viewer = require_staff(request.user)
    handover = desks.get_handover(viewer, handover_id)
    handover = desks.acknowledge_handover(viewer, audit.Actor.of(request.user), handover)
    return _detail(request, handover)


@router.get("/breaches", response=list[dict[str, Any]])
def breaches(request: HttpRequest, filters: Query[BreachQuery]) -> list[dict[str, Any]]:
    """Staff: open SLA breaches (filter by desk)."""
    require_staff(request.user)
    rows = [sla.breach_row(b) for b in sla.open_breaches(filters.desk.upper())]
    audit.disclosed(
        audit.Actor.of(request.user), "incidents.slabreach", ids=[r["id"] for r in rows], how="api"
    )
    return rows
