"""The outbox's answers, for tests that are not about sending: claim the queued messages
as a sender would (outreach.services.claim) and record the relay's answer through the same
functions the sender uses, so every consequence (a party turning `notified`, a slice
`delivered`) runs its real path. Tests of the sending itself use the SMTP sink instead."""

from __future__ import annotations

from typing import Any

from dnscc.outreach import services
from dnscc.outreach.delivery import Outcome
from dnscc.outreach.models import Message


def _claim(**filters: Any) -> tuple[str, list[Message]]:
    from django.utils import timezone

    Message.objects.filter(state=Message.QUEUED, **filters).update(next_attempt_at=timezone.now())
    token, claimed = services.claim(limit=10_000)
    wanted = set(Message.objects.filter(**filters).values_list("pk", flat=True))
    # What was claimed and not wanted goes back untouched.
    others = [m.pk for m in claimed if m.pk not in wanted]
    if others:
        Message.objects.filter(pk__in=others).update(
            state=Message.QUEUED, claim_token="", attempts=0
        )
    return token, [m for m in claimed if m.pk in wanted]


def accept(**filters: Any) -> int:
    """The relay accepts every queued message matching `filters`; how many."""
    token, claimed = _claim(**filters)
    return len(
        services.record_accepted([(m.pk, token, "250 OK") for m in claimed], messages=claimed)
    )


def refuse(**filters: Any) -> int:
    """The relay refuses every queued message matching `filters` for good (a dead letter)."""
    token, claimed = _claim(**filters)
    for m in claimed:
        services.record_outcome(m.pk, token, Outcome.refused("550 no such user"))
    return len(claimed)
