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
FOLLOWUP_CHECK_SECONDS = 3600  # the period between follow-ups is OUTREACH_FOLLOWUP_HOURS


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued."""
    from dnscc.monitoring.services import enqueue_due

    return enqueue_due([(FOLLOWUP_SCHEDULE, FOLLOWUP_CHECK_SECONDS, schedule_followups)], now=now)
