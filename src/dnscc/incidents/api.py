"""Incident API under /api/v1/incidents/: incidents, parties, notices, notes, tasks,
attachments, links, the timeline and SLA figures. Thin: every rule is in
incidents.services; every answer that shows parties or contacts is an audited disclosure.

An operator or partner sees only the incidents where its organisation is a party, and of
their parties only its own; anything else is 404 (never 403), so existence does not leak.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from ninja import File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.core import exercise_mark
from dnscc.core.errors import InputError, Location
from dnscc.core.tlp import Viewer
from dnscc.incidents import constrained, editing, from_alerts, services, sla, status_notes
from dnscc.incidents.models import Attachment, Incident, IncidentLink, Party, Task, empty_scope

router = Router(tags=["incidents"])


# --- schemas ------------------------------------------------------------------------------


class ScopeIn(Schema):
    names: list[str] = []
    tlds: list[str] = []
    ips: list[str] = []
    resolvers: list[str] = []


class IncidentIn(Schema):
    title: str
    summary: str = ""
    dns_type: str = "other"
    impact: str = "medium"
    urgency: str = "medium"
    tlp: str = "AMBER"
    scope: ScopeIn = ScopeIn()
    desk: str = ""
    owner: str = ""


class FromAlertsIn(Schema):
    """The alerts, and any field to set instead of what they propose."""

    alerts: list[int]
    title: str | None = None
    summary: str | None = None
    dns_type: str | None = None
    impact: str | None = None
    urgency: str | None = None
    tlp: str | None = None
    scope: ScopeIn | None = None
    desk: str | None = None
    owner: str | None = None


class IncidentPatch(Schema):
    version: int
    title: str | None = None
    summary: str | None = None
    dns_type: str | None = None
    impact: str | None = None
    urgency: str | None = None
    tlp: str | None = None
    scope: ScopeIn | None = None
    desk: str | None = None
    owner: str | None = None
    status: str | None = None
    resolution: str | None = None
    # A scope change that drops parties which acknowledged already needs this (409 without).
    confirm_drop: bool = False


class ScopePreviewIn(Schema):
    scope: ScopeIn


class NoticePreviewIn(Schema):
    party_ids: list[int] | None = None
    message: str = ""


class IncidentOut(Schema):
    ref: str
    title: str
    summary: str
    dns_type: str
    rsit_class: str
    rsit_type: str
    impact: str
    urgency: str
    severity: str
    tlp: str
    scope: dict[str, list[str]]
    status: str
    desk: str
    owner: str | None
    created_at: datetime
    triaged_at: datetime | None
    first_notified_at: datetime | None
    mitigated_at: datetime | None
    closed_at: datetime | None
    resolution: str
    version: int
    exercise: str | None = Field(
        default=None, description="the exercise that caused it (EX-0007); null: live"
    )


class PartyOut(Schema):
    id: int
    organization: str
    organization_name: str
    role: str
    source: str
    reason: str
    status: str
    status_changed_at: datetime | None
    status_changed_by: str
    status_changed_via: str
    notified_at: datetime | None
    acknowledged_at: datetime | None
    mitigated_at: datetime | None
    escalation_level: int
    note: str
    version: int


class MessageRef(Schema):
    key: str
    channel: str
    address: str
    status: str
    created_at: datetime
    acknowledged_at: datetime | None


class PartyDetailOut(PartyOut):
    messages: list[MessageRef]


class TaskOut(Schema):
    id: int
    title: str
    owner: str | None
    due_at: datetime | None
    done_at: datetime | None
    created_at: datetime
    version: int


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


class LinkOut(Schema):
    source: str
    target: str
    relation: str
    created_by: str
    created_at: datetime


class ConstrainedReachOut(Schema):
    total: int
    reached: int
    acknowledged: int
    words: str = Field(
        description='e.g. "3 of 4 resource-constrained operators reached, 1 acknowledged"'
    )


class IncidentDetailOut(IncidentOut):
    parties: list[PartyOut]
    constrained: ConstrainedReachOut | None = Field(
        default=None,
        description="staff: its resource-constrained parties reached (accepted, not merely"
        " queued) and acknowledged",
    )
    unknown_scope: list[str]
    tasks: list[TaskOut]
    attachments: list[AttachmentOut]
    links: list[LinkOut]


class TimelineOut(Schema):
    at: datetime
    kind: str
    actor: str
    party: str | None
    summary: str
    data: dict[str, Any]


class IncidentQuery(Schema):
    q: str = ""
    status: list[str] = Field(default_factory=list)
    severity: list[str] = Field(default_factory=list)
    dns_type: str = ""
    desk: str = ""
    mine: bool = False
    breached: bool = False
    exercises: bool = Field(
        default=False, description="also list incidents an exercise caused (left out by default)"
    )


class PartyIn(Schema):
    organization: str
    role: str = "affected"
    reason: str = ""


class PartyPatch(Schema):
    status: str
    version: int
    note: str = ""


class NotifyIn(Schema):
    party_ids: list[int] | None = None
    message: str = ""


class NoteIn(Schema):
    text: str


class TaskIn(Schema):
    title: str
    owner: str = ""
    due_at: datetime | None = None


class TaskPatch(Schema):
    version: int
    done: bool = True


class LinkIn(Schema):
    ref: str
    relation: str = "related"


# --- shaping ------------------------------------------------------------------------------


def _incident_out(i: Incident, viewer: Viewer) -> dict[str, Any]:
    # The scope names the other parties, and desk and owner are the center's business:
    # an operator or partner gets neither (as on the portal's member page).
    staff = viewer.is_staff
    return {
        "ref": i.ref,
        "title": i.title,
        "summary": i.summary,
        "dns_type": i.dns_type,
        "rsit_class": i.rsit_class,
        "rsit_type": i.rsit_type,
        "impact": i.impact,
        "urgency": i.urgency,
        "severity": i.severity,
        "tlp": i.tlp,
        "scope": i.scope if staff else empty_scope(),
        "status": i.status,
        "desk": i.desk if staff else "",
        "owner": i.owner.get_username() if i.owner and staff else None,
        "created_at": i.created_at,
        "triaged_at": i.triaged_at,
        "first_notified_at": i.first_notified_at,
        "mitigated_at": i.mitigated_at,
        "closed_at": i.closed_at,
        "resolution": i.resolution,
        "version": i.version,
        "exercise": exercise_mark.ref_of(i.exercise) if i.exercise is not None else None,
    }


def _party_out(p: Party) -> dict[str, Any]:
    return {
        "id": p.pk,
        "organization": p.organization.slug,
        "organization_name": p.organization.name,
        "role": p.role,
        "source": p.source,
        "reason": p.reason,
        "status": p.status,
        "status_changed_at": p.status_changed_at,
        "status_changed_by": p.status_changed_by,
        "status_changed_via": p.status_changed_via,
        "notified_at": p.notified_at,
        "acknowledged_at": p.acknowledged_at,
        "mitigated_at": p.mitigated_at,
        "escalation_level": p.escalation_level,
        "note": p.note,
        "version": p.version,
    }


def _task_out(t: Task) -> dict[str, Any]:
    return {
        "id": t.pk,
        "title": t.title,
        "owner": t.owner.get_username() if t.owner else None,
        "due_at": t.due_at,
        "done_at": t.done_at,
        "created_at": t.created_at,
        "version": t.version,
    }


def _attachment_out(a: Attachment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "filename": a.filename,
        "content_type": a.content_type,
        "size": a.size,
        "sha256": a.sha256,
        "uploaded_by": a.uploaded_by,
        "uploaded_at": a.uploaded_at,
    }


def _link_out(link: IncidentLink) -> dict[str, Any]:
    return {
        "source": link.source.ref,
        "target": link.target.ref,
        "relation": link.relation,
        "created_by": link.created_by,
        "created_at": link.created_at,
    }


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(request.user)


def _disclose_parties(request: HttpRequest, incident: Incident, parties: list[Party]) -> None:
    if parties:
        audit.disclosed(
            _actor(request),
            "incidents.party",
            ids=[p.pk for p in parties],
            how="api",
            incident=incident.ref,
        )


def _incident(request: HttpRequest, ref: str) -> tuple[Viewer, Incident]:
    viewer = require_role(request.user)
    return viewer, services.get_incident(viewer, ref)


# --- incidents ----------------------------------------------------------------------------


@router.get("/", response=list[IncidentOut])
def list_incidents(request: HttpRequest, filters: Query[IncidentQuery]) -> list[dict[str, Any]]:
    """Incidents you may see (TLP decides for staff; an operator sees those where it is a party),
    with the list's filters."""
    viewer = require_role(request.user)
    rows = services.search_incidents(viewer, services.IncidentFilters.from_query(filters.dict()))
    audit.disclosed(_actor(request), "incidents.incident", ids=[i.ref for i in rows], how="api")
    return [_incident_out(i, viewer) for i in rows]


