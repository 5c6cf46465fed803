"""SLAs: time to triage, to first notification, to acknowledgement per party, to
mitigation; deadlines from a profile per severity; breaches recorded and escalated
(reminder, then duty desk, then coordinator lead, then the party is unresponsive).

The targets and the ladder live in `sla.toml` (DNSCC_SLA_PROFILE lays another file over
it), never in code. Deadlines count from:

    triage       incident.created_at      met at incident.triaged_at
    notify       incident.created_at      met at incident.first_notified_at
                 (per party: breached at once when the party is unreachable or its
                 delivery failed; met when a message to it is accepted)
    acknowledge  party.notified_at        met at party.acknowledged_at (or a later status)
    mitigate     incident.triaged_at      met at incident.mitigated_at

`check(now)` is run by the scheduler on any number of machines: a breach is one row (unique
constraints), and every step up the ladder is a compare-and-set on `SlaBreach.level` whose
action (the reminder in the outbox, the timeline entries, the audit entry) commits in the
same transaction, so no step is done twice and none is lost.
"""

from __future__ import annotations

import itertools
import statistics
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import (
    ConflictError,
    DnsccError,
    InputError,
    Location,
    PermissionDenied,
)
from dnscc.core.taxonomy import SEVERITIES
from dnscc.core.tlp import TLP, Role, Viewer
from dnscc.incidents import timeline
from dnscc.incidents.models import Desk, Incident, Party, SlaBreach

DEFAULT_PATH = Path(__file__).with_name("sla.toml")
KINDS = (SlaBreach.TRIAGE, SlaBreach.NOTIFY, SlaBreach.ACKNOWLEDGE, SlaBreach.MITIGATE)
LADDER = ("reminder", "desk", "lead", "unresponsive")
# Levels of SlaBreach.level: 0 recorded, then one per step of the ladder.
LEVEL_NAMES = {0: "recorded", 1: "reminder", 2: "duty desk", 3: "coordinator lead"}
MAX_LEVEL = 3
# Statuses in which a party has answered: its acknowledgement deadline is met.
ANSWERED = (Party.ACKNOWLEDGED, Party.MITIGATING, Party.MITIGATED, Party.NOT_AFFECTED)
# The scheduler acts with the center's authority (it queues reminders like a coordinator).
SYSTEM_VIEWER = Viewer(user_id=0, role=Role.COORDINATOR)


# -- the profile --------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    targets: dict[str, dict[str, timedelta]]  # severity -> kind -> target
    ladder: dict[str, timedelta]  # step -> delay after the deadline

    def target(self, severity: str, kind: str) -> timedelta:
        return self.targets.get(severity, self.targets["medium"])[kind]


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("SLA profile not found", location=Location(file=str(path))) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"bad TOML: {exc}", location=Location(file=str(path))) from None


def _minutes(value: Any, file: str, field: str, *, zero: bool = False) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero else 1):
        raise InputError(
            f"{value!r} is not a whole number of minutes{'' if zero else ' above 0'}",
            location=Location(file=file, field=field),
            hint="targets and escalation delays are minutes, e.g. 240 for 4 h",
        )
    return timedelta(minutes=value)


@cache
def load_profile(path: str | None = None) -> Profile:
    """The shipped profile, with the tables of `path` laid over it when given."""
    data = _read(DEFAULT_PATH)
    file = str(DEFAULT_PATH)
    if path:
        file = str(path)
        over = _read(Path(path))
        unknown = set(over) - {"targets", "escalation"}
        if unknown:
            raise InputError(
                f"unknown table(s) {', '.join(sorted(unknown))}",
                location=Location(file=file),
                hint="an SLA profile has [targets.SEVERITY] tables and [escalation]",
            )
        for severity, values in over.get("targets", {}).items():
            data["targets"][severity] = {**data["targets"].get(severity, {}), **values}
        data["escalation"] = {**data["escalation"], **over.get("escalation", {})}
    targets: dict[str, dict[str, timedelta]] = {}
    for severity, values in data["targets"].items():
        if severity not in SEVERITIES:
            raise InputError(
                f"{severity!r} is not a severity",
                location=Location(file=file, field=f"targets.{severity}"),
                hint=f"use one of {', '.join(SEVERITIES)}",
            )
        bad = set(values) - set(KINDS)
        if bad:
            raise InputError(
                f"unknown target(s) {', '.join(sorted(bad))}",
                location=Location(file=file, field=f"targets.{severity}"),
                hint=f"targets are {', '.join(KINDS)}",
            )
        targets[severity] = {
            kind: _minutes(values.get(kind), file, f"targets.{severity}.{kind}") for kind in KINDS
        }
    ladder = {
        step: _minutes(data["escalation"].get(step), file, f"escalation.{step}", zero=True)
        for step in LADDER
    }
    for earlier, later in itertools.pairwise(LADDER):
        if ladder[later] < ladder[earlier]:
            raise InputError(
                f"escalation.{later} comes before escalation.{earlier}",
                location=Location(file=file, field=f"escalation.{later}"),
                hint="the ladder climbs: reminder <= desk <= lead <= unresponsive",
            )
    return Profile(targets=targets, ladder=ladder)


