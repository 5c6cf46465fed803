"""Incident services: the only way views, the API, the CLI, intake, SLA checks and campaigns
change incidents. Plain functions taking a Viewer (who asks; TLP decides) and an
audit.Actor (who is recorded), returning model objects. Every change writes its timeline
entry (incidents.timeline.add) and its audit entry in one transaction.

CONTRACT (signatures fixed; bodies by the services owner). Errors are dnscc.core.errors:
PermissionDenied, NotFoundError, InputError/ValidationErrors, ConflictError (a stale
`version`: "changed by X at T since you loaded it; reload and apply your change again").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dnscc.accounts import audit
from dnscc.core.tlp import Viewer
from dnscc.incidents.models import Attachment, Incident, IncidentLink, Party, Task


@dataclass
class IncidentFilters:
    """The incident list's filters; a saved view stores them as a query string."""

    q: str = ""  # ref, title or a name/TLD in the scope
    status: list[str] = field(default_factory=list)  # empty: every status but closed
    severity: list[str] = field(default_factory=list)
    dns_type: str = ""
    desk: str = ""
    mine: bool = False  # owned by the viewer
    breached: bool = False  # with an open SLA breach

    @classmethod
    def from_query(cls, query: dict[str, Any]) -> IncidentFilters:
        raise NotImplementedError

    def to_query(self) -> str:
        raise NotImplementedError


def visible_incidents(viewer: Viewer) -> Any:
    """QuerySet of the incidents the viewer may see: staff by TLP (core.tlp.can_see);
    an operator or partner only incidents where its organisation is a party."""
    raise NotImplementedError


def search_incidents(viewer: Viewer, filters: IncidentFilters) -> list[Incident]:
    raise NotImplementedError


def get_incident(viewer: Viewer, ref: str) -> Incident:
    """NotFoundError when it does not exist or the viewer may not see it (no existence leak)."""
    raise NotImplementedError


def create_incident(
    viewer: Viewer, actor: audit.Actor, data: dict[str, Any], *, user: Any = None
) -> Incident:
    """Staff only. data: title, summary, dns_type, impact, urgency, tlp, scope {names, tlds,
    ips, resolvers} (each normalised; bad entries reported with their field and index),
    desk (default: the desk on duty), owner. Severity from impact and urgency. Parties are
    computed from the scope (`compute_parties`). Timeline: created."""
    raise NotImplementedError


def update_incident(
    viewer: Viewer, actor: audit.Actor, incident: Incident, data: dict[str, Any], *, version: int
) -> Incident:
    """Staff only. Changes fields (title, summary, type, impact, urgency, tlp, scope, desk,
    owner); a scope change recomputes computed parties (manual ones stay). Triage: the first
    change from `new` to `open` sets triaged_at. Statuses: new -> open -> mitigated -> closed
    (closed needs a resolution; reopen allowed back to open). Conflict on a stale version."""
    raise NotImplementedError


def compute_parties(incident: Incident) -> list[tuple[int, str]]:
    """(organization id, reason) for the scope: names and TLDs through their TLD's operator,
    IPs through the name servers they host (directory lookup index), the root's operators
    for the root. TLDs without a known operator are reported by `unknown_scope`."""
    raise NotImplementedError


def unknown_scope(incident: Incident) -> list[str]:
    """Scope entries for which the directory knows no operator."""
    raise NotImplementedError


def add_party(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    organization_slug: str,
    *,
    role: str = "affected",
    reason: str = "",
) -> Party:
    raise NotImplementedError


def remove_party(viewer: Viewer, actor: audit.Actor, party: Party) -> None:
    """Only parties never notified may be removed; others are set `not_affected`."""
    raise NotImplementedError


def get_party(viewer: Viewer, incident: Incident, party_id: int) -> Party:
    """Staff: any party; an operator: only its own organisation's party."""
    raise NotImplementedError


def set_party_status(
    viewer: Viewer,
    actor: audit.Actor,
    party: Party,
    status: str,
    *,
    version: int,
    via: str = "portal",
    note: str = "",
) -> Party:
    """Staff may set any status; an operator only its own party, and only
    Party.OPERATOR_STATUSES. Sets acknowledged_at / mitigated_at the first time. Conflict on
    a stale version. When every affected party is mitigated or not affected, the incident's
    mitigated_at is set. Timeline: party."""
    raise NotImplementedError


def notify_parties(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    party_ids: list[int] | None = None,
    message: str = "",
    user: Any = None,
) -> dict[str, Any]:
    """Queue the incident notice (outreach.services.notify, kind "incident_notice", source
    ("incident", incident.pk)) to the parties (default: those not contacted yet), in the
    same transaction as their status change to `notified` (notified_at). Sets the
    incident's first_notified_at. Returns the outbox's Queued.as_dict() plus
    {"parties": n}. Timeline: message."""
    raise NotImplementedError


def acknowledge_from_message(message: Any, *, via: str, by: str) -> Party | None:
    """Receiver of outreach.signals.message_acknowledged: a message of an incident notice,
    acknowledged by link, portal, API or signed reply, acknowledges its party (if it was
    not yet further). Timeline: ack."""
    raise NotImplementedError


def party_messages(viewer: Viewer, party: Party) -> list[Any]:
    """The outreach messages sent to the party's organisation for this incident."""
    raise NotImplementedError


def add_note(viewer: Viewer, actor: audit.Actor, incident: Incident, text: str) -> None:
    raise NotImplementedError


def add_task(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    title: str,
    owner_username: str = "",
    due_at: datetime | None = None,
) -> Task:
    raise NotImplementedError


def complete_task(viewer: Viewer, actor: audit.Actor, task: Task, *, version: int) -> Task:
    raise NotImplementedError


def add_attachment(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    filename: str,
    content: bytes,
    content_type: str = "application/octet-stream",
) -> Attachment:
    """Refused above settings.ATTACHMENT_MAX_BYTES (naming the limit); sha256 recorded."""
    raise NotImplementedError


def link_incidents(
    viewer: Viewer, actor: audit.Actor, incident: Incident, other_ref: str, *, relation: str
) -> IncidentLink:
    raise NotImplementedError


def record_finding(incident: Incident, finding: Any, *, actor: str = "system") -> None:
    """A monitoring finding (or alert) joins the timeline of an incident."""
    raise NotImplementedError


def replay(viewer: Viewer, incident: Incident) -> list[dict[str, Any]]:
    """The timeline as plain dicts in order (at, kind, actor, party, summary, data): what
    the portal, API and `dnscc incident replay` show."""
    raise NotImplementedError
