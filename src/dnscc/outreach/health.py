"""Outbox health: is each channel answering, and how much is waiting.

The sender notes what each attempt said about its channel (the SMTP relay, or one webhook
host): a connection refused, a time-out, an SMTP 421 or an HTTP 5xx counts against the
channel; any answer from it (an acceptance, or a recipient's own refusal) shows it works.
It writes that to `ChannelHealth` every few seconds and at the end of each run.

`status()` is what the banner on staff pages, the outbox page, the duty console and
`dnscc outreach status` show: a channel failing longer than DNSCC_OUTBOX_ALERT_SECONDS is
an alert, with its error and the number of messages waiting.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Min
from django.utils import timezone

from dnscc.outreach.delivery import Outcome
from dnscc.outreach.models import ChannelHealth, Message

SMTP = "smtp"
WRITE_EVERY_SECONDS = 5.0


def channel_of(message: Message) -> str:
    """ "smtp" for mail (one relay), "webhook:HOST" for a webhook."""
    return SMTP if message.channel == Message.EMAIL else f"webhook:{message.host}"


@dataclass
class _Seen:
    ok_at: datetime | None = None
    failed_at: datetime | None = None
    first_failed_at: datetime | None = None  # since the last success seen in this run
    failures: int = 0
    error: str = ""


@dataclass
class Observed:
    """What one sender saw of each channel since it last wrote."""

    channels: dict[str, _Seen] = field(default_factory=dict)
    written_at: float = field(default_factory=time.monotonic)

    def saw(self, message: Message, outcome: Outcome) -> None:
        now = timezone.now()
        seen = self.channels.setdefault(channel_of(message), _Seen())
        if outcome.channel_down:
            seen.failed_at = now
            seen.first_failed_at = seen.first_failed_at or now
            seen.failures += 1
            seen.error = outcome.reply
        else:
            seen.ok_at = now
            seen.first_failed_at = None
            seen.failures = 0

    def due(self) -> bool:
        return bool(self.channels) and time.monotonic() - self.written_at >= WRITE_EVERY_SECONDS


def record(observed: Observed) -> None:
    """Write what was seen: the last word of each channel wins (ok clears the failure)."""
    seen, observed.channels = observed.channels, {}
    observed.written_at = time.monotonic()
    if not seen:
        return
    with transaction.atomic():
        for channel, s in seen.items():
            row, _ = ChannelHealth.objects.get_or_create(channel=channel)
            failing_now = s.failed_at is not None and (s.ok_at is None or s.failed_at > s.ok_at)
            if failing_now:
                ChannelHealth.objects.filter(pk=row.pk, failing_since__isnull=True).update(
                    failing_since=s.first_failed_at or s.failed_at
                )
                ChannelHealth.objects.filter(pk=row.pk).update(
                    failures=F("failures") + s.failures,
                    last_error=s.error[:500],
                    last_failure_at=s.failed_at,
                )
            else:
                ChannelHealth.objects.filter(pk=row.pk).update(
                    failing_since=None, failures=0, last_ok_at=s.ok_at
                )


def _waiting(channel: str) -> int:
    qs = Message.objects.filter(state__in=(Message.QUEUED, Message.SENDING))
    if channel == SMTP:
        return qs.filter(channel=Message.EMAIL).count()
    return qs.filter(channel=Message.WEBHOOK, host=channel.partition(":")[2]).count()


def channel_label(channel: str) -> str:
    if channel == SMTP:
        return f"SMTP relay {settings.OUTREACH_SMTP_HOST}:{settings.OUTREACH_SMTP_PORT}"
    return f"webhook host {channel.partition(':')[2]}"


def status(*, now: datetime | None = None) -> dict[str, Any]:
    """The outbox's health, as plain data:

    {"ok": bool, "alerts": [channel rows failing longer than the threshold],
     "channels": [{"channel", "label", "failing_since", "failing_for_seconds", "failures",
                   "last_error", "last_ok_at", "waiting", "alert"}],
     "waiting": messages queued or being sent, "oldest_waiting_at", "due": waiting and due,
     "dead": dead letters, "threshold_seconds"}
    """
    now = now or timezone.now()
    threshold = timedelta(seconds=settings.OUTREACH_HEALTH_ALERT_SECONDS)
    channels = []
    for row in ChannelHealth.objects.all():
        failing_for = (now - row.failing_since).total_seconds() if row.failing_since else None
        alert = row.failing_since is not None and now - row.failing_since >= threshold
        channels.append(
            {
                "channel": row.channel,
                "label": channel_label(row.channel),
                "failing": row.failing_since is not None,
                "failing_since": row.failing_since,
                "failing_for_seconds": failing_for,
                "failures": row.failures,
                "last_error": row.last_error,
                "last_failure_at": row.last_failure_at,
                "last_ok_at": row.last_ok_at,
                "waiting": _waiting(row.channel) if row.failing_since else None,
                "alert": alert,
            }
        )
    waiting = Message.objects.filter(state__in=(Message.QUEUED, Message.SENDING))
    oldest = waiting.aggregate(at=Min("created_at"))["at"]
    alerts = [c for c in channels if c["alert"]]
    return {
        "ok": not alerts,
        "alerts": alerts,
        "channels": channels,
        "waiting": waiting.count(),
        "due": waiting.filter(state=Message.QUEUED, next_attempt_at__lte=now).count(),
        "oldest_waiting_at": oldest,
        "dead": Message.objects.filter(state=Message.DEAD).count(),
        "threshold_seconds": settings.OUTREACH_HEALTH_ALERT_SECONDS,
    }


def banner(*, now: datetime | None = None) -> dict[str, Any] | None:
    """What the staff banner says, or None when every channel is well: a cheap query
    first (pages are rendered often)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.OUTREACH_HEALTH_ALERT_SECONDS)
    if not ChannelHealth.objects.filter(failing_since__lte=cutoff).exists():
        return None
    alerts = status(now=now)["alerts"]
    return {"alerts": alerts, "waiting": sum(a["waiting"] or 0 for a in alerts)} if alerts else None


def anything_due(*, now: datetime | None = None) -> bool:
    """Is a message due (queued and its time come, or a sender's lease lapsed)? The
    scheduler's question before it enqueues a drain."""
    now = now or timezone.now()
    return (
        Message.objects.filter(state=Message.QUEUED, next_attempt_at__lte=now).exists()
        or Message.objects.filter(state=Message.SENDING, lease_until__lt=now).exists()
    )