def profile() -> Profile:
    return load_profile(settings.SLA_PROFILE or None)


# -- deadlines ----------------------------------------------------------------------------


def deadlines(incident: Incident) -> dict[str, datetime | None]:
    """{"triage", "notify", "mitigate"} due times for the incident (None when met)."""
    p = profile()
    sev = incident.severity
    if incident.status == Incident.CLOSED:
        return {"triage": None, "notify": None, "mitigate": None}
    mitigated = incident.mitigated_at is not None or incident.status == Incident.MITIGATED
    return {
        "triage": None
        if incident.triaged_at
        else incident.created_at + p.target(sev, SlaBreach.TRIAGE),
        "notify": None
        if incident.first_notified_at
        else incident.created_at + p.target(sev, SlaBreach.NOTIFY),
        "mitigate": None
        if mitigated or incident.triaged_at is None
        else incident.triaged_at + p.target(sev, SlaBreach.MITIGATE),
    }


def party_deadline(party: Party) -> datetime | None:
    """When the party's acknowledgement is due (None before it is notified or once it is)."""
    if party.notified_at is None or party.acknowledged_at is not None or party.status in ANSWERED:
        return None
    return party.notified_at + profile().target(party.incident.severity, SlaBreach.ACKNOWLEDGE)


# -- figures ------------------------------------------------------------------------------


def human(seconds: float | None) -> str:
    """ "45 s", "12 min", "3 h 5 min", "2 d 4 h"; "—" for none."""
    if seconds is None:
        return "—"
    total = round(abs(seconds))
    sign = "-" if seconds < 0 else ""
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"
    if hours:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    if minutes:
        return f"{sign}{minutes} min"
    return f"{sign}{secs} s"


def format_deadline(dt: datetime | None, tz_name: str = "") -> dict[str, str]:
    """A deadline in the center's time (UTC) and in `tz_name` (an organisation's zone;
    blank or unknown: UTC): {"utc", "local", "tz", "iso"}."""
    name = tz_name or "UTC"
    try:
        zone: Any = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, name = UTC, "UTC"
    if dt is None:
        return {"utc": "", "local": "", "tz": name, "iso": ""}
    utc = dt.astimezone(UTC)
    local = dt.astimezone(zone)
    return {
        "utc": f"{utc:%Y-%m-%d %H:%M} UTC",
        "local": f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
        "tz": name,
        "iso": utc.isoformat(),
    }


def _figure(
    start: datetime | None, end: datetime | None, target: timedelta, now: datetime
) -> dict[str, Any]:
    due = start + target if start else None
    seconds = (end - start).total_seconds() if start and end else None
    if start is None:
        state = "pending"
    elif seconds is not None:
        state = "met" if seconds <= target.total_seconds() else "breached"
    else:
        state = "breached" if due is not None and now > due else "pending"
    return {
        "seconds": None if seconds is None else int(seconds),
        "human": human(seconds),
        "target_seconds": int(target.total_seconds()),
        "target_human": human(target.total_seconds()),
        "due_at": due,
        "state": state,
    }


