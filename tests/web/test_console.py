"""The duty console says what needs a person now, worst first, each line a link: critical
and error alerts not acknowledged (the unstaffed desk on duty's too), SLA breaches, parties
no notice reaches, deadlines due, late slices, an unacknowledged handover, reports waiting,
who staffs the desk on duty, and the outbox's health."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from dnscc.accounts.models import Account
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Organization, Tld
from dnscc.incidents import desks
from dnscc.incidents.models import Handover, Incident, Party, SlaBreach
from dnscc.monitoring.models import Alert
from dnscc.outreach.models import ChannelHealth
from dnscc.web import console as console_module
from dnscc.web.console import console
from tests.conftest import World
from tests.web.seed import Found, ZoneResult, incident, lame, sweep


def _off_duty_coordinator(world: World) -> str:
    """The world's coordinator staffs a desk that is not on duty; nobody staffs the desk on
    duty. Returns the desk on duty."""
    desks.ensure_desks()
    on_duty = desks.on_duty()
    other = next(d for d in ("AF", "EU") if d != on_duty)
    Account.objects.filter(user=world.users["coordinator"]).update(desks=[other])
    return on_duty


def _texts(world: World, role: str = "coordinator") -> list[str]:
    return [line.text for line in console(viewer_for(world.users[role]))["lines"]]


def test_the_unstaffed_desk_on_dutys_critical_alert_is_the_first_line(world: World) -> None:
    on_duty = _off_duty_coordinator(world)
    sweep([ZoneResult("alpha", (Found("DNSCC_HIJACK", "critical", "NS changed", "ns.a"),))])
    Alert.objects.update(desk=on_duty)
    data = console(viewer_for(world.users["coordinator"]))
    first = data["lines"][0]
    assert first.kind == "alert-critical"
    assert first.text.startswith("DNSCC_HIJACK on .alpha")
    assert "(on duty, nobody staffs it)" in first.detail
    assert first.url.startswith("/health/zone/alpha/#finding-")
    assert data["desk"]["unstaffed"]
    assert any(line.kind == "unstaffed" for line in data["lines"])


def test_another_desks_alert_is_not_shown_once_someone_staffs_it(world: World) -> None:
    on_duty = _off_duty_coordinator(world)
    sweep([ZoneResult("alpha", (Found("DNSCC_HIJACK", "critical", "NS changed", "ns.a"),))])
    Alert.objects.update(desk=on_duty)
    Account.objects.filter(user=world.users["admin"]).update(desks=[on_duty])
    assert not any("DNSCC_HIJACK" in t for t in _texts(world))
    assert any("DNSCC_HIJACK" in t for t in _texts(world, "admin"))


def test_an_acknowledged_alert_leaves_the_console(world: World) -> None:
    sweep([ZoneResult("alpha", (lame("alpha"),))])
    assert any("DELEGATION04" in t for t in _texts(world))
    Alert.objects.update(state=Alert.ACKNOWLEDGED)
    assert not any("DELEGATION04" in t for t in _texts(world))


def test_a_group_of_error_alerts_is_one_line_with_its_zones(world: World) -> None:
    sweep([ZoneResult("alpha", (lame("alpha"),)), ZoneResult("bravo", (lame("bravo"),))])
    [line] = [x for x in console(viewer_for(world.users["admin"]))["lines"] if "DELEG" in x.text]
    assert line.text == "DELEGATION04 on 2 TLDs served by ns.shared.example: .alpha, .bravo"
    assert "/health/alerts/?desk=all&severity=error#g" in line.url


def test_a_party_without_contact_is_an_unreachable_line(world: World) -> None:
    silent = Organization.objects.create(name="Silent Registry", slug="silent", region="AF")
    Tld.objects.create(name="silent", kind=Tld.GTLD, operator=silent, ns=["ns.silent"])
    opened = incident(world, title="Silent outage", scope={"tlds": ["silent"]})
    from dnscc.accounts import audit
    from dnscc.incidents import services

    user = world.users["coordinator"]
    services.notify_parties(viewer_for(user), audit.Actor.of(user), opened, user=user)
    party = Party.objects.get(incident=opened)
    assert party.status == Party.UNREACHABLE
    lines = console(viewer_for(user))["lines"]
    [line] = [x for x in lines if x.kind == "unreachable"]
    assert line.text == f"Silent Registry cannot be reached for {opened.ref}: no usable contact"
    assert line.url == f"/incidents/{opened.ref}/#party-{party.pk}"


def _silent_and_reachable(world: World, settings: Any, *, reachable: bool) -> Incident:
    """An incident on .silent (its registry has no contact), with .alpha's registry (it
    has one) beside it when `reachable`; its parties notified, nothing drained."""
    from dnscc.accounts import audit
    from dnscc.incidents import services

    settings.OUTREACH_AUTODRAIN = False
    settings.CONSOLE_DUE_HOURS = 48  # the notify deadline is due within the window
    silent = Organization.objects.create(name="Silent Registry", slug="silent", region="AF")
    Tld.objects.create(name="silent", kind=Tld.GTLD, operator=silent, ns=["ns.silent"])
    tlds = ["silent", "alpha"] if reachable else ["silent"]
    opened = incident(world, title="Silent outage", scope={"tlds": tlds})
    user = world.users["coordinator"]
    services.notify_parties(viewer_for(user), audit.Actor.of(user), opened, user=user)
    return opened


def test_an_unreachable_partys_missed_notification_is_said_once_on_its_own_line(
    world: World, settings: Any
) -> None:
    opened = _silent_and_reachable(world, settings, reachable=False)
    assert SlaBreach.objects.filter(incident=opened, kind=SlaBreach.NOTIFY).count() == 1
    lines = console(viewer_for(world.users["coordinator"]))["lines"]
    # Not a breach line, an unreachable line and a "notify deadline" due: one line (its
    # triage deadline is another matter).
    about = [x for x in lines if "Silent" in x.text or "notif" in x.text.lower()]
    assert len(about) == 1, [(x.kind, x.text) for x in about]
    [line] = about
    assert line.kind == "unreachable"
    assert line.rank == console_module.RANKS["breach"]
    assert "time to first notification missed, escalation: " in line.detail


def test_the_notify_deadline_stays_while_a_party_can_still_be_notified(
    world: World, settings: Any
) -> None:
    opened = _silent_and_reachable(world, settings, reachable=True)
    assert Party.objects.get(incident=opened, organization__slug="silent").status == (
        Party.UNREACHABLE
    )
    texts = _texts(world)
    assert f"{opened.ref}: notify deadline" in texts
    assert not any(t.startswith("Time to first notification") for t in texts)


def test_the_parties_of_one_incident_no_notice_reaches_are_one_line(
    world: World, settings: Any
) -> None:
    from dnscc.accounts import audit
    from dnscc.incidents import services

    settings.OUTREACH_AUTODRAIN = False
    for name in ("quiet", "silent", "mute", "hush"):
        org = Organization.objects.create(name=f"{name.title()} Registry", slug=name, region="AF")
        Tld.objects.create(name=name, kind=Tld.GTLD, operator=org, ns=[f"ns.{name}"])
    opened = incident(
        world, title="Four silent", scope={"tlds": ["quiet", "silent", "mute", "hush"]}
    )
    user = world.users["coordinator"]
    services.notify_parties(viewer_for(user), audit.Actor.of(user), opened, user=user)
    lines = console(viewer_for(user))["lines"]
    [line] = [x for x in lines if x.kind == "unreachable"]
    assert line.text.startswith("4 parties (")
    assert line.text.endswith(f" and 1 more) cannot be reached for {opened.ref}: no usable contact")
    assert line.url == f"/incidents/{opened.ref}/#party-table"
    assert "time to first notification missed" in line.detail


def test_a_breach_and_a_deadline_due_soon_are_listed_worst_first(world: World) -> None:
    now = timezone.now()
    breached = Incident.objects.create(
        ref="DNSCC-2026-0301",
        title="Bravo outage",
        severity="high",
        status=Incident.OPEN,
        created_at=now - timedelta(days=1),
        triaged_at=now - timedelta(days=1),
        desk="AF",
    )
    SlaBreach.objects.create(
        incident=breached,
        kind=SlaBreach.MITIGATE,
        due_at=now - timedelta(hours=1),
        breached_at=now - timedelta(hours=1),
    )
    # Created 50 minutes ago, high: triage is due within the hour (sla.toml: 1 h).
    Incident.objects.create(
        ref="DNSCC-2026-0302",
        title="New one",
        severity="high",
        created_at=now - timedelta(minutes=50),
        desk="AF",
    )
    lines = console(viewer_for(world.users["coordinator"]))["lines"]
    kinds = [line.kind for line in lines]
    assert kinds.index("breach") < kinds.index("due")
    breach = lines[kinds.index("breach")]
    assert breach.text == "Time to mitigation missed: DNSCC-2026-0301 Bravo outage"
    assert any(x.kind == "due" and x.text == "DNSCC-2026-0302: triage deadline" for x in lines)


def test_an_unacknowledged_handover_to_the_desk_on_duty_is_a_line(world: World) -> None:
    on_duty = _off_duty_coordinator(world)
    now = timezone.now()
    handover = Handover.objects.create(
        from_desk="NA" if on_duty != "NA" else "AP",
        to_desk=on_duty,
        shift_start=now - timedelta(minutes=5),
        created_at=now - timedelta(minutes=5),
        note={},
    )
    [line] = [x for x in console(viewer_for(world.users["admin"]))["lines"] if x.kind == "handover"]
    assert line.url == f"/incidents/handovers/{handover.pk}/"


def test_a_failing_relay_is_a_line_and_the_outbox_panel_says_so(world: World) -> None:
    ChannelHealth.objects.create(
        channel="smtp",
        failing_since=timezone.now() - timedelta(hours=1),
        failures=12,
        last_error="Connection refused",
    )
    data = console(viewer_for(world.users["coordinator"]))
    assert not data["outbox"]["ok"]
    [line] = [x for x in data["lines"] if x.kind == "outbox"]
    assert "Connection refused" in line.detail


def test_the_page_refreshes_itself_and_the_navigation_counts(world: World) -> None:
    sweep([ZoneResult("alpha", (Found("DNSCC_HIJACK", "critical", "<b>NS</b> changed"),))])
    client = world.client("coordinator")
    page = client.get("/").content.decode()
    assert "<h1>Duty console</h1>" in page
    assert 'hx-get="/console/" hx-trigger="every 30s"' in page
    assert 'title="critical and error alerts not acknowledged">1</span>' in page
    assert "<b>NS</b>" not in page
    fragment = client.get("/console/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("{#") is False
    assert '<div id="console"' in fragment
    assert "<html" not in fragment
    assert "DNSCC_HIJACK" in fragment


def test_an_operator_keeps_its_own_home_page(world: World) -> None:
    page = world.client("operator").get("/").content.decode()
    assert "Duty console" not in page
    assert world.client("operator").get("/console/").status_code == 403


def test_a_slice_past_its_deadline_is_a_line_to_its_page(world: World) -> None:
    from dnscc.campaigns.models import Slice
    from tests.campaigns.test_services import load, make_campaign

    campaign = make_campaign(world)
    load(world, campaign, b"n1.alpha\nn2.alpha\n")
    world.client("coordinator").post(f"/campaigns/{campaign.slug}/deliver/", {"confirm": "yes"})
    Slice.objects.update(deadline=timezone.now() - timedelta(hours=2))
    slice_ = Slice.objects.get()
    lines = console(viewer_for(world.users["admin"]))["lines"]
    [line] = [x for x in lines if x.kind == "slice"]
    assert line.text == "Alpha Registry's slice of Avalanche takedown: past its deadline"
    assert line.url == f"/campaigns/{campaign.slug}/slices/{slice_.pk}/"
