"""Bad input through the API and the CLI: a clear error naming the field, nothing written."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dnscc.cli import main
from dnscc.risk import assessments
from dnscc.risk.models import Assessment, Risk, RiskChange
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _post(client: Any, url: str, body: dict[str, Any], method: str = "post") -> Any:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def test_the_api_refuses_a_score_off_the_scale_naming_the_field(risk_world: World) -> None:
    api = risk_world.api("coordinator")
    made = _post(api, "/api/v1/risk/risks", {"event": "ddos-tld", "asset": "tld:alpha"})
    assert made.status_code == 201
    ref = made.json()["ref"]
    bad = _post(
        api,
        f"/api/v1/risk/risks/{ref}",
        {"changes": {"likelihood": "extreme", "impact": "high"}, "reason": "x"},
        "patch",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "likelihood"
    no_reason = _post(
        api,
        f"/api/v1/risk/risks/{ref}",
        {"changes": {"likelihood": "high", "impact": "high"}},
        "patch",
    )
    assert no_reason.status_code == 422
    assert "say why" in no_reason.json()["detail"]
    assert RiskChange.objects.filter(risk__ref=ref).count() == 1  # only its identification
    missing = _post(api, "/api/v1/risk/risks", {"event": "ddos-tld"})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "asset"
    assert Risk.objects.count() == 1


def test_editing_a_signed_assessment_is_a_conflict_through_the_api(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    import datetime as dt

    a = assessments.create_assessment(
        viewer,
        actor,
        title="Signed",
        kind="baseline",
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31),
    )
    assessments.open_comments(viewer, actor, a.pk)
    assessments.sign_off(viewer, actor, a.pk)
    api = risk_world.api("coordinator")
    response = _post(api, f"/api/v1/risk/assessments/{a.pk}", {"summary": "rewritten"}, "patch")
    assert response.status_code == 409
    assert "frozen assessment" in response.json()["hint"]
    a.refresh_from_db()
    assert (a.summary, a.status) == ("", Assessment.SIGNED)


def test_a_questionnaire_changed_after_sending_is_refused_and_a_new_version_made(
    risk_world: World,
) -> None:
    from tests.risk.helpers import operators, questionnaire, send

    questionnaire()
    orgs = operators(1)
    send(organizations=[orgs[0].slug])
    api = risk_world.api("coordinator")
    change = {"title": {"en": "New", "fr": "Nouveau", "es": "Nuevo"}}
    refused = _post(api, "/api/v1/risk/questionnaires/annual-survey/versions/1", change, "patch")
    assert refused.status_code == 409
    made = _post(api, "/api/v1/risk/questionnaires/annual-survey/versions", change)
    assert made.status_code == 201
    assert (made.json()["version"], made.json()["frozen"]) == (2, False)


def test_the_cli_reports_bad_input_with_its_exit_code(
    risk_world: World, capsys: Any, tmp_path: Any
) -> None:
    assert (
        main(
            [
                "risk",
                "register",
                "add",
                "--event",
                "ddos-tld",
                "--asset",
                "tld:alpha",
                "--likelihood",
                "9000",
                "--impact",
                "high",
            ]
        )
        == 65
    )
    assert "likelihood 9000 is outside the scale" in capsys.readouterr().err
    assert (
        main(
            [
                "risk",
                "register",
                "add",
                "--event",
                "ddos-tld",
                "--asset",
                "tld:alpha",
                "--likelihood",
                "high",
                "--impact",
                "high",
                "--reason",
                "seen",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["risk", "register", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["ref"], r["level"], r["score"]) for r in listed] == [("R-0001", "high", 64)]
    bad = tmp_path / "q.json"
    bad.write_text("{not json")
    assert main(["risk", "questionnaire", "create", str(bad)]) == 65
    assert main(["risk", "assessment", "sign", "999"]) == 66
    assert main(["risk", "catalogue", "list"]) == 0
    assert "cache-poisoning" in capsys.readouterr().out
