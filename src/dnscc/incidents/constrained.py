"""Resource-constrained operators in an incident (issue 11, "Build" 6): how many of its
parties that are resource-constrained were reached and acknowledged, and adding every
resource-constrained operator of a region (by default the regions of the TLDs in its
scope) as parties, so that those least able to follow the news hear from the center."""

from __future__ import annotations

from django.db.models import Q

from dnscc.directory import constrained
from dnscc.incidents.models import Party

# A party was reached when a notice to it was accepted (or the coordinator recorded that
# it was told, e.g. by phone: notified_at with a status beyond delivery). Queued, failed and
# an exercise's "would have sent" are not reached, whatever notified_at says.
_NOT_REACHED_STATES = (
    Party.NOT_CONTACTED,
    Party.QUEUED,
    Party.UNREACHABLE,
    Party.DELIVERY_FAILED,
    Party.SIMULATED,
)


def constrained_reach(incident_id: int) -> constrained.Reach:
    """How many of the incident's resource-constrained parties were reached (notified: the
    relay or webhook accepted the notice, not merely queued) and how many acknowledged."""
    return constrained.reach(
        Party.objects.filter(incident_id=incident_id),
        organization="organization",
        reached=Q(notified_at__isnull=False) & ~Q(status__in=_NOT_REACHED_STATES),
        acknowledged=Q(acknowledged_at__isnull=False),
        among="the parties",
    )
