"""Portal pages of campaigns: the coordinator's flow and the operator's slice page."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from dnscc.campaigns.models import Campaign, Slice, Target
from dnscc.outreach.models import Message
from tests import delivery
from tests.campaigns.test_services import LEGAL, MESSY, load, make_campaign, make_incident
from tests.conftest import World


def test_a_coordinator_creates_loads_and_delivers_from_the_portal(world: World) -> None:
    make_incident()
    client = world.client("coordinator")
    response = client.post(
        "/campaigns/new/",
        {"incident": "DNSCC-2026-0001", "title": "Avalanche", "due_date": "2026-12-01"},
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get()
    upload = SimpleUploadedFile("messy.txt", MESSY)
    response = client.post(
        f"/campaigns/{campaign.slug}/names/", {"file": upload, "encoding": "cp1252", **LEGAL}
    )
    assert response.status_code == 302
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    # The import report: invalid lines with their numbers, counts.
    assert "not a name!" in page
    assert "<td>3</td>" in page
    assert "4 added, 2 duplicate(s), 3 invalid" in page
    assert "Alpha Registry" in page
    assert "Bravo Registry" in page
    asked = client.post(f"/campaigns/{campaign.slug}/deliver/")
    assert "Yes, deliver the slices" in asked.content.decode()
    assert not Message.objects.filter(kind="campaign_slice").exists()  # only asked
    response = client.post(f"/campaigns/{campaign.slug}/deliver/", {"confirm": "yes"})
    assert response.status_code == 302
    assert Message.objects.filter(kind="campaign_slice").count() == 2
    page = client.get(f"/campaigns/{campaign.slug}/", follow=True).content.decode()
    assert "Sent, not yet accepted" in page
    delivery.accept(kind="campaign_slice")
    page = client.get(f"/campaigns/{campaign.slug}/", follow=True).content.decode()
    assert "Delivered" in page


def test_a_bad_date_on_the_new_form_is_shown_not_a_crash(world: World) -> None:
    make_incident()
    response = world.client("coordinator").post(
        "/campaigns/new/",
        {"incident": "DNSCC-2026-0001", "title": "x", "due_date": "tomorrow"},
    )
    assert response.status_code == 200
    assert "due_date" in response.content.decode()
    assert not Campaign.objects.exists()


def test_html_in_a_title_is_escaped(world: World) -> None:
    campaign = make_campaign(world, title="<script>alert(1)</script>")
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page


def _delivered(world: World) -> Campaign:
    campaign = make_campaign(world)
    load(world, campaign, b"".join(b"n%03d.alpha\n" % i for i in range(250)) + b"x.bravo\n")
    world.client("coordinator").post(f"/campaigns/{campaign.slug}/deliver/", {"confirm": "yes"})
    return campaign


def test_the_operator_sees_its_slice_acknowledges_and_uploads_outcomes(world: World) -> None:
    campaign = _delivered(world)
    own = Slice.objects.get(campaign=campaign, organization=world.org_a)
    client = world.client("operator")
    url = f"/campaigns/{campaign.slug}/slices/{own.pk}/"
    page = client.get(url).content.decode()
    assert own.manifest_sha256["csv"] in page
    assert "page 1 of 2" in page  # 250 names, 200 a page
    response = client.get(url + "manifest.csv")
    assert response.status_code == 200
    assert b"n000.alpha" in response.content
    client.post(url + "acknowledge/")
    own.refresh_from_db()
    assert own.acknowledged_via == "portal"
    upload = SimpleUploadedFile("out.csv", b"n001.alpha,done,<b>held</b>\n")
    response = client.post(url + "outcomes/", {"file": upload}, follow=True)
    assert "1 outcome(s) recorded" in response.content.decode()
    page = client.get(url + "?outcome=done").content.decode()
    assert "n001.alpha" in page
    assert "&lt;b&gt;held&lt;/b&gt;" in page


def test_an_outcome_upload_with_a_foreign_name_shows_the_line_and_records_nothing(
    world: World,
) -> None:
    campaign = _delivered(world)
    own = Slice.objects.get(campaign=campaign, organization=world.org_a)
    upload = SimpleUploadedFile("out.csv", b"n001.alpha,done\nx.bravo,done\n")
    response = world.client("operator").post(
        f"/campaigns/{campaign.slug}/slices/{own.pk}/outcomes/", {"file": upload}, follow=True
    )
    page = response.content.decode()
    assert "line 2" in page
    assert "not in your slice" in page
    assert not Target.objects.exclude(outcome="").exists()


def test_an_operator_gets_404_for_another_orgs_slice_page_and_manifest(world: World) -> None:
    campaign = _delivered(world)
    theirs = Slice.objects.get(campaign=campaign, organization=world.org_b)
    client = world.client("operator")
    base = f"/campaigns/{campaign.slug}/slices/{theirs.pk}/"
    for url in (base, base + "manifest.csv", base + "manifest.json.asc"):
        assert client.get(url).status_code == 404, url
    assert client.post(base + "acknowledge/").status_code == 404
    page = client.get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Bravo Registry" not in page


def test_a_manifest_that_cannot_be_built_is_shown_as_a_message_not_a_crash(
    world: World,
) -> None:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\n")
    # A title stored before titles were checked at input: core.manifest refuses it.
    Campaign.objects.filter(pk=campaign.pk).update(title="bad\ttitle")
    own = Slice.objects.get(campaign=campaign, organization=world.org_a)
    url = f"/campaigns/{campaign.slug}/slices/{own.pk}/"
    response = world.client("coordinator").get(url + "manifest.csv", follow=True)
    assert response.status_code == 200
    assert "control characters" in response.content.decode()


def test_a_red_organisation_is_not_named_on_the_campaign_page(world: World) -> None:
    campaign = _delivered(world)
    world.org_b.tlp = "RED"
    world.org_b.save()
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/").content.decode()
    assert "Bravo Registry" not in page
    assert "restricted organisation" in page
    assert "Alpha Registry" in page


def test_an_outcome_file_with_many_errors_counts_them_all(world: World) -> None:
    campaign = _delivered(world)
    own = Slice.objects.get(campaign=campaign, organization=world.org_a)
    upload = SimpleUploadedFile("out.csv", b"".join(b"x%04d.bravo,done\n" % i for i in range(1200)))
    response = world.client("operator").post(
        f"/campaigns/{campaign.slug}/slices/{own.pk}/outcomes/", {"file": upload}, follow=True
    )
    assert "and 1150 more problem(s)" in response.content.decode()
