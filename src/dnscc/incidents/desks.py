"""Regional duty desks: the follow-the-sun rota, who is on duty, handovers at shift change.

CONTRACT (signatures fixed; bodies by the desks owner).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dnscc.accounts import audit
from dnscc.core.tlp import Viewer
from dnscc.incidents.models import Desk, Handover


def on_duty(now: datetime | None = None) -> str:
    """The region code of the desk on duty at `now` ("" when no desk is configured)."""
    raise NotImplementedError


def desk_for_region(region: str, now: datetime | None = None) -> str:
    """Where new work about `region` goes: the desk on duty (follow the sun), not the
    region's own desk while it sleeps."""
    raise NotImplementedError


def ensure_desks() -> list[Desk]:
    """The default rota when none is configured (idempotent)."""
    raise NotImplementedError


def shift_change(now: datetime | None = None) -> Handover | None:
    """At a shift change, produce the handover note from the outgoing to the incoming desk
    (once per change, safe with many schedulers); None when no change is due."""
    raise NotImplementedError


def acknowledge_handover(viewer: Viewer, actor: audit.Actor, handover: Handover) -> Handover:
    raise NotImplementedError


def desk_status(now: datetime | None = None) -> dict[str, Any]:
    """Who is on duty, the next change, the latest handover per desk, open work per desk."""
    raise NotImplementedError
