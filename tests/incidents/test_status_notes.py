"""The root operators' space in an incident: members of root server operators party to it
post TLP-marked status notes and read each other's; other parties do not; a root-level
incident shows the letters' latest RSSAC002 figures beside our measurements."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dnscc.accounts.services import create_user
from dnscc.core.errors import InputError, PermissionDenied
from dnscc.directory.models import Organization, RootServer
from dnscc.incidents import status_notes
from dnscc.incidents.models import Incident, Party, StatusNote
from tests.conftest import World
from tests.rootinfo.conftest import SAMPLE


def _operator(name: str, slug: str, letters: str) -> tuple[Organization, Any]:
    org = Organization.objects.create(
        name=name, slug=slug, kind=Organization.ROOT_SERVER_OPERATOR, region="NA"
    )
    for letter in letters:
        RootServer.objects.create(letter=letter, host=f"{letter}.root-servers.net", operator=org)
    user = create_user(
        f"{slug}_noc", role="operator", organization=org, password="x" * 20, check_password=False
    )
    return org, user


@pytest.fixture
def space(world: World) -> dict[str, Any]:
    verisign, v_user = _operator("Verisign, Inc.", "verisign", "aj")
    isc, i_user = _operator("Internet Systems Consortium, Inc.", "isc", "f")
    netnod, n_user = _operator("Netnod", "netnod", "i")
    now = timezone.now()
    incident = Incident.objects.create(
        ref="DNSCC-2026-0777",
        title="Query flood against the root servers",
        tlp="AMBER",
        scope={"names": [], "tlds": ["."], "ips": [], "resolvers": []},
        created_at=now,
        status=Incident.OPEN,
    )
    for org in (verisign, isc, world.org_a):
        Party.objects.create(
            incident=incident, organization=org, source=Party.MANUAL, notified_at=now
        )
    # Netnod is a party the center has not told yet: not in the space.
    Party.objects.create(incident=incident, organization=netnod, source=Party.COMPUTED)
    return {"incident": incident, "verisign": v_user, "isc": i_user, "netnod": n_user}


@pytest.fixture
def published(db: Any) -> Any:
    """The real RSSAC002 sample ingested."""
    from dnscc.rootinfo.ingest import ingest

    return ingest(SAMPLE, jobs=1)


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_root_operators_party_to_an_incident_read_each_others_status_notes(
    space: dict[str, Any], world: World
) -> None:
    url = "/incidents/DNSCC-2026-0777/status-notes"
    r = _client(space["verisign"]).post(
        url, {"text": "a and j answering, 3x normal load", "tlp": "AMBER"}
    )
    assert r.status_code == 302
    _client(space["isc"]).post(
        url, {"text": "f: anycast sites saturated in Europe", "tlp": "AMBER+STRICT"}
    )
    assert StatusNote.objects.count() == 2
    page = _client(space["isc"]).get("/incidents/DNSCC-2026-0777/").content.decode()
    assert "a and j answering, 3x normal load" in page
    assert "f: anycast sites saturated in Europe" in page
    assert "TLP:AMBER+STRICT" in page
    staff = world.client("coordinator").get("/incidents/DNSCC-2026-0777/").content.decode()
    assert "a and j answering" in staff
    assert "saturated in Europe" in staff
    # A TLD registry party to the same incident is not in the root operators' space.
    other = world.client("operator").get("/incidents/DNSCC-2026-0777/").content.decode()
    assert "a and j answering" not in other
    assert "status-notes" not in other
    assert world.client("operator").post(url, {"text": "x"}).status_code == 403
    # An operator the center has not told yet sees neither the incident nor the notes.
    assert _client(space["netnod"]).get("/incidents/DNSCC-2026-0777/").status_code == 404


def test_a_green_note_is_read_and_a_red_one_refused(space: dict[str, Any]) -> None:
    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for

    incident = space["incident"]
    verisign = viewer_for(space["verisign"])
    status_notes.post(verisign, audit.Actor("verisign_noc"), incident, "all clear", "GREEN")
    with pytest.raises(InputError, match="TLP:RED"):
        status_notes.post(verisign, audit.Actor("verisign_noc"), incident, "secret", "RED")
    with pytest.raises(InputError):
        status_notes.post(verisign, audit.Actor("verisign_noc"), incident, "   ", "AMBER")
    isc = viewer_for(space["isc"])
    assert [n.text for n in status_notes.visible_notes(isc, incident)] == ["all clear"]
    assert status_notes.visible_notes(viewer_for(None), incident) == []  # anonymous
    with pytest.raises(PermissionDenied):
        status_notes.post(viewer_for(space["netnod"]), audit.Actor("n"), incident, "hello")


def test_the_api_lists_and_posts_status_notes(space: dict[str, Any], world: World) -> None:
    url = "/api/v1/incidents/DNSCC-2026-0777/status-notes"
    c = _client(space["verisign"])
    r = c.post(
        url,
        data=json.dumps({"text": "serial 2026110201 everywhere", "tlp": "GREEN"}),
        content_type="application/json",
    )
    assert r.status_code == 201
    assert r.json()["organization"] == "verisign"
    listed = _client(space["isc"]).get(url).json()
    assert [n["text"] for n in listed] == ["serial 2026110201 everywhere"]
    assert world.api("operator").get(url).json() == []
    bad = c.post(
        url, data=json.dumps({"text": "x", "tlp": "PURPLE"}), content_type="application/json"
    )
    assert bad.status_code == 422
    assert "detail" in bad.json()


def test_a_root_level_incident_shows_published_figures_beside_our_measurements(
    space: dict[str, Any], published: Any, world: World
) -> None:
    from dnscc.rootinfo.models import Measurement

    Measurement.objects.create(
        letter="k",
        at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC),
        results=[
            {
                "address": "193.0.14.129",
                "transport": "udp",
                "ok": True,
                "ms": 12.5,
                "serial": 2026110201,
                "error": "",
            }
        ],
        correct=True,
        serial=2026110201,
    )
    for client in (world.client("coordinator"), _client(space["isc"])):
        html = client.get("/incidents/DNSCC-2026-0777/").content.decode()
        assert 'id="root-panel"' in html
        k_row = html[html.index('data-letter="k"') :].split("</tr>", 1)[0]
        assert "2024-06-14" in k_row  # k-root's latest published day
        assert "2026110201" in k_row  # our measurement
        assert "13 / " in k_row  # 12.5 ms, rounded
    # Not for the TLD registry party, and not on an incident that is not about the root.
    assert (
        'id="root-panel"'
        not in world.client("operator").get("/incidents/DNSCC-2026-0777/").content.decode()
    )
    Incident.objects.filter(pk=space["incident"].pk).update(
        scope={"names": [], "tlds": ["alpha"], "ips": [], "resolvers": []}
    )
    assert (
        'id="root-panel"'
        not in world.client("coordinator").get("/incidents/DNSCC-2026-0777/").content.decode()
    )
