"""The exercises API, at /api/v1/exercises/: the scenario library, plans (versioned),
exercises (make, start, pause, resume, skip or add an inject, finish, archive), their log,
score and after-action report (HTML, PDF), the hot wash, the improvement plan, and the
comparison of one scenario's exercises. Center staff only."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema, Status

from dnscc.accounts import audit
from dnscc.accounts.services import require_staff
from dnscc.core.errors import NotFoundError
from dnscc.exercises import report, services
from dnscc.exercises.models import Exercise, Improvement

router = Router(tags=["exercises"])


def _actor(request: HttpRequest) -> audit.Actor:
    return audit.Actor.of(request.user)


def describe(e: Exercise, *, injects: bool = True) -> dict[str, Any]:
    """An exercise as the API, the CLI and the portal's JSON show it."""
    from dnscc.exercises.services import due_time, exercise_seconds

    found: dict[str, Any] = {
        "ref": e.ref,
        "title": e.title,
        "scenario": e.scenario_id,
        "scenario_version": e.scenario_version,
        "plan_version": e.plan.version if e.plan_id and e.plan else None,
        "mode": e.mode,
        "status": e.status,
        "affected_tlds": e.affected_tlds,
        "participants": e.participants,
        "parameters": e.parameters,
        "operator_mix": e.operator_mix,
        "time_scale": e.time_scale,
        "created_at": e.created_at,
        "started_at": e.started_at,
        "finished_at": e.finished_at,
        "scenario_seconds": exercise_seconds(e),
    }
    if injects:
        found["injects"] = [
            {
                "id": i.pk,
                "seq": i.seq,
                "at_seconds": i.at_seconds,
                "due_at": i.due_at or due_time(e, i.at_seconds),
                "kind": i.kind,
                "title": i.title,
                "source": i.source,
                "organization": i.organization.slug if i.organization else None,
                "state": i.state,
                "fired_at": i.fired_at,
                "done_at": i.done_at,
                "error": i.error,
            }
            for i in e.injects.select_related("organization")
        ]
    return found


class ExerciseIn(Schema):
    scenario: str = Field(default="", description="a shipped scenario's id (conficker-c, ...)")
    scenario_text: str = Field(default="", description="or a scenario file's TOML")
    title: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    operators: dict[str, Any] = Field(default_factory=dict)
    participants: list[str] = Field(default_factory=list)
    mode: str = "unattended"
    time_scale: float = 1.0
    seed: int = 1


class InjectIn(Schema):
    kind: str
    at: Any = Field(default="now", description='"now", seconds, or T+90s')
    title: str = ""
    params: dict[str, Any] = Field(default_factory=dict)


class PlanIn(Schema):
    text: str = Field(description="the plan's TOML")
    note: str = ""


class HotWashIn(Schema):
    went_well: str = ""
    went_badly: str = ""
    to_improve: str = ""


class ImprovementIn(Schema):
    text: str
    owner: str = ""
    due_date: str = ""
    objective: str = ""


@router.get("/scenarios", response=list[dict[str, Any]])
def scenario_list(request: HttpRequest) -> Any:
    """Staff: the scenario library (each file's summary and threat events)."""
    require_staff(request.user)
    return services.library()


@router.get("/scenarios/{scenario_id}", response=dict[str, Any])
def scenario_detail(request: HttpRequest, scenario_id: str) -> Any:
    """Staff: one scenario as checked (its injects with their times and lines)."""
    require_staff(request.user)
    return services.scenario(scenario_id)


@router.get("/plans/{scenario_id}", response=dict[str, Any])
def plan_detail(request: HttpRequest, scenario_id: str, version: int = 0) -> Any:
    """Staff: a scenario's plan (the latest version, or `version`)."""
    plan = services.get_plan(require_staff(request.user), scenario_id, version or None)
    return {
        "scenario": plan.scenario,
        "version": plan.version,
        "content": plan.content,
        "note": plan.note,
        "created_at": plan.created_at,
        "created_by": plan.created_by,
    }


