"""Portal pages of exercises (center staff): the library of scenarios with their plans, the
exercises, the controller page (timeline of injects done and due; pause, resume, skip, add
an inject, finish), the after-action report with the hot wash and the improvement plan,
the comparison of one scenario's exercises, and the open improvement items."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError, NotFoundError, ValidationErrors
from dnscc.exercises import report, services
from dnscc.exercises.models import Exercise, Improvement
from dnscc.exercises.scenario import INJECT_KINDS
from dnscc.web.access import role_required


def _errors(request: HttpRequest, exc: DnsccError) -> None:
    if isinstance(exc, ValidationErrors):
        for e in exc.errors[:30]:
            messages.error(request, str(e))
    else:
        messages.error(request, str(exc))


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(request.user)


def _exercise(request: HttpRequest, ref: str) -> Exercise:
    try:
        return services.get_exercise(request.viewer, ref)  # type: ignore[attr-defined]
    except NotFoundError:
        raise Http404 from None


@role_required(staff=True)
def index(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    return render(
        request,
        "exercises/index.html",
        {
            "exercises": services.list_exercises(viewer),
            "library": services.library(),
            "modes": Exercise.MODE_CHOICES,
            "open_improvements": Improvement.objects.filter(status=Improvement.OPEN).count(),
        },
    )


@role_required(staff=True)
def scenario_page(request: HttpRequest, scenario_id: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        data = services.scenario(scenario_id)
        plan = services.current_plan(scenario_id)
    except NotFoundError:
        raise Http404 from None
    versions = list(plan.__class__.objects.filter(scenario=scenario_id)) if plan else []
    return render(
        request,
        "exercises/scenario.html",
        {
            "scenario": data,
            "meta": data["scenario"],
            "plan": plan,
            "versions": versions,
            "exercises": services.list_exercises(viewer, scenario_id=scenario_id),
        },
    )


@role_required(staff=True)
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    p = request.POST
    parameters: dict[str, Any] = {}
    for key in ("tlds", "names"):
        if p.get(key, "").strip():
            try:
                parameters[key] = int(p[key])
            except ValueError:
                messages.error(request, f"{key} must be a whole number")
                return redirect("exercises:index")
    upload = request.FILES.get("file")
    text = ""
    if upload is not None:
        try:
            text = upload.read(200_001).decode("utf-8")
        except UnicodeDecodeError:
            messages.error(request, "the scenario file is not UTF-8 text")
            return redirect("exercises:index")
    try:
        exercise = services.create_exercise(
            viewer,
            _actor(request),
            scenario_id="" if text else p.get("scenario", ""),
            scenario_text=text,
            title=p.get("title", ""),
            parameters=parameters,
            participants=[s for s in p.get("participants", "").replace(",", " ").split() if s],
            mode=p.get("mode", Exercise.UNATTENDED),
            time_scale=p.get("time_scale") or 1.0,  # type: ignore[arg-type]
            seed=int(p.get("seed") or 1),
        )
    except (DnsccError, ValueError) as exc:
        if isinstance(exc, DnsccError):
            _errors(request, exc)
        else:
            messages.error(request, f"a bad number: {exc}")
        return redirect("exercises:index")
    messages.success(request, f"{exercise.ref} is ready to run.")
    return redirect("exercises:exercise", ref=exercise.ref)


def _timeline(exercise: Exercise) -> list[dict[str, Any]]:
    rows = []
    for inject in exercise.injects.select_related("organization"):
        rows.append(
            {
                "inject": inject,
                "due": inject.due_at or services.due_time(exercise, inject.at_seconds),
            }
        )
    return rows


@role_required(staff=True)
def exercise_page(request: HttpRequest, ref: str) -> HttpResponse:
    exercise = _exercise(request, ref)
    context = {
        "exercise": exercise,
        "timeline": _timeline(exercise),
        "events": list(exercise.events.order_by("-at", "-id")[:100]),
        "now_seconds": services.exercise_seconds(exercise),
        "kinds": INJECT_KINDS,
        "plan_steps": (exercise.plan.content.get("steps", []) if exercise.plan else []),
    }
    template = (
        "exercises/_controller.html"
        if request.headers.get("HX-Request")
        else ("exercises/exercise.html")
    )
    return render(request, template, context)


@role_required(staff=True)
@require_POST
def control(request: HttpRequest, ref: str, what: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    exercise = _exercise(request, ref)
    actor = _actor(request)
    p = request.POST
    try:
        if what == "start":
            services.start(viewer, actor, exercise)
        elif what == "pause":
            services.pause(viewer, actor, exercise)
        elif what == "resume":
            services.resume(viewer, actor, exercise)
        elif what == "skip":
            services.skip(viewer, actor, exercise, int(p.get("inject", "0") or 0))
        elif what == "inject":
            data = {
                k: p.get(k, "")
                for k in (
                    "kind",
                    "at",
                    "title",
                    "text",
                    "description",
                    "tld",
                    "fault",
                    "code",
                    "severity",
                    "message",
                    "from",
                    "subject",
                    "scope",
                )
            }
            if not data["at"]:
                data["at"] = "now"
            services.add_inject(viewer, actor, exercise, data)
        elif what == "finish":
            if p.get("confirm") != "yes":
                messages.error(request, "Tick the box to confirm: finishing clears the lab.")
                return redirect("exercises:exercise", ref=exercise.ref)
            services.finish(viewer, actor, exercise)
            return redirect("exercises:report", ref=exercise.ref)
        else:
            raise Http404
    except DnsccError as exc:
        _errors(request, exc)
    except ValueError:
        messages.error(request, "name the inject by its number")
    return redirect("exercises:exercise", ref=exercise.ref)


@role_required(staff=True)
def report_page(request: HttpRequest, ref: str) -> HttpResponse:
    exercise = _exercise(request, ref)
    audit.disclosed(_actor(request), "exercises.exercise", ids=[exercise.pk], how="view")
    context = report.context(exercise)
    context["timeline_svg"] = mark_safe(context["timeline_svg"])  # noqa: S308 - core.charts escapes
    return render(request, "exercises/report_page.html", context)


@role_required(staff=True)
@require_POST
def report_action(request: HttpRequest, ref: str, what: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    exercise = _exercise(request, ref)
    actor = _actor(request)
    p = request.POST
    try:
        if what == "hot-wash":
            services.add_hot_wash(viewer, actor, exercise, p.dict())
            messages.success(request, "Hot wash recorded.")
        elif what == "improvement":
            services.add_improvement(viewer, actor, exercise, p.dict())
            messages.success(request, "Improvement item added to the plan.")
        elif what == "done":
            item = exercise.improvements.filter(pk=int(p.get("item", "0") or 0)).first()
            if item is None:
                raise Http404
            services.close_improvement(viewer, actor, item)
        elif what == "archive":
            if p.get("confirm") != "yes":
                messages.error(request, "Tick the box to confirm the archive.")
            else:
                document = services.archive(viewer, actor, exercise)
                import json

                response = HttpResponse(
                    json.dumps(document, indent=2), content_type="application/json"
                )
                response["Content-Disposition"] = (
                    f'attachment; filename="{exercise.ref.lower()}-archive.json"'
                )
                return response
        else:
            raise Http404
    except DnsccError as exc:
        _errors(request, exc)
    except ValueError:
        messages.error(request, "name the item by its number")
    return redirect("exercises:report", ref=exercise.ref)


@role_required(staff=True)
def report_file(request: HttpRequest, ref: str, fmt: str) -> HttpResponse:
    exercise = _exercise(request, ref)
    audit.disclosed(
        _actor(request), "exercises.exercise", ids=[exercise.pk], how="export", format=fmt
    )
    if fmt == "pdf":
        try:
            data = report.pdf(exercise)
        except DnsccError as exc:
            _errors(request, exc)
            return redirect("exercises:report", ref=exercise.ref)
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{exercise.ref.lower()}-aar.pdf"'
        return response
    if fmt == "html":
        response = HttpResponse(report.html(exercise), content_type="text/html; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exercise.ref.lower()}-aar.html"'
        return response
    raise Http404


@role_required(staff=True)
def compare_page(request: HttpRequest, scenario_id: str) -> HttpResponse:
    return render(request, "exercises/compare.html", {"comparison": report.compare(scenario_id)})


@role_required(staff=True)
def improvements_page(request: HttpRequest) -> HttpResponse:
    items = Improvement.objects.select_related("exercise", "owner").order_by(
        "status", "due_date", "pk"
    )
    return render(request, "exercises/improvements.html", {"items": list(items[:500])})


app_name = "exercises"
patterns: list[URLPattern] = [
    path("", index, name="index"),
    path("new/", create, name="create"),
    path("improvements/", improvements_page, name="improvements"),
    path("scenarios/<slug:scenario_id>/", scenario_page, name="scenario"),
    path("compare/<slug:scenario_id>/", compare_page, name="compare"),
    path("<str:ref>/", exercise_page, name="exercise"),
    path("<str:ref>/control/<slug:what>/", control, name="control"),
    path("<str:ref>/report/", report_page, name="report"),
    path("<str:ref>/report/<slug:what>/", report_action, name="report_action"),
    path("<str:ref>/report.<str:fmt>", report_file, name="report_file"),
]
