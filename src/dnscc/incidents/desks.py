"""Regional duty desks: the follow-the-sun rota, who is on duty, handovers at shift change.

Each ICANN region has one Desk with a window of UTC hours. The desk on duty at a moment is
the one whose shift started most recently (start inclusive): with a rota that covers the
day exactly, that is the desk whose window holds the moment; a gap is held by the desk
that started last, an overlap goes to the desk that came on last. Default rota (UTC):

    AP  22-04   AF  04-09   EU  09-14   LAC  14-18   NA  18-22

(08:00-ish to early afternoon local time in Tokyo/Singapore, Nairobi/Lagos, Brussels,
São Paulo and New York; Africa and Europe share time zones, so they split the morning.)
Change it with `dnscc desk set REGION --start H --hours N`.

At each shift change `shift_change` writes one Handover (unique on incoming desk and shift
start: racing schedulers produce one row) whose note lists the open incidents, the open
SLA breaches, what falls due in the coming shift and the reports waiting for triage. A
coordinator of the incoming desk acknowledges it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import Account
from dnscc.accounts.services import staff_only
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.regions import Region
from dnscc.core.tlp import TLP, Role, Viewer
from dnscc.incidents import sla, timeline
from dnscc.incidents.models import Desk, Handover, Incident, Party, Report, Task

DAY = 86400
# region, UTC start hour, hours, the desk's own time zone (for people reading the rota).
DEFAULT_ROTA = (
    ("AP", 22, 6, "Asia/Singapore"),
    ("AF", 4, 5, "Africa/Nairobi"),
    ("EU", 9, 5, "Europe/Brussels"),
    ("LAC", 14, 4, "America/Sao_Paulo"),
    ("NA", 18, 4, "America/New_York"),
)


# -- the rota -----------------------------------------------------------------------------


def _now(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(UTC)


def _offset(desk: Desk, now: datetime) -> int:
    """Seconds since the desk's shift last started (0 at the start itself)."""
    of_day = now.hour * 3600 + now.minute * 60 + now.second
    return (of_day - desk.shift_start_hour * 3600) % DAY


def _last_start(desk: Desk, now: datetime) -> datetime:
    return now.replace(microsecond=0) - timedelta(seconds=_offset(desk, now))


def _covers(desk: Desk, now: datetime) -> bool:
    return _offset(desk, now) < desk.shift_hours * 3600


def _desks() -> list[Desk]:
    return list(Desk.objects.select_related("lead").order_by("shift_start_hour", "region"))


def _current(desks: list[Desk], now: datetime) -> Desk | None:
    if not desks:
        return None
    return min(desks, key=lambda d: _offset(d, now))


def on_duty(now: datetime | None = None) -> str:
    """The region code of the desk on duty at `now` ("" when no desk is configured)."""
    desk = _current(_desks(), _now(now))
    return desk.region if desk else ""


def next_change(now: datetime | None = None) -> tuple[str, datetime | None]:
    """(region, time) of the next shift start after `now`."""
    at = _now(now)
    desks = _desks()
    if not desks:
        return "", None
    # A desk whose shift starts right now starts next in a day.
    desk = min(desks, key=lambda d: (DAY - _offset(d, at)) or DAY)
    wait = (DAY - _offset(desk, at)) or DAY
    return desk.region, at.replace(microsecond=0) + timedelta(seconds=wait)


def desk_for_region(region: str, now: datetime | None = None) -> str:
    """Where new work about `region` goes: the desk on duty (follow the sun), not the
    region's own desk while it sleeps."""
    at = _now(now)
    own = Desk.objects.filter(region=region).first()
    if own is not None and _covers(own, at):
        return own.region
    return on_duty(at)


def ensure_desks() -> list[Desk]:
    """The default rota when none is configured (idempotent). The data migration
    0002_default_rota creates it at install; this stays for tests and the CLI."""
    create_default_rota(Desk)
    return _desks()


def create_default_rota(desk_model: Any) -> None:
    """The DEFAULT_ROTA rows in `desk_model` (the real model, or a migration's historical
    one) when no desk exists yet."""
    if desk_model.objects.exists():
        return
    for region, start, hours, zone in DEFAULT_ROTA:
        desk_model.objects.get_or_create(
            region=region,
            defaults={
                "name": f"{Region(region).label} desk",
                "time_zone": zone,
                "shift_start_hour": start,
                "shift_hours": hours,
            },
        )


