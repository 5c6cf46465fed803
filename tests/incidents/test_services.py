"""Incident services: refs, scope and parties, optimistic concurrency, who sees which party,
notices through the real outbox, and acknowledgements coming back from outreach."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import create_user, viewer_for
from dnscc.core.errors import ConflictError, InputError, NotFoundError, ValidationErrors
from dnscc.core.tlp import Viewer
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents import services
from dnscc.incidents.models import Incident, Party, SlaBreach, TimelineEntry
from dnscc.outreach import services as outreach
from dnscc.outreach.models import Message
from tests import delivery
from tests.conftest import PASSWORD, World


def who(world: World, role: str) -> tuple[Viewer, audit.Actor]:
    user = world.users[role]
    return viewer_for(user), audit.Actor.of(user)


def open_incident(world: World, role: str = "coordinator", **data: Any) -> Incident:
    viewer, actor = who(world, role)
    fields: dict[str, Any] = {
        "title": "Lame delegation at .alpha and .bravo",
        "dns_type": "broken-delegation",
        "impact": "high",
        "urgency": "medium",
        "scope": {"tlds": [".alpha", "bravo"]},
    }
    fields.update(data)
    return services.create_incident(viewer, actor, fields, user=world.users[role])


def party_of(incident: Incident, org: Organization) -> Party:
    return Party.objects.get(incident=incident, organization=org)


# --- refs, scope, parties -------------------------------------------------------------


def test_an_incident_gets_a_ref_of_its_year_a_severity_and_its_parties_from_the_scope(
    world: World,
) -> None:
    first = open_incident(world)
    second = open_incident(world, title="Second")
    year = timezone.now().year
    assert first.ref == f"DNSCC-{year}-0001"
    assert second.ref == f"DNSCC-{year}-0002"
    assert first.severity == "high"
    assert first.rsit_class == "availability"
    assert first.scope["tlds"] == ["alpha", "bravo"]
    parties = {p.organization.slug: p for p in first.parties.select_related("organization")}
    assert set(parties) == {"alpha-registry", "bravo-registry"}
    assert parties["alpha-registry"].source == Party.COMPUTED
    assert "operator of .alpha" in parties["alpha-registry"].reason
    assert first.timeline.filter(kind="created").count() == 1
    assert AuditEvent.objects.filter(action="incident.create", object_id=str(first.pk)).exists()


def test_a_ref_already_taken_by_another_creator_is_skipped_not_reused(world: World) -> None:
    year = timezone.now().year
    first = open_incident(world)
    # A concurrent creator that committed the next number between our read and our insert:
    # the unique ref refuses our insert and the service takes the number after it.
    Incident.objects.create(
        ref=f"DNSCC-{year}-0002", title="theirs", created_at=timezone.now(), thread_token="t2"
    )
    third = open_incident(world, title="ours")
    refs = list(Incident.objects.values_list("ref", flat=True))
    assert len(refs) == len(set(refs)) == 3
    assert first.ref.endswith("-0001")
    assert third.ref.endswith("-0003")


def test_bad_scope_entries_are_each_reported_with_their_field_and_index(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    with pytest.raises(ValidationErrors) as caught:
        services.create_incident(
            viewer,
            actor,
            {
                "title": "x",
                "scope": {
                    "names": ["ok.alpha", "bad..name", "also ok.alpha"],
                    "tlds": ["alpha", "two.labels"],
                    "ips": ["192.0.2.1", "999.1.1.1"],
                    "resolvers": ["not-an-ip"],
                },
            },
        )
    fields = [e.location.field for e in caught.value.errors]
    assert fields == [
        "scope.names[1]",
        "scope.names[2]",
        "scope.tlds[1]",
        "scope.ips[1]",
        "scope.resolvers[0]",
    ]
    assert not Incident.objects.exists()


def test_a_title_and_a_type_are_checked_naming_their_field(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    with pytest.raises(ValidationErrors) as caught:
        services.create_incident(viewer, actor, {"title": " ", "dns_type": "nonsense"})
    assert {e.location.field for e in caught.value.errors} == {"title", "dns_type"}


def test_ips_and_the_root_find_their_operators_and_unknown_tlds_are_reported(
    world: World,
) -> None:
    incident = open_incident(
        world, scope={"ips": ["192.0.2.2"], "names": ["www.unknown-tld-x"], "tlds": ["zz"]}
    )
    assert [p.organization for p in incident.parties.all()] == [world.org_b]
    assert services.unknown_scope(incident) == [".zz", "www.unknown-tld-x"]


def test_110_tlds_in_scope_give_110_parties_and_the_notice_reaches_each_org_with_a_contact(
    world: World, django_assert_max_num_queries: Any
) -> None:
    names = []
    for i in range(110):
        org = Organization.objects.create(name=f"Registry {i:03d}", slug=f"registry-{i:03d}")
        Tld.objects.create(name=f"t{i:03d}", kind=Tld.GTLD, operator=org)
        if i % 11:  # 100 of them have a contact, 10 do not
            Contact.objects.create(organization=org, name="NOC", email=f"noc@r{i}.example")
        names.append(f".t{i:03d}")
    viewer, actor = who(world, "coordinator")
    with django_assert_max_num_queries(40):
        incident = services.create_incident(
            viewer, actor, {"title": "Many TLDs", "scope": {"tlds": names}}
        )
    assert incident.parties.count() == 110
    result = services.notify_parties(viewer, actor, incident)
    assert result["parties"] == 110
    assert result["messages"] == 100
    assert len(result["unreachable"]) == 10
    assert Message.objects.filter(kind="incident_notice").count() == 100
    assert set(
        Message.objects.filter(kind="incident_notice").values_list("organization", flat=True)
    ) == set(
        Contact.objects.filter(email__startswith="noc@").values_list("organization", flat=True)
    )
    # Queued is not notified: the ten without a contact are unreachable at once, each with
    # a breach of its notification deadline; the others turn notified on acceptance.
    assert incident.parties.filter(status=Party.QUEUED).count() == 100
    assert incident.parties.filter(status=Party.UNREACHABLE).count() == 10
    assert (
        SlaBreach.objects.filter(incident=incident, kind="notify", party__isnull=False).count()
        == 10
    )
    assert incident.parties.filter(status=Party.NOTIFIED).count() == 0
    assert delivery.accept(kind="incident_notice") == 100
    assert incident.parties.filter(status=Party.NOTIFIED).count() == 100
    assert incident.parties.filter(status=Party.UNREACHABLE).count() == 10


def test_a_scope_change_recomputes_computed_parties_and_keeps_manual_ones(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.add_party(viewer, actor, incident, world.csirt.slug, role="expert")
    services.update_incident(
        viewer, actor, incident, {"scope": {"tlds": ["alpha"]}}, version=incident.version
    )
    slugs = set(incident.parties.values_list("organization__slug", flat=True))
    assert slugs == {"alpha-registry", "example-cert"}


# --- optimistic concurrency ------------------------------------------------------------


def test_two_coordinators_changing_one_party_at_once_the_second_gets_a_conflict_naming_the_first(
    world: World,
) -> None:
    create_user("coord2", role="coordinator", password=PASSWORD)
    incident = open_incident(world)
    first = viewer_for(world.users["coordinator"]), audit.Actor.of(world.users["coordinator"])
    from django.contrib.auth import get_user_model

    coord2 = get_user_model().objects.get(username="coord2")
    second = viewer_for(coord2), audit.Actor.of(coord2)
    seen_by_first = party_of(incident, world.org_a)
    seen_by_second = party_of(incident, world.org_a)
    services.set_party_status(*first, seen_by_first, "notified", version=seen_by_first.version)
    with pytest.raises(ConflictError) as caught:
        services.set_party_status(
            *second, seen_by_second, "unresponsive", version=seen_by_second.version
        )
    assert "coord1" in str(caught.value)
    assert "reload" in str(caught.value)
    assert party_of(incident, world.org_a).status == Party.NOTIFIED


def test_a_stale_incident_version_is_a_conflict_naming_who_changed_it(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    stale = Incident.objects.get(pk=incident.pk)
    services.update_incident(viewer, actor, incident, {"title": "New title"}, version=1)
    admin = who(world, "admin")
    with pytest.raises(ConflictError, match="coord1"):
        services.update_incident(*admin, stale, {"title": "Other title"}, version=stale.version)
    assert Incident.objects.get(pk=incident.pk).title == "New title"


def test_triage_sets_triaged_at_and_closing_needs_a_resolution(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.update_incident(viewer, actor, incident, {"status": "open"}, version=1)
    assert incident.triaged_at is not None
    with pytest.raises(InputError, match="resolution") as caught:
        services.update_incident(viewer, actor, incident, {"status": "closed"}, version=2)
    assert caught.value.location.field == "resolution"
    with pytest.raises(InputError) as bad:
        services.update_incident(viewer, actor, incident, {"status": "new"}, version=2)
    assert bad.value.location.field == "status"
    services.update_incident(
        viewer, actor, incident, {"status": "closed", "resolution": "fixed"}, version=2
    )
    assert incident.status == Incident.CLOSED
    assert incident.closed_at is not None
    services.update_incident(viewer, actor, incident, {"status": "open"}, version=3)
    assert incident.closed_at is None


# --- who sees which party --------------------------------------------------------------


def test_an_operator_sees_only_incidents_where_its_organisation_is_a_party(world: World) -> None:
    mine = open_incident(world, scope={"tlds": ["alpha"]})
    theirs = open_incident(world, scope={"tlds": ["bravo"]})
    Party.objects.update(notified_at=timezone.now())
    operator = viewer_for(world.users["operator"])
    assert list(services.visible_incidents(operator)) == [mine]
    with pytest.raises(NotFoundError):
        services.get_incident(operator, theirs.ref)


def test_an_operator_cannot_see_or_change_another_organisations_party(world: World) -> None:
    incident = open_incident(world)
    viewer, actor = who(world, "operator")
    other = party_of(incident, world.org_b)
    assert [p.organization for p in services.visible_parties(viewer, incident)] == [world.org_a]
    with pytest.raises(NotFoundError):
        services.get_party(viewer, incident, other.pk)
    with pytest.raises(NotFoundError):
        services.set_party_status(viewer, actor, other, "not_affected", version=other.version)
    assert party_of(incident, world.org_b).status == Party.NOT_CONTACTED


def test_an_operator_may_report_its_own_party_mitigated_but_not_set_center_statuses(
    world: World,
) -> None:
    incident = open_incident(world)
    viewer, actor = who(world, "operator")
    own = services.get_party(viewer, incident, party_of(incident, world.org_a).pk)
    with pytest.raises(Exception, match="center's to set"):
        services.set_party_status(viewer, actor, own, "unresponsive", version=own.version)
    services.set_party_status(viewer, actor, own, "mitigated", version=own.version, note="fixed")
    own.refresh_from_db()
    assert own.status == Party.MITIGATED
    assert own.acknowledged_at is not None
    assert own.mitigated_at is not None
    assert own.status_changed_by == "op_a"


def test_every_affected_party_done_sets_the_incidents_mitigated_at(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    for org, status in ((world.org_a, "mitigated"), (world.org_b, "not_affected")):
        party = party_of(incident, org)
        services.set_party_status(viewer, actor, party, status, version=party.version)
    incident.refresh_from_db()
    assert incident.mitigated_at is not None


def test_a_red_incident_is_seen_only_by_its_author_and_cannot_be_notified(world: World) -> None:
    incident = open_incident(world, tlp="RED")
    admin = viewer_for(world.users["admin"])
    with pytest.raises(NotFoundError):
        services.get_incident(admin, incident.ref)
    viewer, actor = who(world, "coordinator")
    assert services.get_incident(viewer, incident.ref) == incident
    with pytest.raises(InputError, match="RED"):
        services.notify_parties(viewer, actor, incident)
    assert not Message.objects.exists()
    assert incident.parties.filter(status=Party.NOTIFIED).count() == 0


def test_an_operators_replay_shows_its_own_party_and_not_the_others(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.add_note(viewer, actor, incident, "Bravo's NOC said <b>later</b>")
    for org in (world.org_a, world.org_b):
        party = party_of(incident, org)
        services.set_party_status(viewer, actor, party, "notified", version=party.version)
    operator = viewer_for(world.users["operator"])
    entries = services.replay(operator, incident)
    assert {e["party"] for e in entries} == {None, "alpha-registry"}
    assert not any("Bravo" in e["summary"] for e in entries)
    staff_entries = services.replay(viewer, incident)
    assert [e["kind"] for e in staff_entries] == ["created", "note", "party", "party"]


# --- notices and acknowledgements ------------------------------------------------------


def test_the_notice_carries_the_ref_the_ask_both_deadlines_and_a_threading_reply_address(
    world: World,
) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(time_zone="Africa/Nairobi")
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    result = services.notify_parties(viewer, actor, incident, message="Check your signer.")
    assert result["parties"] == 2
    assert result["messages"] == 2
    message = Message.objects.get(organization=world.org_a, kind="incident_notice")
    assert incident.ref in message.subject
    body = message.body
    for expected in (
        incident.ref,
        incident.title,
        "Broken delegation",
        "high",
        "Check your signer.",
        " UTC",
        "EAT",
        "Africa/Nairobi",
        f"incident+{incident.thread_token}@",
        outreach.ack_url(message.key),
    ):
        assert expected in body, expected
    assert message.notice.source_type == "incident"
    assert message.notice.source_id == str(incident.pk)
    incident.refresh_from_db()
    party = party_of(incident, world.org_a)
    assert (party.status, party.notified_at, incident.first_notified_at) == (
        Party.QUEUED,
        None,
        None,
    )
    delivery.accept(organization=world.org_a)
    incident.refresh_from_db()
    party = party_of(incident, world.org_a)
    assert party.status == Party.NOTIFIED
    assert party.notified_at == Message.objects.get(pk=message.pk).accepted_at
    assert incident.first_notified_at == party.notified_at
    assert incident.timeline.filter(kind="message").count() == 1


def test_a_notice_in_french_for_an_organisation_that_reads_french(world: World) -> None:
    Organization.objects.filter(pk=world.org_b.pk).update(languages=["fr"])
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.notify_parties(viewer, actor, incident)
    message = Message.objects.get(organization=world.org_b)
    assert message.language == "fr"
    assert "Ce que nous vous demandons" in message.body


def test_notifying_again_without_naming_parties_is_refused(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.notify_parties(viewer, actor, incident)
    with pytest.raises(InputError) as caught:
        services.notify_parties(viewer, actor, incident)
    assert caught.value.location.field == "party_ids"
    again = services.notify_parties(
        viewer, actor, incident, party_ids=[party_of(incident, world.org_a).pk]
    )
    assert again["parties"] == 1


def test_acknowledging_the_notice_by_its_link_marks_the_party_acknowledged(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.notify_parties(viewer, actor, incident)
    message = Message.objects.get(organization=world.org_a)
    outreach.acknowledge_by_link(message.key, outreach.ack_signature(message.key))
    party = party_of(incident, world.org_a)
    assert party.status == Party.ACKNOWLEDGED
    assert party.status_changed_via == "link"
    assert party.acknowledged_at is not None
    assert incident.timeline.filter(kind="ack", party=party).count() == 1
    assert party_of(incident, world.org_b).status == Party.QUEUED


def test_acknowledging_the_notice_in_the_portal_marks_the_party_acknowledged(
    world: World,
) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.notify_parties(viewer, actor, incident)
    message = Message.objects.get(organization=world.org_a)
    operator, op_actor = who(world, "operator")
    outreach.acknowledge_by_viewer(operator, op_actor, message.key, via="portal")
    party = party_of(incident, world.org_a)
    assert party.status == Party.ACKNOWLEDGED
    assert party.status_changed_by == "op_a"
    assert [m.key for m in services.party_messages(operator, party)] == [message.key]


def test_an_acknowledgement_does_not_move_a_mitigated_party_back(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    services.notify_parties(viewer, actor, incident)
    party = party_of(incident, world.org_a)
    services.set_party_status(viewer, actor, party, "mitigated", version=party.version)
    message = Message.objects.get(organization=world.org_a)
    outreach.acknowledge_by_link(message.key, outreach.ack_signature(message.key))
    assert party_of(incident, world.org_a).status == Party.MITIGATED
    assert not TimelineEntry.objects.filter(incident=incident, kind="ack").exists()


# --- tasks, attachments, links, filters ---------------------------------------------------


def test_a_task_is_completed_once_and_a_stale_version_is_a_conflict(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    task = services.add_task(viewer, actor, incident, title="Call .alpha", owner_username="coord1")
    services.complete_task(viewer, actor, task, version=1)
    assert task.done_at is not None
    with pytest.raises(ConflictError):
        services.complete_task(viewer, actor, task, version=1)
    with pytest.raises(InputError) as caught:
        services.add_task(viewer, actor, incident, title="x", owner_username="nobody")
    assert caught.value.location.field == "owner"


@override_settings(ATTACHMENT_MAX_BYTES=1024)
def test_an_attachment_above_the_limit_is_refused_naming_the_limit(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    with pytest.raises(InputError, match="1024 bytes"):
        services.add_attachment(viewer, actor, incident, filename="big.bin", content=b"x" * 1025)
    kept = services.add_attachment(
        viewer, actor, incident, filename="../../etc/evidence.txt", content=b"hello"
    )
    assert kept.filename == "evidence.txt"
    assert kept.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


def test_linking_an_incident_to_itself_or_twice_is_refused(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    one, two = open_incident(world), open_incident(world, title="two")
    services.link_incidents(viewer, actor, one, two.ref, relation="duplicate")
    with pytest.raises(ConflictError):
        services.link_incidents(viewer, actor, one, two.ref, relation="related")
    with pytest.raises(InputError):
        services.link_incidents(viewer, actor, one, one.ref, relation="related")
    assert two.timeline.filter(kind="link").count() == 1


def test_filters_round_trip_through_a_query_string_and_find_by_scope(world: World) -> None:
    from django.http import QueryDict

    filters = services.IncidentFilters(q="alpha", status=["new", "open"], mine=True)
    again = services.IncidentFilters.from_query(QueryDict(filters.to_query()))
    assert again == filters
    incident = open_incident(world)
    viewer = viewer_for(world.users["coordinator"])
    assert services.search_incidents(viewer, services.IncidentFilters(q=".bravo")) == [incident]
    assert services.search_incidents(viewer, services.IncidentFilters(status=["closed"])) == []
    with pytest.raises(InputError) as caught:
        services.IncidentFilters.from_query({"severity": "huge"})
    assert caught.value.location.field == "severity"


# --- review findings ---------------------------------------------------------------------


def _told(incident: Incident) -> Incident:
    Party.objects.filter(incident=incident).update(notified_at=timezone.now())
    return incident


def test_an_operators_search_ignores_the_centers_filters_and_never_matches_the_scope(
    world: World,
) -> None:
    incident = _told(open_incident(world, desk="AF", title="Lame delegation"))
    operator = viewer_for(world.users["operator"])
    # desk, mine and breached are the center's; an operator's list ignores them.
    found = services.search_incidents(operator, services.IncidentFilters(desk="EU", mine=True))
    assert found == [incident]
    # The scope names the other party (.bravo): no existence oracle through q.
    assert services.search_incidents(operator, services.IncidentFilters(q="bravo")) == []
    assert services.search_incidents(operator, services.IncidentFilters(q="Lame")) == [incident]
    staff = viewer_for(world.users["coordinator"])
    assert services.search_incidents(staff, services.IncidentFilters(q="bravo")) == [incident]


def test_an_organisation_sees_an_incident_only_once_its_party_is_notified(world: World) -> None:
    incident = open_incident(world)
    operator = viewer_for(world.users["operator"])
    with pytest.raises(NotFoundError):
        services.get_incident(operator, incident.ref)
    viewer, actor = who(world, "coordinator")
    party = party_of(incident, world.org_a)
    services.set_party_status(viewer, actor, party, Party.NOTIFIED, version=party.version)
    assert services.get_incident(operator, incident.ref) == incident
    outsider = viewer_for(world.users["outsider"])
    with pytest.raises(NotFoundError):  # bravo's party was not notified
        services.get_incident(outsider, incident.ref)


def test_an_operator_reads_its_own_note_but_never_a_coordinators(world: World) -> None:
    incident = _told(open_incident(world))
    viewer, actor = who(world, "coordinator")
    operator, op_actor = who(world, "operator")
    party = party_of(incident, world.org_a)
    services.set_party_status(
        viewer, actor, party, Party.NOTIFIED, version=party.version, note="slow, call Bob"
    )
    [seen] = services.visible_parties(operator, incident)
    assert seen.note == ""
    assert services.get_party(operator, incident, party.pk).note == ""
    assert services.visible_parties(viewer, incident)[0].note == "slow, call Bob"
    party.refresh_from_db()
    services.set_party_status(
        operator, op_actor, party, Party.ACKNOWLEDGED, version=party.version, note="on it"
    )
    [seen] = services.visible_parties(operator, incident)
    assert seen.note == "on it"
    party.refresh_from_db()
    # The operator's later change without a note does not reveal an older staff note.
    services.set_party_status(
        viewer, actor, party, Party.MITIGATING, version=party.version, note="internal"
    )
    party.refresh_from_db()
    services.set_party_status(operator, op_actor, party, Party.MITIGATED, version=party.version)
    assert services.visible_parties(operator, incident)[0].note == ""


def test_a_scope_change_keeps_a_party_a_coordinator_set_meanwhile(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = open_incident(world)
    viewer, actor = who(world, "coordinator")
    bravo = party_of(incident, world.org_b)
    original = Party.objects.bulk_create

    def concurrent(*args: Any, **kwargs: Any) -> Any:
        # Between the scope edit's read of the parties and its delete, another coordinator
        # records that Bravo is not affected (by phone).
        Party.objects.filter(pk=bravo.pk).update(status=Party.NOT_AFFECTED, version=2)
        return original(*args, **kwargs)

    monkeypatch.setattr(Party.objects, "bulk_create", concurrent)
    services.update_incident(viewer, actor, incident, {"scope": {"tlds": ["alpha"]}}, version=1)
    bravo.refresh_from_db()
    assert bravo.status == Party.NOT_AFFECTED


def test_adding_a_party_another_coordinator_just_added_is_a_conflict_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = open_incident(world, scope={"tlds": ["alpha"]})
    viewer, actor = who(world, "coordinator")
    original = Party.objects.create

    def racing(**kwargs: Any) -> Any:
        Party.objects.bulk_create([Party(**kwargs)])  # the other coordinator won
        return original(**kwargs)

    monkeypatch.setattr(Party.objects, "create", racing)
    with pytest.raises(ConflictError):
        services.add_party(viewer, actor, incident, world.csirt.slug, role="expert")


def test_linking_incidents_another_coordinator_just_linked_is_a_conflict_not_a_500(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dnscc.incidents.models import IncidentLink

    one, two = open_incident(world), open_incident(world, title="Second")
    viewer, actor = who(world, "coordinator")
    original = IncidentLink.objects.create

    def racing(**kwargs: Any) -> Any:
        IncidentLink.objects.bulk_create([IncidentLink(**kwargs)])
        return original(**kwargs)

    monkeypatch.setattr(IncidentLink.objects, "create", racing)
    with pytest.raises(ConflictError):
        services.link_incidents(viewer, actor, one, two.ref, relation="related")


def test_an_incident_without_an_author_cannot_be_made_red(world: World) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    Incident.objects.filter(pk=incident.pk).update(created_by=None)
    incident.refresh_from_db()
    with pytest.raises(InputError) as caught:
        services.update_incident(viewer, actor, incident, {"tlp": "RED"}, version=1)
    assert caught.value.location.field == "tlp"
    incident.refresh_from_db()
    assert incident.tlp == "AMBER"


@pytest.mark.parametrize("what", ["note", "task", "title", "q"])
def test_a_nul_character_is_refused_naming_the_field(world: World, what: str) -> None:
    viewer, actor = who(world, "coordinator")
    incident = open_incident(world)
    calls = {
        "note": lambda: services.add_note(viewer, actor, incident, "a\x00b"),
        "task": lambda: services.add_task(viewer, actor, incident, title="a\x00b"),
        "title": lambda: services.update_incident(
            viewer, actor, incident, {"title": "a\x00b"}, version=1
        ),
        "q": lambda: services.search_incidents(viewer, services.IncidentFilters(q="a\x00b")),
    }
    with pytest.raises(InputError) as caught:
        calls[what]()
    field = {"note": "text", "task": "title", "title": "title", "q": "q"}[what]
    errors = getattr(caught.value, "errors", [caught.value])
    assert [e.location.field for e in errors] == [field]


def test_notifying_a_party_by_hand_sets_the_incidents_first_notification(world: World) -> None:
    incident = open_incident(world)
    viewer, actor = who(world, "coordinator")
    party = party_of(incident, world.org_a)
    services.set_party_status(viewer, actor, party, Party.NOTIFIED, version=party.version)
    incident.refresh_from_db()
    party.refresh_from_db()
    assert incident.first_notified_at is not None
    assert incident.first_notified_at == party.notified_at


def test_a_scope_holds_ip_ranges_and_finds_the_name_servers_inside(world: World) -> None:
    incident = open_incident(
        world, scope={"ips": ["192.0.2.77/24"], "resolvers": ["2001:DB8:0::/32", "198.51.100.1"]}
    )
    assert incident.scope["ips"] == ["192.0.2.0/24"]
    assert incident.scope["resolvers"] == ["2001:db8::/32", "198.51.100.1"]
    parties = {p.organization_id: p.reason for p in incident.parties.all()}
    assert set(parties) == {world.org_a.pk, world.org_b.pk}  # 192.0.2.1 and 192.0.2.2
    assert "name server 192.0.2.1" in parties[world.org_a.pk]
    assert services.unknown_scope(incident) == ["2001:db8::/32", "198.51.100.1"]
    with pytest.raises(ValidationErrors) as caught:
        open_incident(world, scope={"ips": ["192.0.2.0/33"]})
    assert [e.location.field for e in caught.value.errors] == ["scope.ips[0]"]
