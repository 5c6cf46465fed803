"""SLAs: deadlines from the profile, breaches recorded once, the escalation ladder, figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.core.errors import InputError
from dnscc.core.tlp import Role, Viewer
from dnscc.incidents import desks, services, sla
from dnscc.incidents.models import Incident, Party, SlaBreach, TimelineEntry
from dnscc.outreach import services as outreach
from dnscc.outreach.models import Message
from tests import delivery
from tests.conftest import World

STAFF = Viewer(user_id=0, role=Role.COORDINATOR)
ACTOR = audit.Actor("test")


def _incident(severity: str = "critical", **fields: Any) -> Incident:
    now = timezone.now()
    values: dict[str, Any] = {
        "ref": "DNSCC-2026-0101",
        "title": "Alpha lame delegation",
        "severity": severity,
        "status": Incident.OPEN,
        "created_at": now,
        "triaged_at": now,
        "desk": "AF",
        **fields,
    }
    return Incident.objects.create(**values)


def _notified(world: World, incident: Incident) -> Party:
    """org_a notified through the real notice path; returns the party as notified."""
    party = Party.objects.create(incident=incident, organization=world.org_a, source=Party.MANUAL)
    services.notify_parties(STAFF, ACTOR, incident, party_ids=[party.pk])
    party.refresh_from_db()
    assert party.status == Party.QUEUED  # notified only once the relay accepts it
    assert delivery.accept(organization=world.org_a) == 1
    party.refresh_from_db()
    assert party.status == Party.NOTIFIED
    assert party.notified_at
    return party


def _reminders(world: World) -> list[Message]:
    return list(Message.objects.filter(kind="incident_reminder", organization=world.org_a))


def _ack_breach(party: Party) -> SlaBreach:
    return SlaBreach.objects.get(party=party, kind=SlaBreach.ACKNOWLEDGE)


def test_a_silent_party_is_reminded_then_escalated_to_the_desk_then_the_lead_then_unresponsive(
    world: World,
) -> None:
    desks.ensure_desks()
    # AF around the clock: the duty desk escalation stays with it whatever the time of day.
    desks.set_desk(ACTOR, "AF", start_hour=0, hours=24, lead="coord1")
    world.users["coordinator"].email = "lead@center.example"
    world.users["coordinator"].save()
    party = _notified(world, _incident())
    assert party.notified_at is not None
    due = party.notified_at + timedelta(hours=4)  # critical: acknowledge within 4 h
    assert sla.party_deadline(party) == due

    assert sla.check(due - timedelta(minutes=1))["breaches"] == 0
    assert not SlaBreach.objects.filter(party=party).exists()

    counts = sla.check(due + timedelta(minutes=1))
    assert counts["reminders"] == 1
    breach = _ack_breach(party)
    assert breach.level == 1
    assert breach.due_at == due
    [reminder] = _reminders(world)
    assert reminder.address == "security@alpha.example"
    assert "DNSCC-2026-0101" in reminder.subject
    assert reminder.notice is not None
    assert (reminder.notice.source_type, reminder.notice.source_id) == (
        "incident",
        str(party.incident_id),
    )

    sla.check(due + timedelta(minutes=61))
    breach.refresh_from_db()
    assert breach.level == 2
    assert TimelineEntry.objects.filter(
        incident=party.incident, kind="escalation", summary__contains="AF duty desk"
    ).exists()

    sla.check(due + timedelta(hours=4, minutes=1))
    breach.refresh_from_db()
    assert breach.level == 3
    assert TimelineEntry.objects.filter(
        incident=party.incident, kind="escalation", summary__contains="coord1"
    ).exists()
    assert AuditEvent.objects.filter(action="incident.sla_escalated").count() == 1
    [to_lead] = Message.objects.filter(kind="sla_escalation")
    assert to_lead.address == "lead@center.example"
    assert "DNSCC-2026-0101" in to_lead.subject
    assert "Alpha" in to_lead.subject
    assert "/incidents/DNSCC-2026-0101/" in to_lead.body
    assert "Alpha lame delegation" not in to_lead.body  # details stay behind the link
    party.refresh_from_db()
    assert party.escalation_level == 3
    assert party.status == Party.NOTIFIED

    counts = sla.check(due + timedelta(hours=24, minutes=1))
    assert counts["unresponsive"] == 1
    party.refresh_from_db()
    assert party.status == Party.UNRESPONSIVE
    assert len(_reminders(world)) == 1  # one reminder in all
    # One lead mail per breach: this party's acknowledgement, and by now the incident's
    # mitigation (critical: 24 h).
    subjects = sorted(
        Message.objects.filter(kind="sla_escalation").values_list("subject", flat=True)
    )
    assert [s.rpartition("0101 ")[2] for s in subjects] == [
        "Time to acknowledgement for Alpha Registry",
        "Time to mitigation",
    ]


def _climb_to_lead(world: World, incident: Incident) -> Party:
    """A party notified 5 h before the check (critical: 4 h to acknowledge), checked until
    its breach reaches the lead (level 3)."""
    notified = timezone.now() - timedelta(hours=5)
    party = Party.objects.create(
        incident=incident,
        organization=world.org_a,
        source=Party.MANUAL,
        status=Party.NOTIFIED,
        notified_at=notified,
    )
    due = notified + timedelta(hours=4)
    for later in (1, 61, 4 * 60 + 1):
        sla.check(due + timedelta(minutes=later))
    assert _ack_breach(party).level == 3
    return party


def test_the_lead_mail_of_a_red_incident_names_neither_party_nor_title(world: World) -> None:
    desks.ensure_desks()
    desks.set_desk(ACTOR, "AF", start_hour=0, hours=24, lead="coord1")
    world.users["coordinator"].email = "lead@center.example"
    world.users["coordinator"].save()
    party = _climb_to_lead(world, _incident(tlp="RED"))
    [to_lead] = Message.objects.filter(kind="sla_escalation")
    text = to_lead.subject + to_lead.body
    assert "DNSCC-2026-0101" in text
    assert "acknowledge" in text.lower()
    assert str(world.org_a) not in text
    assert "Alpha lame delegation" not in text
    assert TimelineEntry.objects.filter(
        incident=party.incident, kind="escalation", summary__endswith="(mailed)"
    ).exists()


def test_a_lead_without_an_address_is_escalated_to_on_the_timeline_only(world: World) -> None:
    desks.ensure_desks()
    desks.set_desk(ACTOR, "AF", start_hour=0, hours=24, lead="coord1")
    assert not world.users["coordinator"].email
    party = _climb_to_lead(world, _incident())
    assert not Message.objects.filter(kind="sla_escalation").exists()
    entry = TimelineEntry.objects.get(incident=party.incident, summary__contains="coordinator lead")
    assert "coord1" in entry.summary
    assert "(mailed)" not in entry.summary
    assert entry.data["mailed"] is False


def test_running_the_check_again_never_duplicates_breaches_or_reminders(world: World) -> None:
    party = _notified(world, _incident())
    assert party.notified_at is not None
    later = party.notified_at + timedelta(hours=5)
    first = sla.check(later)
    second = sla.check(later)
    third = sla.check(later + timedelta(seconds=1))
    assert first["breaches"] >= 1
    assert second["breaches"] == third["breaches"] == 0
    assert second["reminders"] == third["reminders"] == 0
    assert SlaBreach.objects.filter(party=party).count() == 1
    assert len(_reminders(world)) == 1
    events = TimelineEntry.objects.filter(incident=party.incident, kind__in=["sla", "escalation"])
    assert events.count() == len({(e.kind, e.summary) for e in events})


def test_a_step_another_scheduler_took_is_not_done_again(world: World) -> None:
    party = _notified(world, _incident())
    assert party.notified_at is not None
    due = party.notified_at + timedelta(hours=4)
    sla.check(due + timedelta(minutes=1))
    # Another machine climbed to the desk level meanwhile: this one must not repeat it.
    SlaBreach.objects.filter(party=party).update(level=2)
    sla.check(due + timedelta(minutes=61))
    assert not TimelineEntry.objects.filter(incident=party.incident, kind="escalation").exists()


def test_an_acknowledgement_after_the_breach_resolves_it(world: World) -> None:
    party = _notified(world, _incident())
    assert party.notified_at is not None
    sla.check(party.notified_at + timedelta(hours=5))
    breach = _ack_breach(party)
    assert breach.resolved_at is None
    [reminder] = _reminders(world)
    # The recipient answers the reminder: its party is acknowledged, the breach resolves.
    outreach.acknowledge_by_link(reminder.key, outreach.ack_signature(reminder.key))
    party.refresh_from_db()
    assert party.status == Party.ACKNOWLEDGED
    assert sla.check(party.notified_at + timedelta(hours=6))["resolved"] >= 1
    breach.refresh_from_db()
    assert breach.resolved_at == party.acknowledged_at
    assert sla.party_deadline(party) is None
    assert sla.check(party.notified_at + timedelta(hours=30))["unresponsive"] == 0
    party.refresh_from_db()
    assert party.status == Party.ACKNOWLEDGED


def test_the_reminder_gives_the_deadline_in_the_partys_own_time_zone(world: World) -> None:
    world.org_a.time_zone = "Africa/Nairobi"
    world.org_a.save()
    party = _notified(world, _incident())
    assert party.notified_at is not None
    sla.check(party.notified_at + timedelta(hours=5))
    [reminder] = _reminders(world)
    due = sla.format_deadline(party.notified_at + timedelta(hours=4), "Africa/Nairobi")
    assert due["utc"] in reminder.body
    assert due["local"] in reminder.body
    assert "EAT" in due["local"]


def test_incident_deadlines_count_from_creation_and_triage(world: World) -> None:
    created = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    incident = _incident("high", created_at=created, triaged_at=None, status=Incident.NEW)
    assert sla.deadlines(incident) == {
        "triage": created + timedelta(hours=1),
        "notify": created + timedelta(hours=4),
        "mitigate": None,  # counted from triage
    }
    incident.triaged_at = created + timedelta(minutes=30)
    assert sla.deadlines(incident)["triage"] is None
    assert sla.deadlines(incident)["mitigate"] == incident.triaged_at + timedelta(hours=72)
    incident.status = Incident.CLOSED
    assert set(sla.deadlines(incident).values()) == {None}


def test_a_late_triage_is_one_breach_resolved_when_it_is_triaged(world: World) -> None:
    created = timezone.now() - timedelta(hours=2)
    incident = _incident("critical", created_at=created, triaged_at=None, status=Incident.NEW)
    sla.check()
    sla.check()
    breach = SlaBreach.objects.get(incident=incident, kind=SlaBreach.TRIAGE)
    assert breach.party is None
    assert breach.level >= 2
    Incident.objects.filter(pk=incident.pk).update(triaged_at=created + timedelta(hours=1))
    sla.check()
    breach.refresh_from_db()
    assert breach.resolved_at == created + timedelta(hours=1)


def test_figures_give_seconds_targets_and_whether_each_was_met(world: World) -> None:
    party = _notified(world, _incident("critical"))
    assert party.notified_at is not None
    Party.objects.filter(pk=party.pk).update(
        acknowledged_at=party.notified_at + timedelta(hours=5), status=Party.ACKNOWLEDGED
    )
    incident = Incident.objects.get(pk=party.incident_id)
    result = sla.figures(incident, now=party.notified_at + timedelta(hours=6))
    [row] = result["parties"]
    assert row["acknowledge"]["seconds"] == 5 * 3600
    assert row["acknowledge"]["human"] == "5 h"
    assert row["acknowledge"]["target_human"] == "4 h"
    assert row["acknowledge"]["state"] == "breached"
    assert row["notify"]["state"] == "met"
    assert row["mitigate"]["state"] == "pending"
    assert result["triage"]["state"] == "met"
    assert result["medians"]["acknowledge"] == {"seconds": 5 * 3600, "human": "5 h", "count": 1}


def test_deadlines_are_shown_in_utc_and_in_the_partys_zone() -> None:
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert sla.format_deadline(at, "Africa/Nairobi") == {
        "utc": "2026-03-02 08:00 UTC",
        "local": "2026-03-02 11:00 EAT",
        "tz": "Africa/Nairobi",
        "iso": "2026-03-02T08:00:00+00:00",
    }
    assert sla.format_deadline(at, "")["local"] == "2026-03-02 08:00 UTC"
    assert sla.format_deadline(at, "Not/AZone")["tz"] == "UTC"
    assert sla.human(45) == "45 s"
    assert sla.human(90061) == "1 d 1 h"
    assert sla.human(None) == "—"


def test_an_sla_profile_file_changes_only_what_it_names(tmp_path: Path) -> None:
    path = tmp_path / "sla.toml"
    path.write_text("[targets.critical]\ntriage = 15\n[escalation]\ndesk = 30\n")
    profile = sla.load_profile(str(path))
    assert profile.target("critical", "triage") == timedelta(minutes=15)
    assert profile.target("critical", "notify") == timedelta(hours=1)
    assert profile.ladder["desk"] == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[targets.critical]\ntriage = -5\n", "targets.critical.triage"),
        ("[targets.urgent]\ntriage = 5\n", "targets.urgent"),
        ('[targets.high]\ntriage = "soon"\n', "targets.high.triage"),
        ("[escalation]\nlead = 10\n", "escalation.lead"),
    ],
)
def test_a_bad_sla_profile_is_refused_naming_the_field(
    tmp_path: Path, text: str, field: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        sla.load_profile(str(path))
    assert caught.value.location.field == field


def test_a_breach_of_a_red_incident_does_not_name_its_party(world: World) -> None:
    incident = _incident(tlp="RED")
    party = Party.objects.create(
        incident=incident, organization=world.org_a, source=Party.MANUAL, status=Party.NOTIFIED
    )
    now = timezone.now()
    breach = SlaBreach.objects.create(
        incident=incident, party=party, kind=SlaBreach.ACKNOWLEDGE, due_at=now, breached_at=now
    )
    row = sla.breach_row(breach)
    assert row["title"] == "[TLP:RED]"
    assert row["party"] == "[TLP:RED]"
    assert "alpha" not in row["organization"].lower()


def test_the_duty_desk_step_goes_to_the_desk_on_duty_when_the_owning_desk_sleeps(
    world: World,
) -> None:
    desks.ensure_desks()  # AF works 04-09 UTC, EU 09-14 UTC
    incident = _incident(desk="AF")
    now = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    breach = SlaBreach.objects.create(
        incident=incident, kind=SlaBreach.TRIAGE, due_at=now, breached_at=now, level=2
    )
    sla._step(breach, 2, now, ACTOR)
    entry = TimelineEntry.objects.get(incident=incident, kind="escalation")
    assert "EU duty desk" in entry.summary
    assert "AF is off shift" in entry.summary
    assert entry.data["routed_to"] == "EU"