def rota_problems() -> list[str]:
    """UTC hours no desk covers, and hours two desks cover (the later one is on duty)."""
    desks = _desks()
    if not desks:
        return ["no desk is configured"]
    problems = []
    for hour in range(24):
        at = datetime(2000, 1, 1, hour, tzinfo=UTC)
        covering = [d.region for d in desks if _covers(d, at)]
        if not covering:
            held = _current(desks, at)
            problems.append(
                f"{hour:02d}:00 UTC: no desk's shift (held by {held.region if held else '-'})"
            )
        elif len(covering) > 1:
            problems.append(f"{hour:02d}:00 UTC: covered by {', '.join(covering)}")
    return problems


def set_desk(
    actor: audit.Actor,
    region: str,
    *,
    start_hour: int,
    hours: int,
    lead: str | None = None,
    time_zone: str | None = None,
) -> Desk:
    """Create or change a desk's shift (and lead, by username). Audited."""
    code = Region.from_code(region).value
    if not 0 <= start_hour <= 23:
        raise InputError(
            f"{start_hour} is not an hour of the day",
            location=Location(field="start"),
            hint="the UTC hour the shift starts, 0 to 23",
        )
    if not 1 <= hours <= 24:
        raise InputError(
            f"{hours} is not a shift length", location=Location(field="hours"), hint="1 to 24"
        )
    if time_zone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"{time_zone!r} is not a time zone",
                location=Location(field="time_zone"),
                hint="an IANA name such as Africa/Nairobi",
            ) from None
    lead_user = None
    if lead:
        lead_user = get_user_model().objects.filter(username=lead).first()
        account = Account.objects.filter(user=lead_user).first() if lead_user else None
        if account is None or not Role(account.role).is_staff:
            raise InputError(
                f"{lead!r} is not a coordinator",
                location=Location(field="lead"),
                hint="the lead is a coordinator's or an administrator's username",
            )
    with transaction.atomic():
        desk, created = Desk.objects.get_or_create(
            region=code,
            defaults={
                "name": f"{Region(code).label} desk",
                "shift_start_hour": start_hour,
                "shift_hours": hours,
            },
        )
        desk.shift_start_hour = start_hour
        desk.shift_hours = hours
        if time_zone:
            desk.time_zone = time_zone
        if lead_user is not None:
            desk.lead = lead_user
        desk.save()
        audit.record(
            actor,
            "incident.desk_set",
            obj=desk,
            summary=f"{code} {start_hour:02d}:00 UTC for {hours} h",
            data={
                "region": code,
                "start_hour": start_hour,
                "hours": hours,
                "lead": lead or "",
                "created": created,
            },
        )
    return desk


def unstaffed_on_duty(now: datetime | None = None) -> str:
    """The desk on duty when no coordinator staffs it ("" when someone does): its work is
    every coordinator's then (the console and the alerts page show it to all)."""
    region = on_duty(now)
    return region if region and not coordinators(region) else ""


def coordinators(region: str) -> list[str]:
    """Usernames of the staff who staff a desk (Account.desks)."""
    accounts = Account.objects.filter(role__in=[Role.COORDINATOR.value, Role.ADMIN.value])
    return sorted(
        a.user.get_username()
        for a in accounts.select_related("user")
        if region in (a.desks or []) and a.user.is_active
    )


# -- handovers ----------------------------------------------------------------------------


def _title(obj: Any) -> str:
    # The note is read by every coordinator: a RED title stays with its audience.
    return "[TLP:RED]" if obj.tlp == TLP.RED.value else obj.title


def handover_note(now: datetime, until: datetime) -> dict[str, Any]:
    """What the outgoing desk hands over: open incidents, open breaches, what falls due
    before `until`, and the reports waiting for triage. Live work only: an exercise's
    incidents and reports stay with the exercise (core.exercise_mark)."""
    incidents = list(
        Incident.objects.exclude(status=Incident.CLOSED)
        .filter(exercise__isnull=True)
        .select_related("owner")
        .order_by("created_at", "id")
    )
    due = due_between(now, until, incidents)
    reports = Report.objects.filter(state=Report.NEW, exercise__isnull=True).order_by(
        "created_at", "id"
    )
    return {
        "incidents": [
            {
                "id": i.pk,
                "ref": i.ref,
                "title": _title(i),
                "severity": i.severity,
                "status": i.status,
                "owner": i.owner.get_username() if i.owner else "",
                "desk": i.desk,
            }
            for i in incidents
        ],
        "breaches": [sla.breach_row(b) for b in sla.open_breaches()],
        "due_next": [
            {
                **{k: v for k, v in d.items() if k != "time_zone"},
                "due_at": d["due_at"].isoformat(),
                "due": sla.format_deadline(d["due_at"], d.get("time_zone", "")),
            }
            for d in due
        ],
        "reports": [
            {
                "id": r.pk,
                "title": _title(r),
                "source": r.source,
                "desk": r.desk,
                "created_at": r.created_at.isoformat(),
            }
            for r in reports
        ],
        "until": until.isoformat(),
    }


