"""Background work of exercises, run by `dnscc worker`: one pass of the runner over every
running exercise. `dnscc scheduler` enqueues it every TICK_SECONDS through
monitoring.services.enqueue_due (one claim per interval: many schedulers are safe)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

TICK_SCHEDULE = "exercises.tick"
TICK_SECONDS = 2


@task(queue_name="default")
def tick_task() -> int:
    from dnscc.exercises.runner import tick_all

    return tick_all()


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued."""
    from dnscc.exercises.models import Exercise
    from dnscc.monitoring.services import enqueue_due

    if not Exercise.objects.filter(status=Exercise.RUNNING).exists():
        return []  # nothing runs: no task every two seconds for nothing
    return enqueue_due([(TICK_SCHEDULE, TICK_SECONDS, tick_task)], now=now)
