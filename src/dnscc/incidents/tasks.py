"""Background work of incidents, enqueued by `dnscc scheduler` (each job claimed with
monitoring.services.claim_due, so many schedulers never double-run it): the SLA check, the
shift change of the duty desks, and the purge of unconfirmed web reports. Each is safe to
run twice anyway (unique rows, compare-and-set, a delete of what is still unconfirmed), the
claim only saves the work."""

from __future__ import annotations

from typing import Any

from django_tasks import task

# How often the scheduler enqueues them (seconds). The SLA targets are in sla.toml.
SLA_CHECK_SECONDS = 60
SHIFT_CHECK_SECONDS = 60
PURGE_SECONDS = 3600
SLA_SCHEDULE = "incidents.sla_check"
SHIFT_SCHEDULE = "incidents.shift_change"
PURGE_SCHEDULE = "incidents.purge_reports"


@task(queue_name="default")
def sla_check_task() -> dict[str, Any]:
    from dnscc.incidents import sla

    return sla.check()


@task(queue_name="default")
def shift_change_task() -> int | None:
    from dnscc.incidents import desks

    desks.ensure_desks()
    handover = desks.shift_change()
    return handover.pk if handover else None


@task(queue_name="default")
def purge_reports_task() -> int:
    from dnscc.incidents import intake

    return intake.purge_unconfirmed()


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued."""
    from dnscc.monitoring.services import enqueue_due

    return enqueue_due(
        [
            (SLA_SCHEDULE, SLA_CHECK_SECONDS, sla_check_task),
            (SHIFT_SCHEDULE, SHIFT_CHECK_SECONDS, shift_change_task),
            (PURGE_SCHEDULE, PURGE_SECONDS, purge_reports_task),
        ],
        now=now,
    )
