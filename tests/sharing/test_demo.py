"""The demo's sharing: a "Vetted CSIRTs" group with active members and an invited one, a
partner's MISP feed imported and matched to registries, the demo's incident and campaign
published to the group and pulled by the national CERT over TAXII; run twice, made once."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client

from dnscc.accounts import audit
from dnscc.accounts.services import create_token, create_user, viewer_for
from dnscc.campaigns import services as campaigns
from dnscc.directory import lookup
from dnscc.directory.models import Organization, Tld
from dnscc.incidents import services as incidents
from dnscc.sharing import groups
from dnscc.sharing.demo import FEED_TLDS, GROUP, PER_TLD, load_sharing_demo
from dnscc.sharing.models import Import, Publication, TrustGroup
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

TITLE = "Demo campaign"


def _scenery() -> tuple[Any, Any]:
    for name in ("ke", "jp", "cl", "fr"):
        org = Organization.objects.create(
            name=f"Registry of .{name}",
            slug=f"nic-{name}",
            kind=Organization.TLD_REGISTRY,
            vetting=Organization.VETTED,
        )
        Tld.objects.create(name=name, kind=Tld.CCTLD, operator=org)
    lookup.invalidate()
    cert = Organization.objects.create(
        name="Demo National CERT",
        slug="demo-national-cert",
        kind=Organization.CSIRT,
        vetting=Organization.TRUSTED,
    )
    coordinator = create_user("coordinator", role="coordinator", password=PASSWORD)
    partner = create_user("partner", role="partner", password=PASSWORD, organization=cert)
    viewer, actor = viewer_for(coordinator), audit.Actor.of(coordinator)
    incident = incidents.create_incident(
        viewer,
        actor,
        {
            "title": "DGA names",
            "summary": "Generated names",
            "dns_type": "dga-botnet",
            "tlp": "AMBER",
            "scope": {"tlds": ["ke", "jp"], "names": [], "ips": [], "resolvers": []},
        },
        user=coordinator,
    )
    campaign = campaigns.create_campaign(
        viewer,
        actor,
        incident_ref=incident.ref,
        title=TITLE,
        due_date=dt.date.today() + dt.timedelta(days=3),
        user=coordinator,
    )
    names = "".join(f"dga{i}.{tld}\n" for i in range(5) for tld in ("ke", "jp"))
    campaigns.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(names.encode()),
        filename="names.txt",
        action="block",
        legal_basis="registry_waiver",
        legal_reference="demo",
    )
    return coordinator, partner


def test_the_demo_shows_a_trust_group_sharing_at_work() -> None:
    coordinator, partner = _scenery()
    viewer, actor = viewer_for(coordinator), audit.Actor.of(coordinator)

    lines = load_sharing_demo(viewer, actor, coordinator, campaign_title=TITLE)

    assert any("/taxii2/vetted-csirts/" in line for line in lines), lines
    group = TrustGroup.objects.get(name=GROUP)
    states = {m["organization"]: m["state"] for m in groups.group_summary(group)["members"]}
    assert states == {
        "demo-national-cert": "active",
        "example-partner-cert": "active",
        "nic-jp": "invited: agreement v1 not accepted yet",
    }
    imp = Import.objects.get()
    assert (imp.indicator_count, imp.tlp) == (len(FEED_TLDS) * PER_TLD, "AMBER")
    assert imp.registries == 4  # ke, jp, cl, fr are in this directory; the rest unmatched
    assert set(Publication.objects.filter(group=group).values_list("kind", flat=True)) == {
        "incident",
        "campaign",
    }

    page = Client()
    page.force_login(coordinator)
    html = page.get(f"/sharing/groups/{group.slug}/").content.decode()
    assert "Demo National CERT" in html
    assert TITLE in html
    html = page.get(f"/sharing/imports/{imp.pk}/").content.decode()
    assert "Registry of .ke" in html
    assert "Example Partner CERT (demo): MISP feed" in html

    # The national CERT, an active member, pulls the campaign's names over TAXII.
    token = create_token(partner, "taxii")[1]
    taxii = Client(headers={"Authorization": f"Bearer {token}"})
    collections = json.loads(taxii.get(f"/taxii2/{group.slug}/collections/").content)
    [campaigns_collection] = [c for c in collections["collections"] if "Campaigns" in c["title"]]
    answer = taxii.get(
        f"/taxii2/{group.slug}/collections/{campaigns_collection['id']}/objects/"
        "?match[type]=indicator"
    )
    assert answer.status_code == 200
    assert {o["name"] for o in json.loads(answer.content)["objects"]} == {
        f"dga{i}.{tld}" for i in range(5) for tld in ("ke", "jp")
    }

    assert load_sharing_demo(viewer, actor, coordinator, campaign_title=TITLE) == []
    assert Import.objects.count() == 1
