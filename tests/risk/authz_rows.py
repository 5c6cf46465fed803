"""Authorization matrix rows of the risk framework (collected by tests/test_authz_matrix.py).

The world gets a risk of the register, a sent survey round to org_a (the operator's
organisation: only its members may answer), a draft questionnaire, a referral, a coverage
entry, and an assessment open for comments with the partner named in its audience.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.authz import Row, api_statuses, page_statuses, statuses
from tests.conftest import World

API_ROWS: list[Row] = []
PAGE_ROWS: list[Row] = []

RISK_SECRETS = ("Alpha floods",)
ASSESSMENT_SECRETS = ("Matrix baseline",)
SENT_KEY, DRAFT_KEY = "matrix-survey", "matrix-draft"


def _risk(world: World) -> dict[str, Any]:
    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.directory.models import Tld
    from dnscc.incidents.models import Incident
    from dnscc.risk import assessments, assets, catalogue, gaps, register, surveys
    from dnscc.risk.models import Referral, TreatmentAction
    from tests.risk.helpers import QUESTIONS, t

    viewer = viewer_for(world.users["coordinator"])
    actor = audit.Actor("matrix")
    catalogue.ensure_catalogue()
    assets.sync_assets(actor)
    risk = register.create_risk(
        viewer,
        actor,
        event="ddos-tld",
        asset="tld:alpha",
        title="Alpha floods",
        likelihood="moderate",
        impact="high",
        reason="matrix",
    )
    action = TreatmentAction.objects.create(
        risk=risk, title="Anycast", due_date=dt.date(2027, 1, 1)
    )
    surveys.create_questionnaire(
        viewer, actor, key=SENT_KEY, title=t("Matrix survey"), questions=QUESTIONS
    )
    surveys.create_questionnaire(
        viewer, actor, key=DRAFT_KEY, title=t("Draft"), questions=QUESTIONS
    )
    rnd, _ = surveys.send_round(
        viewer,
        actor,
        questionnaire=SENT_KEY,
        title="Matrix round",
        audience={"organizations": [world.org_a.slug]},
        closes_at=timezone.now() + dt.timedelta(days=7),
    )
    Tld.objects.get_or_create(name="zz", defaults={"kind": Tld.CCTLD, "operator": world.org_a})
    coverage = gaps.add_coverage(
        viewer,
        actor,
        organization=world.csirt.slug,
        event="ddos-tld",
        region="AF",
        capabilities=["detect"],
    )[0]
    incident = Incident.objects.create(
        ref="DNSCC-2026-0900", title="Matrix incident", created_at=timezone.now()
    )
    referral = Referral.objects.create(
        incident=incident, responder=world.csirt, reason="theirs", history=[]
    )
    a = assessments.create_assessment(
        viewer,
        actor,
        title="Matrix baseline",
        kind="baseline",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
        reviewers=[world.users["partner"].get_username()],
    )
    assessments.open_comments(viewer, actor, a.pk)
    return {
        "ref": risk.ref,
        "action_id": action.pk,
        "key": DRAFT_KEY,
        "version": 1,
        "round_id": rnd.pk,
        "token": rnd.invitations.get().token,
        "coverage_id": coverage.pk,
        "referral_id": referral.pk,
        "incident": incident.ref,
        "assessment_id": a.pk,
    }


def _asset_key(world: World) -> dict[str, Any]:
    return {**_risk(world), "key": "tld:alpha"}


def snapshot() -> dict[str, Any]:
    from dnscc.risk.models import (
        Assessment,
        AssessmentComment,
        Asset,
        Coverage,
        CsirtLink,
        Questionnaire,
        Referral,
        Risk,
        RiskChange,
        SurveyResponse,
        SurveyRound,
        TreatmentAction,
    )

    return {
        "risks": sorted(
            Risk.objects.values_list("ref", "likelihood", "impact", "version", "retired_at")
        ),
        "risk_changes": RiskChange.objects.count(),
        "actions": sorted(TreatmentAction.objects.values_list("pk", "done_at")),
        "questionnaires": sorted(Questionnaire.objects.values_list("key", "version", "title")),
        "rounds": sorted(SurveyRound.objects.values_list("pk", "reminders_sent")),
        "responses": SurveyResponse.objects.count(),
        "coverage": Coverage.objects.count(),
        "links": CsirtLink.objects.count(),
        "referrals": sorted(Referral.objects.values_list("pk", "status")),
        "assessments": sorted(Assessment.objects.values_list("pk", "status", "summary")),
        "comments": AssessmentComment.objects.count(),
        "assets": sorted(Asset.objects.filter(criticality_override__gt="").values_list("key")),
    }


_R = "/api/v1/risk"
ANSWERER = {"operator": 200}
API_ROWS += [
    Row("GET", _R + "/catalogue", api_statuses(200)),
    Row("GET", _R + "/assets", api_statuses(200)),
    Row("POST", _R + "/assets/sync", api_statuses(200), mutates=True),
    Row(
        "POST",
        _R + "/assets/{key}/criticality",
        api_statuses(200),
        setup=_asset_key,
        mutates=True,
        body=lambda w: {"level": "very high", "reason": "matrix"},
    ),
    Row("GET", _R + "/risks", api_statuses(200), setup=_risk, secrets=RISK_SECRETS),
    Row(
        "POST",
        _R + "/risks",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {"event": "dnssec-failure", "asset": "tld:alpha"},
    ),
    Row("GET", _R + "/risks/{ref}", api_statuses(200), setup=_risk, secrets=RISK_SECRETS),
    Row(
        "PATCH",
        _R + "/risks/{ref}",
        api_statuses(200),
        setup=_risk,
        secrets=RISK_SECRETS,
        mutates=True,
        body=lambda w: {"changes": {"likelihood": "high", "impact": "high"}, "reason": "matrix"},
    ),
    Row(
        "POST",
        _R + "/risks/{ref}/retire",
        api_statuses(200),
        setup=_risk,
        mutates=True,
        body=lambda w: {"reason": "matrix"},
    ),
    Row(
        "POST",
        _R + "/risks/{ref}/actions",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {"title": "Train", "due_date": "2027-03-01"},
    ),
    Row(
        "POST",
        _R + "/risks/{ref}/actions/{action_id}/done",
        api_statuses(200),
        setup=_risk,
        mutates=True,
    ),
    Row("GET", _R + "/threats", api_statuses(200)),
    Row("GET", _R + "/questionnaires", api_statuses(200), setup=_risk),
    Row(
        "POST",
        _R + "/questionnaires",
        api_statuses(201),
        mutates=True,
        body=lambda w: {
            "key": "new-q",
            "title": {"en": "N", "fr": "N", "es": "N"},
            "questions": [{"id": "a", "kind": "text", "text": {"en": "?", "fr": "?", "es": "?"}}],
        },
    ),
    Row(
        "PATCH",
        _R + "/questionnaires/{key}/versions/{version}",
        api_statuses(200),
        setup=_risk,
        mutates=True,
        body=lambda w: {"title": {"en": "D2", "fr": "D2", "es": "D2"}},
    ),
    Row(
        "POST",
        _R + "/questionnaires/{key}/versions",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {},
    ),
    Row("GET", _R + "/surveys", api_statuses(200), setup=_risk),
    Row(
        "POST",
        _R + "/surveys",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "questionnaire": SENT_KEY,
            "title": "Again",
            "audience": {"organizations": [w.org_b.slug]},
            "closes_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        },
    ),
    Row("GET", _R + "/surveys/{round_id}", api_statuses(200), setup=_risk),
    Row("POST", _R + "/surveys/{round_id}/remind", api_statuses(200), setup=_risk, mutates=True),
    # Answering: only members of an invited organisation (org_a's operator), not even staff.
    Row("GET", _R + "/surveys/{round_id}/questions", api_statuses(403, **ANSWERER), setup=_risk),
    Row(
        "POST",
        _R + "/surveys/{round_id}/answers",
        api_statuses(403, **ANSWERER),
        setup=_risk,
        mutates=True,
        body=lambda w: {"answers": {"ddos": "yes"}},
    ),
    Row("GET", _R + "/gaps", api_statuses(200), setup=_risk),
    Row(
        "POST",
        _R + "/coverage",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "organization": w.csirt.slug,
            "event": "dnssec-failure",
            "region": "*",
            "capabilities": ["coordinate"],
        },
    ),
    Row("DELETE", _R + "/coverage/{coverage_id}", api_statuses(204), setup=_risk, mutates=True),
    Row(
        "POST",
        _R + "/csirt-links",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {"tld": "zz", "csirt": w.csirt.slug},
    ),
    Row(
        "GET",
        _R + "/referrals",
        api_statuses(200),
        setup=_risk,
        secrets=("Example CERT",),
        secret_for=(),
    ),
    Row(
        "POST",
        _R + "/referrals",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "incident": "DNSCC-2026-0900",
            "responder": w.org_b.slug,
            "reason": "theirs",
        },
    ),
    Row(
        "POST",
        _R + "/referrals/{referral_id}/status",
        api_statuses(200),
        setup=_risk,
        mutates=True,
        body=lambda w: {"status": "sent"},
    ),
    Row(
        "GET",
        _R + "/assessments",
        api_statuses(200, members=200),
        setup=_risk,
        secrets=ASSESSMENT_SECRETS,
        secret_for=("operator", "outsider"),
    ),
    Row(
        "POST",
        _R + "/assessments",
        api_statuses(201),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "title": "Another",
            "kind": "baseline",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    ),
    Row(
        "GET",
        _R + "/assessments/{assessment_id}",
        api_statuses(200, members=404, partner=200),
        setup=_risk,
        secrets=ASSESSMENT_SECRETS,
    ),
    Row(
        "PATCH",
        _R + "/assessments/{assessment_id}",
        api_statuses(409, members=404, partner=403),
        setup=_risk,
        mutates=True,
        body=lambda w: {"summary": "x"},
    ),
    Row(
        "POST",
        _R + "/assessments/{assessment_id}/versions",
        api_statuses(201, members=404, partner=403),
        setup=_risk,
        mutates=True,
    ),
    Row(
        "POST",
        _R + "/assessments/{assessment_id}/comments-open",
        api_statuses(409, members=404, partner=403),
        setup=_risk,
        mutates=True,
    ),
    Row(
        "POST",
        _R + "/assessments/{assessment_id}/comments",
        api_statuses(201, members=404, partner=201),
        setup=_risk,
        mutates=True,
        body=lambda w: {"text": "Looks right"},
    ),
    Row(
        "POST",
        _R + "/assessments/{assessment_id}/sign",
        api_statuses(200, members=404, partner=403),
        setup=_risk,
        mutates=True,
    ),
    Row(
        "GET",
        _R + "/assessments/{assessment_id}/report.pdf",
        api_statuses(200, members=404, partner=200),
        setup=_risk,
        secrets=ASSESSMENT_SECRETS,
    ),
]

PAGE_ROWS += [
    Row("GET", "/risk/", page_statuses(200), setup=_risk, secrets=RISK_SECRETS),
    Row(
        "POST",
        "/risk/",
        page_statuses(302),
        setup=_risk,
        mutates=True,
        body=lambda w: {"event": "dnssec-failure", "asset": "tld:alpha"},
    ),
    Row("GET", "/risk/risks/{ref}/", page_statuses(200), setup=_risk, secrets=RISK_SECRETS),
    Row(
        "POST",
        "/risk/risks/{ref}/update",
        page_statuses(302),
        setup=_risk,
        mutates=True,
        body=lambda w: {"likelihood": "high", "impact": "high", "reason": "matrix"},
    ),
    Row("GET", "/risk/catalogue/", page_statuses(200)),
    Row("GET", "/risk/assets/", page_statuses(200)),
    Row("POST", "/risk/assets/", page_statuses(302), mutates=True, body=lambda w: {"sync": "1"}),
    Row("GET", "/risk/threats/", page_statuses(200)),
    Row("GET", "/risk/surveys/", page_statuses(200), setup=_risk),
    Row(
        "POST",
        "/risk/surveys/",
        page_statuses(302),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "questionnaire": DRAFT_KEY,
            "title": "Matrix portal round",
            "closes": "2099-12-31",
            "regions": ["AF"],
        },
    ),
    Row("GET", "/risk/surveys/{round_id}/", page_statuses(200), setup=_risk),
    Row("POST", "/risk/surveys/{round_id}/", page_statuses(302), setup=_risk, mutates=True),
    Row("GET", "/risk/surveys/{round_id}/answer/", page_statuses(403, operator=200), setup=_risk),
    Row(
        "POST",
        "/risk/surveys/{round_id}/answer/",
        page_statuses(403, operator=302),
        setup=_risk,
        mutates=True,
        body=lambda w: {"q_ddos": "yes"},
    ),
    Row("GET", "/risk/surveys/mine/", page_statuses(200, members=200)),
    # The signed link is its own credential: whoever holds it may answer; a forged one
    # finds nothing.
    Row("GET", "/risk/s/{token}/", statuses(200), setup=_risk),
    Row(
        "POST",
        "/risk/s/forged-token/",
        statuses(404),
        mutates=True,
        body=lambda w: {"q_ddos": "yes"},
    ),
    Row("GET", "/risk/gaps/", page_statuses(200), setup=_risk),
    Row(
        "POST",
        "/risk/gaps/cover",
        page_statuses(302),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "organization": w.csirt.slug,
            "event": "zone-data-leak",
            "region": "EU",
            "capabilities": ["detect"],
        },
    ),
    Row(
        "GET",
        "/risk/assessments/",
        page_statuses(200, members=200),
        setup=_risk,
        secrets=ASSESSMENT_SECRETS,
        secret_for=("operator", "outsider"),
    ),
    Row(
        "POST",
        "/risk/assessments/",
        page_statuses(302),
        setup=_risk,
        mutates=True,
        body=lambda w: {
            "title": "Another",
            "kind": "baseline",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    ),
    Row(
        "GET",
        "/risk/assessments/{assessment_id}/",
        page_statuses(200, members=404, partner=200),
        setup=_risk,
        secrets=ASSESSMENT_SECRETS,
    ),
    Row(
        "POST",
        "/risk/assessments/{assessment_id}/comment",
        page_statuses(302, members=404, partner=302),
        setup=_risk,
        mutates=True,
        body=lambda w: {"text": "Looks right"},
    ),
    Row(
        "GET",
        "/risk/assessments/{assessment_id}/report.html",
        page_statuses(200, members=404, partner=200),
        setup=_risk,
        secrets=ASSESSMENT_SECRETS,
    ),
]
