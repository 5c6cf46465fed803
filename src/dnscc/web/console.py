"""The duty console: what needs a person now, worst first, each line a link.

The coordinator's home page. It reads every app's services (the web app is the top floor)
and says, in this order of urgency:

    0  critical alerts not acknowledged (one line per group of one cause)
    1  SLA breaches; parties no notice reaches (unreachable, delivery failed); the outbox
       failing; nobody staffing the desk on duty
    3  error alerts not acknowledged
    4  deadlines due in the next DNSCC_CONSOLE_DUE_HOURS hours (and overdue tasks)
    5  campaign slices past their deadline (or that no message reaches)
    6  the shift handover to the desk on duty, not acknowledged
    7  reports waiting for triage

and, within a rank, the oldest (or the soonest due) first.

Each fact is said once. A party no notice reaches has its time to first notification
breached at once (incidents.sla): that breach is said on the party's own line (what to do:
find a contact), not on a line of its own; and an incident's notify deadline is not listed
as due when every party still waiting for a first notice is such a party (the deadline
cannot be met by waiting, and their lines already say so). The parties of one incident that
no notice reaches are one line ("12 parties (...) cannot be reached for ..."), a link to its
party table.

A coordinator sees the work of
their own desks and of no desk; while nobody staffs the desk on duty, its work is every
coordinator's (so the on-duty desk's critical alert is never hidden). An administrator or
a coordinator without desks sees every desk's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from dnscc.accounts.models import Account
from dnscc.core.regions import Region
from dnscc.core.tlp import TLP, Viewer
from dnscc.web.labels import label

RANKS = {
    "alert-critical": 0,
    "breach": 1,
    "unreachable": 1,
    "outbox": 1,
    "unstaffed": 1,
    "alert-error": 3,
    "due": 4,
    "slice": 5,
    "handover": 6,
    "reports": 7,
}


@dataclass(frozen=True)
class Line:
    """One thing that needs a person: what, where to act, and since or until when."""

    kind: str  # a key of RANKS
    text: str
    url: str
    when: datetime | None = None  # since when it waits, or when it falls due
    detail: str = ""
    tone: str = "warning"  # critical, error, warning, info: the badge's colour
    badge: str = ""

    @property
    def rank(self) -> int:
        return RANKS[self.kind]


@dataclass(frozen=True)
class Scope:
    """Whose work a coordinator sees: desks (None: every desk)."""

    desks: frozenset[str] | None
    own: tuple[str, ...]
    on_duty: str
    unstaffed: bool

    def covers(self, desk: str) -> bool:
        return self.desks is None or (desk or "") in self.desks


def scope_for(viewer: Viewer, *, now: datetime | None = None) -> Scope:
    """The desks whose work `viewer` sees on the console (see the module docstring)."""
    from dnscc.incidents import desks

    account = Account.objects.filter(user_id=viewer.user_id).first()
    own = tuple(account.desks or ()) if account else ()
    on_duty = desks.on_duty(now)
    unstaffed = bool(on_duty) and not desks.coordinators(on_duty)
    if not own:
        return Scope(None, own, on_duty, unstaffed)
    watched = {*own, ""} | ({on_duty} if unstaffed else set())
    return Scope(frozenset(watched), own, on_duty, unstaffed)


def _desk_name(code: str) -> str:
    try:
        return f"{Region(code).label} desk"
    except ValueError:
        return "no desk"


def _ago(at: datetime | None, now: datetime) -> str:
    from dnscc.incidents.sla import human

    return f"{human((now - at).total_seconds())} ago" if at else ""


def _alert_lines(scope: Scope, now: datetime) -> list[Line]:
    from dnscc.monitoring.groups import group_alerts
    from dnscc.monitoring.models import Alert

    rows = (
        Alert.objects.filter(
            state=Alert.OPEN, severity__in=("critical", "error"), exercise__isnull=True
        )
        .select_related("finding", "organization")
        .prefetch_related("incidents")
        .order_by("opened_at")[:5000]
    )
    rows = [a for a in rows if scope.covers(a.desk)]
    lines = []
    for group in group_alerts(rows):
        desks = group.desks
        where = ", ".join(_desk_name(d) for d in desks) or "no desk"
        if scope.unstaffed and scope.on_duty in desks:
            where += " (on duty, nobody staffs it)"
        zones = group.zones
        text = group.title
        if group.count > 1:
            text += f": {', '.join(zones[:6])}{' and more' if len(zones) > 6 else ''}"
        first = group.alerts[0]
        url = (
            f"{reverse('monitoring:alerts')}?desk=all&severity={group.severity}#{group.key}"
            if group.count > 1
            else f"{reverse('monitoring:zone', args=[first.finding.zone or '.'])}"
            f"#finding-{first.finding_id}"
        )
        lines.append(
            Line(
                kind=f"alert-{group.severity}",
                text=text,
                url=url,
                when=group.opened_at,
                detail=f"{where} · opened {_ago(group.opened_at, now)}",
                tone=group.severity,
                badge=label(group.severity, "severity"),
            )
        )
    return lines


def _breach_lines(scope: Scope, viewer: Viewer, now: datetime) -> list[Line]:
    from dnscc.core.tlp import can_see
    from dnscc.incidents import sla

    lines = []
    for breach in sla.open_breaches():
        if _said_on_party_line(breach):
            continue
        if not scope.covers(sla.breach_desk(breach)):
            continue
        if not can_see(viewer, breach.incident.labelled()):
            continue
        row = sla.breach_row(breach)
        who = f" by {row['party']}" if row["party"] else ""
        lines.append(
            Line(
                kind="breach",
                text=f"{label(breach.kind, 'breach_kind')}{who} missed: "
                f"{row['incident']} {row['title']}",
                url=reverse("incidents:incident", args=[row["incident"]]) + "#sla",
                when=breach.due_at,
                detail=f"due {row['due']['utc']} · escalation: {row['level_name']}",
                tone="error",
                badge="SLA breached",
            )
        )
    return lines


NO_NOTICE_REACHES = ("unreachable", "delivery_failed")


def _said_on_party_line(breach: Any) -> bool:
    """A party's notify breach while no notice reaches it: its unreachable line says it."""
    return bool(
        breach.kind == "notify"
        and breach.party_id
        and breach.party is not None
        and breach.party.status in NO_NOTICE_REACHES
    )


