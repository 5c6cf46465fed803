"""The exercise mark: what an exercise causes is marked, kept out of live lists unless asked
for, says EXERCISE in every message, and reaches only contacts who opted in to exercises
(the others' messages are recorded as "would have sent" and never sent)."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pytest

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.campaigns import services as campaigns
from dnscc.campaigns.models import Slice
from dnscc.core.errors import InputError
from dnscc.core.exercise_mark import SUBJECT_PREFIX, mark_body, ref_of, wants_exercises
from dnscc.directory.models import Contact
from dnscc.incidents import intake, services
from dnscc.incidents.models import Incident, Party, Report
from dnscc.monitoring import services as monitoring
from dnscc.monitoring.models import Alert
from dnscc.outreach import services as outreach
from dnscc.outreach import tracking
from dnscc.outreach.models import Message
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from dnscc.web import console
from tests.conftest import World

EXERCISE = 7


def _coordinator(world: World) -> tuple[Any, audit.Actor, Any]:
    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user), user


def _incident(world: World, *, exercise: int | None) -> Incident:
    viewer, actor, user = _coordinator(world)
    return services.create_incident(
        viewer,
        actor,
        {
            "title": "Conficker C names at .alpha and .bravo",
            "dns_type": "dga-botnet",
            "impact": "high",
            "urgency": "high",
            "scope": {"tlds": [".alpha", ".bravo"]},
        },
        user=user,
        exercise=exercise,
    )


def test_the_mark_text_is_added_once_and_names_the_exercise() -> None:
    assert ref_of(7) == "EX-0007"
    body = mark_body("Hello", 7)
    assert body.count("EX-0007") == 2
    assert mark_body(body, 7) == body
    assert wants_exercises({"exercises": "1"})
    assert wants_exercises({"exercises": ["0", "true"]})
    assert not wants_exercises({"exercises": "0"})
    assert not wants_exercises({})


def test_an_exercise_notice_reaches_only_opted_in_contacts_marked_exercise(
    world: World, outbox: SmtpSink
) -> None:
    Contact.objects.filter(pk=world.contact_a.pk).update(exercise_opt_in=True)
    incident = _incident(world, exercise=EXERCISE)
    viewer, actor, user = _coordinator(world)
    result = services.notify_parties(viewer, actor, incident, user=user)
    assert result["simulated"] == ["bravo-registry"]
    assert result["simulated_messages"] == 1
    sent = Message.objects.get(organization=world.org_a)
    simulated = Message.objects.get(organization=world.org_b)
    assert sent.exercise == EXERCISE
    assert simulated.exercise == EXERCISE
    assert simulated.state == Message.SIMULATED
    assert simulated.next_attempt_at is None
    for message in (sent, simulated):
        assert message.subject.startswith(SUBJECT_PREFIX)
        assert message.body.count("EXERCISE - EXERCISE") == 4  # a banner above and below
        assert "EX-0007" in message.body
    stats = drain()
    assert stats.accepted == 1
    # Only the opted-in contact's mail crossed the wire, and it says EXERCISE.
    assert outbox.received.total == 1
    assert outbox.received.messages[0]["rcpt_tos"] == ["security@alpha.example"]
    assert b"[EXERCISE]" in outbox.received.messages[0]["data"]
    simulated.refresh_from_db()
    assert simulated.state == Message.SIMULATED  # never claimed by a sender
    statuses = {p.organization.slug: p for p in incident.parties.select_related("organization")}
    assert statuses["alpha-registry"].status == Party.NOTIFIED
    assert statuses["bravo-registry"].status == Party.SIMULATED
    assert statuses["bravo-registry"].notified_at is not None
    entry = incident.timeline.filter(kind="party", party__organization=world.org_b).last()
    assert entry is not None
    assert "would have sent" in entry.summary
    delivered = tracking.by_organization(source_type="incident", source_ids=[incident.pk])
    assert delivered[(str(incident.pk), world.org_b.pk)].outcome == tracking.SIMULATED
    # The recipient organisation never sees the message it was never sent.
    operator_b = viewer_for(world.users["outsider"])
    assert not outreach.visible_messages(operator_b).exists()


def test_a_live_notice_is_not_marked_and_ignores_the_opt_in(world: World, outbox: SmtpSink) -> None:
    incident = _incident(world, exercise=None)
    viewer, actor, user = _coordinator(world)
    result = services.notify_parties(viewer, actor, incident, user=user)
    assert "simulated" not in result
    assert drain().accepted == 2
    for message in Message.objects.all():
        assert message.exercise is None
        assert not message.subject.startswith(SUBJECT_PREFIX)
        assert "EXERCISE" not in message.body


def test_exercise_incidents_reports_campaigns_and_alerts_are_absent_from_live_lists(
    world: World,
) -> None:
    viewer, actor, user = _coordinator(world)
    live = _incident(world, exercise=None)
    drill = _incident(world, exercise=EXERCISE)
    listed = services.search_incidents(viewer, services.IncidentFilters())
    assert [i.ref for i in listed] == [live.ref]
    both = services.search_incidents(viewer, services.IncidentFilters(exercises=True))
    assert {i.ref for i in both} == {live.ref, drill.ref}
    # The API, the page and the CLI's filters read the same switch.
    api = world.api("coordinator")
    refs = [i["ref"] for i in api.get("/api/v1/incidents/").json()]
    assert refs == [live.ref]
    rows = api.get("/api/v1/incidents/?exercises=true").json()
    assert {i["ref"]: i["exercise"] for i in rows} == {live.ref: None, drill.ref: "EX-0007"}
    page = world.client("coordinator").get("/incidents/").content.decode()
    assert live.ref in page
    assert drill.ref not in page
    page = world.client("coordinator").get("/incidents/?exercises=1").content.decode()
    assert drill.ref in page
    assert 'class="badge exercise"' in page
    # A campaign of an exercise's incident is the exercise's.
    campaign = campaigns.create_campaign(
        viewer,
        actor,
        incident_ref=drill.ref,
        title="Drill campaign",
        due_date=date(2030, 1, 1),
        user=user,
    )
    assert campaign.exercise == EXERCISE
    assert list(campaigns.listed_campaigns(viewer)) == []
    assert list(campaigns.listed_campaigns(viewer, exercises=True)) == [campaign]
    assert api.get("/api/v1/campaigns/").json() == []
    assert [c["exercise"] for c in api.get("/api/v1/campaigns/?exercises=true").json()] == [
        "EX-0007"
    ]
    # An injected monitoring alert is marked, opens a marked report, and that report opens
    # a marked incident; none of it is in the live lists.
    alert = monitoring.report_finding(
        zone="alpha",
        code="DNSSEC_FAILURE",
        severity="critical",
        message="exercise inject",
        title="DNSSEC failure at .alpha (exercise)",
        exercise=EXERCISE,
    )
    assert alert is not None
    assert alert.exercise == EXERCISE
    assert alert.finding.exercise == EXERCISE
    assert api.get("/api/v1/monitoring/alerts").json() == []
    assert [a["id"] for a in api.get("/api/v1/monitoring/alerts?exercises=true").json()] == [
        alert.pk
    ]
    assert alert.state == Alert.OPEN
    lines = " ".join(line.url + line.text for line in console.console(viewer)["lines"])
    assert "(exercise)" not in lines  # the injected alert's title
    assert console.nav_counts(viewer)["alerts"] == 0
    report = intake.report_for_alert(alert)
    assert report.exercise == EXERCISE
    assert report.state == Report.NEW
    assert console.nav_counts(viewer)["reports"] == 0
    assert intake.search_reports(viewer, state="open") == []
    assert intake.search_reports(viewer, state="open", exercises=True) == [report]
    opened = intake.open_report(viewer, actor, report, user=user)
    assert opened.exercise == EXERCISE
    # The duty console and the navigation's counts are live work only.
    lines = " ".join(line.url + line.text for line in console.console(viewer)["lines"])
    assert drill.ref not in lines
    assert opened.ref not in lines


def test_an_exercise_report_never_joins_a_live_incident(world: World) -> None:
    viewer, actor, user = _coordinator(world)
    live = _incident(world, exercise=None)
    report = intake.submit_report(
        viewer,
        actor,
        {"title": "Synthetic report", "description": "inject", "dns_type": "dga-botnet"},
        user=user,
        exercise=EXERCISE,
    )
    with pytest.raises(InputError, match="different worlds"):
        intake.merge_report(viewer, actor, report, live.ref)
    with pytest.raises(InputError, match=r"live and exercise EX-0007|exercise EX-0007 and live"):
        intake.link_report(viewer, actor, report, live.ref)
    report.refresh_from_db()
    assert report.state == "new"  # nothing half-done


def test_an_exercise_slice_to_a_registry_not_opted_in_is_simulated(
    world: World, outbox: SmtpSink
) -> None:
    viewer, actor, _user = _coordinator(world)
    drill = _incident(world, exercise=EXERCISE)
    campaign = campaigns.create_campaign(
        viewer, actor, incident_ref=drill.ref, title="Drill", due_date=date(2030, 1, 1)
    )
    campaigns.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(b"evil-1.alpha\nevil-2.bravo\n"),
        filename="names.txt",
        action="block",
        legal_basis="court_order",
        legal_reference="EX order 1",
    )
    Contact.objects.filter(pk=world.contact_a.pk).update(exercise_opt_in=True)
    result = campaigns.deliver(viewer, actor, campaign)
    assert result["slices"] == 2
    states = {s.organization.slug: s.state for s in Slice.objects.select_related("organization")}
    assert states == {"alpha-registry": Slice.QUEUED, "bravo-registry": Slice.SIMULATED}
    drain()
    states = {s.organization.slug: s.state for s in Slice.objects.select_related("organization")}
    assert states == {"alpha-registry": Slice.DELIVERED, "bravo-registry": Slice.SIMULATED}
    assert outbox.received.total == 1


def test_contacts_opt_in_through_the_import_and_an_import_without_the_column_keeps_it(
    world: World,
) -> None:
    from dnscc.directory.contacts_import import import_contacts

    data = json.dumps(
        [
            {
                "organization": "alpha-registry",
                "name": "Alpha security",
                "email": "security@alpha.example",
                "exercise_opt_in": "true",
            }
        ]
    )
    report = import_contacts(data, source="c.json")
    assert not report.errors
    world.contact_a.refresh_from_db()
    assert world.contact_a.exercise_opt_in is True
    data = json.dumps(
        [{"organization": "alpha-registry", "name": "Alpha sec", "email": "security@alpha.example"}]
    )
    assert not import_contacts(data, source="c.json").errors
    world.contact_a.refresh_from_db()
    assert world.contact_a.exercise_opt_in is True