def due_between(
    now: datetime, until: datetime, incidents: list[Incident] | None = None
) -> list[dict[str, Any]]:
    """What falls due in [now, until) among the open incidents (or those given), soonest
    first: incident deadlines (triage, notify, mitigate), parties' acknowledgements, and
    tasks (overdue ones too). Each {"incident": ref, "incident_desk", "what", "due_at",
    "time_zone"?, "party"?}: what a handover note and the duty console list."""
    if incidents is None:
        incidents = list(
            Incident.objects.exclude(status=Incident.CLOSED)
            .filter(exercise__isnull=True)
            .order_by("created_at", "id")
        )
    desk_of = {i.ref: i.desk for i in incidents}
    due: list[dict[str, Any]] = []
    for incident in incidents:
        for kind, at in sla.deadlines(incident).items():
            if at is not None and now <= at < until:
                due.append({"incident": incident.ref, "what": f"{kind} deadline", "due_at": at})
    waiting = Party.objects.filter(
        status=Party.NOTIFIED, acknowledged_at__isnull=True, incident__in=incidents
    ).select_related("incident", "organization")
    for party in waiting:
        at = sla.party_deadline(party)
        if at is not None and now <= at < until:
            red = party.incident.tlp == TLP.RED.value
            who = "[TLP:RED]" if red else party.organization.name
            due.append(
                {
                    "incident": party.incident.ref,
                    "what": f"acknowledgement by {who}",
                    "due_at": at,
                    # The party reads its deadline in its own zone: show both.
                    "time_zone": "" if red else party.organization.time_zone,
                    "party": party.pk,
                }
            )
    tasks = Task.objects.filter(
        done_at__isnull=True, due_at__isnull=False, due_at__lt=until, incident__in=incidents
    ).select_related("incident")
    for task in tasks:
        assert task.due_at is not None
        overdue = " (overdue)" if task.due_at < now else ""
        title = "[TLP:RED]" if task.incident.tlp == TLP.RED.value else task.title
        due.append(
            {
                "incident": task.incident.ref,
                "what": f"task: {title}{overdue}",
                "due_at": task.due_at,
            }
        )
    due.sort(key=lambda d: d["due_at"])
    for item in due:
        item["incident_desk"] = desk_of.get(item["incident"], "")
    return due


def shift_change(now: datetime | None = None) -> Handover | None:
    """At a shift change, produce the handover note from the outgoing to the incoming desk
    (once per change, safe with many schedulers); None when no change is due."""
    at = _now(now)
    desks = _desks()
    incoming = _current(desks, at)
    if incoming is None or len(desks) < 2:
        return None
    start = _last_start(incoming, at)
    outgoing = _current(desks, start - timedelta(seconds=1))
    if outgoing is None or outgoing.region == incoming.region:
        return None
    if Handover.objects.filter(to_desk=incoming.region, shift_start=start).exists():
        return None
    _next_region, until = next_change(at)
    note = handover_note(at, until or at + timedelta(hours=incoming.shift_hours))
    try:
        with transaction.atomic():
            handover = Handover.objects.create(
                from_desk=outgoing.region,
                to_desk=incoming.region,
                shift_start=start,
                created_at=at,
                note=note,
            )
            audit.record(
                audit.SYSTEM,
                "incident.handover",
                obj=handover,
                summary=f"{outgoing.region} to {incoming.region} at {start:%Y-%m-%d %H:%M} UTC",
                data={k: len(v) for k, v in note.items() if isinstance(v, list)},
            )
    except IntegrityError:
        return None  # another scheduler wrote this change's handover
    return handover


def may_acknowledge(viewer: Viewer, handover: Handover) -> bool:
    """Coordinators (or admins) who staff the incoming desk, and its lead."""
    if not viewer.is_staff or viewer.user_id is None or handover.acknowledged_at:
        return False
    account = Account.objects.filter(user_id=viewer.user_id).first()
    if account is not None and handover.to_desk in (account.desks or []):
        return True
    return Desk.objects.filter(region=handover.to_desk, lead_id=viewer.user_id).exists()


