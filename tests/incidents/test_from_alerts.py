"""An incident opened from an alert or a group of alerts: the form comes filled in (the
scope from the zones), the alerts show the incident, are acknowledged, their waiting
reports are decided, and they resolve with the incident."""

from __future__ import annotations

from dnscc.accounts.models import Account
from dnscc.incidents import desks
from dnscc.incidents.models import Incident, Report
from dnscc.monitoring.models import Alert
from tests.conftest import World
from tests.web.seed import Found, ZoneResult, lame, sweep


def _group(world: World) -> list[int]:
    sweep([ZoneResult("alpha", (lame("alpha"),)), ZoneResult("bravo", (lame("bravo"),))])
    return sorted(Alert.objects.values_list("pk", flat=True))


def test_the_new_incident_form_is_filled_in_from_a_group(world: World) -> None:
    ids = _group(world)
    query = "&".join(f"alert={i}" for i in ids)
    page = world.client("coordinator").get(f"/incidents/new/?{query}").content.decode()
    assert "New incident from monitoring alerts" in page
    assert "DELEGATION04 on 2 TLDs served by ns.shared.example" in page
    assert ">alpha\nbravo</textarea>" in page
    assert 'value="broken-delegation" selected' in page
    for i in ids:
        assert f'name="alert" value="{i}"' in page


def test_opening_it_links_and_acknowledges_the_alerts_and_decides_their_reports(
    world: World,
) -> None:
    ids = _group(world)
    assert Report.objects.filter(alert_id__in=ids, state=Report.NEW).exists()
    response = world.client("coordinator").post(
        "/incidents/new/",
        {
            "alert": ids,
            "title": "Shared lame server",
            "dns_type": "broken-delegation",
            "impact": "high",
            "urgency": "medium",
            "tlp": "AMBER",
            "tlds": "alpha\nbravo",
            "owner": "coord1",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(title="Shared lame server")
    assert sorted(incident.alerts.values_list("pk", flat=True)) == ids
    assert set(Alert.objects.values_list("state", flat=True)) == {Alert.ACKNOWLEDGED}
    assert {p.organization.slug for p in incident.parties.all()} == {
        "alpha-registry",
        "bravo-registry",
    }
    assert not Report.objects.filter(alert_id__in=ids, state=Report.NEW).exists()
    assert incident.timeline.filter(kind="alert").exists()
    alerts_page = world.client("coordinator").get("/health/alerts/?desk=all").content.decode()
    assert f">{incident.ref}</a>" in alerts_page


def test_the_alerts_resolve_when_the_incident_is_closed(world: World) -> None:
    ids = _group(world)
    answer = world.api("coordinator").post(
        "/api/v1/incidents/from-alerts", data={"alerts": ids}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert sorted(body["scope"]["tlds"]) == ["alpha", "bravo"]
    incident = Incident.objects.get(ref=body["ref"])
    world.api("coordinator").patch(
        f"/api/v1/incidents/{incident.ref}",
        data={"version": incident.version, "status": "closed", "resolution": "fixed"},
        content_type="application/json",
    )
    alerts = list(Alert.objects.filter(pk__in=ids))
    assert {a.state for a in alerts} == {Alert.RESOLVED}
    assert all(incident.ref in a.resolution for a in alerts)


def test_an_unknown_alert_is_a_message_not_an_error(world: World) -> None:
    response = world.client("coordinator").get("/incidents/new/?alert=999999", follow=True)
    assert "no alert 999999" in response.content.decode()


def test_the_desk_on_duty_nobody_staffs_is_in_every_coordinators_view(world: World) -> None:
    desks.ensure_desks()
    on_duty = desks.on_duty()
    other = next(d for d in ("AF", "EU") if d != on_duty)
    Account.objects.filter(user=world.users["coordinator"]).update(desks=[other])
    assert not desks.coordinators(on_duty)
    sweep([ZoneResult("alpha", (Found("DNSCC_HIJACK", "critical", "NS changed"),))])
    Alert.objects.update(desk=on_duty)
    page = world.client("coordinator").get("/health/alerts/").content.decode()
    assert "DNSCC_HIJACK" in page
    assert f"Also shown: the {on_duty} desk on duty, which nobody staffs." in page
    Account.objects.filter(user=world.users["admin"]).update(desks=[on_duty])
    page = world.client("coordinator").get("/health/alerts/").content.decode()
    assert "DNSCC_HIJACK" not in page  # staffed now: the coordinator's own desks only
