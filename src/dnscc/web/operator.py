"""The operator's home: what its organisation owes the center and by when (in its own time
zone), its open incidents and campaign slices, the health of its own zones with evidence,
and where to keep its contacts. Every item is the organisation's own: the same visibility
functions as the pages each item links to."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.tlp import Viewer
from dnscc.directory.models import Organization

SOON = timedelta(hours=24)


def _when(due: datetime | None, zone: str, now: datetime) -> dict[str, Any]:
    from dnscc.incidents import sla

    shown = sla.format_deadline(due, zone)
    left = (due - now).total_seconds() if due else None
    return {
        **shown,
        "at": due,
        "overdue": left is not None and left < 0,
        "soon": left is not None and 0 <= left < SOON.total_seconds(),
        "in": sla.human(abs(left)) if left is not None else "",
    }


def owed(viewer: Viewer, org: Organization, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """What the organisation owes, soonest deadline first (those without one last):
    incident notices to acknowledge, campaign slices to acknowledge and report on, other
    messages that ask for an acknowledgement."""
    from dnscc.campaigns import services as campaigns
    from dnscc.campaigns.models import Campaign, Slice
    from dnscc.incidents import services as incidents
    from dnscc.incidents import sla
    from dnscc.incidents.models import Incident, Party
    from dnscc.outreach import services as outreach

    now = now or timezone.now()
    zone = org.time_zone or "UTC"
    items: list[dict[str, Any]] = []
    parties = (
        Party.objects.filter(
            organization=org,
            incident__in=_live_or_taking_part(
                incidents.visible_incidents(viewer).exclude(status=Incident.CLOSED), org
            ),
            acknowledged_at__isnull=True,
        )
        .exclude(status__in=sla.ANSWERED)
        .exclude(status=Party.NOT_CONTACTED)
        .select_related("incident")
    )
    for party in parties:
        incident = party.incident
        due = sla.party_deadline(party)
        items.append(
            {
                "what": f"{'[EXERCISE] ' if incident.exercise else ''}"
                f"Acknowledge incident {incident.ref}: {incident.title}",
                "kind": "incident",
                "link": f"/incidents/{incident.ref}/#own-party",
                "detail": f"severity {incident.severity}; TLP:{incident.tlp}",
                "due": _when(due, zone, now),
            }
        )
    slices = _live_or_taking_part(
        campaigns.visible_campaigns(viewer).filter(status=Campaign.ACTIVE), org
    ).values_list("pk", flat=True)
    for s in (
        Slice.objects.filter(
            campaign_id__in=list(slices), organization=org, delivered_at__isnull=False
        )
        .exclude(state=Slice.COMPLETE)
        .select_related("campaign")
        .order_by("deadline")
    ):
        link = f"/campaigns/{s.campaign.slug}/slices/{s.pk}/"
        if s.acknowledged_at is None:
            items.append(
                {
                    "what": f"Acknowledge your slice of {s.campaign.title} ({s.names} names)",
                    "kind": "slice",
                    "link": link,
                    "detail": "acknowledge in the portal, by the link in the mail, or by API",
                    "due": _when(s.deadline, zone, now),
                }
            )
        if s.reported < s.names:
            items.append(
                {
                    "what": f"Report the outcome of {s.names - s.reported} of {s.names} names"
                    f" ({s.campaign.title})",
                    "kind": "outcomes",
                    "link": link + "#report",
                    "detail": "one or a few names in a form, or a CSV for many",
                    "due": _when(s.deadline, zone, now),
                }
            )
    waiting = (
        outreach.visible_messages(viewer, exercises=False)
        .filter(
            organization=org,
            parent__isnull=True,
            notice__requires_ack=True,
            acknowledged_at__isnull=True,
        )
        .exclude(notice__source_type__in=outreach.OWN_LADDER_SOURCES)
        .exclude(state__in=("cancelled", "held"))
        .order_by("-created_at")[:20]
    )
    seen_notices: set[int] = set()
    for m in waiting:
        if m.notice_id in seen_notices:
            continue
        seen_notices.add(m.notice_id or 0)
        items.append(
            {
                "what": f"Acknowledge: {m.subject}",
                "kind": "message",
                "link": f"/outreach/messages/{m.key}/",
                "detail": f"sent {m.created_at:%Y-%m-%d %H:%M} UTC to {m.address}",
                "due": _when(None, zone, now),
            }
        )
    # Risk surveys its organisation was invited to and has not answered yet.
    from dnscc.risk import surveys

    for inv in surveys.owed_surveys(viewer):
        rnd = inv.round
        items.append(
            {
                "what": f"Answer the survey {rnd.questionnaire.title_in(inv.language)}",
                "kind": "survey",
                "link": f"/risk/surveys/{rnd.pk}/answer/",
                "detail": "in the portal or by the link in the mail; shown only in aggregate",
                "due": _when(rnd.closes_at, zone, now),
            }
        )
    far = datetime.max.replace(tzinfo=now.tzinfo)
    items.sort(key=lambda i: (i["due"]["at"] or far, i["what"]))
    return items


def _live_or_taking_part(qs: Any, org: Organization) -> Any:
    """Incidents or campaigns without an exercise's mark, and an exercise's too when one of
    the organisation's contacts opted in to exercises (core.exercise_mark): an
    organisation that takes no part never sees an exercise's work on its home page."""
    if org.contacts.filter(exercise_opt_in=True).exists():
        return qs
    return qs.filter(exercise__isnull=True)


def open_work(viewer: Viewer, org: Organization) -> dict[str, Any]:
    """Its open incidents (with its own party's status) and its slices of active campaigns."""
    from dnscc.campaigns import services as campaigns
    from dnscc.campaigns.models import Campaign, Slice
    from dnscc.incidents import services as incidents
    from dnscc.incidents.models import Incident, Party

    own = {
        p.incident_id: p
        for p in Party.objects.filter(organization=org).only(
            "incident_id", "status", "organization_id"
        )
    }
    open_incidents = [
        {"incident": i, "party": own.get(i.pk)}
        for i in _live_or_taking_part(
            incidents.visible_incidents(viewer).exclude(status=Incident.CLOSED), org
        ).order_by("-created_at")[:50]
    ]
    active = _live_or_taking_part(
        campaigns.visible_campaigns(viewer).filter(
            Q(status=Campaign.ACTIVE) | Q(status=Campaign.ENDED)
        ),
        org,
    )
    slices = list(
        Slice.objects.filter(
            campaign__in=active, organization=org, delivered_at__isnull=False
        ).select_related("campaign")
    )
    return {"incidents": open_incidents, "slices": slices}


def home(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """The home page of an organisation's member (operator or partner)."""
    from dnscc.directory.services import contact_status
    from dnscc.monitoring.own_zones import own_zone_health

    org = Organization.objects.get(pk=viewer.organization_id)
    now = timezone.now()
    health = own_zone_health(viewer)
    findings = [{"f": f} for f in health["findings"]]
    contacts = list(org.contacts.order_by("name"))
    audit.disclosed(
        audit.Actor.of(request.user), "monitoring.finding", ids=[f.pk for f in health["findings"]]
    )
    return render(
        request,
        "web/operator_home.html",
        {
            "org": org,
            "zone": org.time_zone or "UTC",
            "now_local": _when(now, org.time_zone or "UTC", now),
            "owed": owed(viewer, org, now=now),
            "work": open_work(viewer, org),
            "zones": health["zones"],
            "findings": findings,
            "contacts": [{"c": c, "status": contact_status(c)} for c in contacts],
            "reachable": any(c.email or c.webhook_url for c in contacts),
        },
    )