@router.post("/plans", response={201: dict[str, Any]})
def plan_save(request: HttpRequest, body: PlanIn) -> Any:
    """Staff: a new version of a plan, from its TOML (checked against its scenario)."""
    viewer = require_staff(request.user)
    plan = services.save_plan(viewer, _actor(request), body.text, note=body.note)
    return Status(201, {"scenario": plan.scenario, "version": plan.version})


@router.get("/", response=list[dict[str, Any]])
def exercise_list(request: HttpRequest, scenario: str = "", status: str = "") -> Any:
    """Staff: exercises, newest first."""
    viewer = require_staff(request.user)
    return [
        describe(e, injects=False)
        for e in services.list_exercises(viewer, scenario_id=scenario, status=status)
    ]


@router.post("/", response={201: dict[str, Any]})
def exercise_create(request: HttpRequest, body: ExerciseIn) -> Any:
    """Staff: make an exercise from a scenario on the running lab (ready to run). A bad
    scenario file, a TLD the lab lacks, a participant not opted in: 422 naming the line."""
    viewer = require_staff(request.user)
    exercise = services.create_exercise(
        viewer,
        _actor(request),
        scenario_id=body.scenario,
        scenario_text=body.scenario_text,
        title=body.title,
        parameters=body.parameters,
        operators=body.operators,
        participants=body.participants,
        mode=body.mode,
        time_scale=body.time_scale,
        seed=body.seed,
    )
    return Status(201, describe(exercise))


def _get(request: HttpRequest, ref: str) -> tuple[Any, Exercise]:
    viewer = require_staff(request.user)
    return viewer, services.get_exercise(viewer, ref)


@router.get("/compare/{scenario_id}", response=dict[str, Any])
def compare(request: HttpRequest, scenario_id: str) -> Any:
    """Staff: the finished exercises of one scenario side by side, objective by objective."""
    require_staff(request.user)
    found = report.compare(scenario_id)
    return {
        "scenario": scenario_id,
        "exercises": [e.ref for e in found["exercises"]],
        "rows": [
            {
                "objective": r["key"],
                "label": r["label"],
                "values": [
                    c and {"value": c["value"], "verdict": c["verdict"]} for c in r["cells"]
                ],
            }
            for r in found["rows"]
        ],
    }


@router.post("/improvements/{item_id}/done", response=dict[str, Any])
def improvement_done(request: HttpRequest, item_id: int) -> Any:
    """Staff: mark an improvement item done."""
    viewer = require_staff(request.user)
    item = Improvement.objects.filter(pk=item_id).first()
    if item is None:
        raise NotFoundError(f"no improvement {item_id}")
    item = services.close_improvement(viewer, _actor(request), item)
    return {"id": item.pk, "status": item.status}


@router.get("/{ref}", response=dict[str, Any])
def exercise_detail(request: HttpRequest, ref: str) -> Any:
    """Staff: one exercise with its injects (the master scenario events list)."""
    return describe(_get(request, ref)[1])


@router.post("/{ref}/start", response=dict[str, Any])
def exercise_start(request: HttpRequest, ref: str) -> Any:
    """Staff: start the exercise (its clock starts; injects fire as they fall due)."""
    viewer, exercise = _get(request, ref)
    return describe(services.start(viewer, _actor(request), exercise))


@router.post("/{ref}/pause", response=dict[str, Any])
def exercise_pause(request: HttpRequest, ref: str) -> Any:
    """Staff: pause (the clock stops; nothing fires)."""
    viewer, exercise = _get(request, ref)
    return describe(services.pause(viewer, _actor(request), exercise))


@router.post("/{ref}/resume", response=dict[str, Any])
def exercise_resume(request: HttpRequest, ref: str) -> Any:
    """Staff: resume a paused exercise."""
    viewer, exercise = _get(request, ref)
    return describe(services.resume(viewer, _actor(request), exercise))


