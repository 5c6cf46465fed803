"""The risk register: 800-30 scores, ISO 31000 stages, reasons and the audit of every change."""

from __future__ import annotations

from typing import Any

import pytest

from dnscc.accounts.models import AuditEvent
from dnscc.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from dnscc.core.tlp import Role, Viewer
from dnscc.risk import register
from dnscc.risk.models import Risk, RiskChange
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_a_risk_scored_on_the_800_30_scales_gets_its_level_and_score(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    risk = register.create_risk(
        viewer,
        actor,
        event="ddos-tld",
        asset="tld:alpha",
        likelihood="moderate",
        impact="very high",
        reason="two floods against .alpha's servers last year",
    )
    assert (risk.ref, risk.level, risk.score, risk.stage) == ("R-0001", "high", 50, Risk.ANALYSED)
    change = RiskChange.objects.get(risk=risk)
    assert change.changes["level"] == [None, "high"] or change.changes["level"] == ["", "high"]
    assert change.reason == "two floods against .alpha's servers last year"
    assert AuditEvent.objects.filter(action="risk.create", object_id=str(risk.pk)).exists()


def test_the_iso_31000_stages_follow_in_order_and_every_score_change_has_a_reason(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    risk = register.create_risk(viewer, actor, event="dnssec-failure", asset_class="tld")
    assert risk.stage == Risk.IDENTIFIED
    assert risk.title.startswith("DNSSEC failure")
    with pytest.raises(ConflictError, match="after its analysis"):
        register.update_risk(viewer, actor, risk.ref, {"decision": "treat"}, reason="x")
    with pytest.raises(InputError, match="say why"):
        register.update_risk(viewer, actor, risk.ref, {"likelihood": "high", "impact": "high"})
    risk = register.update_risk(
        viewer,
        actor,
        risk.ref,
        {"likelihood": "high", "impact": "high"},
        reason="rollovers failed twice",
    )
    assert (risk.level, risk.score) == ("high", 64)
    with pytest.raises(ConflictError, match="after the evaluation"):
        register.update_risk(viewer, actor, risk.ref, {"treatment": "mitigate"}, reason="x")
    with pytest.raises(InputError, match="mitigate, transfer or avoid"):
        register.update_risk(
            viewer, actor, risk.ref, {"decision": "treat", "treatment": "accept"}, reason="x"
        )
    risk = register.update_risk(
        viewer,
        actor,
        risk.ref,
        {
            "decision": "treat",
            "treatment": "mitigate",
            "residual_likelihood": "low",
            "residual_impact": "high",
        },
        reason="rollover playbook and monitoring of signatures",
    )
    assert risk.stage == Risk.TREATED
    assert (risk.residual_level, risk.residual_score) == ("low", 16)
    history = list(risk.changes.values_list("reason", flat=True))
    assert history == [
        "identified",
        "rollovers failed twice",
        "rollover playbook and monitoring of signatures",
    ]
    assert AuditEvent.objects.filter(action="risk.update", object_id=str(risk.pk)).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"likelihood": "extreme", "impact": "high"}, "likelihood"),
        ({"likelihood": "high", "impact": 120}, "impact"),
        ({"likelihood": "high"}, "impact"),
        ({"treatment": "pray"}, "treatment"),
        ({"stage": "treated"}, "stage"),
    ],
)
def test_scores_outside_the_scale_are_refused_and_nothing_is_written(
    risk_world: World, coordinator: Any, data: dict[str, Any], field: str
) -> None:
    viewer, actor = coordinator
    risk = register.create_risk(viewer, actor, event="ddos-tld", asset="tld:alpha")
    before = (RiskChange.objects.count(), AuditEvent.objects.count())
    with pytest.raises(InputError) as caught:
        register.update_risk(viewer, actor, risk.ref, data, reason="because")
    assert caught.value.location.field == field
    assert (RiskChange.objects.count(), AuditEvent.objects.count()) == before
    risk.refresh_from_db()
    assert risk.likelihood == ""
    assert risk.version == 1


def test_a_risk_without_an_asset_or_an_event_is_refused(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    with pytest.raises(InputError, match="an asset or an asset class"):
        register.create_risk(viewer, actor, event="ddos-tld")
    with pytest.raises(InputError, match="needs a threat event"):
        register.create_risk(viewer, actor, event="", asset="tld:alpha")
    with pytest.raises(InputError, match="unknown threat event"):
        register.create_risk(viewer, actor, event="alien-invasion", asset="tld:alpha")
    with pytest.raises(InputError, match="unknown asset"):
        register.create_risk(viewer, actor, event="ddos-tld", asset="tld:nope")
    with pytest.raises(InputError, match="both a likelihood and an impact"):
        register.create_risk(viewer, actor, event="ddos-tld", asset="tld:alpha", likelihood="high")
    assert Risk.objects.count() == 0


def test_a_stale_version_is_refused_when_two_coordinators_edit_at_once(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    risk = register.create_risk(viewer, actor, event="ddos-tld", asset="tld:alpha")
    register.update_risk(
        viewer, actor, risk.ref, {"likelihood": "low", "impact": "low"}, reason="a", version=1
    )
    with pytest.raises(ConflictError, match="changed since"):
        register.update_risk(
            viewer, actor, risk.ref, {"likelihood": "high", "impact": "low"}, reason="b", version=1
        )
    risk.refresh_from_db()
    assert risk.likelihood == "low"


def test_members_may_not_see_the_register_and_red_entries_stay_with_their_author(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    register.create_risk(viewer, actor, event="ddos-tld", asset="tld:alpha", tlp="RED")
    with pytest.raises(PermissionDenied):
        register.visible_risks(
            Viewer(
                user_id=risk_world.users["operator"].pk,
                role=Role.OPERATOR,
                organization_id=risk_world.org_a.pk,
            )
        )
    other = Viewer(user_id=risk_world.users["admin"].pk, role=Role.ADMIN)
    assert register.visible_risks(other) == []
    with pytest.raises(NotFoundError):
        register.get_risk(other, "R-0001")
    assert len(register.visible_risks(viewer)) == 1


def test_treatment_actions_have_due_dates_and_a_retired_risk_no_longer_changes(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    risk = register.create_risk(viewer, actor, event="ddos-tld", asset="tld:alpha")
    with pytest.raises(InputError, match="not a date"):
        register.add_action(viewer, actor, risk.ref, title="Anycast", due_date="next year")
    action = register.add_action(
        viewer, actor, risk.ref, title="Anycast the TLD servers", due_date="2027-06-30", owner="ops"
    )
    register.complete_action(viewer, actor, risk.ref, action.pk)
    with pytest.raises(ConflictError):
        register.complete_action(viewer, actor, risk.ref, action.pk)
    register.retire_risk(viewer, actor, risk.ref, reason="the TLD moved to an anycast provider")
    with pytest.raises(ConflictError, match="retired"):
        register.update_risk(viewer, actor, risk.ref, {"title": "x"})
