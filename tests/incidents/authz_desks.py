"""Authorization matrix rows of duty desks (collected by tests/test_authz_matrix.py).

One handover to the AF desk (fixed primary key, so each URL is literal) listing an open
incident whose title is secret to everyone but staff. Only a coordinator of the incoming
desk (coord1, desk AF) may acknowledge it: admin1 is staff but staffs no desk.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dnscc.incidents import desks
from dnscc.incidents.models import Desk, Handover, Incident, SlaBreach
from tests.authz import Row, api_statuses, page_statuses
from tests.conftest import World

PK = 990101
SECRETS = ("Matrix desk incident",)


def _handover(world: World) -> dict[str, Any]:
    desks.ensure_desks()
    now = timezone.now()
    incident = Incident.objects.create(
        ref="DNSCC-2026-0911", title="Matrix desk incident", created_at=now, desk="AF"
    )
    Handover.objects.create(
        pk=PK,
        from_desk="AP",
        to_desk="AF",
        shift_start=now.replace(minute=0, second=0, microsecond=0),
        created_at=now,
        note=desks.handover_note(now, now),
    )
    SlaBreach.objects.create(
        incident=incident, kind=SlaBreach.TRIAGE, due_at=now, breached_at=now, level=2
    )
    return {"handover_id": PK}


def snapshot() -> dict[str, Any]:
    """What a refused request to a desk must leave as it was."""
    return {
        "handovers": sorted(Handover.objects.values_list("pk", "acknowledged_at")),
        "desks": sorted(Desk.objects.values_list("region", "shift_start_hour", "shift_hours")),
        "breaches": sorted(SlaBreach.objects.values_list("pk", "level", "resolved_at")),
    }


API_ROWS: list[Row] = [
    Row("GET", "/api/v1/desks/", api_statuses(200), secrets=SECRETS, setup=_handover),
    Row("GET", "/api/v1/desks/handovers", api_statuses(200), setup=_handover),
    Row(
        "GET",
        "/api/v1/desks/handovers/{handover_id}",
        api_statuses(200),
        secrets=SECRETS,
        setup=_handover,
    ),
    Row(
        "POST",
        "/api/v1/desks/handovers/{handover_id}/acknowledge",
        api_statuses(200, admin=403),
        secrets=SECRETS,
        setup=_handover,
        mutates=True,
    ),
    Row("GET", "/api/v1/desks/breaches", api_statuses(200), secrets=SECRETS, setup=_handover),
]
PAGE_ROWS: list[Row] = [
    Row("GET", "/incidents/desks/", page_statuses(200), secrets=SECRETS, setup=_handover),
    Row("GET", f"/incidents/handovers/{PK}/", page_statuses(200), secrets=SECRETS, setup=_handover),
    Row(
        "POST",
        f"/incidents/handovers/{PK}/acknowledge",
        page_statuses(302, admin=403),
        secrets=SECRETS,
        setup=_handover,
        mutates=True,
    ),
]
