"""The demo's resource-constrained operators (issue 11, "Build" 6): the registries of
.ke and .sn are flagged by dnscc.demo; this flags the operator of .ws too, before the
campaign is delivered, so that the campaign (whose Conficker B names fall in .ws among
others) counts a resource-constrained registry reached and acknowledged, as the incident
of .ke and .sn does."""

from __future__ import annotations

from django.utils import timezone

from dnscc.accounts import audit
from dnscc.directory.models import Tld

CAMPAIGN_TLD = "ws"
REASON = "demo: no CSIRT in country"


def flag_campaign_registry(actor: audit.Actor) -> list[str]:
    """Flag the operator of .ws resource-constrained, with its evidence (once); what it did."""
    tld = Tld.objects.filter(name=CAMPAIGN_TLD).select_related("operator").first()
    org = tld.operator if tld is not None else None
    if org is None or org.resource_constrained:
        return []
    org.resource_constrained = True
    org.constrained_reason = REASON
    org.constrained_by, org.constrained_at = actor.name, timezone.now()
    org.save(
        update_fields=[
            "resource_constrained",
            "constrained_reason",
            "constrained_by",
            "constrained_at",
        ]
    )
    audit.record(
        actor,
        "organization.update",
        obj=org,
        summary=f"demo: {org.slug} resource-constrained",
        data={"resource_constrained": True, "constrained_reason": REASON},
    )
    return [f"{org.name}: resource-constrained ({REASON})"]
