"""Outreach API: messages (list, timeline, acknowledge, retry), notices, template preview,
advisories (draft, review, publish)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.core.errors import InputError, Location, NotFoundError
from dnscc.core.tlp import TLP
from dnscc.outreach import advisories, services, templating
from dnscc.outreach.models import Advisory, Message, Notice

router = Router(tags=["outreach"])


class MessageOut(Schema):
    key: str
    kind: str
    channel: str
    organization: str | None
    address: str
    language: str
    subject: str
    security: str
    flags: list[str]
    state: str
    status: str
    attempts: int
    dead_reason: str
    created_at: datetime
    accepted_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_via: str


class EventOut(Schema):
    at: datetime
    event: str
    detail: str


class MessageDetailOut(MessageOut):
    body: str
    timeline: list[EventOut]


def _message_out(m: Message) -> dict[str, Any]:
    return {
        "key": m.key,
        "kind": m.kind,
        "channel": m.channel,
        "organization": m.organization.slug if m.organization else None,
        "address": m.address,
        "language": m.language,
        "subject": m.subject,
        "security": m.security,
        "flags": m.flags,
        "state": m.state,
        "status": m.status,
        "attempts": m.attempts,
        "dead_reason": m.dead_reason,
        "created_at": m.created_at,
        "accepted_at": m.accepted_at,
        "acknowledged_at": m.acknowledged_at,
        "acknowledged_via": m.acknowledged_via,
    }


class MessageQuery(Schema):
    state: str | None = None
    notice: int | None = None
    limit: int = 200
    exercises: bool = False


@router.get("/messages", response=list[MessageOut])
def list_messages(request: HttpRequest, filters: Query[MessageQuery]) -> list[dict[str, Any]]:
    """Messages: staff the outbox; a member those sent to its organisation."""
    viewer = require_role(request.user)
    qs = services.visible_messages(viewer, exercises=filters.exercises or bool(filters.notice))
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.notice:
        qs = qs.filter(notice_id=filters.notice)
    rows = list(qs[: max(1, min(filters.limit, 1000))])
    audit.disclosed(
        audit.Actor.of(request.user), "outreach.message", ids=[m.key for m in rows], how="api"
    )
    return [_message_out(m) for m in rows]


@router.get("/messages/{key}", response=MessageDetailOut)
def get_message(request: HttpRequest, key: str) -> dict[str, Any]:
    """One message with its delivery timeline (staff, or the recipient organisation)."""
    viewer = require_role(request.user)
    message = services.get_message(viewer, key)
    audit.disclosed(audit.Actor.of(request.user), "outreach.message", ids=[key], how="api")
    return {**_message_out(message), "body": message.body, "timeline": services.timeline(message)}


@router.post("/messages/{key}/ack", response=MessageOut)
def acknowledge(request: HttpRequest, key: str) -> dict[str, Any]:
    """The recipient organisation (or staff) acknowledges a message."""
    viewer = require_role(request.user)
    message = services.acknowledge_by_viewer(viewer, audit.Actor.of(request.user), key, via="api")
    return _message_out(message)


@router.post("/messages/{key}/retry", response=MessageOut)
def retry(request: HttpRequest, key: str) -> dict[str, Any]:
    """Staff: retry a dead, held or bounced message."""
    viewer = require_staff(request.user)
    return _message_out(services.retry(viewer, audit.Actor.of(request.user), key))


class NoticeIn(Schema):
    kind: str = "notice"
    title: str
    text: str
    tlp: str = "AMBER"
    organizations: list[str] = []
    regions: list[str] = []
    kinds: list[str] = []
    languages: list[str] = []
    resource_constrained: bool = Field(
        default=False,
        description="only resource-constrained organisations (alone: every one of them)",
    )
    requires_ack: bool = True


@router.post("/notices", response={201: dict[str, Any]})
def send_notice(request: HttpRequest, payload: NoticeIn) -> Status[dict[str, Any]]:
    """Staff: queue a notice to an audience (organisations, regions, kinds, languages,
    resource-constrained), TLP-checked per recipient."""
    viewer = require_staff(request.user)
    tlp = TLP.parse(payload.tlp)
    orgs = advisories.audience_organizations(
        {
            "organizations": payload.organizations,
            "regions": payload.regions,
            "kinds": payload.kinds,
            "languages": payload.languages,
            "resource_constrained": payload.resource_constrained,
        }
    )
    if not orgs:
        raise InputError(
            "the audience matches no organisation",
            location=Location(field="organizations"),
            hint="name organisations, or regions, kinds or languages that match some",
        )
    queued = services.notify(
        viewer,
        audit.Actor.of(request.user),
        kind=payload.kind,
        context={"title": payload.title, "text": payload.text, "tlp": tlp.label},
        organizations=orgs,
        tlp=tlp,
        requires_ack=payload.requires_ack,
        user=request.user,
    )
    return Status(201, queued.as_dict())


@router.get("/notices/{notice_id}", response=dict[str, Any])
def notice_status(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    """Staff: per-recipient delivery status of a notice."""
    require_staff(request.user)
    notice = Notice.objects.filter(pk=notice_id).exclude(tlp=TLP.RED.value).first()
    if notice is None:
        raise NotFoundError("no such notice")
    audit.disclosed(audit.Actor.of(request.user), "outreach.notice", ids=[notice.pk], how="api")
    return services.notice_status(notice)


class PreviewIn(Schema):
    kind: str
    language: str = "en"
    context: dict[str, Any] = {}


@router.post("/templates/preview", response=dict[str, Any])
def preview_template(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    """Staff: render a message template with a context, without sending anything."""
    require_staff(request.user)
    sample = {
        "organization": "Example Registry",
        "contact_name": "Security team",
        "ack_url": "https://example.invalid/ack",
        "center": "dnscc",
    }
    rendered = templating.render(payload.kind, payload.language, {**sample, **payload.context})
    return {
        "kind": rendered.kind,
        "language": rendered.language,
        "subject": rendered.subject,
        "body": rendered.body,
    }


@router.get("/templates", response=dict[str, list[str]])
def list_templates(request: HttpRequest) -> dict[str, list[str]]:
    """Staff: message template kinds and their languages."""
    require_staff(request.user)
    return templating.available()


class AdvisoryIn(Schema):
    title: str | None = None
    category: str | None = None
    tlp: str | None = None
    summary: str | None = None
    details: str | None = None
    recommendation: str | None = None
    products: list[dict[str, Any]] | None = None
    vulnerabilities: list[dict[str, Any]] | None = None
    references: list[dict[str, Any]] | None = None
    audience: dict[str, Any] | None = None
    revision_summary: str | None = None


class AdvisoryOut(Schema):
    tracking_id: str
    title: str
    category: str
    tlp: str
    status: str
    summary: str
    published_at: datetime | None
    url: str | None
    sha256: str
    notice: int | None
    version: int
    current_release_at: datetime | None
    revision_summary: str


def _advisory_out(a: Advisory) -> dict[str, Any]:
    return {
        "tracking_id": a.tracking_id,
        "title": a.title,
        "category": a.category,
        "tlp": a.tlp,
        "status": a.status,
        "summary": a.summary,
        "published_at": a.published_at,
        "url": advisories.document_url(a) if a.is_published else None,
        "sha256": a.sha256,
        "notice": a.notice_id,
        "version": a.version,
        "current_release_at": a.current_release_at,
        "revision_summary": a.revision_summary,
    }


@router.get("/advisories", response=list[AdvisoryOut])
def list_advisories(request: HttpRequest) -> list[dict[str, Any]]:
    """Advisories you may see (TLP decides)."""
    viewer = require_role(request.user)
    rows = advisories.visible_advisories(viewer)
    audit.disclosed(
        audit.Actor.of(request.user),
        "outreach.advisory",
        ids=[a.tracking_id for a in rows],
        how="api",
    )
    return [_advisory_out(a) for a in rows]


@router.post("/advisories", response={201: AdvisoryOut})
def create_advisory(request: HttpRequest, payload: AdvisoryIn) -> Status[dict[str, Any]]:
    """Staff: draft a CSAF 2.0 advisory."""
    viewer = require_staff(request.user)
    advisory = advisories.create(
        viewer, audit.Actor.of(request.user), payload.dict(exclude_none=True), user=request.user
    )
    return Status(201, _advisory_out(advisory))


@router.get("/advisories/{tracking_id}", response=dict[str, Any])
def get_advisory(request: HttpRequest, tracking_id: str) -> dict[str, Any]:
    """One advisory as its CSAF document (staff see the draft being prepared)."""
    viewer = require_role(request.user)
    advisory = advisories.get_advisory(viewer, tracking_id)
    audit.disclosed(audit.Actor.of(request.user), "outreach.advisory", ids=[tracking_id], how="api")
    out = {**_advisory_out(advisory), "csaf": advisories.document(advisory)}
    if viewer.is_staff and advisory.is_published and advisory.status != Advisory.PUBLISHED:
        out["draft_csaf"] = advisories.document(advisory, draft=True)  # the next revision
    if viewer.is_staff and advisory.notice is not None:
        # Who its distribution reached, in figures and words (staff: it names no one).
        out["constrained"] = services.constrained_reach(advisory.notice).as_dict()
    return out


@router.patch("/advisories/{tracking_id}", response=AdvisoryOut)
def update_advisory(request: HttpRequest, tracking_id: str, payload: AdvisoryIn) -> dict[str, Any]:
    """Staff: edit a draft advisory (or the revision being drafted)."""
    viewer = require_staff(request.user)
    advisory = advisories.get_advisory(viewer, tracking_id)
    advisories.update(
        viewer, audit.Actor.of(request.user), advisory, payload.dict(exclude_none=True)
    )
    return _advisory_out(advisory)


@router.post("/advisories/{tracking_id}/submit", response=AdvisoryOut)
def submit_advisory(request: HttpRequest, tracking_id: str) -> dict[str, Any]:
    """Staff: submit a draft for review."""
    viewer = require_staff(request.user)
    advisory = advisories.get_advisory(viewer, tracking_id)
    return _advisory_out(advisories.submit(viewer, audit.Actor.of(request.user), advisory))


@router.post("/advisories/{tracking_id}/revise", response=AdvisoryOut)
def revise_advisory(request: HttpRequest, tracking_id: str) -> dict[str, Any]:
    """Start a revision of a published advisory (a draft again; the published version stays
    served until the revision is published)."""
    viewer = require_staff(request.user)
    advisory = advisories.get_advisory(viewer, tracking_id)
    return _advisory_out(advisories.revise(viewer, audit.Actor.of(request.user), advisory))


@router.post("/advisories/{tracking_id}/validate", response=dict[str, Any])
def validate_advisory(request: HttpRequest, tracking_id: str) -> dict[str, Any]:
    """Staff: validate the draft against the CSAF 2.0 schema and mandatory tests; each problem with
    its field path in words."""
    viewer = require_staff(request.user)
    advisory = advisories.get_advisory(viewer, tracking_id)
    problems = advisories.validate(advisories.document(advisory, draft=True))
    return {"valid": not problems, "problems": [p.as_dict() for p in problems]}


@router.post("/advisories/{tracking_id}/publish", response=dict[str, Any])
def publish_advisory(request: HttpRequest, tracking_id: str) -> dict[str, Any]:
    """Staff: publish a reviewed advisory and distribute it to its audience; the approver must not
    be its author (two-person rule). Irreversible."""
    viewer = require_staff(request.user)
    advisory = advisories.get_advisory(viewer, tracking_id)
    queued = advisories.publish(viewer, audit.Actor.of(request.user), advisory, user=request.user)
    advisory.refresh_from_db()
    return {
        "advisory": _advisory_out(advisory),
        "distribution": queued.as_dict() if queued else None,
    }
