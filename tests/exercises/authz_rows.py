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

from tests.authz import Row, Rows, api_statuses, page_statuses
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


_api = Rows(_E, setup=_exercise)
_page = Rows("/exercises", setup=_exercise)

API_ROWS: list[Row] = [
    _api.get("/scenarios", api_statuses(200), setup=None),
    _api.get("/scenarios/{scenario_id}", api_statuses(200)),
    _api.get("/plans/{scenario_id}", api_statuses(200)),
    _api.post(
        "/plans",
        api_statuses(201),
        setup=None,
        body=lambda w: {"text": PLAN.read_text(encoding="utf-8"), "note": "matrix"},
    ),
    _api.get("/", api_statuses(200), secrets=SECRETS),
    # Making an exercise needs the running lab: staff are told none runs (400, with a hint).
    _api.post("/", api_statuses(400), setup=None, body={"scenario": "conficker-c"}),
    _api.get("/compare/{scenario_id}", api_statuses(200)),
    _api.post("/improvements/{item_id}/done", api_statuses(200)),
    _api.get("/{ref}", api_statuses(200), secrets=SECRETS),
    _api.post("/{ref}/start", api_statuses(400)),
    _api.post("/{ref}/pause", api_statuses(409)),
    _api.post("/{ref}/resume", api_statuses(409)),
    _api.post("/{ref}/finish", api_statuses(409)),
    _api.post("/{ref}/archive", api_statuses(200)),
    _api.post(
        "/{ref}/injects",
        api_statuses(409),
        body={"kind": "note", "title": "late", "params": {"text": "x"}},
    ),
    _api.post("/{ref}/injects/{inject_id}/skip", api_statuses(200)),
    _api.get("/{ref}/events", api_statuses(200)),
    _api.get("/{ref}/score", api_statuses(200)),
    _api.get("/{ref}/report.html", api_statuses(200), secrets=SECRETS),
    _api.get("/{ref}/report.pdf", api_statuses(200)),
    _api.post(
        "/{ref}/hot-wash", api_statuses(201), body={"went_well": "the relay accepted every notice"}
    ),
    _api.post("/{ref}/improvements", api_statuses(201), body={"text": "Triage within ten minutes"}),
]

PAGE_ROWS: list[Row] = [
    _page.get("/", page_statuses(200), secrets=SECRETS),
    _page.post("/new/", page_statuses(302), body={"scenario": "conficker-c"}),
    _page.get("/improvements/", page_statuses(200)),
    _page.get("/scenarios/{scenario_id}/", page_statuses(200)),
    _page.get("/compare/{scenario_id}/", page_statuses(200)),
    _page.get("/{ref}/", page_statuses(200), secrets=SECRETS),
    _page.post("/{ref}/control/{what}/", page_statuses(302)),
    _page.get("/{ref}/report/", page_statuses(200), secrets=SECRETS),
    _page.post(
        "/{ref}/report/{what}/",
        page_statuses(302),
        setup=_report_action("hot-wash"),
        body={"went_well": "quick notices"},
    ),
    _page.get("/{ref}/report.{fmt}", page_statuses(200), secrets=SECRETS),
]
