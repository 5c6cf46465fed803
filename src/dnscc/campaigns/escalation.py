"""Escalation of late campaign slices: reminder, duty desk, alternative contacts.

A delivered slice not acknowledged by its deadline climbs a ladder, one rung per run of
`escalate`, each rung once (a compare-and-set on Slice.escalation_level, so many schedulers
never send two reminders), each when its delay after the deadline has elapsed (the small
profile escalation.toml):

    level 1  reminder      kind "campaign_reminder" through the one outbox (outreach.notify)
    level 2  duty desk     the desk on duty for the organisation's region
                           (incidents.desks.desk_for_region); on the incident's timeline
    level 3  alternatives  contacts (or channels) of the organisation that no message of
                           this slice used; phone numbers for the desk to call; when there
                           are none, the timeline says so

Every rung is an "escalation" entry on the incident's timeline (its `data` names the slice,
the level and, for level 2, the desk), which the dashboard shows.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.campaigns.models import Campaign, Slice
from dnscc.core.tlp import TLP, Role, Viewer
from dnscc.directory.models import Contact
from dnscc.incidents import timeline
from dnscc.outreach.models import Message
from dnscc.outreach.services import notify

log = logging.getLogger(__name__)

PROFILE = Path(__file__).resolve().parent / "escalation.toml"
REMINDER, DESK, ALTERNATIVES = 1, 2, 3
# Escalation acts for the center itself: it may queue notices like staff.
_SYSTEM_VIEWER = Viewer(role=Role.ADMIN)
_ACTOR = audit.Actor("escalation")


@dataclass(frozen=True)
class Ladder:
    """Delays after the deadline of each rung."""

    reminder: timedelta
    desk: timedelta
    alternatives: timedelta

    def delay(self, level: int) -> timedelta:
        return (self.reminder, self.desk, self.alternatives)[level - 1]


@cache
def ladder(path: Path = PROFILE) -> Ladder:
    """The ladder of escalation.toml (read once)."""
    data = tomllib.loads(path.read_text())["ladder"]
    return Ladder(
        reminder=timedelta(hours=float(data["reminder_after_hours"])),
        desk=timedelta(hours=float(data["desk_after_hours"])),
        alternatives=timedelta(hours=float(data["alternatives_after_hours"])),
    )


def _desk(region: str, now: datetime) -> str:
    from dnscc.incidents import desks

    try:
        return desks.desk_for_region(region, now) or region
    except NotImplementedError:
        # The desks rota is not there yet: the organisation's own region takes it.
        return region


def _context(slice_: Slice, level: int) -> dict[str, Any]:
    campaign = slice_.campaign
    return {
        "campaign": campaign.title,
        "ref": campaign.incident.ref,
        "tlp": f"TLP:{campaign.tlp}",
        "names": slice_.names,
        "tlds": ", ".join(f".{t}" for t in slice_.tlds) or "-",
        "deadline": f"{slice_.deadline:%Y-%m-%d %H:%M} UTC",
        "url": f"{settings.BASE_URL}/campaigns/{campaign.slug}/",
        "level": level,
    }


def _tlp(campaign: Campaign) -> TLP:
    tlp = TLP(campaign.tlp)
    # RED cannot go to an organisation; the slice was delivered, so AMBER+STRICT at most.
    return TLP.AMBER_STRICT if tlp is TLP.RED else tlp


def _used(slice_: Slice) -> set[tuple[int | None, str]]:
    """(contact, channel) pairs that a message of this slice already went to."""
    return set(
        Message.objects.filter(
            notice__source_type__in=("campaign_slice", "campaign_reminder"),
            notice__source_id=str(slice_.pk),
        ).values_list("contact_id", "channel")
    )


def _climb(
    slice_: Slice, level: int, now: datetime, *, after: int | None = None
) -> dict[str, Any] | None:
    """Take rung `level` of one slice (from rung `after`, by default the one below), once:
    None when another run took it first."""
    org = slice_.organization
    campaign = slice_.campaign
    with transaction.atomic():
        taken = Slice.objects.filter(
            pk=slice_.pk,
            escalation_level=level - 1 if after is None else after,
            acknowledged_at__isnull=True,
        ).update(escalation_level=level, escalated_at=now)
        if taken != 1:
            return None
        data: dict[str, Any] = {
            "campaign": campaign.slug,
            "slice": slice_.pk,
            "organization": org.slug,
            "level": level,
        }
        if level == REMINDER:
            queued = notify(
                _SYSTEM_VIEWER,
                _ACTOR,
                kind="campaign_reminder",
                context=_context(slice_, level),
                organizations=[org],
                tlp=_tlp(campaign),
                source=("campaign_reminder", str(slice_.pk)),
                exercise=campaign.exercise,
            )
            data["messages"] = queued.messages
            summary = f"Campaign {campaign.title}: reminder to {org.name} ({queued.messages} msg)"
            if queued.unreachable:
                summary += "; no contact channel"
        elif level == DESK:
            desk = _desk(org.region, now)
            data["desk"] = desk
            if slice_.state in Slice.NOT_REACHED:
                summary = (
                    f"Campaign {campaign.title}: no message reaches {org.name}"
                    f" ({slice_.get_state_display().lower()});"
                    f" handed to the {desk or 'default'} duty desk"
                )
            else:
                summary = (
                    f"Campaign {campaign.title}: {org.name} has not acknowledged its slice;"
                    f" handed to the {desk or 'default'} duty desk"
                )
        else:
            summary, extra = _alternatives(slice_, campaign)
            data.update(extra)
        timeline.add(campaign.incident, "escalation", summary, actor=_ACTOR.name, data=data)
        audit.record(
            _ACTOR, "campaign.slice_escalated", obj=slice_, summary=summary[:300], data=data
        )
    data["summary"] = summary
    return data


def _alternatives(slice_: Slice, campaign: Campaign) -> tuple[str, dict[str, Any]]:
    org = slice_.organization
    used = _used(slice_)
    unused_channels: set[str] = set()
    unused_contacts: list[int] = []
    phones: list[str] = []
    for contact in Contact.objects.filter(organization=org).order_by("pk"):
        fresh = False
        if contact.email and (contact.pk, Message.EMAIL) not in used:
            unused_channels.add(Message.EMAIL)
            fresh = True
        if contact.webhook_url and (contact.pk, Message.WEBHOOK) not in used:
            unused_channels.add(Message.WEBHOOK)
            fresh = True
        if fresh:
            unused_contacts.append(contact.pk)
        if contact.phone:
            phones.append(f"{contact.name}: {contact.phone}")
    extra: dict[str, Any] = {"contacts": unused_contacts, "phones": phones}
    parts = []
    if unused_channels:
        # notify() addresses an organisation's channels: limiting it to the channels not
        # used before reaches the new contacts (and, on those channels, the old ones again).
        queued = notify(
            _SYSTEM_VIEWER,
            _ACTOR,
            kind="campaign_reminder",
            context=_context(slice_, ALTERNATIVES),
            organizations=[org],
            tlp=_tlp(campaign),
            source=("campaign_reminder", str(slice_.pk)),
            channels=tuple(sorted(unused_channels)),
            exercise=campaign.exercise,
        )
        extra["messages"] = queued.messages
        parts.append(f"reminder to {len(unused_contacts)} contact(s) not used before")
    if phones:
        parts.append("call " + "; ".join(phones))
    if not parts:
        extra["none"] = True
        return (
            f"Campaign {campaign.title}: {org.name} has no alternative contact"
            " (every contact was tried, no phone number)",
            extra,
        )
    return f"Campaign {campaign.title}: {org.name}: " + ", ".join(parts), extra


def late_slices(now: datetime) -> Any:
    """Slices past their deadline, sent and not acknowledged, of active campaigns,
    whatever DNS shows: a pre-emptive block looks done (the name is not delegated) whether
    or not the registry read its slice, and only the acknowledgement says it did. And,
    whatever their deadline, slices no message reaches (unreachable, delivery failed)."""
    return (
        Slice.objects.filter(
            Q(state__in=Slice.NOT_REACHED)
            | Q(state__in=(Slice.QUEUED, Slice.DELIVERED, Slice.COMPLETE), deadline__lt=now),
            campaign__status=Campaign.ACTIVE,
            delivered_at__isnull=False,
            acknowledged_at__isnull=True,
            escalation_level__lt=ALTERNATIVES,
        )
        .select_related("campaign", "campaign__incident", "organization")
        .order_by("deadline", "pk")
    )


def escalate(now: datetime | None = None) -> dict[str, Any]:
    """Climb one rung for every late slice whose next rung is due; safe with many runs.

    Returns {"checked": n, "reminders": n, "desk": n, "alternatives": n, "steps": [...]}.
    """
    now = now or timezone.now()
    steps = ladder()
    result: dict[str, Any] = {"checked": 0, "reminders": 0, "desk": 0, "alternatives": 0}
    done: list[dict[str, Any]] = []
    for slice_ in late_slices(now):
        result["checked"] += 1
        level = slice_.escalation_level + 1
        start = slice_.deadline
        if slice_.state in Slice.NOT_REACHED:
            # No message reaches it: a reminder would not either; the desk takes it at once
            # and the alternatives follow, counted from the delivery.
            level = max(level, DESK)
            assert slice_.delivered_at is not None
            start = slice_.delivered_at - steps.desk
        if now < start + steps.delay(level):
            continue
        step = _climb(slice_, level, now, after=slice_.escalation_level)
        if step is None:
            continue
        result[("reminders", "desk", "alternatives")[level - 1]] += 1
        done.append(step)
    result["steps"] = done
    return result
