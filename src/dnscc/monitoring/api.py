from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from dnscc.accounts.services import require_staff
from dnscc.core.errors import NotFoundError
from dnscc.monitoring import services
from dnscc.monitoring.groups import group_alerts
from dnscc.monitoring.models import Alert, Finding, Sweep

router = Router(tags=["monitoring"])


class FindingOut(Schema):
    id: int
    zone: str
    code: str
    tag: str
    severity: str
    server: str
    message: str
    evidence: list[Any]
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None


class SweepOut(Schema):
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    zones_total: int
    zones_done: int
    zones_untested: int
    queries: int
    seconds: float
    new_findings: int
    resolved_findings: int
    open_by_severity: dict[str, int]


class AlertOut(Schema):
    id: int
    finding_id: int
    zone: str
    code: str
    organization: str | None
    desk: str
    severity: str
    title: str
    state: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: str
    incidents: list[str] = []


class AlertGroupOut(Schema):
    key: str
    code: str
    severity: str
    title: str
    count: int
    opened_at: datetime
    zones: list[str]
    servers: list[str]
    organizations: list[str]
    desks: list[str]
    states: dict[str, int]
    alerts: list[int]
    incidents: list[str]


class AlertIdsIn(Schema):
    alerts: list[int]


def _alert_out(a: Alert) -> dict[str, Any]:
    return {
        "id": a.pk,
        "finding_id": a.finding_id,
        "zone": a.finding.zone,
        "code": a.finding.code,
        "organization": a.organization.slug if a.organization else None,
        "desk": a.desk,
        "severity": a.severity,
        "title": a.title,
        "state": a.state,
        "opened_at": a.opened_at,
        "acknowledged_at": a.acknowledged_at,
        "resolved_at": a.resolved_at,
        "resolution": a.resolution,
        # Incident references (the incidents app links alerts to the incidents opened from
        # them through Incident.alerts).
        "incidents": [i.ref for i in a.incidents.all()],
    }


def _alerts(state: str, desk: str, *, exercises: bool = True) -> Any:
    qs = Alert.objects.select_related("finding", "organization").prefetch_related("incidents")
    if not exercises:
        qs = qs.filter(exercise__isnull=True)  # live lists (core.exercise_mark)
    if state == "active":
        qs = qs.exclude(state=Alert.RESOLVED)
    elif state != "all":
        qs = qs.filter(state=state)
    if desk:
        qs = qs.filter(desk=desk)
    return qs


@router.get("/findings", response=list[FindingOut])
def list_findings(
    request: HttpRequest,
    zone: str | None = None,
    code: str = "",
    open: bool = True,
    limit: int = 500,
    exercises: bool = False,
) -> list[Finding]:
    """Staff: health findings (open by default) with their evidence; filter by zone, code,
    severity. Findings an exercise caused only with `exercises=true`."""
    require_staff(request.user)
    qs = Finding.objects.all() if exercises else Finding.objects.filter(exercise__isnull=True)
    if zone is not None:
        qs = qs.filter(zone="" if zone in (".", "") else zone.lower().rstrip("."))
    if code:
        qs = qs.filter(code=code)
    if open:
        qs = qs.filter(resolved_at__isnull=True)
    return list(qs[: max(1, min(limit, 5000))])


@router.get("/sweeps", response=list[SweepOut])
def list_sweeps(request: HttpRequest, limit: int = 50) -> list[Sweep]:
    """Staff: recent sweeps of the namespace with their counts."""
    require_staff(request.user)
    return list(Sweep.objects.all()[: max(1, min(limit, 500))])


@router.post("/sweeps", response={202: dict[str, Any]})
def trigger_sweep(request: HttpRequest) -> Status[dict[str, Any]]:
    """Staff: queue a sweep now (all TLDs, or the ones named)."""
    require_staff(request.user)
    from dnscc.monitoring.tasks import sweep_task

    result = sweep_task.enqueue(trigger=f"api:{request.user.get_username()}")
    return Status(202, {"queued": True, "task": str(result.id)})


class ProbeIn(Schema):
    zone: str
    ns: list[str] = []  # NAME or NAME/IP: an undelegated test at these servers
    ds: list[str] = []  # KEYTAG,ALG,DIGTYPE,DIGEST


@router.post("/probe", response=dict[str, Any])
def probe(request: HttpRequest, body: ProbeIn) -> dict[str, Any]:
    """Probe one zone now with every check (nothing stored). With `ns` it is an undelegated
    test, as registries run Zonemaster before they change a delegation: the zone is tested
    at the name servers given, with the DS records given. Returns the report: findings with
    their test case, Zonemaster tag, severity and evidence, and what was untested or skipped."""
    require_staff(request.user)
    from dnscc.accounts import audit
    from dnscc.monitoring.runner import probe_now

    report = probe_now(body.zone, ns=body.ns[:20], ds=body.ds[:10])
    audit.record(
        audit.Actor.of(request.user),
        "monitoring.probe",
        summary=f"probe of {report.zone}"
        + (f" at {len(body.ns)} undelegated name server(s)" if body.ns else ""),
        data={"zone": report.zone, "ns": body.ns[:20], "findings": len(report.findings)},
    )
    return dict(report.as_dict())


@router.get("/alerts", response=list[AlertOut])
def list_alerts(
    request: HttpRequest, state: str = "active", desk: str = "", exercises: bool = False
) -> list[dict[str, Any]]:
    """Staff: alerts (active by default), worst first; filter by state and desk. An
    exercise's alerts only with `exercises=true`."""
    require_staff(request.user)
    return [_alert_out(a) for a in _alerts(state, desk, exercises=exercises)[:1000]]


@router.get("/alert-groups", response=list[AlertGroupOut])
def list_alert_groups(
    request: HttpRequest, state: str = "active", desk: str = "", exercises: bool = False
) -> list[dict[str, Any]]:
    """Staff: alerts in groups of one cause (same check in one sweep, and the same server
    or operator), worst first, then the oldest; each with its zones and alert ids. An
    exercise's alerts only with `exercises=true`."""
    require_staff(request.user)
    rows = list(_alerts(state, desk, exercises=exercises).order_by("-opened_at")[:5000])
    return [
        {
            "key": g.key,
            "code": g.code,
            "severity": g.severity,
            "title": g.title,
            "count": g.count,
            "opened_at": g.opened_at,
            "zones": g.zones,
            "servers": g.servers,
            "organizations": [o.slug for o in g.organizations],
            "desks": g.desks,
            "states": g.states,
            "alerts": g.ids,
            "incidents": [i.ref for i in g.incidents],
        }
        for g in group_alerts(rows)
    ]


@router.post("/alerts/acknowledge", response=list[AlertOut])
def acknowledge_many(request: HttpRequest, payload: AlertIdsIn) -> list[dict[str, Any]]:
    """Staff: acknowledge several alerts at once (a group's ids); the answer lists those
    this call acknowledged (alerts not open are left as they are)."""
    require_staff(request.user)
    done = {a.pk for a in services.acknowledge_alerts(payload.alerts[:5000], request.user)}
    return [_alert_out(a) for a in _alerts("all", "").filter(pk__in=done)]


@router.post("/alerts/{alert_id}/acknowledge", response=AlertOut)
def acknowledge(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    """Staff: acknowledge an open alert."""
    require_staff(request.user)
    alert = _alerts("all", "").filter(pk=alert_id).first()
    if alert is None:
        raise NotFoundError(f"no alert {alert_id}")
    return _alert_out(services.acknowledge_alert(alert, request.user))
