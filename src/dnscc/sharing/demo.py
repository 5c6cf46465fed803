"""Sharing in the demo: a "Vetted CSIRTs" trust group (the demo's national CERT and a partner
CERT active with the agreement accepted, a vetted registry invited and not yet accepted), a
partner's MISP feed imported (phishing domains under the demo's TLDs, matched to their
registries), and the demo's Conficker B incident and campaign published to the group, so
its TAXII collections and MISP feed have content from the start.

Nothing leaves the machine: the feed is built here and read in process (a real poll would
go through sharing.fetch and the egress rule). Idempotent: nothing is made again once the
group exists.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.tlp import Viewer
from dnscc.directory.models import Organization, Tld
from dnscc.sharing import groups, imports, publish
from dnscc.sharing.models import Import, TrustGroup

GROUP = "Vetted CSIRTs"
AGREEMENT = (
    "Members keep what they receive within their own CSIRT and act on it under its TLP label."
    " Nothing is forwarded outside the group without the source's consent. (demo)"
)
PARTNER = "Example Partner CERT (demo)"
# The partner's event: phishing domains under a few TLDs of the demo (and one the directory
# may not know, to show an unmatched TLD).
FEED_TLDS = ("ke", "jp", "cl", "fr", "sn", "com", "net", "org", "de", "br")
PER_TLD = 4


def _partner_feed() -> list[tuple[str, io.BytesIO]]:
    """The partner's MISP feed: one event file, as MISP writes it (tagged TLP:AMBER)."""
    event_uuid = str(uuid.uuid5(uuid.NAMESPACE_DNS, "dnscc-demo-partner-feed"))
    attributes = [
        {
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"login-{i}.secure-pay.{tld}")),
            "type": "domain",
            "category": "Network activity",
            "to_ids": True,
            "value": f"login-{i}.secure-pay.{tld}",
        }
        for tld in FEED_TLDS
        for i in range(PER_TLD)
    ]
    event = {
        "Event": {
            "uuid": event_uuid,
            "info": "Phishing kit domains impersonating payment services (demo)",
            "date": timezone.now().date().isoformat(),
            "distribution": "1",
            "analysis": "2",
            "threat_level_id": "2",
            "Orgc": {"name": PARTNER, "uuid": str(uuid.uuid5(uuid.NAMESPACE_DNS, PARTNER))},
            "Tag": [{"name": "tlp:amber"}],
            "Attribute": attributes,
        }
    }
    return [(f"{event_uuid}.json", io.BytesIO(json.dumps(event).encode()))]


def _org(tld: str) -> Organization | None:
    found = Tld.objects.filter(name=tld).select_related("operator").first()
    return found.operator if found is not None else None


def load_sharing_demo(
    viewer: Viewer, actor: audit.Actor, user: Any, *, campaign_title: str = ""
) -> list[str]:
    """The group, its members, the partner's feed, and the campaign titled `campaign_title`
    with its incident published to the group (once); returns what it did, as lines."""
    from dnscc.campaigns.models import Campaign

    if TrustGroup.objects.filter(name=GROUP).exists():
        return []
    with transaction.atomic():
        group = groups.create_group(
            viewer,
            actor,
            name=GROUP,
            agreement=AGREEMENT,
            min_vetting="vetted",
            tlp_ceiling="AMBER",
            description="National and sector CSIRTs the center has vetted (demo).",
        )
        partner, _ = Organization.objects.get_or_create(
            slug="example-partner-cert",
            defaults={
                "name": PARTNER,
                "kind": Organization.CSIRT,
                "region": "EU",
                "vetting": Organization.VETTED,
                "vetted_at": timezone.now(),
            },
        )
        cert = Organization.objects.filter(slug="demo-national-cert").first()
        for org in (cert, partner):
            if org is not None:
                groups.add_member(
                    viewer, actor, group, org, accept_version=1, accepted_by=f"{org.name} lead"
                )
        invited = _org("jp")  # vetted in the demo: invited, the agreement not accepted yet
        if invited is not None and invited.vetting != "unvetted":
            groups.add_member(viewer, actor, group, invited)
        imp = imports.import_misp(
            viewer,
            actor,
            _partner_feed(),
            name="example-partner-cert feed",
            provenance=f"{PARTNER}: MISP feed",
            kind=Import.MISP_FEED,
            user=user,
        )
        lines = [
            f"sharing: trust group {GROUP} (/sharing/); {PARTNER}'s MISP feed imported:"
            f" {imp.indicator_count} domains under {imp.tlds} TLDs, {imp.registries} registries"
        ]
        campaign = Campaign.objects.filter(title=campaign_title).first()
        if campaign is not None:
            publish.publish_incident(viewer, actor, group, campaign.incident)
            pub = publish.publish_campaign(viewer, actor, group, campaign)
            lines.append(
                f"sharing: incident {campaign.incident.ref} and campaign {campaign.slug}"
                f" ({pub.indicator_count} names) published to {GROUP}: TAXII at"
                f" /taxii2/{group.slug}/, MISP feed at /sharing/feeds/{group.slug}/misp/"
            )
    return lines
