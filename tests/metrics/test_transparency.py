"""The quarterly transparency report on the known history (tests/metrics/history.py) with a
minimum cell of 2: regional figures computed by hand, small cells suppressed, no organisation
named, the two-person rule, versions that stay available, HTML, JSON and PDF."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.cli import main
from dnscc.core.errors import ConflictError, InputError, PermissionDenied
from dnscc.metrics import transparency
from tests.conftest import World
from tests.metrics import history


@pytest.fixture
def known(world: World, settings: Any) -> World:
    settings.TRANSPARENCY_MIN_CELL = 2
    history.build()
    return world


def _draft(world: World, role: str = "coordinator", quarter: str = "2026-Q3") -> Any:
    user = world.users[role]
    return transparency.draft(viewer_for(user), audit.Actor("t"), quarter, user=user)


def _publish(world: World, version: int, role: str = "admin") -> Any:
    user = world.users[role]
    return transparency.publish(viewer_for(user), audit.Actor("t"), "2026-Q3", version, user=user)


def test_the_regional_figures_of_the_known_history_with_small_cells_suppressed(
    known: World,
) -> None:
    d = _draft(known).data
    # Incidents by desk: AF T-1, T-2; EU T-3, T-5. First notification: AF 5, 10 -> 7.5;
    # EU only T-3 (one incident: suppressed); all 5, 10, 90 -> 10.
    assert d["all"]["incidents"] == 4
    assert d["regions"]["AF"]["median_minutes_to_first_notification"] == 7.5
    assert d["regions"]["EU"]["median_minutes_to_first_notification"] == "suppressed"
    assert d["all"]["median_minutes_to_first_notification"] == 10
    # Acknowledgement: AF 100, 300, 2000 -> median 300, p90 2000; EU one party: suppressed.
    assert d["regions"]["AF"]["median_minutes_to_acknowledge"] == 300
    assert d["regions"]["AF"]["p90_minutes_to_acknowledge"] == 2000
    assert d["regions"]["EU"]["median_minutes_to_acknowledge"] == "suppressed"
    assert d["all"]["median_minutes_to_acknowledge"] == 200
    # Reached: AF 3 of 4, EU 2 of 2, AP 0 of 2; resource-constrained: AF 2 of 2, AP 0 of 2.
    assert d["regions"]["AF"]["parties_reached_share"] == 0.75
    assert d["regions"]["EU"]["parties_reached_share"] == 1.0
    assert d["regions"]["AP"]["parties_reached_share"] == 0.0
    assert d["regions"]["AP"]["constrained_parties_reached_share"] == 0.0
    assert d["all"]["constrained_parties_reached_share"] == 0.5
    # TLDs: AF 2, EU 1 (suppressed), none in LAC; no sweep in the quarter: no data.
    assert d["regions"]["AF"]["tlds"] == 2
    assert d["regions"]["EU"]["tlds"] == "suppressed"
    assert d["regions"]["LAC"]["tlds"] == 0
    assert d["all"]["tld_signed_share_mean"] is None
    assert d["advisories_published"] == 1


def test_no_organisation_tld_or_incident_is_named(known: World) -> None:
    report = _draft(known)
    text = transparency.html(report) + json.dumps(transparency.public_json(report))
    for name in ("Org A1", "org-a1", "ta1", "DNSCC-2026-900", "takedown", "Alpha Registry"):
        assert name not in text
    assert "TLP:CLEAR" in text


def test_the_drafter_cannot_publish_it_another_coordinator_does(known: World) -> None:
    report = _draft(known)
    with pytest.raises(PermissionDenied, match="two-person rule"):
        _publish(known, report.version, role="coordinator")
    assert Client().get("/transparency/2026-Q3/v1/").status_code == 404  # not yet public
    published = _publish(known, report.version, role="admin")
    assert published.status == "published"
    with pytest.raises(ConflictError, match="already published"):
        _publish(known, report.version, role="admin")


def test_a_one_person_center_may_turn_the_rule_off(known: World, settings: Any) -> None:
    settings.ADVISORY_TWO_PERSON = False
    report = _draft(known)
    assert _publish(known, report.version, role="coordinator").status == "published"


def test_republishing_makes_a_new_version_and_the_old_one_stays(known: World) -> None:
    _publish(known, _draft(known).version)
    _draft(known)
    with pytest.raises(ConflictError, match="already has a draft"):
        _draft(known)
    _publish(known, 2)
    anyone = Client()
    assert anyone.get("/transparency/2026-Q3/v1/").status_code == 200
    assert anyone.get("/transparency/2026-Q3/v2/").status_code == 200
    assert "Version 2" in anyone.get("/transparency/2026-Q3/").content.decode()
    listing = anyone.get("/transparency/").content.decode()
    assert listing.count("2026-Q3") >= 2


def test_the_public_formats_html_json_and_pdf(known: World) -> None:
    _publish(known, _draft(known).version)
    anyone = Client()
    data = anyone.get("/transparency/2026-Q3/v1.json").json()
    assert data["quarter"] == "2026-Q3"
    assert data["version"] == 1
    assert data["regions"]["AF"]["parties_reached_share"] == 0.75
    html = anyone.get("/transparency/2026-Q3/v1/").content.decode()
    assert "fewer than 2" in html
    assert "75.0 %" in html
    pdf = anyone.get("/transparency/2026-Q3/v1.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_only_a_quarter_may_be_reported(known: World) -> None:
    with pytest.raises(InputError, match="not a quarter"):
        _draft(known, quarter="2026-07")


def test_staff_draft_and_publish_in_the_portal_with_a_confirmation(known: World) -> None:
    coord, admin = known.client("coordinator"), known.client("admin")
    coord.post("/performance/transparency", {"action": "draft", "quarter": "2026-Q3"})
    page = admin.get("/performance/transparency").content.decode()
    assert "Draft (in review)" in page
    # Without the confirmation nothing is published.
    admin.post(
        "/performance/transparency", {"action": "publish", "quarter": "2026-Q3", "version": "1"}
    )
    assert Client().get("/transparency/2026-Q3/v1/").status_code == 404
    admin.post(
        "/performance/transparency",
        {"action": "publish", "quarter": "2026-Q3", "version": "1", "confirm": "1"},
    )
    assert Client().get("/transparency/2026-Q3/v1/").status_code == 200


def test_the_api_and_cli_draft_publish_and_write(known: World, capsys: Any, tmp_path: Any) -> None:
    r = known.api("coordinator").post(
        "/api/v1/metrics/transparency", {"quarter": "2026-Q3"}, content_type="application/json"
    )
    assert r.status_code == 201
    refused = known.api("coordinator").post("/api/v1/metrics/transparency/2026-Q3/1/publish")
    assert refused.status_code == 403
    assert "two-person rule" in refused.json()["detail"]
    assert main(["metrics", "transparency", "publish", "2026-Q3", "1", "--as", "admin1"]) == 0
    assert "published at /transparency/2026-Q3/v1/" in capsys.readouterr().out
    out = tmp_path / "r.json"
    assert (
        main(
            ["metrics", "transparency", "write", "2026-Q3", "1", "--format", "json", "-o", str(out)]
        )
        == 0
    )
    assert json.loads(out.read_text())["version"] == 1
    assert main(["metrics", "transparency", "write", "2026-Q3", "9", "-o", str(out)]) == 66
