"""Store probe results in the center: findings deduplicated from first seen to resolved,
per-zone status, sweep aggregates, and alerts routed to the regional duty desk.

The probe library (dnscc.probe) knows nothing of the database; `record_zone_report` takes
its ZoneReport (zone, findings, untested, queries) and does the bookkeeping.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.directory.models import Tld
from dnscc.monitoring.models import (
    SEVERITIES,
    Alert,
    Finding,
    Schedule,
    Sweep,
    ZoneStatus,
    severity_rank,
)

MAX_EVIDENCE_BYTES = 16_000


def _plain(value: Any) -> Any:
    if hasattr(value, "as_dict"):
        return _plain(value.as_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def evidence_json(evidence: Iterable[Any]) -> list[Any]:
    """Evidence as JSON, trimmed so that one finding never stores an unbounded blob."""
    items = [_plain(e) for e in evidence]

    def too_big(values: list[Any]) -> bool:
        return len(json.dumps(values, default=str)) > MAX_EVIDENCE_BYTES

    while len(items) > 1 and too_big(items):
        items = items[: len(items) // 2]  # keep the first proofs, drop the rest
    if items and too_big(items):
        items = [str(items[0])[:4000]]
    return items


def start_sweep(*, trigger: str, hints: str = "", zones_total: int = 0) -> Sweep:
    return Sweep.objects.create(
        started_at=timezone.now(), trigger=trigger, hints=hints[:500], zones_total=zones_total
    )


def _desk_for(tld: Tld | None) -> tuple[Any, str]:
    if tld is None:
        return None, ""
    org = tld.operator
    region = (org.region if org and org.region else "") or tld.region
    return org, region


def alert_threshold() -> str:
    return str(getattr(settings, "ALERT_MIN_SEVERITY", "error"))


def record_zone_report(sweep: Sweep, report: Any, *, now: datetime | None = None) -> dict[str, int]:
    """Merge one zone's results into the findings; open and resolve alerts. Returns counts."""
    now = now or timezone.now()
    zone = report.zone.rstrip(".").lower() if report.zone not in ("", ".") else ""
    untested = [str(u) for u in getattr(report, "untested", ()) or ()]
    tld = Tld.objects.filter(name=zone).select_related("operator").first() if zone else None
    threshold = severity_rank(alert_threshold())
    counts = {"new": 0, "resolved": 0, "open": 0}
    with transaction.atomic():
        current: dict[tuple[str, str, str], Any] = {}
        for f in report.findings:
            severity = getattr(f.severity, "value", f.severity)
            tag = str(getattr(f, "tag", "") or "")
            current[(f.code, tag, f.server or "")] = (f, str(severity))
        existing = {
            (x.code, x.tag, x.server): x
            for x in Finding.objects.select_for_update().filter(zone=zone, resolved_at__isnull=True)
        }
        for key, (f, severity) in current.items():
            row = existing.get(key)
            evidence = evidence_json(getattr(f, "evidence", ()))
            if row is None:
                row = Finding.objects.create(
                    zone=zone,
                    code=f.code,
                    tag=key[1],
                    severity=severity,
                    server=key[2],
                    message=f.message,
                    evidence=evidence,
                    first_seen=now,
                    last_seen=now,
                    first_sweep=sweep,
                    last_sweep=sweep,
                )
                counts["new"] += 1
                if severity_rank(severity) >= threshold:
                    _open_alert(row, tld, now)
            else:
                row.severity, row.message, row.evidence = severity, f.message, evidence
                row.last_seen, row.last_sweep = now, sweep
                row.save(
                    update_fields=["severity", "message", "evidence", "last_seen", "last_sweep"]
                )
                if severity_rank(severity) >= threshold and not hasattr(row, "alert"):
                    _open_alert(row, tld, now)
        # A finding absent from this sweep is resolved, unless its check could not run.
        zone_untestable = bool(untested) and not report.findings
        for key, row in existing.items():
            if key in current or zone_untestable:
                continue
            row.resolved_at = now
            row.last_sweep = sweep
            row.save(update_fields=["resolved_at", "last_sweep"])
            counts["resolved"] += 1
            alert = Alert.objects.filter(finding=row).exclude(state=Alert.RESOLVED).first()
            if alert:
                alert.state = Alert.RESOLVED
                alert.resolved_at = now
                alert.resolution = (
                    f"{row.code} no longer seen in sweep {sweep.pk} at {now:%Y-%m-%d %H:%M} UTC"
                )
                alert.save(update_fields=["state", "resolved_at", "resolution"])
        open_rows = [sev for _, sev in current.values()]
        counts["open"] = len(open_rows)
        worst = (
            max(open_rows, key=severity_rank) if open_rows else ("untested" if untested else "ok")
        )
        ZoneStatus.objects.update_or_create(
            zone=zone,
            defaults={
                "tld": tld,
                "region": tld.region if tld else "",
                "worst": worst,
                "open_findings": len(open_rows),
                "untested": untested[:20],
                "skipped": [str(s) for s in getattr(report, "skipped", ()) or ()][:20],
                "chain": _plain(list(getattr(report, "chain", ()) or ()))[:200],
                "last_swept": now,
                "last_sweep": sweep,
            },
        )
    return counts