def _unreachable_lines(scope: Scope, viewer: Viewer, now: datetime) -> list[Line]:
    from dnscc.incidents.models import SlaBreach
    from dnscc.incidents.services import unreachable_parties

    parties = [p for p in unreachable_parties(viewer) if scope.covers(p.incident.desk)]
    breaches = {
        b.party_id: b
        for b in SlaBreach.objects.filter(
            kind=SlaBreach.NOTIFY,
            resolved_at__isnull=True,
            party_id__in=[p.pk for p in parties],
        )
    }
    # One line per incident and way of failing: twelve root server operators without a
    # contact are one thing to do on one incident page, not twelve lines.
    together: dict[tuple[int, bool], list[Any]] = {}
    for party in parties:
        together.setdefault((party.incident_id, party.status == "delivery_failed"), []).append(
            party
        )
    lines = []
    for (_, failed), members in together.items():
        lines.append(_unreachable_line(members, failed, breaches, now))
    return lines


def _unreachable_line(
    members: list[Any], failed: bool, breaches: dict[int, Any], now: datetime
) -> Line:
    from dnscc.incidents import sla

    first = members[0]
    incident = first.incident
    red = incident.tlp == TLP.RED.value
    names = ["[TLP:RED]" if red else p.organization.name for p in members]
    if len(members) == 1:
        who = names[0]
        url_anchor = f"#party-{first.pk}"
    else:
        shown = ", ".join(names[:3]) if not red else "[TLP:RED]"
        more = f" and {len(names) - 3} more" if len(names) > 3 and not red else ""
        who = f"{len(members)} parties ({shown}{more})"
        url_anchor = "#party-table"
    levels = [breaches[p.pk].level for p in members if p.pk in breaches]
    missed = (
        f" · time to first notification missed, escalation:"
        f" {sla.LEVEL_NAMES.get(max(levels), str(max(levels)))}"
        if levels
        else ""
    )
    since = min((p.status_changed_at for p in members if p.status_changed_at), default=None)
    return Line(
        kind="unreachable",
        text=f"{who} {'did not get' if failed else 'cannot be reached for'} "
        f"{incident.ref}: {'every message failed' if failed else 'no usable contact'}",
        url=reverse("incidents:incident", args=[incident.ref]) + url_anchor,
        when=since,
        detail=" · ".join(x for x in (label(first.status, "party_status"), _ago(since, now)) if x)
        + missed,
        tone="error",
        badge="Delivery failed" if failed else "Unreachable",
    )


