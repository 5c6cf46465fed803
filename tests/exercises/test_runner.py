"""The runner and the controller on the lab: a worker that dies while firing an inject is
replaced and the exercise resumes at the right inject (no inject twice, none lost); pause
holds the clock, skip and add change the timeline; what the lab does not have, an inject
touching live work and a participant who did not opt in are refused naming the line."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.core.errors import ConflictError, ValidationErrors
from dnscc.exercises import runner, services
from dnscc.exercises.models import Exercise, Inject
from dnscc.incidents import services as incidents
from tests.conftest import World
from tests.exercises.conftest import ExerciseLab, make_registries

pytestmark = [pytest.mark.lab, pytest.mark.django_db]

NOTES = """\
[scenario]
id = "drill"
version = 1
title = "A drill of notes"
summary = "Four notes a few seconds apart."
dns_type = "other"
threat_events = ["malicious-registrations"]

[parameters]
tlds = 1

[[injects]]
at = "T+0"
kind = "note"
title = "one"
text = "first"

[[injects]]
at = "T+10s"
kind = "note"
title = "two"
text = "second"

[[injects]]
at = "T+20s"
kind = "note"
title = "three"
text = "third"

[[injects]]
at = "T+30s"
kind = "note"
title = "four"
text = "fourth"
"""


def _staff(world: World) -> tuple[Any, audit.Actor]:
    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user)


def _drill(world: World, exercise_lab: ExerciseLab, text: str = NOTES, **kw: Any) -> Exercise:
    viewer, actor = _staff(world)
    tld = exercise_lab.tlds[0]
    return services.create_exercise(
        viewer,
        actor,
        scenario_text=text,
        parameters={"tlds": 1, "candidate_tlds": [tld]},
        lab_dir=str(exercise_lab.lab.dir),
        **kw,
    )


def _states(exercise: Exercise) -> list[tuple[str, str, int]]:
    return [(i.title, i.state, i.attempts) for i in exercise.injects.order_by("seq")]


def test_a_worker_that_dies_while_firing_is_replaced_and_the_exercise_resumes_at_that_inject(
    world: World, exercise_lab: ExerciseLab
) -> None:
    viewer, actor = _staff(world)
    exercise = services.start(viewer, actor, _drill(world, exercise_lab))
    assert exercise.started_at is not None
    start = exercise.started_at
    runner.tick(exercise, now=start + timedelta(seconds=1))
    assert _states(exercise)[0] == ("one", Inject.DONE, 1)
    # A worker claims "two" at T+10s and dies before it finishes: its lease runs out.
    two = exercise.injects.get(title="two")
    Inject.objects.filter(pk=two.pk).update(
        state=Inject.FIRING,
        attempts=1,
        fired_at=start + timedelta(seconds=10),
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    # Another worker, at T+25s: "two" again (its second attempt), then "three"; "one" is
    # never fired again and "four" waits for its time.
    runner.tick(exercise, now=start + timedelta(seconds=25))
    assert _states(exercise) == [
        ("one", Inject.DONE, 1),
        ("two", Inject.DONE, 2),
        ("three", Inject.DONE, 1),
        ("four", Inject.PENDING, 0),
    ]
    # A claim still leased to a live worker is left to it.
    four = exercise.injects.get(title="four")
    Inject.objects.filter(pk=four.pk).update(
        state=Inject.FIRING, attempts=1, lease_until=timezone.now() + timedelta(minutes=2)
    )
    runner.tick(exercise, now=start + timedelta(seconds=40))
    assert _states(exercise)[3] == ("four", Inject.FIRING, 1)


def test_the_controller_pauses_skips_adds_and_finishes(
    world: World, exercise_lab: ExerciseLab
) -> None:
    viewer, actor = _staff(world)
    exercise = services.start(viewer, actor, _drill(world, exercise_lab))
    start = exercise.started_at
    assert start is not None
    exercise = services.pause(viewer, actor, exercise)
    runner.tick(exercise, now=start + timedelta(seconds=60))
    assert {s for _t, s, _a in _states(exercise)} == {Inject.PENDING}  # the clock stopped
    with pytest.raises(ConflictError, match="paused"):
        services.pause(viewer, actor, exercise)
    exercise = services.resume(viewer, actor, exercise)
    services.skip(viewer, actor, exercise, exercise.injects.get(title="four").pk)
    added = services.add_inject(
        viewer, actor, exercise, {"kind": "note", "title": "five", "text": "added", "at": "now"}
    )
    assert added.source == Inject.CONTROLLER
    runner.tick(exercise)
    assert ("five", Inject.DONE, 1) in _states(exercise)
    assert ("four", Inject.SKIPPED, 0) in _states(exercise)
    exercise = services.finish(viewer, actor, exercise)
    assert exercise.status == Exercise.FINISHED
    assert {o["key"] for o in exercise.score["objectives"]} >= {"time_to_detect"}
    with pytest.raises(ConflictError, match="over"):
        services.add_inject(viewer, actor, exercise, {"kind": "note", "title": "x", "text": "y"})
    kinds = list(exercise.events.values_list("kind", flat=True))
    for kind in ("created", "started", "paused", "resumed", "skipped", "added"):
        assert kind in kinds


def test_a_tld_the_lab_lacks_a_live_incident_and_a_participant_not_opted_in_are_refused(
    world: World, exercise_lab: ExerciseLab
) -> None:
    viewer, actor = _staff(world)
    live = incidents.create_incident(
        viewer,
        actor,
        {"title": "Live outage", "dns_type": "other", "impact": "high", "urgency": "high"},
        user=world.users["coordinator"],
    )
    text = NOTES.replace(
        'at = "T+10s"\nkind = "note"',
        'at = "T+10s"\nkind = "lab.fault"\ntld = "nosuchtld"\nfault = "unreachable"',
    ).replace(
        'at = "T+20s"\nkind = "note"',
        f'at = "T+20s"\nkind = "note"\nincident = "{live.ref}"',
    )
    before = Exercise.objects.count()
    with pytest.raises(ValidationErrors) as caught:
        _drill(world, exercise_lab, text)
    problems = {(e.location.line, e.problem.split(":")[0]) for e in caught.value.errors}
    # Each error names the line of its inject's block in the file.
    assert (18, "the lab has no TLD 'nosuchtld'") in problems, problems
    assert any(line == 26 and "is live work" in p for line, p in problems), problems
    orgs = make_registries(exercise_lab.tlds[:1], exercise_lab.lab, opted_in=set())
    org = next(iter(orgs.values()))
    with pytest.raises(ValidationErrors, match="no contact who opted in"):
        _drill(world, exercise_lab, participants=[org.slug])  # type: ignore[attr-defined]
    assert Exercise.objects.count() == before  # a refusal writes nothing
