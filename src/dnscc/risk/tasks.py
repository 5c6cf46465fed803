"""Background work of the risk framework, run by `dnscc worker`: reminders of silent survey
recipients, and the assets kept in step with the directory. `dnscc scheduler` enqueues
them through monitoring.services.enqueue_due (one claim per run, many schedulers safe)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

REMIND_SCHEDULE = "risk.survey_reminders"
ASSETS_SCHEDULE = "risk.assets_sync"
REMIND_SECONDS = 6 * 3600
ASSETS_SECONDS = 24 * 3600


@task(queue_name="default")
def remind_task() -> int:
    from dnscc.risk.surveys import due_reminders

    return due_reminders()


@task(queue_name="default")
def assets_task() -> dict[str, int]:
    from dnscc.risk.assets import sync_assets

    return sync_assets()


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued."""
    from dnscc.monitoring.services import enqueue_due

    return enqueue_due(
        [
            (REMIND_SCHEDULE, REMIND_SECONDS, remind_task),
            (ASSETS_SCHEDULE, ASSETS_SECONDS, assets_task),
        ],
        now=now,
    )
