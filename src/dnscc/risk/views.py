"""Portal pages of the risk framework: the register with its heat map, a risk, the catalogue
and assets, the threat survey, survey rounds (results; answering in the portal or by a
signed link), the gap matrix with referrals, and assessments with their report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.core import charts
from dnscc.core.errors import DnsccError, InputError, Location, NotFoundError, ValidationErrors
from dnscc.core.riskscale import LEVELS
from dnscc.core.threats import ASSET_KINDS
from dnscc.core.tlp import TLP
from dnscc.risk import assessments, assets, catalogue, gaps, register, report, surveys
from dnscc.risk.models import Assessment, Asset, Questionnaire, Risk, SurveyRound
from dnscc.risk.threat_survey import threat_survey
from dnscc.web.access import role_required


def _errors(request: HttpRequest, exc: DnsccError) -> None:
    if isinstance(exc, ValidationErrors):
        for e in exc.errors[:30]:
            messages.error(request, str(e))
    else:
        messages.error(request, str(exc))


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(request.user)


def _svg(text: str) -> Any:
    return mark_safe(text)  # noqa: S308 - core.charts escapes every text it draws


# --- register -------------------------------------------------------------------------------


@role_required(staff=True)
def overview(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            risk = register.create_risk(
                viewer,
                _actor(request),
                event=request.POST.get("event", ""),
                asset=request.POST.get("asset", ""),
                asset_class=request.POST.get("asset_class", ""),
                title=request.POST.get("title", ""),
                likelihood=request.POST.get("likelihood", ""),
                impact=request.POST.get("impact", ""),
                tlp=request.POST.get("tlp", "AMBER"),
                reason=request.POST.get("reason", ""),
                user=request.user,
            )
        except DnsccError as exc:
            _errors(request, exc)
        else:
            messages.success(request, f"{risk.ref} added to the register.")
            return redirect("risk:risk", ref=risk.ref)
    rows = register.visible_risks(viewer)
    audit.disclosed(_actor(request), "risk.risk", ids=[r.ref for r in rows])
    described = [register.describe(r) for r in rows]
    return render(
        request,
        "risk/overview.html",
        {
            "risks": described,
            "heat_map": _svg(report.heat_map_svg(described)),
            "events": catalogue.events(),
            "levels": LEVELS,
            "asset_kinds": ASSET_KINDS,
            "tlps": [t.value for t in TLP if t is not TLP.RED],
            "form": request.POST if request.method == "POST" else {},
        },
    )


@role_required(staff=True)
def risk_detail(request: HttpRequest, ref: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        risk = register.get_risk(viewer, ref)
    except NotFoundError:
        raise Http404 from None
    audit.disclosed(_actor(request), "risk.risk", ids=[risk.ref])
    return render(
        request,
        "risk/risk.html",
        {
            "risk": risk,
            "r": register.describe(risk, history=True),
            "levels": LEVELS,
            "treatments": Risk.TREATMENT_CHOICES,
        },
    )


@role_required(staff=True)
@require_POST
def risk_action(request: HttpRequest, ref: str, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = _actor(request)
    post = request.POST
    try:
        if action == "update":
            fields = (
                "likelihood",
                "impact",
                "residual_likelihood",
                "residual_impact",
                "decision",
                "treatment",
                "owner",
            )
            data = {f: post[f] for f in fields if f in post}
            version = int(post["version"]) if post.get("version", "").isdigit() else None
            register.update_risk(
                viewer, actor, ref, data, reason=post.get("reason", ""), version=version
            )
            messages.success(request, f"{ref} changed.")
        elif action == "action":
            register.add_action(
                viewer,
                actor,
                ref,
                title=post.get("title", ""),
                due_date=post.get("due_date", ""),
                owner=post.get("owner", ""),
            )
            messages.success(request, "Action added.")
        elif action == "done":
            register.complete_action(viewer, actor, ref, int(post.get("action_id", "0") or 0))
            messages.success(request, "Action done.")
        elif action == "retire":
            register.retire_risk(viewer, actor, ref, reason=post.get("reason", ""))
            messages.success(request, f"{ref} retired.")
        else:
            raise Http404
    except NotFoundError:
        raise Http404 from None
    except (DnsccError, ValueError) as exc:
        if isinstance(exc, ValueError):
            exc = InputError("not a number", location=Location(field="action_id"))
        _errors(request, exc)
    return redirect("risk:risk", ref=ref)


@role_required(staff=True)
def catalogue_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "risk/catalogue.html",
        {
            "events": [catalogue.describe(e) for e in catalogue.events(include_retired=True)],
        },
    )


@role_required(staff=True)
def assets_page(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if request.method == "POST":
        try:
            if request.POST.get("sync"):
                result = assets.sync_assets(_actor(request))
                messages.success(request, f"Assets in step with the directory: {result}.")
            else:
                assets.set_criticality(
                    viewer,
                    _actor(request),
                    request.POST.get("key", ""),
                    level=request.POST.get("level", ""),
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, "Criticality changed.")
        except DnsccError as exc:
            _errors(request, exc)
        return redirect("risk:assets")
    assets.ensure_assets()
    kind = request.GET.get("kind", "")
    qs = Asset.objects.filter(retired_at__isnull=True).select_related("organization")
    if kind:
        qs = qs.filter(kind=kind)
    rows = list(qs[:500])
    return render(
        request,
        "risk/assets.html",
        {
            "assets": rows,
            "count": qs.count(),
            "kind": kind,
            "kinds": ASSET_KINDS,
            "levels": LEVELS,
        },
    )


# --- threat survey ----------------------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[dt.date, dt.date]:
    try:
        end = (
            dt.date.fromisoformat(request.GET["end"]) if request.GET.get("end") else dt.date.today()
        )
        start = (
            dt.date.fromisoformat(request.GET["start"])
            if request.GET.get("start")
            else end - dt.timedelta(days=364)
        )
    except ValueError:
        raise InputError("dates are YYYY-MM-DD", location=Location(field="start")) from None
    return start, end


@role_required(staff=True)
def threats_page(request: HttpRequest) -> HttpResponse:
    try:
        start, end = _period(request)
        data = threat_survey(start, end)
    except DnsccError as exc:
        _errors(request, exc)
        start, end = dt.date.today() - dt.timedelta(days=364), dt.date.today()
        data = threat_survey(start, end)
    rows = sorted(data["events"].items(), key=lambda kv: -kv[1]["incidents"] - kv[1]["findings"])
    regions = sorted({r for _, row in rows for r in row["regions"]})
    return render(
        request,
        "risk/threats.html",
        {
            "data": data,
            "rows": rows,
            "start": start,
            "end": end,
            "frequency": _svg(report.frequency_svg(data)),
            "severity": _svg(report.severity_svg(data)),
            "by_region": _svg(
                charts.bar_chart(
                    regions,
                    [
                        charts.Series(
                            row["name"], [float(row["regions"].get(r, 0)) for r in regions]
                        )
                        for _, row in rows
                        if row["incidents"]
                    ][:8],
                    stacked=True,
                    title="Incidents per region and threat event",
                )
            ),
        },
    )


# --- surveys ------------------------------------------------------------------------------------


def _send_round(request: HttpRequest) -> HttpResponse:
    """The portal's "Send a round": a questionnaire's latest version to an audience, closing
    at the end of a day (UTC), like `dnscc risk survey send`."""
    viewer, post = request.viewer, request.POST  # type: ignore[attr-defined]
    try:
        closes = _date(post.get("closes", ""), "closes")
        try:
            min_cell = int(post.get("min_cell", "5") or 5)
        except ValueError:
            raise InputError(
                "the minimum cell size is a whole number", location=Location(field="min_cell")
            ) from None
        constrained = {"yes": True, "no": False}.get(post.get("resource_constrained", ""))
        rnd, queued = surveys.send_round(
            viewer,
            _actor(request),
            questionnaire=post.get("questionnaire", ""),
            title=post.get("title", ""),
            audience={
                "regions": post.getlist("regions"),
                "kinds": post.getlist("kinds"),
                "languages": post.getlist("languages"),
                "resource_constrained": constrained,
            },
            closes_at=dt.datetime.combine(closes, dt.time(23, 59), tzinfo=dt.UTC),
            min_cell=min_cell,
            user=request.user,
        )
    except DnsccError as exc:
        _errors(request, exc)
        return redirect("risk:surveys")
    messages.success(
        request,
        f"Round sent to {rnd.invitations.count()} organisation(s): "
        f"{queued.get('messages', 0)} message(s) queued in the outbox.",
    )
    return redirect("risk:survey", rnd.pk)


@role_required(staff=True)
def surveys_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _send_round(request)
    rounds = [
        surveys.describe_round(r) for r in SurveyRound.objects.select_related("questionnaire")
    ]
    from dnscc.directory.models import Organization

    latest: dict[str, Questionnaire] = {}
    for q in Questionnaire.objects.all():  # ordered by key, newest version first
        latest.setdefault(q.key, q)
    return render(
        request,
        "risk/surveys.html",
        {
            "rounds": rounds,
            "questionnaires": [
                surveys.describe_questionnaire(q) for q in Questionnaire.objects.all()
            ],
            "latest": list(latest.values()),
            "regions": gaps.REGIONS,
            "kinds": Organization.KIND_CHOICES,
            "languages": ("en", "fr", "es"),
        },
    )


@role_required(staff=True)
def survey_detail(request: HttpRequest, round_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        rnd = surveys.get_round(viewer, round_id)
    except NotFoundError:
        raise Http404 from None
    if request.method == "POST":
        try:
            result = surveys.send_reminders(viewer, _actor(request), rnd.pk, user=request.user)
            messages.success(request, f"Reminded {result['reminded']} organisation(s).")
        except DnsccError as exc:
            _errors(request, exc)
        return redirect("risk:survey", round_id=rnd.pk)
    by = (
        request.GET.get("by", "region") if request.GET.get("by") in ("region", "kind") else "region"
    )
    data = surveys.results(rnd, by=by)
    groups = list(data["rates"])
    rates = _svg(
        charts.bar_chart(
            groups,
            [
                charts.Series("answered", [float(data["rates"][g]["responded"]) for g in groups]),
                charts.Series("invited", [float(data["rates"][g]["invited"]) for g in groups]),
            ],
            title=f"Response by {by}",
        )
    )
    return render(request, "risk/survey.html", {"rnd": rnd, "data": data, "rates": rates, "by": by})


def _answers_from(post: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        q["id"]: post.get(f"q_{q['id']}", "")
        for q in questions
        if post.get(f"q_{q['id']}", "") != ""
    }


def _answer_page(request: HttpRequest, inv: Any, *, submit: Any, public: bool) -> HttpResponse:
    rnd, q = inv.round, inv.round.questionnaire
    lang = request.GET.get("lang") if request.GET.get("lang") in q.languages else inv.language
    given: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        given = _answers_from(request.POST, q.questions)
        try:
            submit(given)
        except DnsccError as exc:
            _errors(request, exc)
            status = 409 if not isinstance(exc, InputError) else 422
        else:
            messages.success(request, "Thank you: your answers are recorded.")
            return redirect(request.path)
    elif hasattr(inv, "response"):
        given = dict(inv.response.answers)
    questions = [
        {
            **item,
            "label": item["text"].get(lang) or item["text"].get("en"),
            "options": [
                {"id": c["id"], "label": c["text"].get(lang) or c["text"].get("en")}
                for c in item.get("choices", [])
            ],
            "points": list(range(item.get("min", 1), item.get("max", 5) + 1))
            if item["kind"] == "scale"
            else [],
            "value": str(given.get(item["id"], "")),
        }
        for item in q.questions
    ]
    return render(
        request,
        "risk/answer.html",
        {
            "inv": inv,
            "rnd": rnd,
            "title": q.title_in(lang),
            "lang": lang,
            "languages": q.languages,
            "questions": questions,
            "open": surveys.is_open(rnd),
            "public": public,
            "answered": inv.responded_at is not None,
        },
        status=status,
    )


@role_required()
def survey_answer(request: HttpRequest, round_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        inv = surveys.invitation_for(viewer, round_id)
    except NotFoundError:
        raise Http404 from None
    except DnsccError as exc:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(str(exc)) from None
    actor = _actor(request)
    return _answer_page(
        request,
        inv,
        public=False,
        submit=lambda answers: surveys.answer_in_portal(viewer, actor, round_id, answers),
    )


def survey_link(request: HttpRequest, token: str) -> HttpResponse:
    """The signed link of an invitation: no account needed, the token is the credential."""
    try:
        inv = surveys.invitation_by_token(token)
    except NotFoundError:
        raise Http404 from None
    return _answer_page(
        request, inv, public=True, submit=lambda answers: surveys.answer_by_link(token, answers)
    )


@role_required()
def my_surveys(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    return render(request, "risk/my_surveys.html", {"owed": surveys.owed_surveys(viewer)})


# --- gaps ----------------------------------------------------------------------------------------


@role_required(staff=True)
def gaps_page(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    m = gaps.matrix()
    names = {e.key: e.name for e in catalogue.events()}
    return render(
        request,
        "risk/gaps.html",
        {
            "m": m,
            "names": names,
            "matrix_svg": _svg(report.gap_matrix_svg(m, names)),
            "coverage_svg": _svg(report.coverage_svg(m)),
            "gap_list": [
                {
                    "event": names.get(g["event"], g["event"]),
                    "region": report.REGION_NAMES.get(g["region"], g["region"]),
                }
                for g in m["gaps"]
            ],
            "inventory": gaps.inventory(),
            "links": gaps.csirt_links(),
            "referrals": [gaps.describe_referral(r) for r in gaps.referrals(viewer)],
            "events": catalogue.events(),
            "regions": gaps.REGIONS,
            "capabilities": ("detect", "coordinate", "mitigate", "recover"),
        },
    )


@role_required(staff=True)
@require_POST
def gaps_action(request: HttpRequest, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor, post = _actor(request), request.POST
    try:
        if action == "cover":
            gaps.add_coverage(
                viewer,
                actor,
                organization=post.get("organization", ""),
                event=post.get("event", ""),
                region=post.get("region", ""),
                capabilities=post.getlist("capabilities"),
                note=post.get("note", ""),
            )
            messages.success(request, "Coverage recorded.")
        elif action == "uncover":
            gaps.remove_coverage(viewer, actor, int(post.get("coverage_id", "0") or 0))
            messages.success(request, "Coverage removed.")
        elif action == "link":
            gaps.link_csirt(viewer, actor, tld=post.get("tld", ""), csirt=post.get("csirt", ""))
            messages.success(request, "ccTLD linked to its CSIRT.")
        elif action == "refer":
            r = gaps.refer_incident(
                viewer,
                actor,
                incident=post.get("incident", ""),
                responder=post.get("responder", ""),
                reason=post.get("reason", ""),
            )
            messages.success(request, f"{r.incident.ref} referred to {r.responder.name}.")
        elif action == "referral":
            gaps.set_referral_status(
                viewer,
                actor,
                int(post.get("referral_id", "0") or 0),
                status=post.get("status", ""),
                note=post.get("note", ""),
            )
            messages.success(request, "Referral updated.")
        else:
            raise Http404
    except DnsccError as exc:
        _errors(request, exc)
    except ValueError:
        messages.error(request, "not a number")
    return redirect("risk:gaps")


# --- assessments --------------------------------------------------------------------------------


@role_required()
def assessments_page(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    if request.method == "POST":
        if not viewer.is_staff:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("Only center staff may make assessments.")
        try:
            a = assessments.create_assessment(
                viewer,
                _actor(request),
                title=request.POST.get("title", ""),
                kind=request.POST.get("kind", ""),
                period_start=_date(request.POST.get("period_start", ""), "period_start"),
                period_end=_date(request.POST.get("period_end", ""), "period_end"),
                tlp=request.POST.get("tlp", "AMBER"),
                survey_round=int(request.POST["survey_round"])
                if request.POST.get("survey_round", "").isdigit()
                else None,
                reviewers=request.POST.get("reviewers", "").split(),
                user=request.user,
            )
        except DnsccError as exc:
            _errors(request, exc)
        else:
            messages.success(request, "Assessment frozen as a draft.")
            return redirect("risk:assessment", assessment_id=a.pk)
    rows = assessments.visible_assessments(viewer)
    audit.disclosed(_actor(request), "risk.assessment", ids=[a.pk for a in rows])
    return render(
        request,
        "risk/assessments.html",
        {
            "rows": rows,
            "rounds": SurveyRound.objects.all()[:50] if viewer.is_staff else [],
            "tlps": [t.value for t in TLP if t is not TLP.RED],
            "today": dt.date.today(),
        },
    )


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{value!r} is not a date", location=Location(field=field), hint="YYYY-MM-DD"
        ) from None


def _assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    try:
        return assessments.get_assessment(request.viewer, assessment_id)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


@role_required()
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    a = _assessment(request, assessment_id)
    audit.disclosed(_actor(request), "risk.assessment", ids=[a.pk])
    reviewer = viewer.user_id in {u.pk for u in a.reviewers.all()}
    return render(
        request,
        "risk/assessment.html",
        {
            **report.context(a),
            "may_comment": a.status == Assessment.COMMENTS and (viewer.is_staff or reviewer),
            "is_staff": viewer.is_staff,
        },
    )


@role_required()
@require_POST
def assessment_action(request: HttpRequest, assessment_id: int, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = _actor(request)
    a = _assessment(request, assessment_id)
    try:
        if action == "comment":
            assessments.add_comment(viewer, actor, a.pk, request.POST.get("text", ""))
            messages.success(request, "Comment added.")
        elif action == "summary":
            assessments.update_summary(viewer, actor, a.pk, request.POST.get("summary", ""))
            messages.success(request, "Summary saved.")
        elif action == "open":
            assessments.open_comments(viewer, actor, a.pk)
            messages.success(request, "Open for comments from its audience.")
        elif action == "sign":
            if request.POST.get("confirm") != "yes":
                raise InputError(
                    "tick the box to confirm: a signed assessment never changes again",
                    location=Location(field="confirm"),
                )
            assessments.sign_off(viewer, actor, a.pk)
            messages.success(request, "Signed off.")
        elif action == "version":
            new = assessments.new_version(viewer, actor, a.pk)
            messages.success(request, f"Version {new.version} frozen.")
            return redirect("risk:assessment", assessment_id=new.pk)
        else:
            raise Http404
    except DnsccError as exc:
        _errors(request, exc)
    return redirect("risk:assessment", assessment_id=a.pk)


@role_required()
def assessment_report(request: HttpRequest, assessment_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("html", "pdf"):
        raise Http404
    a = _assessment(request, assessment_id)
    audit.disclosed(_actor(request), "risk.assessment", ids=[a.pk], how="export", format=fmt)
    if fmt == "pdf":
        try:
            pdf = report.report_pdf(a)
        except DnsccError as exc:
            _errors(request, exc)
            return redirect("risk:assessment", assessment_id=a.pk)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="assessment-{a.pk}-v{a.version}.pdf"'
        return response
    return HttpResponse(report.report_html(a), content_type="text/html; charset=utf-8")


patterns: list[URLPattern] = [
    path("", overview, name="overview"),
    path("risks/<str:ref>/", risk_detail, name="risk"),
    path("risks/<str:ref>/<slug:action>", risk_action, name="risk_action"),
    path("catalogue/", catalogue_page, name="catalogue"),
    path("assets/", assets_page, name="assets"),
    path("threats/", threats_page, name="threats"),
    path("surveys/", surveys_page, name="surveys"),
    path("surveys/<int:round_id>/", survey_detail, name="survey"),
    path("surveys/<int:round_id>/answer/", survey_answer, name="survey_answer"),
    path("surveys/mine/", my_surveys, name="my_surveys"),
    path("s/<str:token>/", survey_link, name="survey_link"),
    path("gaps/", gaps_page, name="gaps"),
    path("gaps/<slug:action>", gaps_action, name="gaps_action"),
    path("assessments/", assessments_page, name="assessments"),
    path("assessments/<int:assessment_id>/", assessment_detail, name="assessment"),
    path(
        "assessments/<int:assessment_id>/report.<str:fmt>",
        assessment_report,
        name="assessment_report",
    ),
    path(
        "assessments/<int:assessment_id>/<slug:action>", assessment_action, name="assessment_action"
    ),
]