def party_figures(party: Party, *, now: datetime | None = None) -> dict[str, Any]:
    """Time to notify (from the incident's creation), to acknowledge and to mitigate (from
    the party's notification), each with its target and met/breached/pending, and the
    acknowledgement deadline in UTC and the organisation's own time zone."""
    now = now or timezone.now()
    p = profile()
    incident = party.incident
    sev = incident.severity
    org = party.organization
    mitigate = _figure(
        party.notified_at, party.mitigated_at, p.target(sev, SlaBreach.MITIGATE), now
    )
    if party.status == Party.NOT_AFFECTED and party.mitigated_at is None:
        mitigate["state"] = "not_applicable"
    return {
        "party": party.pk,
        "organization": org.slug,
        "organization_name": org.name,
        "status": party.status,
        "escalation_level": party.escalation_level,
        "notify": _figure(
            incident.created_at, party.notified_at, p.target(sev, SlaBreach.NOTIFY), now
        ),
        "acknowledge": _figure(
            party.notified_at, party.acknowledged_at, p.target(sev, SlaBreach.ACKNOWLEDGE), now
        ),
        "mitigate": mitigate,
        "deadline": format_deadline(party_deadline(party), org.time_zone),
    }


def _median(values: list[int]) -> dict[str, Any]:
    if not values:
        return {"seconds": None, "human": human(None), "count": 0}
    middle = statistics.median(values)
    return {"seconds": int(middle), "human": human(middle), "count": len(values)}


def figures(incident: Incident, *, now: datetime | None = None) -> dict[str, Any]:
    """Per-incident figures (time to triage, first notification, mitigation, in seconds,
    with their targets and whether met) and per-party figures (time to notify, acknowledge,
    mitigate), plus medians over the parties: what the incident page and API show."""
    now = now or timezone.now()
    p = profile()
    sev = incident.severity
    parties = [
        party_figures(party, now=now)
        for party in incident.parties.select_related("organization", "incident")
    ]
    return {
        "severity": sev,
        "triage": _figure(
            incident.created_at, incident.triaged_at, p.target(sev, SlaBreach.TRIAGE), now
        ),
        "first_notification": _figure(
            incident.created_at, incident.first_notified_at, p.target(sev, SlaBreach.NOTIFY), now
        ),
        "mitigation": _figure(
            incident.triaged_at, incident.mitigated_at, p.target(sev, SlaBreach.MITIGATE), now
        ),
        "deadlines": {
            kind: format_deadline(due, "UTC") for kind, due in deadlines(incident).items()
        },
        "parties": parties,
        "medians": {
            kind: _median([f[kind]["seconds"] for f in parties if f[kind]["seconds"] is not None])
            for kind in ("notify", "acknowledge", "mitigate")
        },
    }


# -- breaches -----------------------------------------------------------------------------


def breach_desk(breach: SlaBreach) -> str:
    """The desk a breach escalates to: the incident's desk, else the party's region."""
    if breach.incident.desk:
        return breach.incident.desk
    if breach.party_id and breach.party is not None:
        return breach.party.organization.region or ""
    return ""


def open_breaches(desk: str = "", *, exercises: bool = False) -> list[SlaBreach]:
    """Unresolved breaches (of one desk when given), oldest first; those of an exercise's
    incidents only when `exercises` asks for them (core.exercise_mark)."""
    qs = SlaBreach.objects.filter(resolved_at__isnull=True)
    if not exercises:
        qs = qs.filter(incident__exercise__isnull=True)
    rows = list(qs.select_related("incident", "party", "party__organization"))
    return [b for b in rows if not desk or breach_desk(b) == desk]


def breach_row(breach: SlaBreach) -> dict[str, Any]:
    """A breach as plain data (API, handover notes, the CLI)."""
    org = breach.party.organization if breach.party_id and breach.party else None
    incident = breach.incident
    red = incident.tlp == TLP.RED.value  # its parties are as secret as its title
    return {
        "id": breach.pk,
        "incident": incident.ref,
        "title": "[TLP:RED]" if red else incident.title,
        "party": ("[TLP:RED]" if red else org.name) if org else "",
        "organization": ("" if red else org.slug) if org else "",
        "kind": breach.kind,
        "due_at": breach.due_at.isoformat(),
        "due": format_deadline(breach.due_at, org.time_zone if org else ""),
        "breached_at": breach.breached_at.isoformat(),
        "level": breach.level,
        "level_name": LEVEL_NAMES.get(breach.level, str(breach.level)),
        "desk": breach_desk(breach),
        "resolved_at": breach.resolved_at.isoformat() if breach.resolved_at else None,
    }


