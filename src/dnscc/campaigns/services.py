"""Campaign services: create, load names, split per registry, deliver slices, record
acknowledgements and outcomes. Verification, escalation, the dashboard and exports are in
campaigns.verification, campaigns.escalation and campaigns.reports.

CONTRACT (signatures fixed; bodies by the services owner). Plain functions taking a Viewer
(who asks; TLP decides) and an audit.Actor (who is recorded). Errors are dnscc.core.errors.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import IO, Any

from dnscc.accounts import audit
from dnscc.campaigns.models import Campaign, NameList, Slice
from dnscc.core.tlp import Viewer


def visible_campaigns(viewer: Viewer) -> Any:
    """QuerySet: staff by TLP; an operator only campaigns where its organisation has a slice."""
    raise NotImplementedError


def get_campaign(viewer: Viewer, slug: str) -> Campaign:
    """NotFoundError when missing or not visible (no existence leak)."""
    raise NotImplementedError


def get_slice(viewer: Viewer, campaign: Campaign, slice_id: int) -> Slice:
    """Staff: any slice; an operator: only its own organisation's (else NotFoundError)."""
    raise NotImplementedError


def create_campaign(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    incident_ref: str,
    title: str,
    due_date: date,
    description: str = "",
    sinkhole_ns: list[str] | None = None,
    tlp: str = "AMBER",
    user: Any = None,
) -> Campaign:
    """Staff only; the incident must be visible to the viewer. Timeline of the incident:
    "campaign"."""
    raise NotImplementedError


def load_names(
    viewer: Viewer,
    actor: audit.Actor,
    campaign: Campaign,
    stream: IO[bytes],
    *,
    filename: str,
    action: str,
    legal_basis: str,
    legal_reference: str,
    expires_at: datetime | None = None,
) -> NameList:
    """Stream a name list (text, CSV, gzip, zip; core.namelist) into the campaign: names
    normalised, invalid lines reported with line numbers (NameList.report), duplicates
    collapsed (within the list and against names already in the campaign), each name
    assigned to the slice of its TLD's operator (created as needed; deadline = due_date at
    due_time in the organisation's time zone), names under TLDs with no known operator kept
    without a slice and reported. Memory bounded; refused above DNSCC_CAMPAIGN_UPLOAD_MAX_BYTES."""
    raise NotImplementedError


def generate_names(
    viewer: Viewer,
    actor: audit.Actor,
    campaign: Campaign,
    *,
    generator: str,
    start: date,
    end: date,
    action: str,
    legal_basis: str,
    legal_reference: str,
    expires_at: datetime | None = None,
) -> NameList:
    """The same as load_names for the names of a DGA generator (core.dga) over a date range."""
    raise NotImplementedError


def deliver(
    viewer: Viewer, actor: audit.Actor, campaign: Campaign, *, user: Any = None
) -> dict[str, Any]:
    """Deliver every pending slice through the outbox (kind "campaign_slice", source
    ("campaign_slice", slice.pk)): a manifest (CSV and JSON, checksummed, OpenPGP-signed by
    the center) per slice, with the portal and API download links. Campaign becomes active."""
    raise NotImplementedError


def manifest(viewer: Viewer, actor: audit.Actor, slice_: Slice, fmt: str) -> tuple[bytes, str]:
    """(content, content type) of a slice's manifest: fmt "csv", "json", "csv.asc",
    "json.asc" or "sha256". Audited as a disclosure."""
    raise NotImplementedError


def acknowledge_slice(viewer: Viewer, actor: audit.Actor, slice_: Slice, *, via: str) -> Slice:
    """The slice's operator (or staff on its behalf) acknowledges the whole slice."""
    raise NotImplementedError


def acknowledge_from_message(message: Any, *, via: str, by: str) -> Slice | None:
    """Receiver of outreach.signals.message_acknowledged for campaign_slice messages."""
    raise NotImplementedError


def record_outcomes(
    viewer: Viewer, actor: audit.Actor, slice_: Slice, stream: IO[bytes], *, filename: str
) -> dict[str, Any]:
    """An operator's per-name outcomes (CSV: name,outcome[,note]; core.manifest). Names
    outside the slice are rejected with their line numbers; nothing is half-applied: a file
    with errors changes nothing and says every error (or: valid rows applied, errors listed —
    the owner decides and documents)."""
    raise NotImplementedError


def end_campaign(viewer: Viewer, actor: audit.Actor, campaign: Campaign) -> Campaign:
    """End the campaign: block actions get a release notice through the outbox."""
    raise NotImplementedError
