"""Background work of campaigns, run by `dnscc worker`: DNS verification and escalation.

`dnscc scheduler` enqueues them, each claimed with monitoring.services.claim_due so that
many schedulers never enqueue one run twice.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

VERIFY_SCHEDULE = "campaign_verify"
ESCALATE_SCHEDULE = "campaign_escalate"


@task(queue_name="default")
def verify_task() -> dict[str, Any]:
    from dnscc.campaigns.verification import verify_due

    return verify_due()


@task(queue_name="default")
def verify_campaign_task(campaign_id: int, actor: str = "system") -> int:
    """Verify one campaign now (the API's and the portal's "verify now"); the run's id."""
    from dnscc.accounts import audit
    from dnscc.campaigns.models import Campaign
    from dnscc.campaigns.verification import verify_campaign

    campaign = Campaign.objects.get(pk=campaign_id)
    return verify_campaign(campaign, actor=audit.Actor(actor)).pk


@task(queue_name="default")
def escalate_task() -> dict[str, Any]:
    from dnscc.campaigns.escalation import escalate

    result = escalate()
    return {k: v for k, v in result.items() if k != "steps"}


def schedule(*, now: Any = None) -> list[str]:
    """Enqueue what is due (called by `dnscc scheduler` on every tick); the names enqueued."""
    from django.conf import settings

    from dnscc.monitoring.services import enqueue_due

    verify_every = settings.CAMPAIGN_VERIFY_INTERVAL_SECONDS
    return enqueue_due(
        [
            # The verifier itself skips campaigns verified recently: a short claim keeps new
            # campaigns from waiting a whole interval.
            (VERIFY_SCHEDULE, min(verify_every, 900), verify_task),
            (ESCALATE_SCHEDULE, settings.CAMPAIGN_ESCALATE_INTERVAL_SECONDS, escalate_task),
        ],
        now=now,
    )
