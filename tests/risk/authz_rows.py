"""Authorization matrix rows of the risk framework (collected by tests/test_authz_matrix.py).

The world gets a risk of the register, a sent survey round to org_a (the operator's
organisation: only its members may answer), a draft questionnaire, a referral, a coverage
entry, and an assessment open for comments with the partner named in its audience.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from tests.authz import Row, Rows, api_statuses, page_statuses, statuses
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


_api = Rows("/api/v1/risk", setup=_risk)
_page = Rows("/risk", setup=_risk)
ANSWERER = {"operator": 200}
# Assessments: a member of no audience finds none (404); the partner, a reviewer, reads and
# comments but does not edit.
REVIEWED = {"members": 404, "partner": 403}
API_ROWS += [
    _api.get("/catalogue", api_statuses(200), setup=None),
    _api.get("/assets", api_statuses(200), setup=None),
    _api.post("/assets/sync", api_statuses(200), setup=None),
    _api.post(
        "/assets/{key}/criticality",
        api_statuses(200),
        setup=_asset_key,
        body={"level": "very high", "reason": "matrix"},
    ),
    _api.get("/risks", api_statuses(200), secrets=RISK_SECRETS),
    _api.post("/risks", api_statuses(201), body={"event": "dnssec-failure", "asset": "tld:alpha"}),
    _api.get("/risks/{ref}", api_statuses(200), secrets=RISK_SECRETS),
    _api.patch(
        "/risks/{ref}",
        api_statuses(200),
        secrets=RISK_SECRETS,
        body={"changes": {"likelihood": "high", "impact": "high"}, "reason": "matrix"},
    ),
    _api.post("/risks/{ref}/retire", api_statuses(200), body={"reason": "matrix"}),
    _api.post(
        "/risks/{ref}/actions",
        api_statuses(201),
        body={"title": "Train", "due_date": "2027-03-01"},
    ),
    _api.post("/risks/{ref}/actions/{action_id}/done", api_statuses(200)),
    _api.get("/threats", api_statuses(200), setup=None),
    _api.get("/questionnaires", api_statuses(200)),
    _api.post(
        "/questionnaires",
        api_statuses(201),
        setup=None,
        body={
            "key": "new-q",
            "title": {"en": "N", "fr": "N", "es": "N"},
            "questions": [{"id": "a", "kind": "text", "text": {"en": "?", "fr": "?", "es": "?"}}],
        },
    ),
    _api.patch(
        "/questionnaires/{key}/versions/{version}",
        api_statuses(200),
        body={"title": {"en": "D2", "fr": "D2", "es": "D2"}},
    ),
    _api.post("/questionnaires/{key}/versions", api_statuses(201), body={}),
    _api.get("/surveys", api_statuses(200)),
    _api.post(
        "/surveys",
        api_statuses(201),
        body=lambda w: {
            "questionnaire": SENT_KEY,
            "title": "Again",
            "audience": {"organizations": [w.org_b.slug]},
            "closes_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
        },
    ),
    _api.get("/surveys/{round_id}", api_statuses(200)),
    _api.post("/surveys/{round_id}/remind", api_statuses(200)),
    # Answering: only members of an invited organisation (org_a's operator), not even staff.
    _api.get("/surveys/{round_id}/questions", api_statuses(403, **ANSWERER)),
    _api.post(
        "/surveys/{round_id}/answers",
        api_statuses(403, **ANSWERER),
        body={"answers": {"ddos": "yes"}},
    ),
    _api.get("/gaps", api_statuses(200)),
    _api.post(
        "/coverage",
        api_statuses(201),
        body=lambda w: {
            "organization": w.csirt.slug,
            "event": "dnssec-failure",
            "region": "*",
            "capabilities": ["coordinate"],
        },
    ),
    _api.delete("/coverage/{coverage_id}", api_statuses(204)),
    _api.post(
        "/csirt-links", api_statuses(201), body=lambda w: {"tld": "zz", "csirt": w.csirt.slug}
    ),
    _api.get("/referrals", api_statuses(200), secrets=("Example CERT",), secret_for=()),
    _api.post(
        "/referrals",
        api_statuses(201),
        body=lambda w: {
            "incident": "DNSCC-2026-0900",
            "responder": w.org_b.slug,
            "reason": "theirs",
        },
    ),
    _api.post("/referrals/{referral_id}/status", api_statuses(200), body={"status": "sent"}),
    _api.get(
        "/assessments",
        api_statuses(200, members=200),
        secrets=ASSESSMENT_SECRETS,
        secret_for=("operator", "outsider"),
    ),
    _api.post(
        "/assessments",
        api_statuses(201),
        body={
            "title": "Another",
            "kind": "baseline",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    ),
    _api.get(
        "/assessments/{assessment_id}",
        api_statuses(200, members=404, partner=200),
        secrets=ASSESSMENT_SECRETS,
    ),
    _api.patch(
        "/assessments/{assessment_id}", api_statuses(409, **REVIEWED), body={"summary": "x"}
    ),
    _api.post("/assessments/{assessment_id}/versions", api_statuses(201, **REVIEWED)),
    _api.post("/assessments/{assessment_id}/comments-open", api_statuses(409, **REVIEWED)),
    _api.post(
        "/assessments/{assessment_id}/comments",
        api_statuses(201, members=404, partner=201),
        body={"text": "Looks right"},
    ),
    _api.post("/assessments/{assessment_id}/sign", api_statuses(200, **REVIEWED)),
    _api.get(
        "/assessments/{assessment_id}/report.pdf",
        api_statuses(200, members=404, partner=200),
        secrets=ASSESSMENT_SECRETS,
    ),
]

PAGE_ROWS += [
    _page.get("/", page_statuses(200), secrets=RISK_SECRETS),
    _page.post("/", page_statuses(302), body={"event": "dnssec-failure", "asset": "tld:alpha"}),
    _page.get("/risks/{ref}/", page_statuses(200), secrets=RISK_SECRETS),
    _page.post(
        "/risks/{ref}/update",
        page_statuses(302),
        body={"likelihood": "high", "impact": "high", "reason": "matrix"},
    ),
    _page.get("/catalogue/", page_statuses(200), setup=None),
    _page.get("/assets/", page_statuses(200), setup=None),
    _page.post("/assets/", page_statuses(302), setup=None, body={"sync": "1"}),
    _page.get("/threats/", page_statuses(200), setup=None),
    _page.get("/surveys/", page_statuses(200)),
    _page.post(
        "/surveys/",
        page_statuses(302),
        body={
            "questionnaire": DRAFT_KEY,
            "title": "Matrix portal round",
            "closes": "2099-12-31",
            "regions": ["AF"],
        },
    ),
    _page.get("/surveys/{round_id}/", page_statuses(200)),
    _page.post("/surveys/{round_id}/", page_statuses(302)),
    _page.get("/surveys/{round_id}/answer/", page_statuses(403, **ANSWERER)),
    _page.post(
        "/surveys/{round_id}/answer/",
        page_statuses(403, operator=302),
        body={"q_ddos": "yes"},
    ),
    _page.get("/surveys/mine/", page_statuses(200, members=200), setup=None),
    # The signed link is its own credential: whoever holds it may answer; a forged one
    # finds nothing.
    _page.get("/s/{token}/", statuses(200)),
    _page.post("/s/forged-token/", statuses(404), setup=None, body={"q_ddos": "yes"}),
    _page.get("/gaps/", page_statuses(200)),
    _page.post(
        "/gaps/cover",
        page_statuses(302),
        body=lambda w: {
            "organization": w.csirt.slug,
            "event": "zone-data-leak",
            "region": "EU",
            "capabilities": ["detect"],
        },
    ),
    _page.get(
        "/assessments/",
        page_statuses(200, members=200),
        secrets=ASSESSMENT_SECRETS,
        secret_for=("operator", "outsider"),
    ),
    _page.post(
        "/assessments/",
        page_statuses(302),
        body={
            "title": "Another",
            "kind": "baseline",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
        },
    ),
    _page.get(
        "/assessments/{assessment_id}/",
        page_statuses(200, members=404, partner=200),
        secrets=ASSESSMENT_SECRETS,
    ),
    _page.post(
        "/assessments/{assessment_id}/comment",
        page_statuses(302, members=404, partner=302),
        body={"text": "Looks right"},
    ),
    _page.get(
        "/assessments/{assessment_id}/report.html",
        page_statuses(200, members=404, partner=200),
        secrets=ASSESSMENT_SECRETS,
    ),
]