def _due_lines(scope: Scope, now: datetime) -> list[Line]:
    from dnscc.incidents import desks
    from dnscc.incidents.models import Incident

    hours = settings.CONSOLE_DUE_HOURS
    # Live work only: an exercise's deadlines are the exercise's (core.exercise_mark).
    incidents = list(
        Incident.objects.exclude(status=Incident.CLOSED)
        .filter(exercise__isnull=True)
        .order_by("created_at")
    )
    incidents = [i for i in incidents if scope.covers(i.desk)]
    blocked = _notice_blocked(incidents)
    lines = []
    for item in desks.due_between(now, now + timedelta(hours=hours), incidents):
        if item["what"] == "notify deadline" and item["incident"] in blocked:
            continue  # every party it waits for has its own line (module docstring)
        at: datetime = item["due_at"]
        overdue = at < now
        anchor = f"#party-{item['party']}" if item.get("party") else ""
        lines.append(
            Line(
                kind="due",
                text=f"{item['incident']}: {item['what']}",
                url=reverse("incidents:incident", args=[item["incident"]]) + anchor,
                when=at,
                detail=(
                    f"{'was due' if overdue else 'due'} {at:%Y-%m-%d %H:%M} UTC"
                    f" ({_ago(at, now) if overdue else 'in ' + _in(at, now)})"
                ),
                tone="error" if overdue else "warning",
                badge="Overdue" if overdue else "Due soon",
            )
        )
    return lines


def _notice_blocked(incidents: list[Any]) -> set[str]:
    """Refs of the incidents all of whose parties still waiting for a first notice are
    parties no notice reaches (and there is at least one)."""
    from dnscc.incidents.models import Party

    waiting: dict[str, set[str]] = {}
    rows = Party.objects.filter(
        incident__in=incidents,
        notified_at__isnull=True,
        status__in=(Party.NOT_CONTACTED, Party.QUEUED, *NO_NOTICE_REACHES),
    ).values_list("incident__ref", "status")
    for ref, status in rows:
        waiting.setdefault(ref, set()).add(status)
    return {ref for ref, states in waiting.items() if states <= set(NO_NOTICE_REACHES)}


def _in(at: datetime, now: datetime) -> str:
    from dnscc.incidents.sla import human

    return human((at - now).total_seconds())


def _slice_lines(scope: Scope, viewer: Viewer, now: datetime) -> list[Line]:
    from dnscc.campaigns.escalation import late_slices
    from dnscc.campaigns.services import unreachable_slices

    found = {s.pk: s for s in late_slices(now)[:200]}
    for slice_ in unreachable_slices(viewer)[:200]:
        found.setdefault(slice_.pk, slice_)
    lines = []
    for slice_ in found.values():
        campaign = slice_.campaign
        if not scope.covers(campaign.incident.desk if campaign.incident_id else ""):
            continue
        reached = slice_.state not in ("unreachable", "delivery_failed")
        red = campaign.tlp == TLP.RED.value
        org = "[TLP:RED]" if red else slice_.organization.name
        title = "a TLP:RED campaign" if red else campaign.title
        what = "past its deadline" if reached else label(slice_.state, "slice_state").lower()
        lines.append(
            Line(
                kind="slice",
                text=f"{org}'s slice of {title}: {what}",
                url=reverse("campaigns:slice", args=[campaign.slug, slice_.pk]),
                when=slice_.deadline,
                detail=f"due {slice_.deadline:%Y-%m-%d %H:%M} UTC · not acknowledged"
                + (
                    f" · escalation level {slice_.escalation_level}"
                    if slice_.escalation_level
                    else ""
                ),
                tone="warning",
                badge="Slice late" if reached else "Slice not delivered",
            )
        )
    return lines


def _handover_lines(scope: Scope, now: datetime) -> list[Line]:
    from dnscc.incidents.models import Handover

    if not scope.on_duty or not scope.covers(scope.on_duty):
        return []
    latest = Handover.objects.filter(to_desk=scope.on_duty).first()
    if latest is None or latest.acknowledged_at:
        return []
    return [
        Line(
            kind="handover",
            text=f"Handover {latest.from_desk} → {latest.to_desk} not acknowledged",
            url=reverse("incidents:handover", args=[latest.pk]),
            when=latest.created_at,
            detail=f"shift change {latest.shift_start:%H:%M} UTC · {_ago(latest.created_at, now)}",
            tone="warning",
            badge="Handover",
        )
    ]