@router.post("/", response={201: IncidentDetailOut})
def create_incident(request: HttpRequest, payload: IncidentIn) -> Status[dict[str, Any]]:
    """Staff: open an incident; its parties are computed from the scope."""
    viewer = require_staff(request.user)
    incident = services.create_incident(viewer, _actor(request), payload.dict(), user=request.user)
    return Status(201, _detail(request, viewer, incident))


@router.post("/from-alerts", response={201: IncidentDetailOut})
def create_from_alerts(request: HttpRequest, payload: FromAlertsIn) -> Status[dict[str, Any]]:
    """Staff: open an incident from monitoring alerts (one, or a group): title, type,
    severity, desk and scope (their zones) proposed from the alerts unless given. The
    alerts are acknowledged, show the incident, and resolve when it is mitigated or closed."""
    viewer = require_staff(request.user)
    alerts = from_alerts.alerts_of(payload.alerts)
    data = payload.dict(exclude={"alerts"}, exclude_none=True)
    incident = from_alerts.open_incident(viewer, _actor(request), alerts, data, user=request.user)
    return Status(201, _detail(request, viewer, incident))


def _detail(request: HttpRequest, viewer: Viewer, incident: Incident) -> dict[str, Any]:
    parties = services.visible_parties(viewer, incident)
    _disclose_parties(request, incident, parties)
    audit.disclosed(_actor(request), "incidents.incident", ids=[incident.ref], how="api")
    staff = viewer.is_staff
    return {
        **_incident_out(incident, viewer),
        "parties": [_party_out(p) for p in parties],
        "constrained": constrained.constrained_reach(incident.pk).as_dict() if staff else None,
        "unknown_scope": services.unknown_scope(incident) if staff else [],
        "tasks": [_task_out(t) for t in incident.tasks.select_related("owner")] if staff else [],
        "attachments": [_attachment_out(a) for a in incident.attachments.defer("data") if staff],
        "links": [
            _link_out(link)
            for link in IncidentLink.objects.filter(
                source=incident, target__in=services.visible_incidents(viewer)
            ).select_related("source", "target")
            if staff
        ],
    }


