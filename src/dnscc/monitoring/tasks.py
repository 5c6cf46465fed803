"""Background work of monitoring: a sweep of the namespace, run by `dnscc worker`."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def sweep_task(trigger: str = "schedule") -> int:
    from dnscc.monitoring.runner import run_sweep

    return run_sweep(trigger=trigger).pk
