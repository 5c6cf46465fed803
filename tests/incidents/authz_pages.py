"""Authorization matrix rows of incident portal pages (collected by tests/test_authz_matrix.py).

The objects have fixed references and primary keys (set by `_objects`) so that each row's
URL is literal: the matrix's completeness test resolves every template without a setup.
What an operator sees of an incident where it is a party (its own party only) is tested
with real pages in tests/incidents/test_views.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dnscc.incidents.models import (
    Attachment,
    Incident,
    IncidentLink,
    Party,
    SavedView,
    Task,
    TimelineEntry,
)
from dnscc.outreach.models import Message
from tests.authz import Row, page_statuses
from tests.conftest import World

REF = "DNSCC-2026-0901"
OTHER_REF = "DNSCC-2026-0902"
PK = 990001  # the party, task, attachment and saved view of the matrix
BASE = f"/incidents/{REF}"
# What only staff and org_a's own people may see of the incident.
SECRETS = ("Matrix incident", "Alpha Registry", "Matrix task", "matrix-evidence.txt")


def _objects(world: World) -> dict[str, Any]:
    now = timezone.now()
    incident = Incident.objects.create(
        ref=REF,
        title="Matrix incident",
        summary="Lame delegation of .alpha",
        dns_type="broken-delegation",
        tlp="AMBER",
        scope={"names": [], "tlds": ["alpha"], "ips": [], "resolvers": []},
        created_at=now,
        created_by=world.users["coordinator"],
        desk="AF",
    )
    Incident.objects.create(ref=OTHER_REF, title="Matrix other incident", created_at=now)
    Party.objects.create(
        pk=PK,
        incident=incident,
        organization=world.org_a,
        source=Party.COMPUTED,
        reason="operator of .alpha",
        notified_at=now,  # an organisation sees an incident once its party was notified
    )
    Task.objects.create(pk=PK, incident=incident, title="Matrix task")
    data = b"matrix evidence\n"
    Attachment.objects.create(
        pk=PK,
        incident=incident,
        filename="matrix-evidence.txt",
        content_type="text/plain",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    SavedView.objects.create(pk=PK, user=world.users["coordinator"], name="Matrix view", query="")
    return {}


def _objects_and_constrained(world: World) -> dict[str, Any]:
    """The objects, and the CSIRT (region AF, not a party) resource-constrained."""
    found = _objects(world)
    type(world.csirt).objects.filter(pk=world.csirt.pk).update(
        resource_constrained=True, constrained_reason="no 24/7 staff"
    )
    return found


def snapshot() -> dict[str, Any]:
    """What a refused request to an incident page must leave as it was."""
    return {
        "incidents": sorted(Incident.objects.values_list("ref", "status", "owner_id", "version")),
        "parties": sorted(Party.objects.values_list("pk", "status", "version", "note")),
        "tasks": sorted(Task.objects.values_list("pk", "done_at", "version")),
        "attachments": Attachment.objects.count(),
        "links": IncidentLink.objects.count(),
        "saved_views": sorted(SavedView.objects.values_list("pk", "user_id", "name", "query")),
        "timeline": TimelineEntry.objects.count(),
        "messages": Message.objects.count(),
    }


def _staff_post(action: str, body: dict[str, Any] | None = None, ok: int = 302) -> Row:
    return Row(
        "POST",
        f"{BASE}/{action}",
        page_statuses(ok),
        body=(lambda w: dict(body)) if body is not None else None,
        secrets=SECRETS,
        mutates=True,
        setup=_objects,
    )


API_ROWS: list[Row] = []
PAGE_ROWS: list[Row] = [
    # Members get the list too: only incidents where their organisation is a party.
    Row(
        "GET",
        "/incidents/",
        page_statuses(200, members=200),
        secrets=SECRETS,
        secret_for=("partner", "outsider"),
        setup=_objects,
    ),
    Row("GET", "/incidents/new/", page_statuses(200)),
    Row("GET", "/incidents/new/severity?impact=high&urgency=high", page_statuses(200)),
    Row(
        "POST",
        "/incidents/new/",
        page_statuses(302),
        body=lambda w: {
            "title": "Matrix created",
            "dns_type": "broken-delegation",
            "impact": "high",
            "urgency": "medium",
            "tlp": "AMBER",
            "tlds": "alpha",
            "desk": "AF",
        },
        mutates=True,
    ),
    Row(
        "POST",
        "/incidents/views/",
        page_statuses(302),
        body=lambda w: {"name": "Matrix saved", "query": "q=alpha"},
        mutates=True,
    ),
    # A saved view is its owner's (the coordinator's): another admin does not find it.
    Row(
        "POST",
        f"/incidents/views/{PK}/delete",
        page_statuses(302, admin=404),
        mutates=True,
        setup=_objects,
    ),
    # The operator of org_a is a party; the partner and the outsider are not, and are told
    # nothing exists.
    Row(
        "GET",
        f"{BASE}/",
        page_statuses(200, members=404, operator=200),
        secrets=SECRETS,
        setup=_objects,
    ),
    Row(
        "POST",
        f"{BASE}/parties/{PK}/status",
        page_statuses(302, members=404, operator=302),
        body=lambda w: {"status": "acknowledged", "version": "1", "note": "on it"},
        secrets=SECRETS,
        mutates=True,
        setup=_objects,
    ),
    _staff_post("status", {"status": "open", "version": "1"}),
    _staff_post("take", {"version": "1"}),
    # Notify: the preview (GET, or a POST without `confirm`), then the sending.
    Row("GET", f"{BASE}/notify", page_statuses(200), secrets=SECRETS, setup=_objects),
    _staff_post("notify", {"confirm": "yes"}),
    Row("GET", f"{BASE}/scope", page_statuses(200), secrets=SECRETS, setup=_objects),
    _staff_post("scope", {"action": "save", "version": "1", "tlds": "alpha\nbravo"}),
    Row("GET", f"{BASE}/parties/add?q=bravo", page_statuses(200), secrets=SECRETS, setup=_objects),
    _staff_post("parties/add", {"organization": "bravo-registry", "role": "expert"}),
    Row(
        "POST",
        f"{BASE}/parties/constrained",
        page_statuses(302),
        body=lambda w: {"region": "AF"},
        secrets=SECRETS,
        mutates=True,
        setup=_objects_and_constrained,
    ),
    _staff_post(f"parties/{PK}/remove", {"version": "1", "confirm": "yes"}),
    _staff_post("notes", {"text": "matrix note"}),
    _staff_post("tasks", {"title": "matrix follow-up"}),
    _staff_post(f"tasks/{PK}/done", {"version": "1"}),
    _staff_post("links", {"other": OTHER_REF, "relation": "related"}),
    Row(
        "POST",
        f"{BASE}/attachments",
        page_statuses(302),
        body=lambda w: {"file": SimpleUploadedFile("upload.txt", b"matrix upload\n")},
        secrets=SECRETS,
        mutates=True,
        setup=_objects,
    ),
    Row(
        "GET",
        f"{BASE}/attachments/{PK}/",
        page_statuses(200),
        secrets=("matrix evidence",),
        setup=_objects,
    ),
]
