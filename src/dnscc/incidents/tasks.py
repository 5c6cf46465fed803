"""Background work of incidents, enqueued by `dnscc scheduler` (each job claimed with
monitoring.services.claim_due, so many schedulers never double-run it): the SLA check and
the shift change of the duty desks. Both are safe to run twice anyway (unique rows and
compare-and-set), the claim only saves the work."""

from __future__ import annotations

from typing import Any

from django_tasks import task

# How often the scheduler enqueues them (seconds). The SLA targets are in sla.toml.
SLA_CHECK_SECONDS = 60
SHIFT_CHECK_SECONDS = 60


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