def _resolve(now: datetime, actor: audit.Actor) -> int:
    """Close the breaches whose deadline was met meanwhile (at the time it was met)."""
    resolved = 0
    for breach in SlaBreach.objects.filter(resolved_at__isnull=True).select_related(
        "incident", "party"
    ):
        incident, party = breach.incident, breach.party
        at: datetime | None = None
        if breach.kind == SlaBreach.NOTIFY and party is not None:
            # An unreachable party: met once a message to it is accepted (notified_at), or
            # it answered some other way, or it is no longer waiting for a notice.
            if party.notified_at is not None:
                at = party.notified_at
            elif party.status not in (Party.UNREACHABLE, Party.DELIVERY_FAILED, Party.QUEUED):
                at = party.status_changed_at or now
        elif breach.kind == SlaBreach.ACKNOWLEDGE and party is not None:
            if party.acknowledged_at or party.status in ANSWERED:
                at = party.acknowledged_at or party.status_changed_at or now
        elif breach.kind == SlaBreach.TRIAGE:
            at = incident.triaged_at
        elif breach.kind == SlaBreach.NOTIFY:
            at = incident.first_notified_at
        elif breach.kind == SlaBreach.MITIGATE:
            at = incident.mitigated_at
        if at is None and incident.status == Incident.CLOSED:
            # A closed incident has no deadline left to meet.
            at = incident.closed_at or now
        if at is None:
            continue
        with transaction.atomic():
            if SlaBreach.objects.filter(pk=breach.pk, resolved_at__isnull=True).update(
                resolved_at=at
            ):
                who = f" for {party.organization}" if party else ""
                timeline.add(
                    incident,
                    "sla",
                    f"{breach.get_kind_display()}{who}: breach resolved",
                    actor=actor.name,
                    party=party,
                    data={"breach": breach.pk, "kind": breach.kind, "resolved_at": at.isoformat()},
                    at=now,
                )
                resolved += 1
    return resolved


def _record(
    incident: Incident,
    kind: str,
    due: datetime,
    now: datetime,
    actor: audit.Actor,
    party: Party | None = None,
) -> bool:
    """One breach row, once: the unique constraints make a racing scheduler's insert fail."""
    exists = SlaBreach.objects.filter(incident=incident, kind=kind, party=party).exists()
    if exists:
        return False
    with transaction.atomic():
        try:
            with transaction.atomic():
                breach = SlaBreach.objects.create(
                    incident=incident, party=party, kind=kind, due_at=due, breached_at=now, level=0
                )
        except IntegrityError:
            return False  # another scheduler recorded it first
        who = f" for {party.organization}" if party else ""
        timeline.add(
            incident,
            "sla",
            f"{breach.get_kind_display()}{who}: deadline passed (due {due:%Y-%m-%d %H:%M} UTC)",
            actor=actor.name,
            party=party,
            data={"breach": breach.pk, "kind": kind, "due_at": due.isoformat()},
            at=now,
        )
        audit.record(
            actor,
            "incident.sla_breached",
            obj=incident,
            summary=f"{incident.ref} {kind}{who}",
            data={"breach": breach.pk, "kind": kind, "party": party.pk if party else None},
        )
    return True


def open_unreachable(party: Party, now: datetime, actor: audit.Actor) -> bool:
    """A party no notice can reach (`unreachable`: no usable contact or channel, or
    `delivery_failed`): a per-party "time to first notification" breach, due now, which
    goes up the ladder from the duty desk (a reminder cannot reach it either). Once per
    open breach per party (the unique constraint): one resolved earlier (the party was
    reached, then its mail bounced) opens again. True when this call opened one."""
    reopened = SlaBreach.objects.filter(
        incident_id=party.incident_id,
        party=party,
        kind=SlaBreach.NOTIFY,
        resolved_at__isnull=False,
    ).update(resolved_at=None, due_at=now, breached_at=now, level=0, escalated_at=None)
    if reopened:
        timeline.add(
            party.incident,
            "sla",
            f"Time to first notification for {party.organization}: breached again ({party.status})",
            actor=actor.name,
            party=party,
            data={"kind": SlaBreach.NOTIFY, "reopened": True},
            at=now,
        )
        return True
    return _record(party.incident, SlaBreach.NOTIFY, now, now, actor, party=party)