def _report_lines(scope: Scope, viewer: Viewer, now: datetime) -> list[Line]:
    from dnscc.incidents.intake import visible_reports
    from dnscc.incidents.models import Report

    waiting = [
        r
        for r in visible_reports(viewer).filter(state=Report.NEW, exercise__isnull=True)
        if scope.covers(r.desk)
    ]
    if not waiting:
        return []
    oldest = min(r.created_at for r in waiting)
    return [
        Line(
            kind="reports",
            text=f"{len(waiting)} report{'s' if len(waiting) != 1 else ''} waiting for triage",
            url=reverse("incidents:reports"),
            when=oldest,
            detail=f"the oldest {_ago(oldest, now)}",
            tone="info",
            badge="Triage",
        )
    ]


def _outbox_lines(health: dict[str, Any], now: datetime) -> list[Line]:
    return [
        Line(
            kind="outbox",
            text=f"The {c['label']} is failing: messages are not going out",
            url=reverse("outreach:outbox") + "#health",
            when=c["failing_since"],
            detail=f"since {c['failing_since']:%Y-%m-%d %H:%M} UTC · {c['waiting'] or 0} waiting"
            f" · last error: {(c['last_error'] or 'none recorded')[:160]}",
            tone="critical",
            badge="Outbox",
        )
        for c in health["alerts"]
    ]


def desk_panel(scope: Scope, now: datetime) -> dict[str, Any]:
    """The desk on duty, who staffs it, and the next shift change."""
    from dnscc.incidents import desks

    region = scope.on_duty
    next_region, next_at = desks.next_change(now)
    return {
        "region": region,
        "name": _desk_name(region) if region else "",
        "coordinators": desks.coordinators(region) if region else [],
        "unstaffed": scope.unstaffed,
        "next_region": next_region,
        "next_name": _desk_name(next_region) if next_region else "",
        "next_at": next_at,
        "own": [_desk_name(d) for d in scope.own],
    }


def console(viewer: Viewer, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the console shows: the lines worst first, the desk panel, outbox health."""
    from dnscc.outreach import health

    now = now or timezone.now()
    scope = scope_for(viewer, now=now)
    outbox = health.status(now=now)
    lines = [
        *_alert_lines(scope, now),
        *_breach_lines(scope, viewer, now),
        *_outbox_lines(outbox, now),
        *_unreachable_lines(scope, viewer, now),
        *_due_lines(scope, now),
        *_slice_lines(scope, viewer, now),
        *_handover_lines(scope, now),
        *_report_lines(scope, viewer, now),
    ]
    desk = desk_panel(scope, now)
    if desk["region"] and desk["unstaffed"]:
        lines.append(
            Line(
                kind="unstaffed",
                text=f"Nobody staffs the {desk['name']}, which is on duty now",
                url=reverse("incidents:desk_status"),
                when=None,
                detail="its work is shown to every coordinator until someone takes it"
                " (a coordinator's desks are set on their account)",
                tone="error",
                badge="Desk",
            )
        )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    lines.sort(key=lambda line: (line.rank, line.when or far))
    return {
        "lines": lines,
        "desk": desk,
        "outbox": outbox,
        "scope": scope,
        "now": now,
        "counts": counts_of(lines),
    }


def counts_of(lines: list[Line]) -> dict[str, int]:
    """How many lines of each kind the console holds."""
    out: dict[str, int] = {"total": len(lines)}
    for line in lines:
        out[line.kind] = out.get(line.kind, 0) + 1
    return out


def nav_counts(viewer: Viewer) -> dict[str, int]:
    """The navigation's counts, in a few COUNT queries (every staff page shows them):
    alerts waiting for a person (critical and error, not acknowledged), open SLA breaches
    and reports waiting for triage, of the desks the viewer watches."""
    from dnscc.incidents.models import Report, SlaBreach
    from dnscc.monitoring.models import Alert

    if not viewer.is_staff:
        return {}
    scope = scope_for(viewer)
    # Live work only (core.exercise_mark): an exercise's rows are counted on its own page.
    alerts = Alert.objects.filter(
        state=Alert.OPEN, severity__in=("critical", "error"), exercise__isnull=True
    )
    breaches = SlaBreach.objects.filter(resolved_at__isnull=True, incident__exercise__isnull=True)
    reports = Report.objects.filter(state=Report.NEW, exercise__isnull=True)
    if scope.desks is not None:
        desks = list(scope.desks)
        alerts = alerts.filter(desk__in=desks)
        breaches = breaches.filter(incident__desk__in=desks)
        reports = reports.filter(desk__in=desks)
    return {
        "alerts": alerts.count(),
        "critical": alerts.filter(severity="critical").count(),
        "breaches": breaches.count(),
        "reports": reports.count(),
    }
