"""The exercise runner: fires each inject when it falls due, in order, once.

`tick(exercise)` does one pass: it plans the actions of simulated operators whom a notice
has reached, claims every due inject with a compare-and-set (pending -> firing, with a
lease) and runs its handler, then, when nothing is left to fire in an unattended exercise,
verifies a last time and finishes it. `run(exercise)` ticks until the exercise is over
(`dnscc exercise run EX`); `tick_all()` is the scheduler's job (`dnscc scheduler` enqueues it
every few seconds, any worker runs it).

Restarts: all state is in the database. An inject whose runner died while firing it keeps
its lease; once the lease has passed it is fired again (handlers are idempotent: a fault
already injected, a report already opened, a slice already acknowledged are not errors),
and the injects after it wait their turn. A done inject is never fired again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError
from dnscc.exercises.models import Event, Exercise, Inject
from dnscc.exercises.services import due_time, exercise_seconds, log

logger = logging.getLogger(__name__)

LEASE_SECONDS = 120
"""How long a runner holds an inject it fires (a lab fault on the full root can take a
minute); after that another runner takes it over."""
TICK_SECONDS = 0.25
"""The pause between passes of `run` (the scheduler's job ticks every few seconds)."""
VERIFY_EVERY = 30.0
"""Real seconds between DNS verifications while simulated operators still act."""


def _claim(inject: Inject, now: datetime) -> bool:
    """pending -> firing, or a firing one whose lease passed: True if this runner has it."""
    lease = now + timedelta(seconds=LEASE_SECONDS)
    due = due_time(inject.exercise, inject.at_seconds)
    return bool(
        Inject.objects.filter(pk=inject.pk)
        .filter(Q(state=Inject.PENDING) | Q(state=Inject.FIRING, lease_until__lt=now))
        .update(
            state=Inject.FIRING,
            lease_until=lease,
            attempts=F("attempts") + 1,
            fired_at=now,
            due_at=due,
        )
    )


def fire(exercise: Exercise, inject: Inject, *, now: datetime | None = None) -> Inject:
    """Run one inject's handler (it must be claimed); record done or failed."""
    from dnscc.exercises.handlers import HANDLERS

    handler = HANDLERS.get(inject.kind)
    try:
        if handler is None:
            raise DnsccError(f"no handler for inject type {inject.kind!r}")
        result = handler(exercise, inject)
        state, error = Inject.DONE, ""
    except DnsccError as exc:
        result, state, error = {}, Inject.FAILED, str(exc)
    except Exception as exc:  # an inject must never stop the exercise
        logger.exception("inject %s of %s failed", inject.seq, exercise.ref)
        result, state, error = {}, Inject.FAILED, f"{type(exc).__name__}: {exc}"
    done = timezone.now()
    Inject.objects.filter(pk=inject.pk, state=Inject.FIRING).update(
        state=state, done_at=done, result=result, error=error[:1000], lease_until=None
    )
    inject.refresh_from_db()
    late = (inject.fired_at - inject.due_at).total_seconds() if inject.due_at else 0.0
    log(
        exercise,
        "inject" if inject.source != Inject.OPERATOR else "operator",
        f"T+{inject.at_seconds:g}s {inject.title}"
        + ("" if state == Inject.DONE else f": failed ({error[:200]})"),
        organization=inject.organization,
        actor=inject.source,
        data={
            "inject": inject.seq,
            "kind": inject.kind,
            "state": state,
            "late_seconds": late,
            "result": result,
        },
        at=done,
    )
    return inject


def due_injects(exercise: Exercise, now: datetime) -> list[Inject]:
    """Injects due at `now`, in order (and firing ones whose lease passed)."""
    seconds = exercise_seconds(exercise, now)
    if seconds is None:
        return []
    qs = exercise.injects.filter(
        Q(state=Inject.PENDING) | Q(state=Inject.FIRING, lease_until__lt=now),
        at_seconds__lte=seconds + 1e-6,
    ).order_by("at_seconds", "seq")
    return list(qs.select_related("organization"))


def tick(
    exercise: Exercise,
    *,
    now: datetime | None = None,
    after_inject: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """One pass of the runner over one exercise; what it did. `after_inject` runs after
    each inject fired (the foreground runner sends the outbox there, as a worker would at
    once: a notice is not held back while the next inject works)."""
    from dnscc.exercises import operators

    exercise.refresh_from_db()
    done: dict[str, Any] = {"fired": 0, "planned": 0, "finished": False}
    if exercise.status != Exercise.RUNNING:
        return done
    done["planned"] = operators.schedule(exercise)
    for inject in due_injects(exercise, now or timezone.now()):
        exercise.refresh_from_db()
        if exercise.status != Exercise.RUNNING:
            break  # paused meanwhile: the rest waits
        inject.exercise = exercise
        if not _claim(inject, timezone.now()):
            continue  # another runner has it
        inject.refresh_from_db()
        fire(exercise, inject)
        done["fired"] += 1
        if after_inject is not None:
            after_inject()
        # A notice may have reached registries: their operators act from now on.
        done["planned"] += operators.schedule(exercise)
    _maybe_verify(exercise)
    if exercise.mode == Exercise.UNATTENDED and _all_done(exercise):
        finish(exercise, actor=audit.Actor("exercise-runner"))
        done["finished"] = True
    return done


def _all_done(exercise: Exercise) -> bool:
    """Nothing left to fire, and every reached registry's operator has acted."""
    from dnscc.exercises import operators

    if exercise.injects.filter(state__in=(Inject.PENDING, Inject.FIRING)).exists():
        return False
    # A registry reached at the last moment gets its operator (and must act) first.
    return not operators.schedule(exercise)


def _maybe_verify(exercise: Exercise) -> None:
    """Verify while operators act: after a comply action, at most every VERIFY_EVERY s."""
    from dnscc.exercises.handlers import verify

    last_comply = (
        exercise.injects.filter(kind="operator.comply", state=Inject.DONE)
        .order_by("-done_at")
        .values_list("done_at", flat=True)
        .first()
    )
    if last_comply is None:
        return
    last_verify = (
        Event.objects.filter(exercise=exercise, kind="verified")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    if last_verify is not None and last_verify >= last_comply:
        return
    if last_verify is not None and (timezone.now() - last_verify).total_seconds() < VERIFY_EVERY:
        return
    verify(exercise, why="operators acted")


def finish(exercise: Exercise, *, actor: audit.Actor) -> Exercise:
    """Verify a last time, clear the exercise's faults and names from the lab, score it."""
    from dnscc.exercises import scoring
    from dnscc.exercises.handlers import active_faults, campaign_of, registered_names, verify
    from dnscc.exercises.lab import lab_for

    claimed = Exercise.objects.filter(
        pk=exercise.pk, status__in=(Exercise.RUNNING, Exercise.PAUSED, Exercise.DRAFT)
    ).update(status=Exercise.FINISHED, finished_at=timezone.now(), version=F("version") + 1)
    exercise.refresh_from_db()
    if not claimed:
        return exercise  # another runner finished it
    Inject.objects.filter(exercise=exercise, state=Inject.PENDING).update(
        state=Inject.SKIPPED, done_at=timezone.now()
    )
    if campaign_of(exercise) is not None:
        verify(exercise, why="the end of the exercise")
    lab = lab_for(exercise.lab_dir)
    cleanup: dict[str, Any] = {}
    try:
        if lab.load() is not None:
            cleared = []
            for fid in active_faults(exercise):
                cleared += lab.clear(fid)
            leftover = {
                tld: dict.fromkeys(names) for tld, names in registered_names(exercise).items()
            }
            removed = lab.apply_registrations(leftover) if leftover else 0
            cleanup = {"faults_cleared": cleared, "names_removed": removed}
    except DnsccError as exc:
        cleanup = {"error": str(exc)}
    log(
        exercise,
        "cleaned",
        "the lab is back as it was"
        if "error" not in cleanup
        else f"lab cleanup failed: {cleanup['error']}",
        data=cleanup,
    )
    with transaction.atomic():
        exercise.score = scoring.score(exercise)
        exercise.save(update_fields=["score"])
        log(exercise, "finished", f"{exercise.ref} finished", actor=actor.name)
        audit.record(actor, "exercise.finish", obj=exercise, summary=exercise.ref, data=cleanup)
    return exercise


def run(
    exercise: Exercise,
    *,
    timeout: float | None = None,
    tick_seconds: float = TICK_SECONDS,
    drain: bool = False,
) -> Exercise:
    """Tick until the exercise is finished (or `timeout` real seconds pass). With `drain`,
    each pass also sends what the outbox holds (outreach.sender.drain, in this process): an
    exercise run in the foreground needs no outbox worker beside it; otherwise the
    scheduler's periodic drain sends its notices, like every other message."""
    from dnscc.outreach.sender import drain as send_outbox

    started = time.monotonic()
    while True:
        close_old_connections()
        tick(exercise, after_inject=send_outbox if drain else None)
        if drain:
            send_outbox()
        exercise.refresh_from_db()
        if exercise.status in (Exercise.FINISHED, Exercise.ARCHIVED):
            return exercise
        if timeout is not None and time.monotonic() - started > timeout:
            return exercise
        time.sleep(tick_seconds)


def tick_all() -> int:
    """The scheduler's job: one pass over every running exercise; how many injects fired."""
    fired = 0
    for exercise in Exercise.objects.filter(status=Exercise.RUNNING):
        try:
            fired += tick(exercise)["fired"]
        except Exception:  # one exercise's trouble must not stop the others
            logger.exception("exercise %s: tick failed", exercise.ref)
    return fired


def marker(zone: str) -> int | None:
    """For monitoring: the running exercise that faulted `zone`, if any (the alert a real
    sweep opens for an injected fault then carries its mark)."""
    from dnscc.exercises.handlers import faulted_tlds

    zone = zone.rstrip(".").lower()
    for exercise in Exercise.objects.filter(status__in=(Exercise.RUNNING, Exercise.PAUSED)):
        if zone in faulted_tlds(exercise):
            return exercise.pk
    return None
