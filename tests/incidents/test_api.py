"""The incident API: what each role gets back, errors as JSON naming their field, conflicts
as 409, uploads bounded, disclosures audited. Who may call what is in authz_core.py."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import create_token, create_user
from dnscc.incidents.models import Incident, Party
from dnscc.outreach.models import Message
from tests import delivery
from tests.conftest import PASSWORD, World

BASE = "/api/v1/incidents"


def send(client: Client, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json"
    )


def create(world: World, **data: Any) -> dict[str, Any]:
    body = {
        "title": "Expired RRSIGs at .alpha",
        "dns_type": "dnssec-failure",
        "impact": "high",
        "urgency": "high",
        "scope": {"tlds": [".alpha", ".bravo"]},
        **data,
    }
    response = send(world.api("coordinator"), "post", f"{BASE}/", body)
    assert response.status_code == 201, response.content
    return response.json()  # type: ignore[no-any-return]


def told(data: dict[str, Any]) -> dict[str, Any]:
    """Every party notified (an organisation sees an incident from its notification on);
    the parties' versions stay 1."""
    Party.objects.filter(incident__ref=data["ref"]).update(notified_at=timezone.now())
    return data


def party_id(data: dict[str, Any], slug: str) -> int:
    return next(p["id"] for p in data["parties"] if p["organization"] == slug)


def test_a_coordinator_opens_an_incident_and_gets_its_ref_severity_and_parties(
    world: World,
) -> None:
    data = create(world, title="<script>alert(1)</script> at .alpha")
    assert data["ref"].startswith("DNSCC-")
    assert data["severity"] == "critical"
    assert data["title"] == "<script>alert(1)</script> at .alpha"  # JSON keeps it as text
    assert {p["organization"] for p in data["parties"]} == {"alpha-registry", "bravo-registry"}
    assert data["version"] == 1


