"""Delivery truth: what happened to the messages of a notice's source, per organisation.

A party of an incident is `notified`, and a campaign slice `delivered`, only when at least
one message to it was accepted (an SMTP 2xx at the relay, a webhook 2xx). This module says,
for a source (an incident, a slice) and each recipient organisation, how many messages are
queued, accepted, bounced, failed and acknowledged, and to which contact each went; the
sources map that onto their own states (incidents.services, campaigns.services) when
`signals.delivery_changed` tells them something changed.

Outcomes, worst to best: "none" (no message at all: no usable contact or channel),
"failed" (every message dead, held or bounced), "simulated" (an exercise's messages that
were only recorded as "would have sent": no contact opted in to exercises), "pending"
(something still on its way), "accepted" (at least one accepted or acknowledged).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q

from dnscc.outreach.models import Message
from dnscc.outreach.signals import delivery_changed

NONE, FAILED, PENDING, ACCEPTED = "none", "failed", "pending", "accepted"
SIMULATED = "simulated"

# Message states in each count ("acknowledged" is counted apart, whatever the state).
_QUEUED = (Message.QUEUED, Message.SENDING)
_FAILED = (Message.DEAD, Message.HELD, Message.CANCELLED)


@dataclass
class Delivery:
    """The messages of one source to one organisation."""

    queued: int = 0
    accepted: int = 0
    bounced: int = 0
    failed: int = 0
    simulated: int = 0
    acknowledged: int = 0
    first_accepted_at: datetime | None = None
    recipients: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.recipients)

    @property
    def outcome(self) -> str:
        if self.accepted or self.acknowledged:
            return ACCEPTED
        if self.queued:
            return PENDING
        if self.simulated and not (self.failed or self.bounced):
            return SIMULATED
        if self.recipients:
            return FAILED
        return NONE

    def add(self, message: Message) -> None:
        if message.acknowledged_at is not None:
            self.acknowledged += 1
        if message.state == Message.ACCEPTED or message.acknowledged_at is not None:
            self.accepted += 1
            at = message.accepted_at or message.acknowledged_at
            if at and (self.first_accepted_at is None or at < self.first_accepted_at):
                self.first_accepted_at = at
        elif message.state in _QUEUED:
            self.queued += 1
        elif message.state == Message.BOUNCED:
            self.bounced += 1
        elif message.state == Message.SIMULATED:
            self.simulated += 1
        else:
            self.failed += 1
        self.recipients.append(
            {
                "key": message.key,
                "channel": message.channel,
                "address": message.address,
                "contact": message.contact.name if message.contact else "",
                "status": message.status,
                "status_label": STATUS_LABELS.get(message.status, message.status),
                "error": message.dead_reason or message.last_error,
                "accepted_at": message.accepted_at,
                "kind": message.kind,
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "queued": self.queued,
            "accepted": self.accepted,
            "bounced": self.bounced,
            "failed": self.failed,
            "simulated": self.simulated,
            "acknowledged": self.acknowledged,
            "first_accepted_at": self.first_accepted_at,
            "recipients": [
                {k: v for k, v in r.items() if k != "status_label"} for r in self.recipients
            ],
        }

    def summary(self) -> str:
        """ "2 queued, 1 accepted, 0 bounced, 1 acknowledged" (failed only when some)."""
        parts = [
            f"{self.queued} queued",
            f"{self.accepted} accepted",
            f"{self.bounced} bounced",
        ]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.simulated:
            parts.append(f"{self.simulated} would have sent (exercise)")
        parts.append(f"{self.acknowledged} acknowledged")
        return ", ".join(parts)


STATUS_LABELS = {
    **dict(Message.STATE_CHOICES),
    "acknowledged": "Acknowledged",
}


def by_organization(
    *,
    source_type: str = "",
    source_ids: Iterable[str | int] = (),
    notice_ids: Iterable[int] = (),
    organization_ids: Iterable[int] | None = None,
) -> dict[tuple[str, int], Delivery]:
    """{(source_id, organization_id): Delivery} for the messages of the notices of
    `source_type` with one of `source_ids` (or of the notices `notice_ids`, keyed by
    str(notice id)), optionally only to `organization_ids`. Follow-ups count with the
    message they follow up. One query."""
    sources = [str(s) for s in source_ids]
    notices = list(notice_ids)
    where = Q()
    if sources:
        where |= Q(notice__source_type=source_type, notice__source_id__in=sources)
    if notices:
        where |= Q(notice_id__in=notices)
    if not sources and not notices:
        return {}
    qs = Message.objects.filter(where, organization__isnull=False)
    if organization_ids is not None:
        qs = qs.filter(organization_id__in=list(organization_ids))
    result: dict[tuple[str, int], Delivery] = {}
    for message in qs.select_related("contact", "notice").order_by("created_at", "id"):
        assert message.notice is not None
        assert message.organization_id is not None
        source = str(message.notice_id) if notices and not sources else message.notice.source_id
        result.setdefault((source, message.organization_id), Delivery()).add(message)
    return result


def for_notice(notice_id: int | None, organization_id: int) -> Delivery:
    """The Delivery of one notice to one organisation (empty without a notice)."""
    if notice_id is None:
        return Delivery()
    found = by_organization(notice_ids=[notice_id], organization_ids=[organization_id])
    return found.get((str(notice_id), organization_id), Delivery())


def announce(message_ids: Iterable[int] | None = None, *, messages: Iterable[Any] = ()) -> None:
    """Send `delivery_changed` for the sources of these messages (ids, or rows with
    `notice.source_type`, `notice.source_id` and `organization_id` loaded). Call inside
    the transaction that recorded the change."""
    sources: set[tuple[str, str, int]] = set()
    for m in messages:
        notice = getattr(m, "notice", None)
        if notice is not None and notice.source_type and m.organization_id:
            sources.add((notice.source_type, notice.source_id, m.organization_id))
    ids = list(message_ids or ())
    if ids:
        rows = (
            Message.objects.filter(pk__in=ids, organization__isnull=False)
            .exclude(notice__source_type="")
            .exclude(notice__isnull=True)
            .values_list("notice__source_type", "notice__source_id", "organization_id")
            .distinct()
        )
        sources.update((t, s, o) for t, s, o in rows)
    if sources:
        delivery_changed.send(sender=Message, sources=sorted(sources))
