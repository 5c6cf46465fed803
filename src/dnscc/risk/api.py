"""The risk API, at /api/v1/risk/: catalogue, assets, register, threat survey, questionnaires
and survey rounds (answers from members of invited organisations), the responders'
inventory and gap matrix, referrals, and assessments with their report (HTML, PDF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.core.errors import InputError, Location
from dnscc.risk import assessments, assets, catalogue, gaps, register, report, surveys
from dnscc.risk.models import Asset
from dnscc.risk.threat_survey import threat_survey

router = Router(tags=["risk"])


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(request.user)


# --- catalogue and assets ------------------------------------------------------------------


@router.get("/catalogue", response=list[dict[str, Any]])
def catalogue_list(request: HttpRequest) -> Any:
    """Staff: the catalogue of DNS threat events (retired ones included) risks are written
    against."""
    require_staff(request.user)
    return [catalogue.describe(e) for e in catalogue.events(include_retired=True)]


@router.get("/assets", response=list[dict[str, Any]])
def asset_list(request: HttpRequest, kind: str = "", region: str = "") -> Any:
    """Staff: the assets of the namespace (root, TLDs, services) with their criticality; filter
    by kind and region."""
    require_staff(request.user)
    assets.ensure_assets()
    qs = Asset.objects.filter(retired_at__isnull=True).select_related("organization")
    if kind:
        qs = qs.filter(kind=kind)
    if region:
        qs = qs.filter(region=region.upper())
    return [assets.describe(a) for a in qs]


class SyncOut(Schema):
    created: int
    updated: int
    retired: int
    revived: int


@router.post("/assets/sync", response=SyncOut)
def asset_sync(request: HttpRequest) -> Any:
    """Staff: bring the asset list up to date with the directory (new TLDs, retired ones)."""
    require_staff(request.user)
    return assets.sync_assets(_actor(request))


class CriticalityIn(Schema):
    level: str
    reason: str


@router.post("/assets/{key}/criticality", response=dict[str, Any])
def asset_criticality(request: HttpRequest, key: str, body: CriticalityIn) -> Any:
    """Staff: set an asset's criticality with the reason for it."""
    viewer = require_staff(request.user)
    return assets.describe(
        assets.set_criticality(viewer, _actor(request), key, level=body.level, reason=body.reason)
    )


# --- register -----------------------------------------------------------------------------


class RiskIn(Schema):
    event: str = ""
    asset: str = ""
    asset_class: str = ""
    title: str = ""
    description: str = ""
    likelihood: str = ""
    impact: str = ""
    owner: str = ""
    tlp: str = "AMBER"
    reason: str = ""


class RiskChangeIn(Schema):
    changes: dict[str, Any]
    reason: str = ""
    version: int | None = None


class ReasonIn(Schema):
    reason: str


class ActionIn(Schema):
    title: str
    due_date: dt.date
    owner: str = ""


@router.get("/risks", response=list[dict[str, Any]])
def risk_list(request: HttpRequest) -> Any:
    """Staff: the risk register (TLP decides what each one shows)."""
    viewer = require_staff(request.user)
    rows = register.visible_risks(viewer)
    audit.disclosed(_actor(request), "risk.risk", ids=[r.ref for r in rows], how="api")
    return [register.describe(r) for r in rows]


@router.post("/risks", response={201: dict[str, Any]})
def risk_create(request: HttpRequest, body: RiskIn) -> Any:
    """Staff: add a risk to the register (threat event, assets, likelihood, impact, owner)."""
    viewer = require_staff(request.user)
    risk = register.create_risk(viewer, _actor(request), **body.dict(), user=request.user)
    return Status(201, register.describe(risk, history=True))


@router.get("/risks/{ref}", response=dict[str, Any])
def risk_detail(request: HttpRequest, ref: str) -> Any:
    """Staff: one risk with its history and treatment actions."""
    viewer = require_staff(request.user)
    risk = register.get_risk(viewer, ref)
    audit.disclosed(_actor(request), "risk.risk", ids=[risk.ref], how="api")
    return register.describe(risk, history=True)


@router.patch("/risks/{ref}", response=dict[str, Any])
def risk_update(request: HttpRequest, ref: str, body: RiskChangeIn) -> Any:
    """Staff: change a risk with the reason for it. Send the version you read: a stale one is a
    409 conflict."""
    viewer = require_staff(request.user)
    risk = register.update_risk(
        viewer, _actor(request), ref, body.changes, reason=body.reason, version=body.version
    )
    return register.describe(risk, history=True)


