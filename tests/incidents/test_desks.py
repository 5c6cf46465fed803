"""Duty desks: the follow-the-sun rota, handovers at shift change, their acknowledgement."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.cli import main
from dnscc.core.errors import ConflictError, InputError, PermissionDenied
from dnscc.incidents import desks
from dnscc.incidents.models import Desk, Handover, Incident, Party, SlaBreach, TimelineEntry
from tests.conftest import World


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 3, 2, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "region"),
    [
        (at(3, 59, 59), "AP"),
        (at(4), "AF"),  # the start is inclusive
        (at(8, 59, 59), "AF"),
        (at(9), "EU"),
        (at(14), "LAC"),
        (at(18), "NA"),
        (at(21, 59, 59), "NA"),
        (at(22), "AP"),
        (at(0, 30), "AP"),  # a shift across midnight
    ],
)
def test_the_default_rota_follows_the_sun_exactly_at_its_boundaries(
    db: None, moment: datetime, region: str
) -> None:
    desks.ensure_desks()
    assert desks.on_duty(moment) == region


def test_no_desk_is_on_duty_before_a_rota_exists(db: None) -> None:
    Desk.objects.all().delete()  # the migration creates the default rota
    assert desks.on_duty(at(12)) == ""
    assert desks.shift_change(at(12)) is None


def test_the_default_rota_covers_the_day_once_and_is_created_once(db: None) -> None:
    assert len(desks.ensure_desks()) == 5
    assert len(desks.ensure_desks()) == 5
    assert desks.rota_problems() == []


def test_work_about_a_sleeping_region_goes_to_the_desk_on_duty(db: None) -> None:
    desks.ensure_desks()
    assert desks.desk_for_region("AF", at(3)) == "AP"
    assert desks.desk_for_region("AF", at(5)) == "AF"
    assert desks.next_change(at(3)) == ("AF", at(4))


def test_a_desk_shift_can_be_changed_and_a_bad_hour_is_refused(db: None) -> None:
    desks.ensure_desks()
    desks.set_desk(audit.SYSTEM, "eu", start_hour=8, hours=6)
    assert desks.on_duty(at(8)) == "EU"
    assert any("covered by" in p for p in desks.rota_problems())
    with pytest.raises(InputError) as caught:
        desks.set_desk(audit.SYSTEM, "EU", start_hour=24, hours=6)
    assert caught.value.location.field == "start"
    with pytest.raises(InputError) as caught:
        desks.set_desk(audit.SYSTEM, "XX", start_hour=1, hours=6)
    assert caught.value.location.field == "region"


def _breached_party(world: World) -> tuple[Incident, Party]:
    now = timezone.now()
    incident = Incident.objects.create(
        ref="DNSCC-2026-0201",
        title="Bravo <script>alert(1)</script> outage",
        severity="high",
        status=Incident.OPEN,
        created_at=now - timedelta(days=1),
        triaged_at=now - timedelta(days=1),
        first_notified_at=now - timedelta(days=1),
        desk="AF",
        owner=world.users["coordinator"],
    )
    party = Party.objects.create(
        incident=incident,
        organization=world.org_b,
        source=Party.MANUAL,
        status=Party.NOTIFIED,
        notified_at=now - timedelta(hours=13),  # high: acknowledge within 12 h
    )
    SlaBreach.objects.create(
        incident=incident,
        party=party,
        kind=SlaBreach.ACKNOWLEDGE,
        due_at=now - timedelta(hours=1),
        breached_at=now - timedelta(hours=1),
        level=2,
    )
    return incident, party


def _handover(world: World) -> tuple[Incident, Handover]:
    desks.ensure_desks()
    incident, _party = _breached_party(world)
    today = timezone.now().replace(hour=4, minute=5, second=0, microsecond=0)
    handover = desks.shift_change(today)
    assert handover is not None
    return incident, handover


def test_a_shift_change_writes_one_handover_listing_breaches_and_open_incidents(
    world: World,
) -> None:
    incident, handover = _handover(world)
    assert (handover.from_desk, handover.to_desk) == ("AP", "AF")
    assert handover.shift_start.hour == 4
    assert handover.shift_start.minute == 0
    note = handover.note
    assert [i["ref"] for i in note["incidents"]] == [incident.ref]
    assert note["incidents"][0]["owner"] == "coord1"
    [breach] = note["breaches"]
    assert (breach["incident"], breach["party"], breach["kind"], breach["level"]) == (
        incident.ref,
        "Bravo Registry",
        "acknowledge",
        2,
    )
    # Any later run in the same shift, or a second scheduler: no second row.
    assert desks.shift_change(handover.shift_start + timedelta(minutes=30)) is None
    assert Handover.objects.count() == 1


def test_the_handover_lists_what_falls_due_in_the_coming_shift(world: World) -> None:
    desks.ensure_desks()
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    incident = Incident.objects.create(
        ref="DNSCC-2026-0202",
        title="Fresh incident",
        severity="critical",
        created_at=start - timedelta(minutes=10),
    )
    handover = desks.shift_change(start + timedelta(minutes=1))
    assert handover is not None
    assert handover.to_desk == "EU"
    whats = {(d["incident"], d["what"]) for d in handover.note["due_next"]}
    assert (incident.ref, "triage deadline") in whats
    assert (incident.ref, "notify deadline") in whats


def test_only_a_coordinator_of_the_incoming_desk_may_acknowledge_the_handover(
    world: World,
) -> None:
    incident, handover = _handover(world)
    admin = world.users["admin"]  # staff, but staffs no desk
    with pytest.raises(PermissionDenied):
        desks.acknowledge_handover(viewer_for(admin), audit.Actor.of(admin), handover)
    coordinator = world.users["coordinator"]  # desk AF
    done = desks.acknowledge_handover(
        viewer_for(coordinator), audit.Actor.of(coordinator), handover
    )
    assert done.acknowledged_by == "coord1"
    assert done.acknowledged_at
    assert TimelineEntry.objects.filter(incident=incident, kind="handover").count() == 1
    with pytest.raises(ConflictError):
        desks.acknowledge_handover(viewer_for(coordinator), audit.Actor.of(coordinator), done)


def test_the_desk_page_shows_the_rota_and_breaches_escaped(world: World) -> None:
    _incident, handover = _handover(world)
    page = world.client("coordinator").get("/incidents/desks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "04:00-09:00 UTC" in text
    assert "Bravo Registry" in text
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text
    page = world.client("coordinator").get(f"/incidents/handovers/{handover.pk}/")
    assert b"Acknowledge: the AF desk takes over" in page.content
    page = world.client("admin").get(f"/incidents/handovers/{handover.pk}/")
    assert b"Acknowledge: the AF desk takes over" not in page.content


def test_the_portal_and_api_acknowledge_only_for_the_incoming_desk(world: World) -> None:
    _incident, handover = _handover(world)
    url = f"/api/v1/desks/handovers/{handover.pk}/acknowledge"
    refused = world.api("admin").post(url)
    assert refused.status_code == 403
    assert "AF desk" in refused.json()["detail"]
    assert (
        world.client("admin").post(f"/incidents/handovers/{handover.pk}/acknowledge").status_code
        == 403
    )
    done = world.api("coordinator").post(url)
    assert done.status_code == 200
    assert done.json()["acknowledged_by"] == "coord1"
    assert world.api("coordinator").post(url).status_code == 409


def test_the_api_lists_open_breaches_per_desk(world: World) -> None:
    _breached_party(world)
    rows = world.api("coordinator").get("/api/v1/desks/breaches?desk=AF").json()
    assert [r["party"] for r in rows] == ["Bravo Registry"]
    assert rows[0]["due"]["tz"] == "UTC"
    assert world.api("coordinator").get("/api/v1/desks/breaches?desk=EU").json() == []
    status = world.api("coordinator").get("/api/v1/desks/").json()
    assert {d["region"] for d in status["desks"]} == {"AF", "AP", "EU", "LAC", "NA"}


def test_the_cli_checks_slas_and_refuses_a_bad_time(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    _breached_party(world)
    assert main(["desk", "sla-check", "--now", "yesterday"]) == 65
    assert "field 'now'" in capsys.readouterr().err
    assert main(["desk", "sla-check"]) == 0
    assert '"breaches"' in capsys.readouterr().out
    assert main(["desk", "status"]) == 0
    assert "AF" in capsys.readouterr().out
    assert main(["desk", "set", "NA", "--start", "18", "--hours", "30"]) == 65


def test_the_default_rota_is_there_from_the_migration_and_looking_creates_nothing(
    world: World,
) -> None:
    assert sorted(Desk.objects.values_list("region", flat=True)) == [
        "AF",
        "AP",
        "EU",
        "LAC",
        "NA",
    ]
    Desk.objects.all().delete()
    assert world.client("coordinator").get("/incidents/desks/").status_code == 200
    assert world.api("coordinator").get("/api/v1/desks/").status_code == 200
    assert not Desk.objects.exists()  # a GET changes no state


def test_the_handover_masks_red_tasks_and_parties_and_gives_party_deadlines_in_their_zone(
    world: World,
) -> None:
    from dnscc.incidents.models import Task

    desks.ensure_desks()
    start = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    world.org_b.time_zone = "Asia/Tokyo"
    world.org_b.save()
    for ref, tlp in (("DNSCC-2026-0301", "RED"), ("DNSCC-2026-0302", "AMBER")):
        incident = Incident.objects.create(
            ref=ref,
            title=f"{tlp} secret matter",
            tlp=tlp,
            severity="high",
            status=Incident.OPEN,
            created_at=start - timedelta(days=1),
            triaged_at=start - timedelta(days=1),
            first_notified_at=start - timedelta(days=1),
            created_by=world.users["coordinator"],
        )
        Party.objects.create(
            incident=incident,
            organization=world.org_b,
            source=Party.MANUAL,
            status=Party.NOTIFIED,
            notified_at=start - timedelta(hours=11),  # high: acknowledge within 12 h
        )
        Task.objects.create(
            incident=incident, title=f"call Bravo about {tlp}", due_at=start + timedelta(hours=2)
        )
    handover = desks.shift_change(start + timedelta(minutes=1))
    assert handover is not None
    due = handover.note["due_next"]
    red = [d for d in due if d["incident"] == "DNSCC-2026-0301"]
    assert {d["what"] for d in red} == {"acknowledgement by [TLP:RED]", "task: [TLP:RED]"}
    assert "Bravo" not in json.dumps(red)
    [ack] = [d for d in due if d["what"] == "acknowledgement by Bravo Registry"]
    assert ack["due"]["tz"] == "Asia/Tokyo"
    assert ack["due"]["utc"].endswith("UTC")
    assert ack["due"]["local"].endswith("JST")
