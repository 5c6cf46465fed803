"""The incident portal pages as coordinators and operators use them (real services, real
outbox: messages are rows in outreach.Message)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from django.test import override_settings
from django.urls import resolve
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Organization
from dnscc.incidents import services
from dnscc.incidents.models import Attachment, Incident, IncidentLink, Party, SavedView, Task
from dnscc.outreach.models import Message
from tests import delivery
from tests.conftest import World

pytestmark = pytest.mark.django_db


def create(world: World, **data: Any) -> Incident:
    user = world.users["coordinator"]
    fields = {
        "title": "Lame delegation of .alpha",
        "dns_type": "broken-delegation",
        "impact": "high",
        "urgency": "medium",
        "tlp": "AMBER",
        "scope": {"tlds": ["alpha"]},
        "desk": "AF",
        **data,
    }
    return services.create_incident(viewer_for(user), audit.Actor.of(user), fields, user=user)


def both_parties(world: World) -> Incident:
    return create(world, title="Two registries down", scope={"tlds": ["alpha", "bravo"]})


def told(incident: Incident) -> Incident:
    """Every party notified (an organisation sees an incident from its notification on)."""
    Party.objects.filter(incident=incident).update(
        status=Party.NOTIFIED, notified_at=timezone.now()
    )
    return incident


def party_of(incident: Incident, org: Organization) -> Party:
    return Party.objects.get(incident=incident, organization=org)


def page(world: World, role: str, incident: Incident) -> str:
    response = world.client(role).get(f"/incidents/{incident.ref}/")
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# -- the new incident form ---------------------------------------------------------------


def test_a_coordinator_creates_an_incident_through_the_form_and_sees_its_parties(
    world: World,
) -> None:
    client = world.client("coordinator")
    form = client.get("/incidents/new/")
    assert form.status_code == 200
    assert 'name="names"' in form.content.decode()
    response = client.post(
        "/incidents/new/",
        {
            "title": "Lame delegation of .alpha",
            "summary": "ns1.nic.alpha does not answer",
            "dns_type": "broken-delegation",
            "impact": "high",
            "urgency": "high",
            "tlp": "AMBER",
            "tlds": "alpha\n\n",
            "names": "www.alpha",
            "desk": "AF",
            "owner": "coord1",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.ref}/"
    assert incident.severity == "critical"
    assert incident.owner == world.users["coordinator"]
    assert incident.scope["tlds"] == ["alpha"]
    text = page(world, "coordinator", incident)
    assert "Alpha Registry" in text
    assert "availability / misconfiguration" in text  # the RSIT class and type
    assert 'id="incident-severity">Critical<' in text


def test_bad_scope_entries_are_shown_next_to_their_field_and_nothing_is_created(
    world: World,
) -> None:
    response = world.client("coordinator").post(
        "/incidents/new/",
        {"title": "Bad scope", "tlds": "alpha", "ips": "192.0.2.1\nnot-an-ip", "tlp": "AMBER"},
    )
    assert response.status_code == 422
    text = response.content.decode()
    field = re.search(r'<ul class="errors field-errors" id="errors-ips">(.*?)</ul>', text, re.S)
    assert field is not None, text
    assert "not-an-ip" in field.group(1)
    assert 'id="errors-tlds"' not in text
    assert "192.0.2.1\nnot-an-ip</textarea>" in text  # the input is kept for correction
    assert Incident.objects.count() == 0


def test_a_missing_title_is_shown_next_to_the_title(world: World) -> None:
    response = world.client("coordinator").post("/incidents/new/", {"title": "  "})
    assert response.status_code == 422
    assert 'id="errors-title"' in response.content.decode()


def test_the_form_shows_the_severity_that_impact_and_urgency_give(world: World) -> None:
    client = world.client("coordinator")
    response = client.get("/incidents/new/severity", {"impact": "high", "urgency": "high"})
    assert 'id="severity"' in response.content.decode()
    assert ">Critical<" in response.content.decode()
    response = client.get("/incidents/new/severity", {"impact": "low", "urgency": "medium"})
    assert ">Low<" in response.content.decode()
    response = client.get("/incidents/new/severity", {"impact": "bogus", "urgency": "high"})
    assert "—" in response.content.decode()


def test_an_operator_may_not_open_the_new_incident_form(world: World) -> None:
    assert world.client("operator").get("/incidents/new/").status_code == 403
    response = world.client("operator").post("/incidents/new/", {"title": "x", "tlds": "alpha"})
    assert response.status_code == 403
    assert Incident.objects.count() == 0


# -- the list ----------------------------------------------------------------------------


def test_the_list_filters_by_text_severity_and_status_without_javascript(world: World) -> None:
    alpha = create(world, title="Alpha outage", impact="high", urgency="high")
    bravo = create(world, title="Bravo leak", scope={"tlds": ["bravo"]}, impact="low")
    client = world.client("coordinator")
    text = client.get("/incidents/").content.decode()
    assert alpha.ref in text
    assert bravo.ref in text
    text = client.get("/incidents/", {"q": "leak"}).content.decode()
    assert bravo.ref in text
    assert alpha.ref not in text
    text = client.get("/incidents/", {"severity": "critical"}).content.decode()
    assert alpha.ref in text
    assert bravo.ref not in text
    text = client.get("/incidents/", {"status": "closed"}).content.decode()
    assert alpha.ref not in text
    assert bravo.ref not in text
    assert "<html" in text  # a whole page: the form works without htmx


def test_an_htmx_request_gets_only_the_table(world: World) -> None:
    incident = create(world)
    response = world.client("coordinator").get("/incidents/", headers={"HX-Request": "true"})
    text = response.content.decode()
    assert incident.ref in text
    assert "<html" not in text
    assert 'id="incident-total"' in text


def test_a_bad_filter_value_is_a_message_not_an_error_page(world: World) -> None:
    response = world.client("coordinator").get("/incidents/", {"status": "nonsense"})
    assert response.status_code == 200
    assert any("nonsense" in m for m in messages_of(response))


def test_a_coordinator_saves_a_view_follows_it_and_deletes_it(world: World) -> None:
    create(world, title="Alpha outage")
    client = world.client("coordinator")
    response = client.post("/incidents/views/", {"name": "Critical ones", "query": "q=outage"})
    assert response.status_code == 302
    view = SavedView.objects.get(user=world.users["coordinator"])
    assert view.name == "Critical ones"
    assert view.query == "q=outage"
    text = client.get("/incidents/").content.decode()
    assert 'href="/incidents/?q=outage">Critical ones</a>' in text
    # another coordinator's list does not show it, and they cannot delete it
    assert "Critical ones" not in world.client("admin").get("/incidents/").content.decode()
    assert world.client("admin").post(f"/incidents/views/{view.pk}/delete").status_code == 404
    assert client.post(f"/incidents/views/{view.pk}/delete").status_code == 302
    assert not SavedView.objects.exists()


def test_a_saved_view_needs_a_name(world: World) -> None:
    response = world.client("coordinator").post("/incidents/views/", {"name": " ", "query": ""})
    assert response.status_code == 302
    assert not SavedView.objects.exists()
    followed = world.client("coordinator").get(response["Location"])
    assert followed.status_code == 200


def test_the_list_offers_the_current_filters_to_save(world: World) -> None:
    text = world.client("coordinator").get("/incidents/", {"q": "alpha"}).content.decode()
    assert re.search(r'name="query" value="[^"]*q=alpha', text), text


def test_an_operator_lists_only_incidents_where_its_organization_is_a_party(
    world: World,
) -> None:
    mine = told(create(world, title="Alpha outage"))
    other = told(create(world, title="Bravo leak", scope={"tlds": ["bravo"]}))
    text = world.client("operator").get("/incidents/").content.decode()
    assert mine.ref in text
    assert other.ref not in text
    assert "Bravo leak" not in text
    assert "Notified" in text  # its own party's status
    assert 'name="desk"' not in text  # the center's filters are not offered
    text = world.client("partner").get("/incidents/").content.decode()
    assert mine.ref not in text
    assert other.ref not in text


# -- the incident page: staff ------------------------------------------------------------


def test_the_incident_page_shows_the_header_scope_sla_and_parties(world: World) -> None:
    incident = both_parties(world)
    text = page(world, "coordinator", incident)
    assert incident.ref in text
    assert "TLP:AMBER" in text
    assert "New (to triage)" in text
    assert "Alpha Registry" in text
    assert "Bravo Registry" in text
    assert "<code>alpha</code>" in text
    assert "<code>bravo</code>" in text
    assert "Time to triage" in text
    assert "SLA figures unavailable" not in text


def test_an_unknown_incident_is_a_404(world: World) -> None:
    assert world.client("coordinator").get("/incidents/DNSCC-2026-9999/").status_code == 404


def test_the_reports_and_desks_pages_are_not_taken_for_incident_references() -> None:
    assert resolve("/incidents/DNSCC-2026-0001/").url_name == "incident"
    assert resolve("/incidents/desks/").url_name != "incident"
    assert resolve("/incidents/reports/").url_name != "incident"


def test_notify_queues_messages_to_the_parties_not_yet_contacted(world: World) -> None:
    incident = create(world)
    client = world.client("coordinator")
    preview = client.post(f"/incidents/{incident.ref}/notify")
    assert preview.status_code == 200
    assert "security@alpha.example" in preview.content.decode()
    assert not Message.objects.filter(organization=world.org_a).exists()  # a preview sends nothing
    response = client.post(f"/incidents/{incident.ref}/notify", {"confirm": "yes"}, follow=True)
    assert any("Queued" in m for m in messages_of(response))
    party = party_of(incident, world.org_a)
    assert party.status == Party.QUEUED
    delivery.accept(organization=world.org_a)
    assert party_of(incident, world.org_a).status == Party.NOTIFIED
    sent = Message.objects.filter(organization=world.org_a)
    assert sent.count() >= 1
    text = page(world, "coordinator", incident)
    assert "security@alpha.example" in text  # the message table names its recipient
    assert "Notify parties not yet reached" not in text
    # nobody is left to notify: a second send queues nothing more
    client.post(f"/incidents/{incident.ref}/notify", {"confirm": "yes"})
    assert Message.objects.filter(organization=world.org_a).count() == sent.count()


def test_the_acknowledgement_deadline_is_shown_in_utc_and_in_the_partys_time_zone(
    world: World,
) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(time_zone="Africa/Nairobi")
    incident = create(world)
    world.client("coordinator").post(f"/incidents/{incident.ref}/notify", {"confirm": "yes"})
    delivery.accept()
    text = page(world, "coordinator", incident)
    row = re.search(r'<tr id="party-\d+".*?</tr>', text, re.S)
    assert row is not None
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", row.group(0))
    assert "(Africa/Nairobi)" in row.group(0)
    operator = page(world, "operator", incident)
    deadline = re.search(r'id="own-deadline">(.*?)</dd>', operator, re.S)
    assert deadline is not None
    assert "Africa/Nairobi" in deadline.group(1)


def test_a_coordinator_changes_a_partys_status_with_its_version(world: World) -> None:
    incident = create(world)
    party = party_of(incident, world.org_a)
    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "unresponsive", "version": party.version, "note": "no answer by phone"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#party-{party.pk}")
    party.refresh_from_db()
    assert party.status == Party.UNRESPONSIVE
    assert party.status_changed_by == "coord1"
    assert party.status_changed_via == "portal"
    text = page(world, "coordinator", incident)
    assert "Unresponsive" in text
    assert "coord1" in text


def test_a_stale_party_version_shows_the_conflict_instead_of_overwriting(world: World) -> None:
    incident = create(world)
    party = party_of(incident, world.org_a)
    loaded = party.version
    world.client("admin").post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "mitigating", "version": loaded},
    )
    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "unresponsive", "version": loaded},
        follow=True,
    )
    assert any("reload" in m for m in messages_of(response)), messages_of(response)
    party.refresh_from_db()
    assert party.status == Party.MITIGATING


def test_a_form_without_a_version_is_refused_with_a_message(world: World) -> None:
    incident = create(world)
    party = party_of(incident, world.org_a)
    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "mitigating", "version": "x"},
        follow=True,
    )
    assert any("version" in m for m in messages_of(response))
    party.refresh_from_db()
    assert party.status == Party.NOT_CONTACTED


def test_the_incident_goes_from_triage_to_open_and_closes_only_with_a_resolution(
    world: World,
) -> None:
    incident = create(world)
    client = world.client("coordinator")
    url = f"/incidents/{incident.ref}/status"
    client.post(url, {"status": "open", "version": incident.version})
    incident.refresh_from_db()
    assert incident.status == Incident.OPEN
    assert incident.triaged_at is not None
    response = client.post(url, {"status": "closed", "version": incident.version}, follow=True)
    assert any("resolution" in m for m in messages_of(response))
    incident.refresh_from_db()
    assert incident.status == Incident.OPEN
    client.post(
        url,
        {"status": "closed", "version": incident.version, "resolution": "fixed by the registry"},
    )
    incident.refresh_from_db()
    assert incident.status == Incident.CLOSED
    assert incident.resolution == "fixed by the registry"
    # a form loaded before the close is stale now
    response = client.post(url, {"status": "open", "version": 1}, follow=True)
    assert any("reload" in m for m in messages_of(response))


def test_a_coordinator_takes_ownership(world: World) -> None:
    incident = create(world, owner="")
    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/take", {"version": incident.version}
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.owner == world.users["coordinator"]
    text = world.client("coordinator").get("/incidents/", {"mine": "1"}).content.decode()
    assert incident.ref in text


def test_tasks_are_added_and_completed(world: World) -> None:
    incident = create(world)
    client = world.client("coordinator")
    client.post(
        f"/incidents/{incident.ref}/tasks", {"title": "Call the registry", "owner": "coord1"}
    )
    task = Task.objects.get(incident=incident)
    assert task.owner == world.users["coordinator"]
    assert "Call the registry" in page(world, "coordinator", incident)
    client.post(f"/incidents/{incident.ref}/tasks/{task.pk}/done", {"version": task.version})
    task.refresh_from_db()
    assert task.done_at is not None
    # the button of a page loaded before it was done is stale now
    response = client.post(
        f"/incidents/{incident.ref}/tasks/{task.pk}/done", {"version": 1}, follow=True
    )
    assert any("reload" in m for m in messages_of(response))


def test_a_task_gets_its_due_time_in_utc(world: World) -> None:
    incident = create(world)
    world.client("coordinator").post(
        f"/incidents/{incident.ref}/tasks", {"title": "Call", "due_at": "2030-01-02T10:00"}
    )
    task = Task.objects.get(incident=incident)
    assert task.due_at is not None
    assert task.due_at.isoformat() == "2030-01-02T10:00:00+00:00"


def test_a_task_with_a_bad_due_date_is_refused_naming_the_field(world: World) -> None:
    incident = create(world)
    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/tasks", {"title": "x", "due_at": "tomorrow"}, follow=True
    )
    assert any("due_at" in m for m in messages_of(response))
    assert not Task.objects.exists()


def test_an_impossible_due_date_is_refused_naming_the_field_not_a_500(world: World) -> None:
    incident = create(world)
    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/tasks",
        {"title": "x", "due_at": "2026-02-30T10:00"},
        follow=True,
    )
    assert response.status_code == 200
    assert any("due_at" in m for m in messages_of(response))
    assert not Task.objects.exists()


def test_a_note_is_added_to_the_timeline_with_its_html_escaped(world: World) -> None:
    incident = create(world)
    world.client("coordinator").post(
        f"/incidents/{incident.ref}/notes", {"text": "<script>alert(1)</script> checked"}
    )
    text = page(world, "coordinator", incident)
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; checked" in text


def test_the_timeline_shows_every_entry_newest_last(world: World) -> None:
    incident = create(world)
    client = world.client("coordinator")
    client.post(f"/incidents/{incident.ref}/notes", {"text": "first note"})
    client.post(f"/incidents/{incident.ref}/notes", {"text": "second note"})
    text = page(world, "coordinator", incident)
    timeline = re.search(r'<ol class="timeline" id="timeline-entries">(.*?)</ol>', text, re.S)
    assert timeline is not None
    entries = timeline.group(1)
    assert entries.count("<li") == incident.timeline.count()
    assert entries.index("opened") < entries.index("first note") < entries.index("second note")


def test_an_attachment_is_uploaded_and_downloaded_with_its_sha256(world: World) -> None:
    incident = create(world)
    client = world.client("coordinator")
    content = b"<html>evidence</html>\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(
        f"/incidents/{incident.ref}/attachments",
        {"file": SimpleUploadedFile("evidence.html", content, content_type="text/html")},
    )
    attachment = Attachment.objects.get(incident=incident)
    digest = hashlib.sha256(content).hexdigest()
    assert attachment.sha256 == digest
    assert digest in page(world, "coordinator", incident)
    response = client.get(f"/incidents/{incident.ref}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response.content == content
    # always a download, never a page of the portal's origin
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert AuditEvent.objects.filter(action="disclose.download").exists()


@override_settings(ATTACHMENT_MAX_BYTES=16)
def test_an_attachment_over_the_limit_is_refused_naming_the_limit(world: World) -> None:
    incident = create(world)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = world.client("coordinator").post(
        f"/incidents/{incident.ref}/attachments",
        {"file": SimpleUploadedFile("big.bin", b"x" * 17)},
        follow=True,
    )
    assert any("16 bytes" in m for m in messages_of(response)), messages_of(response)
    assert not Attachment.objects.exists()


def test_an_operator_cannot_download_an_attachment(world: World) -> None:
    incident = create(world)
    attachment = Attachment.objects.create(
        incident=incident, filename="a.txt", size=1, sha256="0" * 64, data=b"x"
    )
    response = world.client("operator").get(
        f"/incidents/{incident.ref}/attachments/{attachment.pk}/"
    )
    assert response.status_code == 403


def test_incidents_are_linked_both_ways(world: World) -> None:
    first = create(world, title="First")
    second = create(world, title="Second")
    client = world.client("coordinator")
    client.post(f"/incidents/{second.ref}/links", {"other": first.ref, "relation": "duplicate"})
    link = IncidentLink.objects.get()
    assert (link.source, link.target, link.relation) == (second, first, "duplicate")
    assert f'href="/incidents/{first.ref}/"' in page(world, "coordinator", second)
    assert f'href="/incidents/{second.ref}/"' in page(world, "coordinator", first)
    response = client.post(
        f"/incidents/{second.ref}/links", {"other": "DNSCC-1999-0001", "relation": "related"}
    )
    assert response.status_code == 302
    assert IncidentLink.objects.count() == 1


def test_a_link_to_a_red_incident_does_not_show_its_title_to_other_coordinators(
    world: World,
) -> None:
    from dnscc.accounts.services import create_user

    mine = create(world, title="Ordinary outage")
    author = create_user("coord2", role="coordinator", password="x" * 20)
    secret = services.create_incident(
        viewer_for(author),
        audit.Actor.of(author),
        {"title": "Secret RED matter", "tlp": "RED", "scope": {"tlds": ["alpha"]}},
        user=author,
    )
    IncidentLink.objects.create(source=mine, target=secret, relation="related")
    IncidentLink.objects.create(source=secret, target=mine, relation="parent")
    text = page(world, "coordinator", mine)
    assert "Secret RED matter" not in text
    assert secret.ref not in text


# -- the incident page: an operator ------------------------------------------------------


def test_an_operator_cannot_see_another_partys_status(world: World) -> None:
    incident = told(both_parties(world))
    world.client("coordinator").post(f"/incidents/{incident.ref}/notes", {"text": "Bravo late"})
    text = page(world, "operator", incident)
    assert "Alpha Registry" in text
    assert "Bravo" not in text  # neither its name, its party, nor the notes about it
    assert 'id="party-table"' not in text
    assert 'id="timeline-entries"' not in text
    assert "bravo-registry" not in text
    other = page(world, "outsider", incident)
    assert "Bravo Registry" in other
    assert "Alpha" not in other


def test_an_operator_acknowledges_its_own_party_with_a_note(world: World) -> None:
    incident = create(world)
    world.client("coordinator").post(f"/incidents/{incident.ref}/notify", {"confirm": "yes"})
    party = party_of(incident, world.org_a)
    text = page(world, "operator", incident)
    assert f'action="/incidents/{incident.ref}/parties/{party.pk}/status"' in text
    assert 'value="unresponsive"' not in text  # only the statuses an operator may set
    response = world.client("operator").post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "acknowledged", "version": party.version, "note": "we are on it"},
    )
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.status == Party.ACKNOWLEDGED
    assert party.acknowledged_at is not None
    assert party.status_changed_by == "op_a"
    assert "we are on it" in page(world, "coordinator", incident)
    assert "security@alpha.example" not in page(world, "outsider", told(both_parties(world)))


def test_an_operator_cannot_set_a_status_reserved_to_the_center(world: World) -> None:
    incident = told(create(world))
    party = party_of(incident, world.org_a)
    response = world.client("operator").post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "unresponsive", "version": party.version},
    )
    assert response.status_code in (302, 403)
    party.refresh_from_db()
    assert party.status == Party.NOTIFIED


def test_an_operator_cannot_change_another_organizations_party(world: World) -> None:
    incident = both_parties(world)
    bravo = party_of(incident, world.org_b)
    response = world.client("operator").post(
        f"/incidents/{incident.ref}/parties/{bravo.pk}/status",
        {"status": "mitigated", "version": bravo.version},
    )
    assert response.status_code == 404
    assert "Bravo" not in response.content.decode()
    bravo.refresh_from_db()
    assert bravo.status == Party.NOT_CONTACTED


def test_an_operator_gets_a_404_for_an_incident_where_it_is_no_party(world: World) -> None:
    incident = create(world, title="Bravo only", scope={"tlds": ["bravo"]})
    response = world.client("operator").get(f"/incidents/{incident.ref}/")
    assert response.status_code == 404
    assert "Bravo only" not in response.content.decode()
    for action in ("notes", "tasks", "notify", "status", "links"):
        assert (
            world.client("operator").post(f"/incidents/{incident.ref}/{action}").status_code == 403
        )


def test_an_operator_sees_its_messages_on_the_incident_page(world: World) -> None:
    incident = both_parties(world)
    world.client("coordinator").post(f"/incidents/{incident.ref}/notify", {"confirm": "yes"})
    text = page(world, "operator", incident)
    own = re.search(r'<table id="own-messages">(.*?)</table>', text, re.S)
    assert own is not None
    assert incident.ref in own.group(1) or "No message yet" not in own.group(1)
    assert "security@bravo.example" not in text
