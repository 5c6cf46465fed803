"""API of the center's performance: a period's figures with the objectives' verdicts (JSON,
or CSV), the objectives profile, and the incidents behind a figure. Staff only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from dnscc.accounts import audit
from dnscc.accounts.services import require_staff
from dnscc.core.errors import InputError, Location
from dnscc.metrics import dashboard, health, objectives, periods, transparency
from dnscc.metrics.models import TransparencyReport

router = Router(tags=["metrics"])


def _period(text: str) -> periods.Period:
    return periods.parse(text) if text.strip() else dashboard.current_quarter()


@router.get("/performance", response=dict[str, Any])
def performance(
    request: HttpRequest,
    period: str = "",
    by: str = "",
    include_exercises: bool = False,
    format: str = "json",
) -> Any:
    """Staff: every figure of a period (`2026-Q3`, `2026-07`, `2026-W27`, or
    `2026-07-01..2026-09-30`; default the current quarter), overall and per region, type,
    organisation kind and resource-constrained, with each objective's verdict; `by` = week or
    month adds each objective per week or month; `format=csv` gives every cell as CSV."""
    require_staff(request.user)
    p = _period(period)
    if by and by not in periods.KINDS:
        periods.containing(by, p.start.date())  # raises the error naming the field
    if format not in ("json", "csv"):
        raise InputError(
            f"unknown format {format!r}", location=Location(field="format"), hint="json, csv"
        )
    data = dashboard.report(p, include_exercises=include_exercises, by=by)
    audit.disclosed(audit.Actor.of(request.user), "metrics.performance", ids=[p.label], how="api")
    if format == "csv":
        return HttpResponse(dashboard.csv_text(data), content_type="text/csv; charset=utf-8")
    return data


@router.get("/objectives", response=list[dict[str, Any]])
def objective_list(request: HttpRequest) -> Any:
    """Staff: the objectives of the profile, each with the computation of its figure."""
    require_staff(request.user)
    return [o.describe() for o in objectives.load()]


@router.get("/incidents", response=list[dict[str, Any]])
def behind(
    request: HttpRequest,
    figure: str,
    period: str = "",
    dimension: str = "",
    group: str = "",
    include_exercises: bool = False,
) -> Any:
    """Staff: the incidents (that the caller may see) behind one figure of a period, or one
    group of it (`dimension` and `group`, e.g. region AF); at most 1,000."""
    viewer = require_staff(request.user)
    qs = dashboard.incidents_behind(
        viewer,
        figure,
        _period(period),
        dimension=dimension,
        group=group,
        include_exercises=include_exercises,
    )
    rows = list(qs.order_by("created_at", "id")[:1000])
    audit.disclosed(
        audit.Actor.of(request.user), "incidents.incident", ids=[i.ref for i in rows], how="api"
    )
    return [
        {"ref": i.ref, "title": i.title, "created_at": i.created_at, "status": i.status}
        for i in rows
    ]


@router.get("/health", response=dict[str, Any])
def namespace_health(request: HttpRequest, period: str = "", operators: bool = True) -> Any:
    """Staff: namespace health per day of a period (default the current quarter) from the
    sweeps' findings: TLDs answering, lame, inconsistent SOA/NS, DNSSEC-signed share,
    DNSSEC failures, signatures near expiry, delegation changes, mean hours to resolve;
    overall ("all"), per region ("region:AF") and per operator group ("operator:NAME").
    A day without a finished sweep is null."""
    require_staff(request.user)
    p = _period(period)
    audit.disclosed(audit.Actor.of(request.user), "metrics.health", ids=[p.label], how="api")
    return health.health(p, operators=operators)


@router.get("/transparency", response=list[dict[str, Any]])
def transparency_list(request: HttpRequest) -> Any:
    """Staff: every version of the transparency reports, drafts included."""
    require_staff(request.user)
    return [transparency.describe(r) for r in TransparencyReport.objects.all()]


class DraftIn(Schema):
    quarter: str
    note: str = ""


@router.post("/transparency", response={201: dict[str, Any]})
def transparency_draft(request: HttpRequest, body: DraftIn) -> Any:
    """Staff: draft the next version of a quarter's report (its figures frozen now)."""
    viewer = require_staff(request.user)
    report = transparency.draft(
        viewer, audit.Actor.of(request.user), body.quarter, user=request.user, note=body.note
    )
    return Status(201, transparency.describe(report))


@router.post("/transparency/{quarter}/{version}/publish", response=dict[str, Any])
def transparency_publish(request: HttpRequest, quarter: str, version: int) -> Any:
    """Staff other than the drafter (two-person rule): publish a draft at its public URL,
    /transparency/QUARTER/vN/ (HTML, .json, .pdf). Irreversible."""
    viewer = require_staff(request.user)
    report = transparency.publish(
        viewer, audit.Actor.of(request.user), quarter, version, user=request.user
    )
    return transparency.describe(report)