def _open_alert(finding: Finding, tld: Tld | None, now: datetime) -> Alert:
    org, desk = _desk_for(tld)
    if finding.exercise is None:
        finding.exercise = exercise_for_zone(finding.zone)
        if finding.exercise is not None:
            Finding.objects.filter(pk=finding.pk).update(exercise=finding.exercise)
    where = f".{finding.zone}" if finding.zone else "the root zone"
    alert = Alert.objects.create(
        finding=finding,
        organization=org,
        desk=desk,
        severity=finding.severity,
        title=f"{finding.code} on {where}: {finding.message}"[:300],
        opened_at=now,
        sweep_id=finding.last_sweep_id,
        exercise=finding.exercise,
    )
    audit.record(
        audit.SYSTEM,
        "alert.open",
        obj=alert,
        summary=alert.title,
        data={"desk": desk, "organization": getattr(org, "slug", None)},
    )
    return alert


def finish_sweep(
    sweep: Sweep,
    *,
    zones_done: int,
    zones_untested: int,
    queries: int,
    new: int,
    resolved: int,
    error: str = "",
    not_run: bool = False,
) -> Sweep:
    """Record how a sweep ended; `not_run` with `error` saying why nothing was sent."""
    open_counts = Counter(
        Finding.objects.filter(resolved_at__isnull=True).values_list("severity", flat=True)
    )
    sweep.finished_at = timezone.now()
    sweep.status = Sweep.NOT_RUN if not_run else Sweep.FAILED if error else Sweep.DONE
    sweep.zones_done, sweep.zones_untested, sweep.queries = zones_done, zones_untested, queries
    sweep.new_findings, sweep.resolved_findings = new, resolved
    sweep.seconds = (sweep.finished_at - sweep.started_at).total_seconds()
    sweep.open_by_severity = {s: open_counts.get(s, 0) for s in SEVERITIES}
    sweep.error = error[:5000]
    sweep.save()
    return sweep


def acknowledge_alert(alert: Alert, user: Any) -> Alert:
    acknowledge_alerts([alert.pk], user)
    alert.refresh_from_db()
    return alert


def acknowledge_alerts(alert_ids: Iterable[int], user: Any) -> list[Alert]:
    """Acknowledge the open alerts among `alert_ids` (a group, or a selection): each one a
    compare-and-set on its state, so two coordinators acknowledging at once record each
    alert once. Returns the alerts this call acknowledged."""
    done: list[Alert] = []
    now = timezone.now()
    actor = audit.Actor.of(user)
    with transaction.atomic():
        for alert in Alert.objects.filter(pk__in=list(alert_ids), state=Alert.OPEN):
            if Alert.objects.filter(pk=alert.pk, state=Alert.OPEN).update(
                state=Alert.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=user
            ):
                audit.record(actor, "alert.acknowledge", obj=alert, summary=alert.title)
                done.append(alert)
    return done