@router.post("/{ref}/finish", response=dict[str, Any])
def exercise_finish(request: HttpRequest, ref: str) -> Any:
    """Staff: finish now: verify, clear the lab, score."""
    viewer, exercise = _get(request, ref)
    return describe(services.finish(viewer, _actor(request), exercise))


@router.post("/{ref}/archive", response=dict[str, Any])
def exercise_archive(request: HttpRequest, ref: str) -> Any:
    """Staff: the finished exercise as one JSON archive; it becomes archived."""
    viewer, exercise = _get(request, ref)
    return services.archive(viewer, _actor(request), exercise)


@router.post("/{ref}/injects", response={201: dict[str, Any]})
def inject_add(request: HttpRequest, ref: str, body: InjectIn) -> Any:
    """Staff: add an inject (the kinds and fields of a scenario file), now or at a time."""
    viewer, exercise = _get(request, ref)
    data = {**body.params, "kind": body.kind, "at": body.at}
    if body.title:
        data["title"] = body.title
    inject = services.add_inject(viewer, _actor(request), exercise, data)
    return Status(201, {"id": inject.pk, "seq": inject.seq, "at_seconds": inject.at_seconds})


@router.post("/{ref}/injects/{inject_id}/skip", response=dict[str, Any])
def inject_skip(request: HttpRequest, ref: str, inject_id: int) -> Any:
    """Staff: skip an inject still due."""
    viewer, exercise = _get(request, ref)
    inject = services.skip(viewer, _actor(request), exercise, inject_id)
    return {"id": inject.pk, "state": inject.state}


@router.get("/{ref}/events", response=list[dict[str, Any]])
def exercise_events(request: HttpRequest, ref: str) -> Any:
    """Staff: the exercise's log, oldest first."""
    _viewer, exercise = _get(request, ref)
    return [
        {"at": e.at, "kind": e.kind, "summary": e.summary, "data": e.data, "actor": e.actor}
        for e in exercise.events.all()[:5000]
    ]


@router.get("/{ref}/score", response=dict[str, Any])
def exercise_score(request: HttpRequest, ref: str) -> Any:
    """Staff: the score (objectives, figures, per registry and per region); computed now
    while the exercise runs, as kept at the finish afterwards."""
    from dnscc.exercises import scoring

    _viewer, exercise = _get(request, ref)
    return exercise.score or scoring.score(exercise)


@router.get("/{ref}/report.html")
def exercise_report_html(request: HttpRequest, ref: str) -> HttpResponse:
    """Staff: the after-action report as a self-contained HTML document."""
    _viewer, exercise = _get(request, ref)
    audit.disclosed(
        _actor(request), "exercises.exercise", ids=[exercise.pk], how="export", format="html"
    )
    return HttpResponse(report.html(exercise), content_type="text/html; charset=utf-8")


@router.get("/{ref}/report.pdf")
def exercise_report_pdf(request: HttpRequest, ref: str) -> HttpResponse:
    """Staff: the after-action report as PDF."""
    _viewer, exercise = _get(request, ref)
    pdf = report.pdf(exercise)
    audit.disclosed(
        _actor(request), "exercises.exercise", ids=[exercise.pk], how="export", format="pdf"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{exercise.ref.lower()}-aar.pdf"'
    return response


@router.post("/{ref}/hot-wash", response={201: dict[str, Any]})
def hot_wash(request: HttpRequest, ref: str, body: HotWashIn) -> Any:
    """Staff: a participant's hot wash (what went well, badly, to improve)."""
    viewer, exercise = _get(request, ref)
    wash = services.add_hot_wash(viewer, _actor(request), exercise, body.dict())
    return Status(201, {"id": wash.pk})


@router.post("/{ref}/improvements", response={201: dict[str, Any]})
def improvement_add(request: HttpRequest, ref: str, body: ImprovementIn) -> Any:
    """Staff: an item of the improvement plan (a task with an owner and a due date)."""
    viewer, exercise = _get(request, ref)
    item = services.add_improvement(viewer, _actor(request), exercise, body.dict())
    return Status(201, {"id": item.pk, "text": item.text, "status": item.status})
