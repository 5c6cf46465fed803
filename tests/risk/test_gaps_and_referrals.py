"""ccTLDs linked to their national CSIRT, and incidents referred to an existing responder
instead of being handled by the center: the referral's own status, the incident's timeline,
the one TLP rule; through the services, the API, the CLI and the gaps page."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dnscc.accounts.services import viewer_for
from dnscc.cli import main
from dnscc.core.errors import ConflictError, InputError, NotFoundError
from dnscc.directory.models import Tld
from dnscc.incidents import services as incidents
from dnscc.incidents.models import Incident
from dnscc.risk import gaps
from dnscc.risk.models import CsirtLink, Referral
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _cctld(world: World) -> Tld:
    return Tld.objects.create(name="ke", kind=Tld.CCTLD, operator=world.org_a, country="KE")


def _incident(coordinator: Any, *, tlp: str = "AMBER", tlds: tuple[str, ...] = ("ke",)) -> Any:
    viewer, actor = coordinator
    return incidents.create_incident(
        viewer,
        actor,
        {
            "title": "Hijack of names under .ke",
            "dns_type": "domain-hijack",
            "impact": "high",
            "urgency": "high",
            "tlp": tlp,
            "scope": {"tlds": list(tlds)},
        },
    )


def _notes(incident: Incident) -> list[str]:
    return list(incident.timeline.filter(kind="note").values_list("summary", flat=True))


def test_only_a_cctld_links_to_an_organisation_that_is_a_csirt(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    _cctld(risk_world)
    with pytest.raises(InputError, match="not a ccTLD") as caught:
        gaps.link_csirt(viewer, actor, tld="alpha", csirt=risk_world.csirt.slug)
    assert caught.value.location.field == "tld"
    with pytest.raises(InputError, match="is not a CSIRT") as caught:
        gaps.link_csirt(viewer, actor, tld="ke", csirt=risk_world.org_b.slug)
    assert caught.value.location.field == "csirt"
    with pytest.raises(InputError, match="unknown TLD"):
        gaps.link_csirt(viewer, actor, tld="nope", csirt=risk_world.csirt.slug)
    assert CsirtLink.objects.count() == 0
    link = gaps.link_csirt(viewer, actor, tld=".KE", csirt=risk_world.csirt.slug)
    assert (link.tld.name, link.csirt) == ("ke", risk_world.csirt)
    assert gaps.csirt_for_tld("ke") == risk_world.csirt


def test_an_incident_goes_to_its_cctlds_csirt_and_each_status_reaches_its_timeline(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    _cctld(risk_world)
    gaps.link_csirt(viewer, actor, tld="ke", csirt=risk_world.csirt.slug)
    incident = _incident(coordinator)
    referral = gaps.refer_incident(
        viewer, actor, incident=incident.ref, reason="the national CERT handles .ke hijacks"
    )
    assert (referral.responder, referral.status) == (risk_world.csirt, Referral.PROPOSED)
    assert _notes(incident) == [
        "Referred to Example CERT (an existing responder): the national CERT handles .ke hijacks"
    ]
    with pytest.raises(ConflictError, match="already referred"):
        gaps.refer_incident(viewer, actor, incident=incident.ref, reason="again")
    with pytest.raises(ConflictError, match="proposed cannot become accepted") as caught:
        gaps.set_referral_status(viewer, actor, referral.pk, status="accepted")
    assert caught.value.hint == "next: sent, declined"
    with pytest.raises(InputError, match="unknown status"):
        gaps.set_referral_status(viewer, actor, referral.pk, status="forgotten")
    for status in ("sent", "accepted", "resolved"):
        gaps.set_referral_status(viewer, actor, referral.pk, status=status, note=f"n-{status}")
    with pytest.raises(ConflictError) as caught:
        gaps.set_referral_status(viewer, actor, referral.pk, status="declined")
    assert caught.value.hint == "it is final"
    referral.refresh_from_db()
    assert [h["status"] for h in referral.history] == ["proposed", "sent", "accepted", "resolved"]
    assert _notes(incident)[1:] == [
        "Referral to Example CERT: Sent to the responder: n-sent",
        "Referral to Example CERT: Accepted by the responder: n-accepted",
        "Referral to Example CERT: Resolved by the responder: n-resolved",
    ]


def test_an_incident_with_no_linked_cctld_needs_a_named_responder_and_nothing_is_written(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    incident = _incident(coordinator, tlds=("alpha",))
    with pytest.raises(InputError, match="name the responder") as caught:
        gaps.refer_incident(viewer, actor, incident=incident.ref, reason="not ours")
    assert caught.value.location.field == "responder"
    with pytest.raises(InputError, match="reason"):
        gaps.refer_incident(
            viewer, actor, incident=incident.ref, responder=risk_world.csirt.slug, reason=""
        )
    assert (Referral.objects.count(), _notes(incident)) == (0, [])
    made = gaps.refer_incident(
        viewer, actor, incident=incident.ref, responder=risk_world.csirt.slug, reason="theirs"
    )
    assert made.responder == risk_world.csirt


def test_a_red_incidents_referral_stays_with_the_incidents_author(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    incident = _incident(
        (viewer_for(risk_world.users["coordinator"]), actor), tlp="RED", tlds=("alpha",)
    )
    referral = gaps.refer_incident(
        viewer, actor, incident=incident.ref, responder=risk_world.csirt.slug, reason="secret"
    )
    admin = viewer_for(risk_world.users["admin"])
    assert gaps.referrals(admin) == []
    with pytest.raises(NotFoundError):
        gaps.set_referral_status(admin, actor, referral.pk, status="sent")
    assert [r.pk for r in gaps.referrals(viewer)] == [referral.pk]
    page = risk_world.client("admin").get("/risk/gaps/").content.decode()
    assert "secret" not in page


def test_referrals_through_the_api_and_the_cli(
    risk_world: World, coordinator: Any, capsys: Any
) -> None:
    incident = _incident(coordinator, tlds=("alpha",))
    api = risk_world.api("coordinator")
    body = {"incident": incident.ref, "responder": risk_world.csirt.slug, "reason": "theirs"}
    made = api.post("/api/v1/risk/referrals", json.dumps(body), content_type="application/json")
    assert made.status_code == 201
    rid = made.json()["id"]
    assert made.json()["next"] == [
        {"status": "sent", "label": "Sent to the responder"},
        {"status": "declined", "label": "Declined by the responder"},
    ]
    skip = api.post(
        f"/api/v1/risk/referrals/{rid}/status",
        json.dumps({"status": "resolved"}),
        content_type="application/json",
    )
    assert skip.status_code == 409
    assert main(["risk", "refer", "status", str(rid), "sent", "--note", "mailed"]) == 0
    assert f"referral {rid}: sent" in capsys.readouterr().out
    assert main(["risk", "refer", "status", str(rid), "resolved"]) == 75  # a conflict
    assert "sent cannot become resolved" in capsys.readouterr().err
    assert main(["risk", "refer", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["incident"], r["status"]) for r in listed] == [(incident.ref, "sent")]
    assert main(["risk", "refer", "create", incident.ref, "--reason", "x"]) == 65
    assert "name the responder" in capsys.readouterr().err


def test_the_gaps_page_shows_a_referrals_status_in_words_and_only_the_steps_it_may_take(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    incident = _incident(coordinator, tlds=("alpha",))
    referral = gaps.refer_incident(
        viewer, actor, incident=incident.ref, responder=risk_world.csirt.slug, reason="theirs"
    )
    client = risk_world.client("coordinator")
    page = client.get("/risk/gaps/").content.decode()
    assert "<td>Proposed</td>" in page
    assert f'href="/incidents/{incident.ref}/"' in page
    assert '<option value="sent">Sent to the responder</option>' in page
    assert '<option value="resolved">' not in page
    done = client.post(
        "/risk/gaps/referral", {"referral_id": referral.pk, "status": "sent", "note": "by mail"}
    )
    assert done.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.SENT
    skipped = client.post("/risk/gaps/referral", {"referral_id": referral.pk, "status": "resolved"})
    assert skipped.status_code == 302
    referral.refresh_from_db()
    assert referral.status == Referral.SENT
    page = client.get("/risk/gaps/").content.decode()
    assert "<td>Sent to the responder</td>" in page