def take_into_incident(alert_ids: Iterable[int], user: Any, *, ref: str) -> int:
    """The alerts were taken into incident `ref` (the incidents app links them): the open
    ones are acknowledged by `user`, as a person now handles them. How many were open."""
    now = timezone.now()
    actor = audit.Actor.of(user) if user is not None else audit.SYSTEM
    count = 0
    for alert in Alert.objects.filter(pk__in=list(alert_ids)).exclude(state=Alert.RESOLVED):
        if alert.state == Alert.OPEN:
            count += Alert.objects.filter(pk=alert.pk, state=Alert.OPEN).update(
                state=Alert.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=user
            )
        audit.record(actor, "alert.incident", obj=alert, summary=f"{alert.title} -> {ref}"[:300])
    return count


def resolve_alerts(alert_ids: Iterable[int], *, why: str, actor: audit.Actor) -> int:
    """Resolve the alerts not resolved yet (their incident was mitigated or closed); how
    many. The finding stays open until a sweep no longer sees it."""
    now = timezone.now()
    count = 0
    for alert in Alert.objects.filter(pk__in=list(alert_ids)).exclude(state=Alert.RESOLVED):
        if (
            Alert.objects.filter(pk=alert.pk)
            .exclude(state=Alert.RESOLVED)
            .update(state=Alert.RESOLVED, resolved_at=now, resolution=why[:300])
        ):
            audit.record(actor, "alert.resolve", obj=alert, summary=why[:300])
            count += 1
    return count


def history(days: int = 14) -> list[dict[str, Any]]:
    """Open findings over time (one point per finished sweep) for the health plot."""
    since = timezone.now() - timedelta(days=days)
    return [
        {"at": s.finished_at, "counts": s.open_by_severity}
        for s in Sweep.objects.filter(status=Sweep.DONE, finished_at__gte=since).order_by(
            "finished_at"
        )
    ]


def status_counts() -> dict[str, int]:
    return dict(ZoneStatus.objects.values_list("worst").annotate(n=Count("id")))


# --- schedule -----------------------------------------------------------------------------


def enqueue_due(jobs: Iterable[tuple[str, int, Any]], *, now: datetime | None = None) -> list[str]:
    """Enqueue each (name, interval in seconds, task) whose run is due and claimed (an
    interval of 0 turns a job off); the names enqueued. What every app's `schedule()` does
    on each tick of `dnscc scheduler`."""
    queued = []
    for name, every, job in jobs:
        if every and claim_due(name, every, now=now):
            job.enqueue()
            queued.append(name)
    return queued


def claim_due(name: str, interval_seconds: int, *, now: datetime | None = None) -> bool:
    """True for exactly one caller per due run, across processes and machines."""
    now = now or timezone.now()
    schedule, _ = Schedule.objects.get_or_create(
        name=name, defaults={"next_run_at": now, "interval_seconds": interval_seconds}
    )
    if schedule.next_run_at > now:
        return False
    return (
        Schedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
            next_run_at=now + timedelta(seconds=interval_seconds),
            last_run_at=now,
            interval_seconds=interval_seconds,
        )
        == 1
    )


# --- whose alerts a coordinator sees -----------------------------------------------------------
# A coordinator's "my desks" view holds the alerts of their desks and of no desk. A higher
# floor adds desks through this registry: the incidents app adds the desk on duty while
# nobody staffs it, so its critical alert is not hidden from every coordinator.

EXTRA_DESKS: dict[str, Callable[[], Iterable[str]]] = {}


def register_extra_desks(name: str, desks: Callable[[], Iterable[str]]) -> None:
    """Desks (region codes) every coordinator also watches, as `desks()` says at the time."""
    EXTRA_DESKS[name] = desks


def watched_desks(own: Iterable[str]) -> list[str]:
    """A coordinator's own desks, "" (alerts no desk owns) and the registered extra desks."""
    desks = {*own, ""}
    for provider in EXTRA_DESKS.values():
        desks.update(provider())
    return sorted(desks)


