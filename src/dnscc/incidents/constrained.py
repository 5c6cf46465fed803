"""Resource-constrained operators in an incident (issue 11, "Build" 6): how many of its
parties that are resource-constrained were reached and acknowledged, and adding every
resource-constrained operator of a region (by default the regions of the TLDs in its
scope) as parties, so that those least able to follow the news hear from the center."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import InputError, Location
from dnscc.core.names import tld_of
from dnscc.core.regions import Region
from dnscc.core.tlp import Viewer
from dnscc.directory import constrained
from dnscc.directory.models import Organization, Tld
from dnscc.directory.services import visible_organizations
from dnscc.incidents import timeline
from dnscc.incidents.models import Incident, Party, empty_scope

_ROOT = "."  # how the root is written in a scope (incidents.services.ROOT)

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
    relay or webhook accepted the notice, not merely queued; or acknowledged) and how many
    acknowledged."""
    return constrained.reach(
        Party.objects.filter(incident_id=incident_id),
        organization="organization",
        # An acknowledgement proves it was reached, however (a phone call before the relay
        # accepted), so that "acknowledged" never exceeds "reached".
        reached=(Q(notified_at__isnull=False) & ~Q(status__in=_NOT_REACHED_STATES))
        | Q(acknowledged_at__isnull=False),
        acknowledged=Q(acknowledged_at__isnull=False),
        among="the parties",
    )


def scope_regions(incident: Incident) -> list[str]:
    """The regions of the TLDs the incident's scope names (its TLDs, and its names' TLDs)."""
    scope = {**empty_scope(), **(incident.scope or {})}
    tlds = {t for t in scope["tlds"] if t != _ROOT}
    tlds |= {tld_of(n) for n in scope["names"] if n != _ROOT}
    found = Tld.objects.filter(name__in=tlds).exclude(region="").values_list("region", flat=True)
    return sorted(set(found))


def add_constrained_parties(
    viewer: Viewer,
    actor: audit.Actor,
    incident: Incident,
    *,
    regions: list[str] | None = None,
) -> list[Party]:
    """Staff only: add every resource-constrained organisation of `regions` (default: the
    regions of the TLDs in the scope) that is not a party yet, as an affected party added by
    hand, with its flag's reason as the party's reason; each one on the timeline and in the
    audit log, like a party added from the directory. The parties added (possibly none)."""
    staff_only(viewer, "add parties")
    if regions:
        wanted = sorted({Region.from_code(str(r)).value for r in regions})
    else:
        wanted = scope_regions(incident)
        if not wanted:
            raise InputError(
                "the scope names no TLD with a region",
                location=Location(field="regions"),
                hint="name the regions: " + ", ".join(r.value for r in Region),
            )
    # Only organisations the coordinator may see (one TLP rule): a TLP:RED one stays out.
    orgs = visible_organizations(
        viewer,
        Organization.objects.filter(resource_constrained=True, region__in=wanted)
        .exclude(incident_parties__incident=incident)
        .order_by("name"),
    )
    now = timezone.now()
    added: list[Party] = []
    with transaction.atomic():
        for org in orgs:
            why = f"resource-constrained operator in {org.region}"
            if org.constrained_reason:
                why += f" ({org.constrained_reason})"
            party, created = Party.objects.get_or_create(
                incident=incident,
                organization=org,
                defaults={
                    "role": "affected",
                    "source": Party.MANUAL,
                    "reason": why[:300],
                    "status_changed_at": now,
                    "status_changed_by": actor.name[:150],
                    "status_changed_via": "portal",
                },
            )
            if not created:
                continue  # added meanwhile by someone else: theirs stands
            timeline.add(
                incident,
                "party",
                f"{org.name} added as affected (resource-constrained, {org.region})",
                actor=actor.name,
                party=party,
                data={"organization": org.slug, "role": "affected", "reason": party.reason},
            )
            audit.record(
                actor,
                "incident.party_add",
                obj=party,
                summary=f"{incident.ref}: {org.slug} as affected (resource-constrained)",
                data={
                    "incident": incident.ref,
                    "organization": org.slug,
                    "role": "affected",
                    "regions": wanted,
                },
            )
            added.append(party)
    return added