def acknowledge_handover(
    viewer: Viewer, actor: audit.Actor, handover: Handover, *, now: datetime | None = None
) -> Handover:
    """The incoming desk takes the shift over: audited, and on each listed incident's
    timeline. Others: PermissionDenied; twice: ConflictError."""
    if not viewer.is_staff:
        raise PermissionDenied("Only center staff may acknowledge a handover.")
    if handover.acknowledged_at:
        raise ConflictError(
            f"handover {handover.pk} was acknowledged by {handover.acknowledged_by}"
            f" at {handover.acknowledged_at:%Y-%m-%d %H:%M} UTC"
        )
    if not may_acknowledge(viewer, handover):
        raise PermissionDenied(
            f"Only coordinators of the {handover.to_desk} desk may acknowledge this handover.",
            hint="a coordinator's desks are set on their account",
        )
    at = _now(now)
    with transaction.atomic():
        won = Handover.objects.filter(pk=handover.pk, acknowledged_at__isnull=True).update(
            acknowledged_by=actor.name[:150], acknowledged_at=at
        )
        if not won:
            handover.refresh_from_db()
            raise ConflictError(
                f"handover {handover.pk} was acknowledged by {handover.acknowledged_by} meanwhile"
            )
        ids = [i["id"] for i in handover.note.get("incidents", []) if "id" in i]
        for pk in Incident.objects.filter(pk__in=ids).values_list("pk", flat=True):
            timeline.add(
                pk,
                "handover",
                f"Handover {handover.from_desk} -> {handover.to_desk} acknowledged by {actor.name}",
                actor=actor.name,
                data={"handover": handover.pk, "shift_start": handover.shift_start.isoformat()},
                at=at,
            )
        audit.record(
            actor,
            "incident.handover_acknowledged",
            obj=handover,
            summary=f"{handover.from_desk} to {handover.to_desk}"
            f" at {handover.shift_start:%Y-%m-%d %H:%M} UTC",
            data={"incidents": len(ids)},
        )
    handover.refresh_from_db()
    return handover


def _require_staff(viewer: Viewer) -> None:
    staff_only(viewer, "see the duty desks")


def list_handovers(viewer: Viewer, *, desk: str = "", limit: int = 50) -> list[Handover]:
    _require_staff(viewer)
    qs = Handover.objects.all()
    if desk:
        qs = qs.filter(to_desk=desk)
    return list(qs[: max(1, min(limit, 500))])


def get_handover(viewer: Viewer, pk: int) -> Handover:
    _require_staff(viewer)
    found = Handover.objects.filter(pk=pk).first()
    if found is None:
        raise NotFoundError(f"no handover {pk}")
    return found


def handover_row(handover: Handover) -> dict[str, Any]:
    note = handover.note or {}
    return {
        "id": handover.pk,
        "from_desk": handover.from_desk,
        "to_desk": handover.to_desk,
        "shift_start": handover.shift_start,
        "created_at": handover.created_at,
        "acknowledged_by": handover.acknowledged_by,
        "acknowledged_at": handover.acknowledged_at,
        "counts": {
            k: len(note.get(k, [])) for k in ("incidents", "breaches", "due_next", "reports")
        },
    }


def _window(desk: Desk) -> str:
    end = (desk.shift_start_hour + desk.shift_hours) % 24
    return f"{desk.shift_start_hour:02d}:00-{end:02d}:00 UTC"


def desk_status(now: datetime | None = None) -> dict[str, Any]:
    """Who is on duty, the next change, the latest handover per desk, open work per desk."""
    at = _now(now)
    desks = _desks()  # read-only: the rota is created by a migration, not by looking at it
    current = _current(desks, at)
    next_region, next_at = next_change(at)
    breaches = sla.open_breaches()
    open_by_desk: dict[str, int] = {}
    live = Incident.objects.exclude(status=Incident.CLOSED).filter(exercise__isnull=True)
    for desk_code in live.values_list("desk", flat=True):
        open_by_desk[desk_code] = open_by_desk.get(desk_code, 0) + 1
    rows = []
    for desk in desks:
        latest = Handover.objects.filter(to_desk=desk.region).first()
        rows.append(
            {
                "region": desk.region,
                "name": desk.name,
                "label": Region(desk.region).label,
                "time_zone": desk.time_zone,
                "shift_start_hour": desk.shift_start_hour,
                "shift_hours": desk.shift_hours,
                "window": _window(desk),
                "lead": desk.lead.get_username() if desk.lead else "",
                "coordinators": coordinators(desk.region),
                "on_duty": current is not None and desk.region == current.region,
                "next_start": _last_start(desk, at) + timedelta(days=1)
                if _offset(desk, at)
                else _last_start(desk, at),
                "handover": handover_row(latest) if latest else None,
                "breaches": [
                    sla.breach_row(b) for b in breaches if sla.breach_desk(b) == desk.region
                ],
                "open_incidents": open_by_desk.get(desk.region, 0),
            }
        )
    return {
        "now": at,
        "on_duty": current.region if current else "",
        "on_duty_coordinators": coordinators(current.region) if current else [],
        "next": {
            "region": next_region,
            "at": next_at,
            "coordinators": coordinators(next_region) if next_region else [],
        },
        "problems": rota_problems(),
        "unassigned_breaches": [sla.breach_row(b) for b in breaches if not sla.breach_desk(b)],
        "open_breaches": len(breaches),
        "desks": rows,
    }
