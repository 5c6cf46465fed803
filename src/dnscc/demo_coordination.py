"""The demo's coordination work in progress: duty desks, two incidents with their parties at
different stages, and a Conficker campaign with its slices delivered, some outcomes
reported and (with the lab) verified by DNS, a few names still registered in the lab so
that verification has something to catch; and a CSAF advisory about it, published and
revised.

Idempotent: each piece is created once (found again by its title on the next run).
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.incidents.models import Incident, Party

ACTOR = audit.Actor("demo")

HIJACK_TITLE = "Registrar account takeovers against African ccTLDs (demo)"
DGA_TITLE = "Conficker B: generated rendezvous names (demo)"
CAMPAIGN_TITLE = "Conficker B: block this week's generated names (demo)"
# Names the demo registers in the lab's .com as if the registry had not blocked them.
MISSED = 12


def load_coordination(*, with_lab: bool) -> list[str]:
    """Create the demo's incidents and campaign (once); returns what it did, as lines."""
    from dnscc.incidents import desks

    done: list[str] = []
    user = get_user_model().objects.get(username="coordinator")
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    desks.ensure_desks()
    done += _hijack_incident(viewer, actor, user)
    incident, lines = _dga_incident(viewer, actor, user)
    done += lines
    done += _campaign(viewer, actor, user, incident, with_lab=with_lab)
    done += _advisory(viewer, actor, user)
    from dnscc.risk.demo import load_risk_demo

    done += load_risk_demo(viewer, actor, user)
    from dnscc.metrics.demo import load_metrics_demo

    done += load_metrics_demo(viewer, actor, user)
    from dnscc.exercises.demo import load_exercises_demo

    done += load_exercises_demo(viewer, actor, with_lab=with_lab)
    from dnscc.sharing.demo import load_sharing_demo

    done += load_sharing_demo(viewer, actor, user, campaign_title=CAMPAIGN_TITLE)
    return done


ADVISORY_TITLE = "Conficker B: registries asked to block generated names (demo)"


def _advisory(viewer: Any, actor: audit.Actor, user: Any) -> list[str]:
    """A TLP:CLEAR threat notice for every TLD registry, published and then revised (the
    CSAF validator is needed to publish: without it, it waits in review and says why)."""
    from dnscc.outreach.models import Advisory

    if Advisory.objects.filter(title=ADVISORY_TITLE).exists():
        return []
    with transaction.atomic():  # all or nothing: a failed run leaves no half-made advisory
        return _publish_and_revise(viewer, actor, user)


def _publish_and_revise(viewer: Any, actor: audit.Actor, user: Any) -> list[str]:
    from dnscc.core.errors import UnavailableError
    from dnscc.outreach import advisories
    from dnscc.outreach.models import Advisory

    advisory = advisories.create(
        viewer,
        actor,
        {
            "title": ADVISORY_TITLE,
            "category": Advisory.INFORMATIONAL,
            "tlp": "CLEAR",
            "summary": "The center is coordinating the pre-emptive blocking of this week's"
            " Conficker B rendezvous names with every affected registry.",
            "recommendation": "Registries: act on your slice of the campaign and report"
            " outcomes. Resolver operators: load the campaign's RPZ where a registry has not"
            " acted.",
            "references": [
                {
                    "url": "https://www.confickerworkinggroup.org/",
                    "summary": "Conficker Working Group",
                }
            ],
            "audience": {"kinds": ["tld_registry"]},
        },
        user=user,
    )
    advisories.submit(viewer, actor, advisory)
    # Two-person rule: the coordinator wrote it, the administrator approves and publishes.
    admin = get_user_model().objects.get(username="admin")
    approver, approving = viewer_for(admin), audit.Actor.of(admin)
    try:
        advisories.publish(approver, approving, advisory, user=admin)
    except UnavailableError as exc:
        return [f"advisory {advisory.tracking_id}: in review ({exc.message})"]
    advisory.refresh_from_db()
    advisories.revise(viewer, actor, advisory)
    advisories.update(
        viewer,
        actor,
        advisory,
        {
            "details": "Slices were delivered to each registry with a deadline in its time"
            " zone; DNS verification runs every few minutes.",
            "revision_summary": "Details of the delivery and verification added.",
        },
    )
    advisories.submit(viewer, actor, advisory)
    advisories.publish(approver, approving, advisory, user=admin)
    return [f"advisory {advisory.tracking_id}: published, then revised (version 2)"]