@router.post("/risks/{ref}/retire", response=dict[str, Any])
def risk_retire(request: HttpRequest, ref: str, body: ReasonIn) -> Any:
    """Staff: retire a risk with the reason; it stays in the history."""
    viewer = require_staff(request.user)
    return register.describe(register.retire_risk(viewer, _actor(request), ref, reason=body.reason))


@router.post("/risks/{ref}/actions", response={201: dict[str, Any]})
def risk_action_add(request: HttpRequest, ref: str, body: ActionIn) -> Any:
    """Staff: add a treatment action with an owner and a due date."""
    viewer = require_staff(request.user)
    action = register.add_action(
        viewer, _actor(request), ref, title=body.title, due_date=body.due_date, owner=body.owner
    )
    return Status(
        201, {"id": action.pk, "title": action.title, "due_date": action.due_date.isoformat()}
    )


@router.post("/risks/{ref}/actions/{action_id}/done", response=dict[str, Any])
def risk_action_done(request: HttpRequest, ref: str, action_id: int) -> Any:
    """Staff: mark a treatment action done."""
    viewer = require_staff(request.user)
    action = register.complete_action(viewer, _actor(request), ref, action_id)
    return {"id": action.pk, "done_at": action.done_at}


# --- threat survey -------------------------------------------------------------------------


def _period(start: str, end: str) -> tuple[dt.date, dt.date]:
    try:
        to = dt.date.fromisoformat(end) if end else dt.date.today()
        since = dt.date.fromisoformat(start) if start else to - dt.timedelta(days=364)
    except ValueError:
        raise InputError(
            "dates are YYYY-MM-DD", location=Location(field="start" if start else "end")
        ) from None
    return since, to


@router.get("/threats", response=dict[str, Any])
def threats(request: HttpRequest, start: str = "", end: str = "") -> Any:
    """Staff: the threat survey of a period: incidents and findings counted per threat event."""
    require_staff(request.user)
    since, to = _period(start, end)
    return threat_survey(since, to)


# --- questionnaires and surveys ---------------------------------------------------------------


class QuestionnaireIn(Schema):
    key: str
    title: dict[str, str]
    questions: list[dict[str, Any]]
    languages: list[str] = ["en", "fr", "es"]


class QuestionnaireChangeIn(Schema):
    title: dict[str, str] | None = None
    questions: list[dict[str, Any]] | None = None


@router.get("/questionnaires", response=list[dict[str, Any]])
def questionnaire_list(request: HttpRequest) -> Any:
    """Staff: survey questionnaires with their versions and languages."""
    require_staff(request.user)
    from dnscc.risk.models import Questionnaire

    return [surveys.describe_questionnaire(q) for q in Questionnaire.objects.all()]


@router.post("/questionnaires", response={201: dict[str, Any]})
def questionnaire_create(request: HttpRequest, body: QuestionnaireIn) -> Any:
    """Staff: create a questionnaire (questions in each language)."""
    viewer = require_staff(request.user)
    q = surveys.create_questionnaire(viewer, _actor(request), **body.dict())
    return Status(201, surveys.describe_questionnaire(q))


@router.patch("/questionnaires/{key}/versions/{version}", response=dict[str, Any])
def questionnaire_update(
    request: HttpRequest, key: str, version: int, body: QuestionnaireChangeIn
) -> Any:
    """Staff: change a questionnaire version not yet sent."""
    viewer = require_staff(request.user)
    q = surveys.update_questionnaire(viewer, _actor(request), key, version, **body.dict())
    return surveys.describe_questionnaire(q)


@router.post("/questionnaires/{key}/versions", response={201: dict[str, Any]})
def questionnaire_version(request: HttpRequest, key: str, body: QuestionnaireChangeIn) -> Any:
    """Staff: start a new version of a questionnaire."""
    viewer = require_staff(request.user)
    q = surveys.new_version(viewer, _actor(request), key, **body.dict())
    return Status(201, surveys.describe_questionnaire(q))


class RoundIn(Schema):
    questionnaire: str
    version: int | None = None
    title: str
    audience: dict[str, Any] = {}
    closes_at: dt.datetime
    min_cell: int = 5


@router.get("/surveys", response=list[dict[str, Any]])
def round_list(request: HttpRequest) -> Any:
    """Staff: survey rounds with their response counts."""
    require_staff(request.user)
    from dnscc.risk.models import SurveyRound

    return [surveys.describe_round(r) for r in SurveyRound.objects.select_related("questionnaire")]