# --- the exercise mark on what sweeps find ----------------------------------------------------
# An exercise injects real faults into the lab; a sweep of the lab finds them like any other.
# The exercises app (a higher floor) registers a function saying which running exercise, if
# any, faulted a zone, so that the alert such a finding opens carries the exercise's mark and
# stays out of live lists (core.exercise_mark).

EXERCISE_MARKERS: dict[str, Callable[[str], int | None]] = {}


def register_exercise_marker(name: str, marker: Callable[[str], int | None]) -> None:
    """`marker(zone)` returns the id of the exercise that faulted `zone`, or None."""
    EXERCISE_MARKERS[name] = marker


def exercise_for_zone(zone: str) -> int | None:
    """The exercise that faulted `zone` (the first registered marker that knows), or None."""
    for marker in EXERCISE_MARKERS.values():
        found = marker(zone)
        if found is not None:
            return found
    return None


# --- findings of other apps ------------------------------------------------------------------
# Apps on this floor (rootinfo) report what they find as monitoring findings and alerts, so
# that the duty desk sees one list. Their zones are outside the swept namespace (e.g.
# "a.root-servers.net"), so a sweep never resolves them; the app that opened one resolves it.

DETAIL_PAGES: dict[str, Callable[[Finding], str | None]] = {}


def register_detail_page(code_prefix: str, url_of: Callable[[Finding], str | None]) -> None:
    """Findings whose code starts with `code_prefix` have a page of their own (a plot)."""
    DETAIL_PAGES[code_prefix] = url_of


def detail_page(finding: Finding) -> str | None:
    for prefix, url_of in DETAIL_PAGES.items():
        if finding.code.startswith(prefix):
            return url_of(finding)
    return None


def report_finding(
    *,
    zone: str,
    code: str,
    severity: str,
    message: str,
    title: str,
    evidence: Iterable[Any] = (),
    organization: Any = None,
    desk: str = "",
    server: str = "",
    now: datetime | None = None,
    exercise: int | None = None,
) -> Alert | None:
    """Open (or refresh) a finding from another app, with an alert to `desk` when its
    severity reaches the alert threshold; the alert, if any. `exercise` marks a finding and
    alert an exercise injected (core.exercise_mark)."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Finding.objects.select_for_update()
            .filter(zone=zone, code=code, server=server, resolved_at__isnull=True)
            .first()
        )
        if row is None:
            row = Finding.objects.create(
                zone=zone,
                code=code,
                severity=severity,
                server=server,
                message=message,
                evidence=evidence_json(evidence),
                first_seen=now,
                last_seen=now,
                exercise=exercise,
            )
        else:
            row.severity, row.message, row.last_seen = severity, message, now
            row.evidence = evidence_json(evidence)
            row.save(update_fields=["severity", "message", "evidence", "last_seen"])
        alert = Alert.objects.filter(finding=row).first()
        if alert is None and severity_rank(severity) >= severity_rank(alert_threshold()):
            alert = Alert.objects.create(
                finding=row,
                organization=organization,
                desk=desk,
                severity=severity,
                title=title[:300],
                opened_at=now,
                exercise=exercise,
            )
            audit.record(
                audit.SYSTEM,
                "alert.open",
                obj=alert,
                summary=alert.title,
                data={"desk": desk, "organization": getattr(organization, "slug", None)},
            )
    return alert


def resolve_finding(
    *, zone: str, code: str, why: str, server: str = "", now: datetime | None = None
) -> bool:
    """Resolve another app's open finding and its alert; whether there was one."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            Finding.objects.select_for_update()
            .filter(zone=zone, code=code, server=server, resolved_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        row.resolved_at = now
        row.save(update_fields=["resolved_at"])
        Alert.objects.filter(finding=row).exclude(state=Alert.RESOLVED).update(
            state=Alert.RESOLVED, resolved_at=now, resolution=why[:300]
        )
    return True
