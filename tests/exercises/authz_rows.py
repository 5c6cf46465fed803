"""Authorization matrix rows of exercises (collected by tests/test_authz_matrix.py).

Exercises are center staff's work: every page and API operation is staff only. The world
gets one finished exercise of the Conficker C scenario (made directly: the matrix runs no
lab) with a pending inject and an open improvement item. Operations that need the running
lab (make an exercise, start one, add an inject) answer staff that no lab runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.utils import timezone

from tests.authz import Row, api_statuses, page_statuses
from tests.conftest import World

_E = "/api/v1/exercises"
SECRETS = ("Matrix drill of Conficker C",)
PLAN = Path(__file__).parents[2] / "src" / "dnscc" / "exercises" / "plans" / "conficker-c.toml"


def _exercise(world: World) -> dict[str, Any]:
    from dnscc.exercises.models import Exercise, Improvement, Inject

    exercise = Exercise.objects.create(
        title="Matrix drill of Conficker C",
        scenario_id="conficker-c",
        scenario_version=1,
        scenario={"scenario": {"id": "conficker-c"}, "injects": []},
        scenario_sha256="0" * 64,
        status=Exercise.FINISHED,
        affected_tlds=["alpha"],
        started_at=timezone.now(),
        finished_at=timezone.now(),
        score={"objectives": [], "figures": {}, "organizations": [], "regions": []},
    )
    inject = Inject.objects.create(
        exercise=exercise, seq=1, at_seconds=60, kind="note", title="A note"
    )
    item = Improvement.objects.create(exercise=exercise, text="Faster triage")
    return {
        "ref": exercise.ref,
        "scenario_id": "conficker-c",
        "inject_id": inject.pk,
        "item_id": item.pk,
        "what": "pause",
        "fmt": "html",
    }


def _report_action(what: str) -> Any:
    def setup(world: World) -> dict[str, Any]:
        return {**_exercise(world), "what": what}

    return setup


def snapshot() -> dict[str, Any]:
    from dnscc.exercises.models import Event, Exercise, HotWash, Improvement, Inject, Plan

    return {
        "exercises": sorted(Exercise.objects.values_list("pk", "status", "version")),
        "injects": sorted(Inject.objects.values_list("pk", "state")),
        "events": Event.objects.count(),
        "hot_washes": HotWash.objects.count(),
        "improvements": sorted(Improvement.objects.values_list("pk", "status")),
        "plans": Plan.objects.count(),
    }


API_ROWS: list[Row] = [
    Row("GET", _E + "/scenarios", api_statuses(200)),
    Row("GET", _E + "/scenarios/{scenario_id}", api_statuses(200), setup=_exercise),
    Row("GET", _E + "/plans/{scenario_id}", api_statuses(200), setup=_exercise),
    Row(
        "POST",
        _E + "/plans",
        api_statuses(201),
        body=lambda w: {"text": PLAN.read_text(encoding="utf-8"), "note": "matrix"},
        mutates=True,
    ),
    Row("GET", _E + "/", api_statuses(200), setup=_exercise, secrets=SECRETS),
    # Making an exercise needs the running lab: staff are told none runs (400, with a hint).
    Row(
        "POST",
        _E + "/",
        api_statuses(400),
        body=lambda w: {"scenario": "conficker-c"},
        mutates=True,
    ),
    Row("GET", _E + "/compare/{scenario_id}", api_statuses(200), setup=_exercise),
    Row(
        "POST",
        _E + "/improvements/{item_id}/done",
        api_statuses(200),
        setup=_exercise,
        mutates=True,
    ),
    Row("GET", _E + "/{ref}", api_statuses(200), setup=_exercise, secrets=SECRETS),
    Row("POST", _E + "/{ref}/start", api_statuses(400), setup=_exercise, mutates=True),
    Row("POST", _E + "/{ref}/pause", api_statuses(409), setup=_exercise, mutates=True),
    Row("POST", _E + "/{ref}/resume", api_statuses(409), setup=_exercise, mutates=True),
    Row("POST", _E + "/{ref}/finish", api_statuses(409), setup=_exercise, mutates=True),
    Row("POST", _E + "/{ref}/archive", api_statuses(200), setup=_exercise, mutates=True),
    Row(
        "POST",
        _E + "/{ref}/injects",
        api_statuses(409),
        setup=_exercise,
        mutates=True,
        body=lambda w: {"kind": "note", "title": "late", "params": {"text": "x"}},
    ),
    Row(
        "POST",
        _E + "/{ref}/injects/{inject_id}/skip",
        api_statuses(200),
        setup=_exercise,
        mutates=True,
    ),
    Row("GET", _E + "/{ref}/events", api_statuses(200), setup=_exercise),
    Row("GET", _E + "/{ref}/score", api_statuses(200), setup=_exercise),
    Row("GET", _E + "/{ref}/report.html", api_statuses(200), setup=_exercise, secrets=SECRETS),
    Row("GET", _E + "/{ref}/report.pdf", api_statuses(200), setup=_exercise),
    Row(
        "POST",
        _E + "/{ref}/hot-wash",
        api_statuses(201),
        setup=_exercise,
        mutates=True,
        body=lambda w: {"went_well": "the relay accepted every notice"},
    ),
    Row(
        "POST",
        _E + "/{ref}/improvements",
        api_statuses(201),
        setup=_exercise,
        mutates=True,
        body=lambda w: {"text": "Triage within ten minutes"},
    ),
]

PAGE_ROWS: list[Row] = [
    Row("GET", "/exercises/", page_statuses(200), setup=_exercise, secrets=SECRETS),
    Row(
        "POST",
        "/exercises/new/",
        page_statuses(302),
        setup=_exercise,
        mutates=True,
        body=lambda w: {"scenario": "conficker-c"},
    ),
    Row("GET", "/exercises/improvements/", page_statuses(200), setup=_exercise),
    Row("GET", "/exercises/scenarios/{scenario_id}/", page_statuses(200), setup=_exercise),
    Row("GET", "/exercises/compare/{scenario_id}/", page_statuses(200), setup=_exercise),
    Row("GET", "/exercises/{ref}/", page_statuses(200), setup=_exercise, secrets=SECRETS),
    Row(
        "POST",
        "/exercises/{ref}/control/{what}/",
        page_statuses(302),
        setup=_exercise,
        mutates=True,
    ),
    Row("GET", "/exercises/{ref}/report/", page_statuses(200), setup=_exercise, secrets=SECRETS),
    Row(
        "POST",
        "/exercises/{ref}/report/{what}/",
        page_statuses(302),
        setup=_report_action("hot-wash"),
        mutates=True,
        body=lambda w: {"went_well": "quick notices"},
    ),
    Row(
        "GET",
        "/exercises/{ref}/report.{fmt}",
        page_statuses(200),
        setup=_exercise,
        secrets=SECRETS,
    ),
]
