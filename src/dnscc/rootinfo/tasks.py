"""Background work of the root server information space, enqueued by `dnscc scheduler`:
an RSSAC047 round every DNSCC_RSSAC047_INTERVAL_SECONDS (against the configured root
hints, or the lab), and a daily fetch of DNSCC_RSSAC002_URL when it is set."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tasks import task

MEASURE_SCHEDULE = "rootinfo.rssac047"
FETCH_SCHEDULE = "rootinfo.rssac002_fetch"
FETCH_SECONDS = 86400


@task(queue_name="default")
def measure_task() -> int:
    from dnscc.rootinfo.rssac047 import run_round

    return len(run_round())


@task(queue_name="default")
def ingest_url_task(url: str = "", actor: str = "system") -> int:
    from dnscc.accounts import audit
    from dnscc.rootinfo.ingest import ingest

    return ingest(url or settings.RSSAC002_URL, actor=audit.Actor(actor)).pk


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued."""
    from dnscc.core.errors import UnavailableError
    from dnscc.monitoring.runner import hints_and_anchor
    from dnscc.monitoring.services import enqueue_due

    jobs: list[tuple[str, int, Any]] = []
    try:
        hints_and_anchor()
    except UnavailableError:
        pass  # nothing to measure yet (no hints, no lab): the sweeps say so
    else:
        jobs.append((MEASURE_SCHEDULE, settings.RSSAC047_INTERVAL_SECONDS, measure_task))
    if settings.RSSAC002_URL:
        jobs.append((FETCH_SCHEDULE, FETCH_SECONDS, ingest_url_task))
    return enqueue_due(jobs, now=now)
