"""Open an incident from monitoring alerts (one alert, or a group of one cause).

`proposal(alerts)` fills the new-incident form: title, what was seen, the DNS type of the
check, impact and urgency from the worst severity, the desk the alerts were routed to, and
the scope (the alerts' zones as TLDs, the root as "."; a server given as an address joins
the IP addresses). The coordinator reviews it and `open_incident` creates the incident:

- the alerts are linked to it (`Incident.alerts`): each alert shows its incident, and they
  resolve with it (services.update_incident calls `resolve_with`);
- the open ones are acknowledged by the coordinator (a person handles them now);
- the monitoring reports the alerts opened and that still wait for triage are decided:
  the first is opened as this incident, the others merged into it (no duplicate triage);
- the timeline says which alerts it came from.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location
from dnscc.core.tlp import TLP, Viewer
from dnscc.incidents import services, timeline
from dnscc.incidents.intake import dns_type_for_finding
from dnscc.incidents.models import Incident, Report
from dnscc.monitoring import services as monitoring
from dnscc.monitoring.groups import AlertGroup, group_alerts
from dnscc.monitoring.models import Alert

MAX_ALERTS = 2000
# Impact and urgency proposed for the worst severity among the alerts.
LEVELS = {
    "critical": ("high", "high"),
    "error": ("high", "medium"),
    "warning": ("medium", "medium"),
}


def alerts_of(ids: Any) -> list[Alert]:
    """The alerts named by id (query values, a list), refused when none exists."""
    wanted: list[int] = []
    for raw in ids or []:
        for part in str(raw).replace(",", " ").split():
            try:
                wanted.append(int(part))
            except ValueError:
                raise InputError(
                    f"{part!r} is not an alert number", location=Location(field="alerts")
                ) from None
    if len(wanted) > MAX_ALERTS:
        raise InputError(
            f"{len(wanted)} alerts at once; at most {MAX_ALERTS}", location=Location(field="alerts")
        )
    found = list(
        Alert.objects.filter(pk__in=wanted)
        .select_related("finding", "organization")
        .prefetch_related("incidents")
    )
    missing = sorted(set(wanted) - {a.pk for a in found})
    if missing:
        raise InputError(f"no alert {missing[0]}", location=Location(field="alerts"))
    if not found:
        raise InputError(
            "name the alerts to open an incident from", location=Location(field="alerts")
        )
    return found


def _scope(group: AlertGroup) -> dict[str, list[str]]:
    tlds = [zone or "." for zone in group.zone_names]
    ips = []
    for server in group.servers:
        try:
            ips.append(str(ipaddress.ip_address(server)))
        except ValueError:
            continue  # a host name: named in the summary, not a scope entry
    return {"names": [], "tlds": tlds, "ips": ips, "resolvers": []}


def proposal(alerts: list[Alert]) -> dict[str, Any]:
    """The new-incident form's fields for these alerts (scope as lists)."""
    groups = group_alerts(alerts)
    whole = AlertGroup([a for g in groups for a in g.alerts])
    first = whole.alerts[0].finding
    impact, urgency = LEVELS.get(whole.severity, ("medium", "medium"))
    lines = [
        f"{a.finding.code} ({a.severity}) on "
        f"{'.' + a.finding.zone if a.finding.zone else 'the root zone'}"
        f"{' at ' + a.finding.server if a.finding.server else ''}: {a.finding.message}"
        for a in whole.alerts[:50]
    ]
    if whole.count > 50:
        lines.append(f"... and {whole.count - 50} more alerts")
    desks = whole.desks
    return {
        "title": (groups[0].title if len(groups) == 1 else whole.title)[:300],
        "summary": "Opened from monitoring alerts:\n" + "\n".join(lines),
        "dns_type": dns_type_for_finding(first.code, first.zone or ""),
        "impact": impact,
        "urgency": urgency,
        "tlp": TLP.AMBER.value,
        "desk": desks[0] if len(desks) == 1 else "",
        "scope": _scope(whole),
    }


def open_incident(
    viewer: Viewer,
    actor: audit.Actor,
    alerts: list[Alert],
    data: dict[str, Any] | None = None,
    *,
    user: Any = None,
) -> Incident:
    """Create the incident (the proposal, overridden by `data` as the coordinator edited
    it) and take the alerts into it. All in one transaction."""
    fields = {**proposal(alerts), **{k: v for k, v in (data or {}).items() if v is not None}}
    ids = [a.pk for a in alerts]
    exercises = {a.exercise for a in alerts}
    if len(exercises) > 1:
        # An exercise's alerts never join live work (core.exercise_mark).
        raise InputError(
            "these alerts belong to different worlds (live and an exercise, or two exercises)",
            location=Location(field="alerts"),
            hint="open one incident from the live alerts and another from the exercise's",
        )
    with transaction.atomic():
        incident = services.create_incident(
            viewer, actor, fields, user=user, exercise=exercises.pop()
        )
        take_alerts(incident, alerts, actor=actor, user=user)
        _decide_reports(incident, ids, actor)
    return incident


def take_alerts(incident: Incident, alerts: list[Alert], *, actor: audit.Actor, user: Any) -> None:
    """Link the alerts to the incident, acknowledge the open ones, say so on the timeline."""
    incident.alerts.add(*alerts)
    ids = [a.pk for a in alerts]
    acknowledged = monitoring.take_into_incident(ids, user, ref=incident.ref)
    zones = sorted({f".{a.finding.zone}" if a.finding.zone else "." for a in alerts})
    timeline.add(
        incident,
        "alert",
        f"{len(alerts)} monitoring alert(s) taken in ({', '.join(zones[:10])}"
        f"{' and more' if len(zones) > 10 else ''}); {acknowledged} acknowledged",
        actor=actor.name,
        data={"alerts": ids, "acknowledged": acknowledged},
    )


def _decide_reports(incident: Incident, alert_ids: list[int], actor: audit.Actor) -> None:
    """The alerts' reports still waiting for triage: opened as (the first) or merged into
    the incident, so the triage queue does not offer them again."""
    now = timezone.now()
    reports = list(
        Report.objects.filter(alert_id__in=alert_ids, state=Report.NEW).order_by("created_at")
    )
    for i, report in enumerate(reports):
        state = Report.OPENED if i == 0 else Report.MERGED
        if Report.objects.filter(pk=report.pk, state=Report.NEW).update(
            state=state, incident=incident, decided_by=actor.name[:150], decided_at=now
        ):
            how = "opened as this incident" if state == Report.OPENED else "merged into it"
            timeline.add(
                incident,
                "report",
                f"Report {report.pk} (Monitoring) {how}: {report.title}",
                actor=actor.name,
                data={"report": report.pk, "source": report.source, "decision": state},
            )


def resolve_with(incident: Incident, actor: audit.Actor) -> int:
    """The incident was mitigated or closed: its alerts resolve with it."""
    ids = list(incident.alerts.values_list("pk", flat=True))
    if not ids:
        return 0
    status = incident.get_status_display().split(" (")[0].lower()
    return monitoring.resolve_alerts(
        ids, why=f"resolved with incident {incident.ref} ({status})", actor=actor
    )
