"""Authorization matrix rows of the incident API (collected by tests/test_authz_matrix.py).

The setup opens an AMBER incident whose scope makes org_a (the operator's) and org_b (the
outsider's) parties; the partner's CSIRT is not a party. So: staff see everything; the
operator and the outsider see the incident but only their own party (the other's is 404);
the partner gets 404 for the incident itself; changes are the staff's, except an
organisation's own party status.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.incidents import services
from dnscc.incidents.models import Attachment, Incident, IncidentLink, Party, Task, TimelineEntry
from dnscc.outreach.models import Message
from tests.authz import ORG_A_SECRETS, Row, api_statuses
from tests.conftest import World

BASE = "/api/v1/incidents"
OTHER_TITLE = "Matrix other incident"


def _incident(world: World) -> dict[str, Any]:
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    incident = services.create_incident(
        viewer,
        actor,
        {"title": "Matrix incident", "scope": {"tlds": ["alpha", "bravo"]}},
        user=user,
    )
    services.create_incident(viewer, actor, {"title": OTHER_TITLE}, user=user)
    # An organisation sees an incident once its party was notified.
    Party.objects.filter(incident=incident).update(notified_at=incident.created_at)
    task = services.add_task(viewer, actor, incident, title="Matrix task")
    attachment = services.add_attachment(
        viewer, actor, incident, filename="evidence.txt", content=b"evidence"
    )
    return {
        "ref": incident.ref,
        "party_id": Party.objects.get(incident=incident, organization=world.org_a).pk,
        "task_id": task.pk,
        "attachment_id": attachment.pk,
    }


def _incident_and_constrained(world: World) -> dict[str, Any]:
    """The incident, and the CSIRT (region AF, not a party) resource-constrained."""
    found = _incident(world)
    type(world.csirt).objects.filter(pk=world.csirt.pk).update(
        resource_constrained=True, constrained_reason="no 24/7 staff"
    )
    return found


def _other_ref(world: World) -> dict[str, Any]:
    return {"ref": Incident.objects.get(title=OTHER_TITLE).ref, "relation": "related"}


def snapshot() -> dict[str, Any]:
    return {
        "incidents": sorted(Incident.objects.values_list("ref", "title", "status", "version")),
        "parties": sorted(Party.objects.values_list("pk", "status", "version", "note")),
        "timeline": TimelineEntry.objects.count(),
        "tasks": sorted(Task.objects.values_list("pk", "done_at", "version")),
        "attachments": Attachment.objects.count(),
        "links": IncidentLink.objects.count(),
        "messages": Message.objects.count(),
    }


# Members who are parties (operator, outsider) are refused a staff action with 403; the
# partner, whose organisation is no party, does not learn that the incident exists (404).
def staff_only(ok: int) -> dict[str, int]:
    return api_statuses(ok, members=403, partner=404)


def party_view(ok: int = 200) -> dict[str, int]:
    return api_statuses(ok, members=ok, partner=404)


API_ROWS: list[Row] = [
    Row("GET", f"{BASE}/", api_statuses(200, members=200), setup=_incident),
    Row(
        "POST",
        f"{BASE}/",
        api_statuses(201),
        body=lambda w: {"title": "Matrix new", "scope": {"tlds": [".alpha"]}},
        mutates=True,
    ),
    Row(
        "GET",
        f"{BASE}/{{ref}}",
        party_view(),
        setup=_incident,
        secrets=ORG_A_SECRETS,
        secret_for=("outsider",),
    ),
    Row(
        "PATCH",
        f"{BASE}/{{ref}}",
        staff_only(200),
        setup=_incident,
        body=lambda w: {"version": 1, "title": "Matrix renamed"},
        mutates=True,
    ),
    Row(
        "GET",
        f"{BASE}/{{ref}}/parties",
        party_view(),
        setup=_incident,
        secrets=ORG_A_SECRETS,
        secret_for=("outsider",),
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/parties",
        staff_only(201),
        setup=_incident,
        body=lambda w: {"organization": w.csirt.slug, "role": "expert"},
        mutates=True,
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/parties/constrained",
        staff_only(201),
        setup=_incident_and_constrained,
        body=lambda w: {"regions": ["AF"]},
        mutates=True,
    ),
    Row(
        "GET",
        f"{BASE}/{{ref}}/parties/{{party_id}}",
        api_statuses(200, members=404, operator=200),
        setup=_incident,
        secrets=ORG_A_SECRETS,
    ),
    Row(
        "PATCH",
        f"{BASE}/{{ref}}/parties/{{party_id}}",
        api_statuses(200, members=404, operator=200),
        setup=_incident,
        body=lambda w: {"status": "acknowledged", "version": 1},
        secrets=ORG_A_SECRETS,
        mutates=True,
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/notify",
        staff_only(202),
        setup=_incident,
        body=lambda w: {"message": "Please check."},
        mutates=True,
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/scope-preview",
        staff_only(200),
        setup=_incident,
        body=lambda w: {"scope": {"tlds": ["alpha", "bravo"]}},
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/notice-preview",
        staff_only(200),
        setup=_incident,
        body=lambda w: {"message": "Please check."},
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/notes",
        staff_only(201),
        setup=_incident,
        body=lambda w: {"text": "a note"},
        mutates=True,
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/tasks",
        staff_only(201),
        setup=_incident,
        body=lambda w: {"title": "a task"},
        mutates=True,
    ),
    Row(
        "PATCH",
        f"{BASE}/{{ref}}/tasks/{{task_id}}",
        staff_only(200),
        setup=_incident,
        body=lambda w: {"version": 1, "done": True},
        mutates=True,
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/attachments",
        staff_only(201),
        setup=_incident,
        body=lambda w: {"file": SimpleUploadedFile("log.txt", b"log line\n")},
        json_body=False,
        mutates=True,
    ),
    Row(
        "GET",
        f"{BASE}/{{ref}}/attachments/{{attachment_id}}",
        staff_only(200),
        setup=_incident,
    ),
    Row(
        "POST",
        f"{BASE}/{{ref}}/links",
        staff_only(201),
        setup=_incident,
        body=_other_ref,
        mutates=True,
    ),
    Row(
        "GET",
        f"{BASE}/{{ref}}/timeline",
        party_view(),
        setup=_incident,
        secrets=ORG_A_SECRETS,
        secret_for=("outsider",),
    ),
    Row(
        "GET",
        f"{BASE}/{{ref}}/sla",
        party_view(),
        setup=_incident,
        secrets=ORG_A_SECRETS,
        secret_for=("outsider",),
    ),
]
PAGE_ROWS: list[Row] = []
