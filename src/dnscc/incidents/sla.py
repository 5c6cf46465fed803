"""SLAs: time to triage, to first notification, to acknowledgement per party, to
mitigation; deadlines from a profile per severity; breaches recorded and escalated
(reminder, then duty desk, then coordinator lead).

CONTRACT (signatures fixed; bodies by the SLA owner).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dnscc.incidents.models import Incident, Party


def deadlines(incident: Incident) -> dict[str, datetime | None]:
    """{"triage", "notify", "mitigate"} due times for the incident (None when met)."""
    raise NotImplementedError


def party_deadline(party: Party) -> datetime | None:
    """When the party's acknowledgement is due (None before it is notified or once it is)."""
    raise NotImplementedError


def figures(incident: Incident) -> dict[str, Any]:
    """Per-incident figures (time to triage, first notification, mitigation, in seconds,
    with their targets and whether met) and per-party figures (time to notify, acknowledge,
    mitigate), plus medians over the parties: what the incident page and API show."""
    raise NotImplementedError


def party_figures(party: Party) -> dict[str, Any]:
    raise NotImplementedError


def check(now: datetime | None = None) -> dict[str, int]:
    """Record new breaches and escalate: run by the scheduler (safe on many machines)."""
    raise NotImplementedError
