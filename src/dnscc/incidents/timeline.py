"""The one writer of an incident's timeline. Every part of the center that changes an
incident (services, intake, SLA checks, desks, campaigns) records what happened here, in
the transaction of the change, so that the timeline replays the incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from dnscc.incidents.models import Incident, Party, TimelineEntry


def add(
    incident: Incident | int,
    kind: str,
    summary: str,
    *,
    actor: str = "",
    party: Party | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Append one entry. `kind` is one of TimelineEntry.KINDS; `summary` is plain text
    (templates escape it); `data` is JSON for replay (ids, old and new values)."""
    if kind not in TimelineEntry.KINDS:
        raise ValueError(f"unknown timeline kind {kind!r}")
    return TimelineEntry.objects.create(
        incident_id=incident if isinstance(incident, int) else incident.pk,
        at=at or timezone.now(),
        kind=kind,
        actor=actor[:150],
        party=party,
        summary=summary[:500],
        data=data or {},
    )