@router.post("/surveys", response={201: dict[str, Any]})
def round_send(request: HttpRequest, body: RoundIn) -> Any:
    """Staff: send a survey round to an audience through the outbox."""
    viewer = require_staff(request.user)
    rnd, queued = surveys.send_round(viewer, _actor(request), **body.dict(), user=request.user)
    return Status(201, {**surveys.describe_round(rnd), "queued": queued})


@router.get("/surveys/{round_id}", response=dict[str, Any])
def round_results(request: HttpRequest, round_id: int, by: str = "region") -> Any:
    """Staff: a round's answers, aggregated by region or organisation kind."""
    viewer = require_staff(request.user)
    if by not in ("region", "kind"):
        raise InputError("by is region or kind", location=Location(field="by"))
    return surveys.results(surveys.get_round(viewer, round_id), by=by)


@router.post("/surveys/{round_id}/remind", response=dict[str, Any])
def round_remind(request: HttpRequest, round_id: int) -> Any:
    """Staff: remind the organisations that have not answered a round."""
    viewer = require_staff(request.user)
    return surveys.send_reminders(viewer, _actor(request), round_id, user=request.user)


class AnswersIn(Schema):
    answers: dict[str, Any]


@router.get("/surveys/{round_id}/questions", response=dict[str, Any])
def round_questions(request: HttpRequest, round_id: int) -> Any:
    """What a member of an invited organisation is asked, in its language."""
    viewer = require_role(request.user)
    inv = surveys.invitation_for(viewer, round_id)
    q = inv.round.questionnaire
    return {
        "round": inv.round.pk,
        "title": q.title_in(inv.language),
        "language": inv.language,
        "closes_at": inv.round.closes_at,
        "answered": inv.responded_at is not None,
        "questions": q.questions,
    }


@router.post("/surveys/{round_id}/answers", response=dict[str, Any])
def round_answer(request: HttpRequest, round_id: int, body: AnswersIn) -> Any:
    """An organisation answers a survey round in the portal (staff: on its behalf)."""
    viewer = require_role(request.user)
    response = surveys.answer_in_portal(viewer, _actor(request), round_id, body.answers)
    return {"round": round_id, "submitted_at": response.submitted_at, "via": response.via}


# --- gaps and referrals --------------------------------------------------------------------------


class CoverageIn(Schema):
    organization: str
    event: str
    region: str
    capabilities: list[str]
    note: str = ""


@router.get("/gaps", response=dict[str, Any])
def gap_matrix(request: HttpRequest) -> Any:
    """Staff: the capability gap matrix, the inventory of who covers what, and CSIRT links."""
    require_staff(request.user)
    return {**gaps.matrix(), "inventory": gaps.inventory(), "csirt_links": gaps.csirt_links()}


@router.post("/coverage", response={201: list[dict[str, Any]]})
def coverage_add(request: HttpRequest, body: CoverageIn) -> Any:
    """Staff: record that an organisation covers a capability."""
    viewer = require_staff(request.user)
    rows = gaps.add_coverage(viewer, _actor(request), **body.dict())
    return Status(201, [{"id": r.pk, "capability": r.capability} for r in rows])


@router.delete("/coverage/{coverage_id}", response={204: None})
def coverage_remove(request: HttpRequest, coverage_id: int) -> Any:
    """Staff: remove a coverage record."""
    viewer = require_staff(request.user)
    gaps.remove_coverage(viewer, _actor(request), coverage_id)
    return Status(204, None)


class CsirtLinkIn(Schema):
    tld: str
    csirt: str


@router.post("/csirt-links", response={201: dict[str, Any]})
def csirt_link(request: HttpRequest, body: CsirtLinkIn) -> Any:
    """Staff: link a TLD to the CSIRT that serves it."""
    viewer = require_staff(request.user)
    link = gaps.link_csirt(viewer, _actor(request), tld=body.tld, csirt=body.csirt)
    return Status(201, {"tld": link.tld.name, "csirt": link.csirt.slug})


class ReferralIn(Schema):
    incident: str
    responder: str = ""
    reason: str


class ReferralStatusIn(Schema):
    status: str
    note: str = ""


@router.get("/referrals", response=list[dict[str, Any]])
def referral_list(request: HttpRequest) -> Any:
    """Staff: incidents referred to other responders, with their status."""
    viewer = require_staff(request.user)
    return [gaps.describe_referral(r) for r in gaps.referrals(viewer)]


