"""DNS verification of a campaign's names against each TLD's own authoritative servers.

CONTRACT (bodies by the verification owner).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dnscc.campaigns.models import Campaign, VerificationRun


def verify_campaign(
    campaign: Campaign,
    *,
    now: datetime | None = None,
    servers: dict[str, list[str]] | None = None,
    rate: float | None = None,
) -> VerificationRun:
    """Check every name of the campaign (or those due) with dnscc.probe.verify; store the
    per-name verdicts and per-slice counters with set-based updates; flag mismatches
    (reported done, DNS says otherwise); record a Snapshot. `servers` maps a TLD to its
    server addresses (default: from the directory's Tld.ns/glue)."""
    raise NotImplementedError


def verify_due(*, now: datetime | None = None) -> dict[str, Any]:
    """Run by the scheduler: verify active campaigns whose interval elapsed."""
    raise NotImplementedError