@router.get("/{ref}", response=IncidentDetailOut)
def get_incident(request: HttpRequest, ref: str) -> dict[str, Any]:
    """One incident: staff see it whole; an operator sees its own party only."""
    viewer, incident = _incident(request, ref)
    return _detail(request, viewer, incident)


@router.patch("/{ref}", response=IncidentDetailOut)
def update_incident(request: HttpRequest, ref: str, payload: IncidentPatch) -> dict[str, Any]:
    """Staff: change fields, status or scope (parties recomputed). Send the version you read: a
    stale one is a 409 conflict."""
    viewer, incident = _incident(request, ref)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    confirm_drop = bool(data.pop("confirm_drop", False))
    incident = services.update_incident(
        viewer, _actor(request), incident, data, version=version, confirm_drop=confirm_drop
    )
    return _detail(request, viewer, incident)


@router.post("/{ref}/scope-preview", response=dict[str, Any])
def preview_scope(request: HttpRequest, ref: str, payload: ScopePreviewIn) -> dict[str, Any]:
    """Staff: what changing the scope would do, without saving it: entries added and
    removed, parties added, removed, set not affected, kept, and those that acknowledged
    already (their drop needs confirm_drop on the PATCH)."""
    _viewer, incident = _incident(request, ref)
    require_staff(request.user)
    return editing.scope_diff(incident, payload.scope.dict()).as_dict()


@router.post("/{ref}/notice-preview", response=dict[str, Any])
def preview_notice(request: HttpRequest, ref: str, payload: NoticePreviewIn) -> dict[str, Any]:
    """Staff: the incident notice as each language's recipients will read it (with the
    free-text addition), who gets it, and the parties no notice can reach; nothing is sent."""
    viewer, incident = _incident(request, ref)
    require_staff(request.user)
    found = editing.notice_preview(viewer, incident, payload.party_ids, payload.message)
    return {
        "parties": [p.pk for p in found["parties"]],
        "versions": [
            {
                "language": v.language,
                "subject": v.subject,
                "body": v.body,
                "recipients": v.recipients,
            }
            for v in found["versions"]
        ],
        "unreachable": found["unreachable"],
    }


# --- parties ------------------------------------------------------------------------------


