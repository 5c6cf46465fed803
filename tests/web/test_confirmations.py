"""Irreversible actions ask first: removing a contact, ending a campaign (delivering slices:
tests/campaigns/test_views.py; publishing and sending: tests/outreach/test_two_person.py)."""

from __future__ import annotations

from dnscc.campaigns.models import Campaign
from dnscc.directory.models import Contact
from tests.conftest import World


def test_removing_a_contact_asks_first(world: World) -> None:
    client = world.client("coordinator")
    url = f"/directory/org/{world.org_a.slug}/delete_contact"
    asked = client.post(url, {"contact": world.contact_a.pk})
    assert asked.status_code == 200
    text = asked.content.decode()
    assert "Remove Alpha security from Alpha Registry?" in text
    assert f'name="contact" value="{world.contact_a.pk}"' in text
    assert Contact.objects.filter(pk=world.contact_a.pk).exists()
    client.post(url, {"contact": world.contact_a.pk, "confirm": "yes"})
    assert not Contact.objects.filter(pk=world.contact_a.pk).exists()


def test_ending_a_campaign_asks_first(world: World) -> None:
    from tests.campaigns.test_services import make_campaign

    campaign = make_campaign(world)
    client = world.client("coordinator")
    asked = client.post(f"/campaigns/{campaign.slug}/end/").content.decode()
    assert "cannot be started again" in asked
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.DRAFT
    client.post(f"/campaigns/{campaign.slug}/end/", {"confirm": "yes"})
    assert Campaign.objects.get(pk=campaign.pk).status != Campaign.DRAFT