@router.post("/referrals", response={201: dict[str, Any]})
def referral_create(request: HttpRequest, body: ReferralIn) -> Any:
    """Staff: refer an incident to another responder."""
    viewer = require_staff(request.user)
    return Status(
        201, gaps.describe_referral(gaps.refer_incident(viewer, _actor(request), **body.dict()))
    )


@router.post("/referrals/{referral_id}/status", response=dict[str, Any])
def referral_status(request: HttpRequest, referral_id: int, body: ReferralStatusIn) -> Any:
    """Staff: record a referral's new status with a note."""
    viewer = require_staff(request.user)
    r = gaps.set_referral_status(
        viewer, _actor(request), referral_id, status=body.status, note=body.note
    )
    return gaps.describe_referral(r)


# --- assessments ---------------------------------------------------------------------------


class AssessmentIn(Schema):
    title: str
    kind: str
    period_start: dt.date
    period_end: dt.date
    tlp: str = "AMBER"
    survey_round: int | None = None
    reviewers: list[str] = []
    summary: str = ""


class SummaryIn(Schema):
    summary: str


class CommentIn(Schema):
    text: str


@router.get("/assessments", response=list[dict[str, Any]])
def assessment_list(request: HttpRequest) -> Any:
    """Risk assessments you may see (staff all; a member those shared with it)."""
    viewer = require_role(request.user)
    rows = assessments.visible_assessments(viewer)
    audit.disclosed(_actor(request), "risk.assessment", ids=[a.pk for a in rows], how="api")
    return [assessments.describe(a) for a in rows]


@router.post("/assessments", response={201: dict[str, Any]})
def assessment_create(request: HttpRequest, body: AssessmentIn) -> Any:
    """Staff: start a risk assessment from the register."""
    viewer = require_staff(request.user)
    a = assessments.create_assessment(viewer, _actor(request), **body.dict(), user=request.user)
    return Status(201, assessments.describe(a))


@router.get("/assessments/{assessment_id}", response=dict[str, Any])
def assessment_detail(request: HttpRequest, assessment_id: int) -> Any:
    """One risk assessment with its frozen snapshot."""
    viewer = require_role(request.user)
    a = assessments.get_assessment(viewer, assessment_id)
    audit.disclosed(_actor(request), "risk.assessment", ids=[a.pk], how="api")
    return assessments.describe(a, snapshot=True)


@router.patch("/assessments/{assessment_id}", response=dict[str, Any])
def assessment_summary(request: HttpRequest, assessment_id: int, body: SummaryIn) -> Any:
    """Change an assessment's summary while it is a draft."""
    viewer = require_role(request.user)
    return assessments.describe(
        assessments.update_summary(viewer, _actor(request), assessment_id, body.summary)
    )


@router.post("/assessments/{assessment_id}/versions", response={201: dict[str, Any]})
def assessment_version(request: HttpRequest, assessment_id: int) -> Any:
    """Start a new version of an assessment from the current register."""
    viewer = require_role(request.user)
    return Status(
        201, assessments.describe(assessments.new_version(viewer, _actor(request), assessment_id))
    )


@router.post("/assessments/{assessment_id}/comments-open", response=dict[str, Any])
def assessment_open(request: HttpRequest, assessment_id: int) -> Any:
    """Open an assessment for comments."""
    viewer = require_role(request.user)
    return assessments.describe(assessments.open_comments(viewer, _actor(request), assessment_id))


@router.post("/assessments/{assessment_id}/comments", response={201: dict[str, Any]})
def assessment_comment(request: HttpRequest, assessment_id: int, body: CommentIn) -> Any:
    """Comment on an assessment open for comments."""
    viewer = require_role(request.user)
    c = assessments.add_comment(viewer, _actor(request), assessment_id, body.text)
    return Status(201, {"author": c.author, "text": c.text, "at": c.at})


@router.post("/assessments/{assessment_id}/sign", response=dict[str, Any])
def assessment_sign(request: HttpRequest, assessment_id: int) -> Any:
    """Sign an assessment off; it becomes the baseline."""
    viewer = require_role(request.user)
    return assessments.describe(assessments.sign_off(viewer, _actor(request), assessment_id))


@router.get("/assessments/{assessment_id}/report.pdf")
def assessment_pdf(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """An assessment's report as PDF."""
    viewer = require_role(request.user)
    a = assessments.get_assessment(viewer, assessment_id)
    pdf = report.report_pdf(a)
    audit.disclosed(_actor(request), "risk.assessment", ids=[a.pk], how="export", format="pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="assessment-{a.pk}-v{a.version}.pdf"'
    return response