@router.get("/{ref}/parties", response=list[PartyOut])
def list_parties(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    """The incident's parties: staff all; an operator only its own."""
    viewer, incident = _incident(request, ref)
    parties = services.visible_parties(viewer, incident)
    _disclose_parties(request, incident, parties)
    return [_party_out(p) for p in parties]


@router.post("/{ref}/parties", response={201: PartyOut})
def add_party(request: HttpRequest, ref: str, payload: PartyIn) -> Status[dict[str, Any]]:
    """Staff: add an organisation to the incident by hand (affected, expertise or reporter)."""
    viewer, incident = _incident(request, ref)
    party = services.add_party(
        viewer,
        _actor(request),
        incident,
        payload.organization,
        role=payload.role,
        reason=payload.reason,
    )
    return Status(201, _party_out(party))


class ConstrainedPartiesIn(Schema):
    regions: list[str] = Field(
        default_factory=list,
        description="ICANN regions (AF, AP, EU, LAC, NA); empty: the regions of the scope's TLDs",
    )


@router.post("/{ref}/parties/constrained", response={201: list[PartyOut]})
def add_constrained_parties(
    request: HttpRequest, ref: str, payload: ConstrainedPartiesIn
) -> Status[list[dict[str, Any]]]:
    """Staff: add every resource-constrained operator of the regions (default: the regions of
    the scope's TLDs) that is not a party yet; the parties added (possibly none). Nothing is
    sent: notify them next."""
    viewer, incident = _incident(request, ref)
    added = constrained.add_constrained_parties(
        viewer, _actor(request), incident, regions=payload.regions or None
    )
    return Status(201, [_party_out(p) for p in added])


@router.get("/{ref}/parties/{party_id}", response=PartyDetailOut)
def get_party(request: HttpRequest, ref: str, party_id: int) -> dict[str, Any]:
    """One party with its SLA figures and messages."""
    viewer, incident = _incident(request, ref)
    party = services.get_party(viewer, incident, party_id)
    messages = services.party_messages(viewer, party)
    _disclose_parties(request, incident, [party])
    return {
        **_party_out(party),
        "messages": [
            {
                "key": m.key,
                "channel": m.channel,
                "address": m.address,
                "status": m.status,
                "created_at": m.created_at,
                "acknowledged_at": m.acknowledged_at,
            }
            for m in messages
        ],
    }


@router.patch("/{ref}/parties/{party_id}", response=PartyOut)
def set_party_status(
    request: HttpRequest, ref: str, party_id: int, payload: PartyPatch
) -> dict[str, Any]:
    """Set a party's status (an operator only its own, to acknowledged, mitigating, mitigated or not
    affected). Stale version: 409."""
    viewer, incident = _incident(request, ref)
    party = services.get_party(viewer, incident, party_id)
    party = services.set_party_status(
        viewer,
        _actor(request),
        party,
        payload.status,
        version=payload.version,
        via="api",
        note=payload.note,
    )
    return _party_out(party)


@router.post("/{ref}/notify", response={202: dict[str, Any]})
def notify(request: HttpRequest, ref: str, payload: NotifyIn) -> Status[dict[str, Any]]:
    """Staff: queue the incident notice to parties (default: those not contacted yet), with an
    optional free-text addition."""
    viewer, incident = _incident(request, ref)
    result = services.notify_parties(
        viewer,
        _actor(request),
        incident,
        party_ids=payload.party_ids,
        message=payload.message,
        user=request.user,
    )
    return Status(202, result)


# --- notes, tasks, attachments, links -----------------------------------------------------


@router.post("/{ref}/notes", response={201: dict[str, Any]})
def add_note(request: HttpRequest, ref: str, payload: NoteIn) -> Status[dict[str, Any]]:
    """Staff: add a note to the incident's timeline."""
    viewer, incident = _incident(request, ref)
    services.add_note(viewer, _actor(request), incident, payload.text)
    return Status(201, {"ok": True})


class StatusNoteIn(Schema):
    text: str
    tlp: str = "AMBER"


def _status_note_out(n: Any) -> dict[str, Any]:
    return {
        "id": n.pk,
        "organization": n.organization.slug,
        "author": n.author_name,
        "tlp": n.tlp,
        "text": n.text,
        "created_at": n.created_at,
    }


@router.get("/{ref}/status-notes", response=list[dict[str, Any]])
def list_status_notes(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    """The root server operators' status notes the caller may read (see docs/rootinfo.md)."""
    viewer, incident = _incident(request, ref)
    return [_status_note_out(n) for n in status_notes.visible_notes(viewer, incident)]


@router.post("/{ref}/status-notes", response={201: dict[str, Any]})
def post_status_note(request: HttpRequest, ref: str, body: StatusNoteIn) -> Status[dict[str, Any]]:
    """A root server operator party to the incident posts a status note (TLP-marked)."""
    viewer, incident = _incident(request, ref)
    note = status_notes.post(viewer, _actor(request), incident, body.text, body.tlp)
    return Status(201, _status_note_out(note))


@router.post("/{ref}/tasks", response={201: TaskOut})
def add_task(request: HttpRequest, ref: str, payload: TaskIn) -> Status[dict[str, Any]]:
    """Staff: add a task with an owner and a due time."""
    viewer, incident = _incident(request, ref)
    task = services.add_task(
        viewer,
        _actor(request),
        incident,
        title=payload.title,
        owner_username=payload.owner,
        due_at=payload.due_at,
    )
    return Status(201, _task_out(task))


@router.patch("/{ref}/tasks/{task_id}", response=TaskOut)
def update_task(request: HttpRequest, ref: str, task_id: int, payload: TaskPatch) -> dict[str, Any]:
    """Staff: complete a task. Stale version: 409."""
    viewer, incident = _incident(request, ref)
    task = services.get_task(viewer, incident, task_id)
    if not payload.done:
        raise InputError(
            "a task can only be marked done",
            location=Location(field="done"),
            hint="send done: true with the task's version",
        )
    return _task_out(services.complete_task(viewer, _actor(request), task, version=payload.version))


@router.post("/{ref}/attachments", response={201: AttachmentOut})
def add_attachment(
    request: HttpRequest, ref: str, file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Staff: attach a file (size-limited; kept in the database with its SHA-256)."""
    viewer, incident = _incident(request, ref)
    limit = settings.ATTACHMENT_MAX_BYTES
    if viewer.is_staff and (file.size or 0) > limit:  # refuse before reading it into memory
        raise InputError(
            f"the file has {file.size} bytes, more than the limit of {limit} bytes",
            location=Location(field="file"),
            hint="the limit is DNSCC_ATTACHMENT_MAX_BYTES",
        )
    attachment = services.add_attachment(
        viewer,
        _actor(request),
        incident,
        filename=file.name or "",
        content=file.read() if viewer.is_staff else b"",
        content_type=file.content_type or "application/octet-stream",
    )
    return Status(201, _attachment_out(attachment))


@router.get("/{ref}/attachments/{attachment_id}", response={200: None})
def download_attachment(request: HttpRequest, ref: str, attachment_id: int) -> HttpResponse:
    """Staff: download an attachment (always as a download, never rendered)."""
    viewer, incident = _incident(request, ref)
    attachment = services.get_attachment(viewer, incident, attachment_id)
    audit.disclosed(
        _actor(request),
        "incidents.attachment",
        ids=[attachment.pk],
        how="api",
        incident=incident.ref,
        sha256=attachment.sha256,
    )
    # Always a download, never rendered by the browser (the content is the reporter's).
    response = HttpResponse(bytes(attachment.data), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/{ref}/links", response={201: LinkOut})
def link_incidents(request: HttpRequest, ref: str, payload: LinkIn) -> Status[dict[str, Any]]:
    """Staff: link this incident to another (related, duplicate of, part of)."""
    viewer, incident = _incident(request, ref)
    link = services.link_incidents(
        viewer, _actor(request), incident, payload.ref, relation=payload.relation
    )
    return Status(201, _link_out(link))


# --- timeline and SLA ---------------------------------------------------------------------


@router.get("/{ref}/timeline", response=list[TimelineOut])
def get_timeline(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    """Staff: the incident's timeline, oldest first (every change, message and acknowledgement)."""
    viewer, incident = _incident(request, ref)
    entries = services.replay(viewer, incident)
    audit.disclosed(
        _actor(request), "incidents.timeline", ids=[incident.ref], how="api", entries=len(entries)
    )
    return entries


@router.get("/{ref}/sla", response=dict[str, Any])
def get_sla(request: HttpRequest, ref: str) -> dict[str, Any]:
    """Staff: SLA figures of the incident and of each party, with targets and deadlines."""
    viewer, incident = _incident(request, ref)
    figures = sla.figures(incident)
    if not viewer.is_staff:
        # An organisation sees the incident's own figures and its own party's, no other.
        own = {p.pk for p in services.visible_parties(viewer, incident)}
        parties = figures.get("parties") or []
        figures = {
            **{k: v for k, v in figures.items() if k != "medians"},
            "parties": [p for p in parties if isinstance(p, dict) and p.get("party") in own],
        }
    audit.disclosed(_actor(request), "incidents.sla", ids=[incident.ref], how="api")
    return figures
