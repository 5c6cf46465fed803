"""Background work of outreach, run by `dnscc worker` through the Django tasks API."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task(queue_name="mail")
def drain_outbox() -> dict[str, Any]:
    """Send every due outbox message. Many may run at once: claims are compare-and-set."""
    from dnscc.outreach.sender import drain

    return drain().as_dict()


@task(queue_name="mail")
def schedule_followups() -> int:
    from dnscc.accounts import audit
    from dnscc.outreach import services

    return services.schedule_followups(audit.SYSTEM)


FOLLOWUP_SCHEDULE = "outreach.followups"
DRAIN_SCHEDULE = "outreach.drain"
FOLLOWUP_CHECK_SECONDS = 3600  # the period between follow-ups is OUTREACH_FOLLOWUP_HOURS


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued.

    The outbox is drained whenever a message is due (a retry whose time came, a lapsed
    lease), not only when a new message is queued: at most every
    DNSCC_OUTBOX_DRAIN_CHECK_SECONDS, and only then (no task when nothing waits)."""
    from django.conf import settings

    from dnscc.monitoring.services import enqueue_due
    from dnscc.outreach import health

    jobs: list[tuple[str, int, Any]] = [
        (FOLLOWUP_SCHEDULE, FOLLOWUP_CHECK_SECONDS, schedule_followups)
    ]
    every = settings.OUTREACH_DRAIN_CHECK_SECONDS
    if every and health.anything_due(now=now):
        jobs.append((DRAIN_SCHEDULE, every, drain_outbox))
    return enqueue_due(jobs, now=now)