def _remind(breach: SlaBreach, now: datetime, actor: audit.Actor) -> int:
    """Level 1: a reminder to the party through the one outbox. Returns messages queued."""
    from dnscc.outreach import services as outreach

    party = breach.party
    if party is None:
        return 0
    if breach.kind == SlaBreach.NOTIFY:
        # The party is unreachable: a reminder would reach nobody; the desk acts next.
        timeline.add(
            breach.incident,
            "sla",
            f"No reminder to {party.organization}: no notice reaches it ({party.status})",
            actor=actor.name,
            party=party,
            data={"breach": breach.pk, "level": 1, "status": party.status},
            at=now,
        )
        return 0
    incident = breach.incident
    org = party.organization
    due = format_deadline(breach.due_at, org.time_zone)
    notified = format_deadline(party.notified_at, org.time_zone)
    try:
        queued = outreach.notify(
            SYSTEM_VIEWER,
            actor,
            kind="incident_reminder",
            context={
                "ref": incident.ref,
                "title": incident.title,
                "tlp": TLP(incident.tlp).label,
                "notified": notified["utc"],
                "deadline": due["utc"],
                "deadline_local": due["local"],
            },
            organizations=[org],
            tlp=TLP(incident.tlp),
            source=("incident", str(incident.pk)),
            exercise=incident.exercise,
        )
    except DnsccError as exc:
        # A RED incident or a broken template: the breach still climbs the ladder.
        timeline.add(
            incident,
            "sla",
            f"Reminder to {org} not queued: {exc.message}",
            actor=actor.name,
            party=party,
            data={"breach": breach.pk, "level": 1, "error": exc.message},
            at=now,
        )
        return 0
    timeline.add(
        incident,
        "sla",
        f"Reminder queued to {org} ({queued.messages} message(s)): acknowledgement overdue",
        actor=actor.name,
        party=party,
        data={"breach": breach.pk, "level": 1, "notice": queued.notice.pk, **queued.as_dict()},
        at=now,
    )
    return queued.messages


def _mail_lead(breach: SlaBreach, desk: Desk, what: str) -> bool:
    """Mail the coordinator lead that a breach reached them (when they have an address).
    The lead is center staff, but mail travels in clear beyond the center: the message names
    the incident's reference and the kind of breach, and the party only below TLP:RED; the
    rest is behind the portal link."""
    from dnscc.outreach import services as outreach

    lead = desk.lead
    if lead is None or not lead.email:
        return False
    incident = breach.incident
    if incident.tlp == TLP.RED.value:
        what = breach.get_kind_display()
    outreach.queue_mail_to_address(
        "sla_escalation",
        lead.email,
        {
            "ref": incident.ref,
            "what": what,
            "lead": lead.get_full_name() or lead.get_username(),
            "desk": desk.name,
            "due": breach.due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            "link": f"{settings.BASE_URL}/incidents/{incident.ref}/",
        },
        exercise=incident.exercise,
    )
    return True


def _step(breach: SlaBreach, level: int, now: datetime, actor: audit.Actor) -> None:
    """The action of one level (called inside the transaction of its compare-and-set)."""
    incident, party = breach.incident, breach.party
    who = f" for {party.organization}" if party else ""
    what = f"{breach.get_kind_display()}{who}"
    desk = breach_desk(breach)
    data: dict[str, Any] = {"breach": breach.pk, "level": level, "desk": desk}
    if level == 1:
        _remind(breach, now, actor)
    elif level == 2:
        from dnscc.incidents import desks

        # Follow the sun: an owning desk that is off shift hands it to the desk on duty.
        routed = desks.desk_for_region(desk, now) if desk else desks.on_duty(now)
        data["routed_to"] = routed
        where = routed or desk or "on-duty"
        off = f" ({desk} is off shift)" if desk and routed and routed != desk else ""
        timeline.add(
            incident,
            "escalation",
            f"{what}: escalated to the {where} duty desk{off}",
            actor=actor.name,
            party=party,
            data=data,
            at=now,
        )
    elif level == 3:
        owner = Desk.objects.filter(region=desk).select_related("lead").first() if desk else None
        lead = owner.lead if owner and owner.lead and owner.lead.is_active else None
        lead_name = lead.get_username() if lead else ""
        data["lead"] = lead_name
        data["mailed"] = _mail_lead(breach, owner, what) if owner and lead else False
        mailed = " (mailed)" if data["mailed"] else ""
        timeline.add(
            incident,
            "escalation",
            f"{what}: escalated to the coordinator lead {lead_name or '(none configured)'}{mailed}",
            actor=actor.name,
            party=party,
            data=data,
            at=now,
        )
        audit.record(
            actor,
            "incident.sla_escalated",
            obj=incident,
            summary=f"{incident.ref} {breach.kind}{who} to lead {lead_name or '-'}",
            data=data,
        )
    if party is not None:
        Party.objects.filter(pk=party.pk, escalation_level__lt=level).update(
            escalation_level=level, escalated_at=now
        )