def test_bad_scope_entries_come_back_as_422_naming_each_field_and_index(world: World) -> None:
    response = send(
        world.api("coordinator"),
        "post",
        f"{BASE}/",
        {"title": "x", "scope": {"tlds": ["alpha", "a..b"], "ips": ["nope"]}},
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["scope.tlds[1]", "scope.ips[0]"]
    assert not Incident.objects.exists()


def test_two_coordinators_patching_one_party_the_second_gets_409_naming_the_first(
    world: World,
) -> None:
    user = create_user("coord2", role="coordinator", password=PASSWORD)
    second = Client(headers={"Authorization": f"Bearer {create_token(user, 't')[1]}"})
    data = create(world)
    url = f"{BASE}/{data['ref']}/parties/{party_id(data, 'alpha-registry')}"
    first = send(world.api("coordinator"), "patch", url, {"status": "notified", "version": 1})
    assert first.status_code == 200
    late = send(second, "patch", url, {"status": "unresponsive", "version": 1})
    assert late.status_code == 409
    assert "coord1" in late.json()["detail"]
    assert Party.objects.get(pk=party_id(data, "alpha-registry")).status == "notified"


def test_an_operator_gets_404_for_another_organisations_party_and_changes_its_own(
    world: World,
) -> None:
    data = told(create(world))
    operator = world.api("operator")
    other = f"{BASE}/{data['ref']}/parties/{party_id(data, 'bravo-registry')}"
    assert operator.get(other).status_code == 404
    assert send(operator, "patch", other, {"status": "not_affected", "version": 1}).status_code == (
        404
    )
    listed = operator.get(f"{BASE}/{data['ref']}/parties").json()
    assert [p["organization"] for p in listed] == ["alpha-registry"]
    own = f"{BASE}/{data['ref']}/parties/{party_id(data, 'alpha-registry')}"
    response = send(operator, "patch", own, {"status": "mitigating", "version": 1, "note": "ok"})
    assert response.status_code == 200
    assert response.json()["status_changed_via"] == "api"
    refused = send(operator, "patch", own, {"status": "unresponsive", "version": 2})
    assert refused.status_code == 403


def test_notify_queues_the_notice_and_the_party_detail_lists_its_messages(world: World) -> None:
    data = create(world)
    client = world.api("coordinator")
    response = send(client, "post", f"{BASE}/{data['ref']}/notify", {"message": "Re-sign now."})
    assert response.status_code == 202
    assert response.json()["parties"] == 2
    assert response.json()["messages"] == 2
    detail = client.get(f"{BASE}/{data['ref']}/parties/{party_id(data, 'alpha-registry')}")
    assert detail.json()["status"] == "queued"  # notified only once the relay accepts it
    delivery.accept(organization__slug="alpha-registry")
    detail = client.get(f"{BASE}/{data['ref']}/parties/{party_id(data, 'alpha-registry')}")
    assert detail.json()["status"] == "notified"
    assert [m["address"] for m in detail.json()["messages"]] == ["security@alpha.example"]
    key = detail.json()["messages"][0]["key"]
    # The operator acknowledges through the outreach API: its party follows.
    assert world.api("operator").post(f"/api/v1/outreach/messages/{key}/ack").status_code == 200
    party = Party.objects.get(pk=party_id(data, "alpha-registry"))
    assert party.status == "acknowledged"
    assert Message.objects.filter(kind="incident_notice").count() == 2


def test_showing_parties_is_an_audited_disclosure(world: World) -> None:
    data = create(world)
    before = AuditEvent.objects.filter(kind=AuditEvent.DISCLOSURE).count()
    world.api("coordinator").get(f"{BASE}/{data['ref']}/parties")
    events = AuditEvent.objects.filter(kind=AuditEvent.DISCLOSURE).order_by("seq")
    assert events.count() == before + 1
    assert events.last().object_type == "incidents.party"  # type: ignore[union-attr]
    assert events.last().data["count"] == 2  # type: ignore[union-attr]


def test_a_stale_incident_patch_is_409_and_closing_without_resolution_is_422(
    world: World,
) -> None:
    data = create(world)
    client = world.api("coordinator")
    url = f"{BASE}/{data['ref']}"
    ok = send(client, "patch", url, {"version": 1, "status": "open"})
    assert ok.status_code == 200
    assert ok.json()["triaged_at"]
    assert send(client, "patch", url, {"version": 1, "title": "late"}).status_code == 409
    closing = send(client, "patch", url, {"version": 2, "status": "closed"})
    assert closing.status_code == 422
    assert closing.json()["errors"][0]["field"] == "resolution"


def test_the_list_filters_and_refuses_an_unknown_severity(world: World) -> None:
    data = create(world)
    client = world.api("coordinator")
    assert [i["ref"] for i in client.get(f"{BASE}/?q=bravo").json()] == [data["ref"]]
    assert client.get(f"{BASE}/?status=closed").json() == []
    bad = client.get(f"{BASE}/?severity=huge")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "severity"
    assert world.api("partner").get(f"{BASE}/").json() == []


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_attachments_are_bounded_and_downloaded_as_files(world: World) -> None:
    data = create(world)
    client = world.api("coordinator")
    url = f"{BASE}/{data['ref']}/attachments"
    big = client.post(url, {"file": SimpleUploadedFile("big.bin", b"x" * 2000)})
    assert big.status_code == 422
    assert "1024" in big.json()["detail"]
    made = client.post(url, {"file": SimpleUploadedFile("<b>log</b>.html", b"<b>hi</b>")})
    assert made.status_code == 201
    download = client.get(f"{url}/{made.json()['id']}")
    assert download.status_code == 200
    assert download.content == b"<b>hi</b>"
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")


def test_tasks_notes_links_and_the_timeline(world: World) -> None:
    one, two = told(create(world)), create(world, title="Second")
    client = world.api("coordinator")
    base = f"{BASE}/{one['ref']}"
    task = send(client, "post", f"{base}/tasks", {"title": "Call .alpha", "owner": "coord1"})
    assert task.status_code == 201
    done = send(client, "patch", f"{base}/tasks/{task.json()['id']}", {"version": 1})
    assert done.status_code == 200
    assert done.json()["done_at"]
    assert send(client, "post", f"{base}/notes", {"text": "<i>n</i>"}).status_code == 201
    link = send(client, "post", f"{base}/links", {"ref": two["ref"], "relation": "parent"})
    assert link.status_code == 201
    assert send(client, "post", f"{base}/links", {"ref": "DNSCC-1-1"}).status_code == 422
    kinds = [e["kind"] for e in client.get(f"{base}/timeline").json()]
    assert kinds == ["created", "task", "task", "note", "link"]
    operator_view = world.api("operator").get(f"{base}/timeline").json()
    assert [e["kind"] for e in operator_view] == ["created"]


def test_an_operator_gets_no_scope_desk_or_owner_and_cannot_filter_by_desk(
    world: World,
) -> None:
    data = told(create(world, desk="EU", owner="coord1"))
    operator = world.api("operator")
    detail = operator.get(f"{BASE}/{data['ref']}").json()
    assert detail["scope"] == {"names": [], "tlds": [], "ips": [], "resolvers": []}
    assert (detail["desk"], detail["owner"]) == ("", None)
    listed = operator.get(f"{BASE}/", {"desk": "AF", "mine": "true", "breached": "true"}).json()
    assert [i["ref"] for i in listed] == [data["ref"]]
    assert listed[0]["scope"]["tlds"] == []
    assert operator.get(f"{BASE}/", {"q": "bravo"}).json() == []  # no search of the scope
    staff = world.api("coordinator").get(f"{BASE}/{data['ref']}").json()
    assert staff["scope"]["tlds"] == ["alpha", "bravo"]
    assert (staff["desk"], staff["owner"]) == ("EU", "coord1")
