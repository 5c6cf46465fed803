"""Resource-constrained registries in a campaign (issue 11, "Build" 6): how many were
reached (their slice's notice accepted: queued does not count) and acknowledged, in the
service, the API, the CLI and the campaign page."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from dnscc import cli
from dnscc.accounts import audit
from dnscc.campaigns import services
from dnscc.campaigns.models import Slice
from dnscc.campaigns.reports import constrained_reach
from dnscc.directory.models import Organization
from tests import delivery
from tests.campaigns.test_services import load, make_campaign, staff
from tests.conftest import World


def test_a_campaign_counts_its_constrained_registries_reached_and_acknowledged(
    world: World, settings: Any
) -> None:
    settings.OUTREACH_AUTODRAIN = False
    Organization.objects.filter(pk__in=[world.org_a.pk, world.org_b.pk]).update(
        resource_constrained=True, constrained_reason="no CSIRT in country"
    )
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nx.bravo\n")
    assert constrained_reach(campaign.pk).words == (
        "0 of 2 resource-constrained operators reached, 0 acknowledged"
    )
    viewer, actor = staff(world)
    services.deliver(viewer, actor, campaign, user=world.users["coordinator"])
    assert constrained_reach(campaign.pk).reached == 0  # queued is not reached
    delivery.accept(organization=world.org_a)
    delivery.refuse(organization=world.org_b)
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    services.acknowledge_slice(
        viewer, audit.Actor.of(world.users["coordinator"]), slice_a, via="portal"
    )
    words = "1 of 2 resource-constrained operators reached, 1 acknowledged"
    assert constrained_reach(campaign.pk).words == words
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/").content.decode()
    assert words.capitalize() + "." in page
    assert page.count('title="no CSIRT in country">Resource-constrained</span>') == 2
    body = world.api("coordinator").get(f"/api/v1/campaigns/{campaign.slug}").json()
    assert body["constrained"] == {"total": 2, "reached": 1, "acknowledged": 1, "words": words}
    # An operator sees its slice, not figures about the other registries.
    assert (
        world.api("operator").get(f"/api/v1/campaigns/{campaign.slug}").json()["constrained"]
        is None
    )
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert cli.main(["campaign", "show", campaign.slug]) == 0
    assert words in out.getvalue()
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert cli.main(["campaign", "show", campaign.slug, "--json"]) == 0
    assert json.loads(out.getvalue())["constrained"]["acknowledged"] == 1