def _hijack_incident(viewer: Any, actor: audit.Actor, user: Any) -> list[str]:
    from dnscc.incidents import services

    if Incident.objects.filter(title=HIJACK_TITLE).exists():
        return []
    with transaction.atomic():
        incident = services.create_incident(
            viewer,
            ACTOR,
            {
                "title": HIJACK_TITLE,
                "summary": "Two registries report NS changes made through compromised registrar"
                " accounts. Check your registrar-lock status and recent NS changes.",
                "dns_type": "domain-hijack",
                "impact": "high",
                "urgency": "high",
                "tlp": "AMBER",
                "scope": {"tlds": ["ke", "sn", "ng"], "names": [], "ips": [], "resolvers": []},
                "desk": "AF",
            },
            user=user,
        )
        incident = services.update_incident(
            viewer, actor, incident, {"status": Incident.OPEN}, version=incident.version
        )
        services.notify_parties(viewer, actor, incident, user=user)
        # .sn's registry is already at work; the others are still to answer (the demo
        # operator is the .ke registry's: it can acknowledge in the portal).
        for party in incident.parties.select_related("organization"):
            if party.organization.tlds.filter(name="sn").exists():
                services.set_party_status(
                    viewer,
                    actor,
                    party,
                    Party.MITIGATING,
                    version=party.version,
                    via="portal",
                    note="Registrar lock enforced on all .sn delegations.",
                )
        services.add_task(
            viewer,
            actor,
            incident,
            title="Ask the registrars concerned for their access logs",
            owner_username="coordinator",
            due_at=timezone.now() + timedelta(hours=12),
        )
    return [f"incident {incident.ref}: {HIJACK_TITLE}"]


def _dga_incident(viewer: Any, actor: audit.Actor, user: Any) -> tuple[Incident, list[str]]:
    from dnscc.core.dga import get_generator
    from dnscc.incidents import services

    found = Incident.objects.filter(title=DGA_TITLE).first()
    if found is not None:
        return found, []
    tlds = sorted(get_generator("conficker-b").tlds)
    with transaction.atomic():
        incident = services.create_incident(
            viewer,
            ACTOR,
            {
                "title": DGA_TITLE,
                "summary": "Conficker B contacts 250 generated names a day over eight TLDs. The"
                " registries are asked to block the coming week's names before they are"
                " registered.",
                "dns_type": "dga-botnet",
                "impact": "high",
                "urgency": "medium",
                "tlp": "AMBER",
                "scope": {"tlds": tlds, "names": [], "ips": [], "resolvers": []},
                "desk": "EU",
            },
            user=user,
        )
        incident = services.update_incident(
            viewer, actor, incident, {"status": Incident.OPEN}, version=incident.version
        )
    return incident, [f"incident {incident.ref}: {DGA_TITLE}"]


def _campaign(
    viewer: Any, actor: audit.Actor, user: Any, incident: Incident, *, with_lab: bool
) -> list[str]:
    from dnscc.campaigns import services
    from dnscc.campaigns.models import Campaign, Slice, Target

    if Campaign.objects.filter(title=CAMPAIGN_TITLE).exists():
        return []
    today = timezone.now().date()
    campaign = services.create_campaign(
        viewer,
        actor,
        incident_ref=incident.ref,
        title=CAMPAIGN_TITLE,
        due_date=today + timedelta(days=2),
        description="Pre-emptive blocks of the names Conficker B generates for the next 7 days.",
        user=user,
    )
    services.generate_names(
        viewer,
        actor,
        campaign,
        generator="conficker-b",
        start=today,
        end=today + timedelta(days=6),
        action="block",
        legal_basis="registry_waiver",
        legal_reference="Expedited registry security request ERSR-2026-017 (demo)",
        expires_at=timezone.now() + timedelta(days=365),
    )
    from dnscc.demo_constrained import flag_campaign_registry

    flagged = flag_campaign_registry(ACTOR)  # a resource-constrained registry among the slices
    services.deliver(viewer, actor, campaign, user=user)
    lines = [f"campaign {campaign.slug}: {campaign.names_total or '?'} names, slices delivered"]
    lines += flagged
    # One registry acknowledged and reported on its whole slice; another half of it.
    slices = list(Slice.objects.filter(campaign=campaign).order_by("-names"))
    for share, slice_ in zip((1.0, 0.5), slices[:2], strict=False):
        services.acknowledge_slice(viewer, actor, slice_, via="portal")
        names = list(
            Target.objects.filter(slice=slice_).order_by("name").values_list("name", flat=True)
        )
        chosen = names[: int(len(names) * share)]
        csv = "name,outcome\n" + "".join(f"{n},not_registered\n" for n in chosen)
        services.record_outcomes(
            viewer, actor, slice_, io.BytesIO(csv.encode()), filename="outcomes.csv"
        )
    if with_lab:
        lines += _verify_on_lab(campaign)
    else:  # the TLD servers are then on the Internet: the run sends nothing and says why
        from dnscc.campaigns.verification import verify_campaign

        lines.append(f"campaign verification {verify_campaign(campaign, actor=ACTOR).not_run}")
    return lines


def _verify_on_lab(campaign: Any) -> list[str]:
    """Register a few of the campaign's .com names in the lab (as if blocking had failed),
    then verify every name by DNS against the lab's TLD servers."""
    from dnscc.campaigns.models import Target
    from dnscc.campaigns.verification import verify_campaign
    from dnscc.lab import Lab

    missed = list(
        Target.objects.filter(campaign=campaign, tld="com")
        .order_by("name")
        .values_list("name", flat=True)[:MISSED]
    )
    if missed:
        Lab().register("com", missed)
    run = verify_campaign(campaign, actor=ACTOR)
    return [
        f"verified by DNS on the lab: {run.ok} names as requested, {run.bad} not"
        f" ({len(missed)} registered in the lab's .com on purpose)"
    ]
