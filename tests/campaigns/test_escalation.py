"""Escalation of late slices: reminder through the outbox, duty desk, alternatives."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dnscc.campaigns.escalation import escalate, ladder
from dnscc.campaigns.models import Slice
from dnscc.directory.models import Contact
from dnscc.incidents.models import TimelineEntry
from dnscc.outreach.models import Message
from tests.campaigns.authz_rows import make_results_campaign
from tests.conftest import World


def _reminders(org_id: int) -> list[Message]:
    return list(Message.objects.filter(kind="campaign_reminder", organization_id=org_id))


def _escalations(campaign) -> list[TimelineEntry]:  # type: ignore[no-untyped-def]
    return list(TimelineEntry.objects.filter(incident=campaign.incident, kind="escalation"))


def test_the_ladder_is_read_from_its_profile() -> None:
    steps = ladder()
    assert steps.reminder <= steps.desk <= steps.alternatives
    assert steps.desk == dt.timedelta(hours=24)


def test_a_late_unacknowledged_slice_gets_one_reminder_through_the_outbox(world: World) -> None:
    campaign = make_results_campaign(world)
    Slice.objects.filter(organization=world.org_b).update(acknowledged_at=timezone.now())
    now = timezone.now()

    result = escalate(now)
    again = escalate(now)

    assert result["reminders"] == 1
    assert again["reminders"] == 0
    reminders = _reminders(world.org_a.pk)
    assert len(reminders) == 1
    assert reminders[0].address == "security@alpha.example"
    assert "Avalanche takedown" in reminders[0].body
    assert reminders[0].notice.source_type == "campaign_reminder"
    assert _reminders(world.org_b.pk) == []
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    assert slice_a.escalation_level == 1
    entries = _escalations(campaign)
    assert [e.data["level"] for e in entries] == [1]


def test_a_slice_not_yet_due_is_left_alone(world: World) -> None:
    make_results_campaign(world, deadline_hours=5)
    assert escalate(timezone.now())["reminders"] == 0
    assert Message.objects.filter(kind="campaign_reminder").count() == 0


def test_the_desk_takes_it_a_day_later_and_the_timeline_says_which_desk(world: World) -> None:
    campaign = make_results_campaign(world)
    deadline = Slice.objects.filter(campaign=campaign).first().deadline  # type: ignore[union-attr]
    escalate(deadline + dt.timedelta(minutes=1))
    early = escalate(deadline + dt.timedelta(hours=23))
    later = escalate(deadline + dt.timedelta(hours=25))

    assert early["desk"] == 0
    assert later["desk"] == 2
    desk_entries = [e for e in _escalations(campaign) if e.data["level"] == 2]
    by_org = {e.data["organization"]: e.data["desk"] for e in desk_entries}
    # The desks rota may send it to the desk on duty; without one, the region's own desk.
    assert set(by_org) == {"alpha-registry", "bravo-registry"}
    assert all(by_org.values())


def test_without_an_alternative_contact_the_timeline_says_so(world: World) -> None:
    campaign = make_results_campaign(world)
    deadline = Slice.objects.filter(campaign=campaign).first().deadline  # type: ignore[union-attr]
    for hours in (1, 25, 49):
        escalate(deadline + dt.timedelta(hours=hours))

    last = [e for e in _escalations(campaign) if e.data["level"] == 3]
    assert len(last) == 2
    assert all(e.data.get("none") for e in last)
    assert all("no alternative contact" in e.summary for e in last)
    assert set(
        Slice.objects.filter(campaign=campaign).values_list("escalation_level", flat=True)
    ) == {3}
    # Nothing climbs past the top rung.
    assert escalate(deadline + dt.timedelta(days=30))["checked"] == 0


def test_alternative_contacts_not_used_before_get_the_reminder(world: World) -> None:
    campaign = make_results_campaign(world)
    Slice.objects.filter(organization=world.org_b).update(acknowledged_at=timezone.now())
    deadline = Slice.objects.filter(campaign=campaign).first().deadline  # type: ignore[union-attr]
    escalate(deadline + dt.timedelta(hours=1))
    escalate(deadline + dt.timedelta(hours=25))
    Contact.objects.create(
        organization=world.org_a,
        name="Alpha NOC hook",
        webhook_url="https://noc.alpha.example/hook",
        phone="+254 20 000 000",
    )
    escalate(deadline + dt.timedelta(hours=49))

    hooks = Message.objects.filter(kind="campaign_reminder", channel=Message.WEBHOOK)
    assert [m.address for m in hooks] == ["https://noc.alpha.example/hook"]
    entry = next(e for e in _escalations(campaign) if e.data["level"] == 3)
    assert "+254 20 000 000" in entry.summary
    assert not entry.data.get("none")


def test_an_acknowledged_slice_is_never_escalated(world: World) -> None:
    campaign = make_results_campaign(world)
    Slice.objects.filter(campaign=campaign).update(
        acknowledged_at=timezone.now(), state=Slice.ACKNOWLEDGED
    )
    assert escalate(timezone.now() + dt.timedelta(days=5))["checked"] == 0
    assert _escalations(campaign) == []


def test_a_complete_but_unacknowledged_slice_is_still_escalated(world: World) -> None:
    # A pre-emptive block looks done in DNS whether or not the registry read its slice.
    campaign = make_results_campaign(world)
    Slice.objects.filter(campaign=campaign, organization=world.org_a).update(state=Slice.COMPLETE)
    Slice.objects.filter(organization=world.org_b).update(acknowledged_at=timezone.now())
    assert escalate(timezone.now())["reminders"] == 1
    assert len(_reminders(world.org_a.pk)) == 1