def _mark_unresponsive(party: Party, actor: audit.Actor) -> bool:
    """After the last level: the party is unresponsive (set_party_status: a compare-and-set
    on the party's version, with its timeline and audit entries)."""
    from dnscc.incidents import services

    try:
        services.set_party_status(
            SYSTEM_VIEWER,
            actor,
            party,
            Party.UNRESPONSIVE,
            version=party.version,
            via="sla",
            note="no acknowledgement after the last escalation",
        )
    except (ConflictError, PermissionDenied):
        return False  # changed meanwhile (perhaps acknowledged): the next check decides
    return True


def _escalate(now: datetime, actor: audit.Actor, counts: dict[str, int]) -> None:
    ladder = profile().ladder
    thresholds = [ladder["reminder"], ladder["desk"], ladder["lead"]]
    for breach in SlaBreach.objects.filter(resolved_at__isnull=True).select_related(
        "incident", "party", "party__organization", "party__incident"
    ):
        late = now - breach.due_at
        target = sum(1 for t in thresholds if late >= t)
        if breach.party_id and breach.kind == SlaBreach.NOTIFY:
            # An unreachable party goes to the duty desk at once: nobody can remind it.
            target = max(target, 2)
        level = breach.level
        while level < target:
            with transaction.atomic():
                won = SlaBreach.objects.filter(pk=breach.pk, level=level).update(
                    level=level + 1, escalated_at=now
                )
                if not won:
                    break  # another scheduler took this step
                level += 1
                breach.level = level
                _step(breach, level, now, actor)
                if level > 1 or breach.party_id:
                    counts[("reminders", "desk", "lead")[level - 1]] += 1
        party = breach.party
        if (
            party is not None
            and breach.kind == SlaBreach.ACKNOWLEDGE
            and level >= MAX_LEVEL
            and late >= ladder["unresponsive"]
            and party.status == Party.NOTIFIED
        ):
            party.refresh_from_db()
            if party.status == Party.NOTIFIED and _mark_unresponsive(party, actor):
                counts["unresponsive"] += 1


def check(now: datetime | None = None, *, actor: audit.Actor | None = None) -> dict[str, int]:
    """Record new breaches and escalate: run by the scheduler (safe on many machines)."""
    now = now or timezone.now()
    actor = actor or audit.SYSTEM
    counts = {"breaches": 0, "reminders": 0, "desk": 0, "lead": 0, "unresponsive": 0}
    counts["resolved"] = _resolve(now, actor)
    for incident in Incident.objects.exclude(status=Incident.CLOSED):
        for kind, due in deadlines(incident).items():
            if due is not None and due < now and _record(incident, kind, due, now, actor):
                counts["breaches"] += 1
    waiting = (
        Party.objects.filter(
            status=Party.NOTIFIED, notified_at__isnull=False, acknowledged_at__isnull=True
        )
        .exclude(incident__status=Incident.CLOSED)
        .select_related("incident", "organization")
    )
    for party in waiting:
        due = party_deadline(party)
        if (
            due is not None
            and due < now
            and _record(party.incident, SlaBreach.ACKNOWLEDGE, due, now, actor, party=party)
        ):
            counts["breaches"] += 1
    _escalate(now, actor, counts)
    return counts
