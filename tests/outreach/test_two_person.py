"""One person cannot write and publish an advisory alone, unless the center says it is one
person (DNSCC_ADVISORY_TWO_PERSON=0, with a system check warning); publishing and sending a
notice ask first."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from dnscc.outreach.models import Advisory, Message, Notice
from tests.conftest import World

ADVISORY = {
    "title": "Registrar phishing <b>wave</b>",
    "category": "csaf_informational_advisory",
    "tlp": "CLEAR",
    "summary": "Credential phishing targets registrar portals.",
    "references": [{"url": "https://example.org/phish", "summary": "Write-up"}],
    "audience": {"regions": ["AF"]},
}


def _reviewed(world: World) -> str:
    api = world.api("coordinator")
    tid = api.post("/api/v1/outreach/advisories", ADVISORY, content_type="application/json")
    tracking_id = str(tid.json()["tracking_id"])
    assert api.post(f"/api/v1/outreach/advisories/{tracking_id}/submit").status_code == 200
    return tracking_id


def test_the_author_cannot_publish_their_own_advisory(world: World) -> None:
    tid = _reviewed(world)
    answer = world.api("coordinator").post(f"/api/v1/outreach/advisories/{tid}/publish")
    assert answer.status_code == 403
    assert "two-person rule" in answer.json()["detail"]
    page = world.client("coordinator").get(f"/outreach/advisories/{tid}/").content.decode()
    assert "another coordinator approves and publishes it" in page
    assert "Publish" not in page.split("<h1>")[1].split("</h1>")[1].split("<article")[0]
    refused = world.client("coordinator").post(
        f"/outreach/advisories/{tid}/publish", {"confirm": "yes"}, follow=True
    )
    assert "another coordinator approves and publishes it" in refused.content.decode()
    assert Advisory.objects.get(tracking_id=tid).status == Advisory.REVIEW


def test_another_coordinator_publishes_after_confirming(world: World, outbox: Any) -> None:
    tid = _reviewed(world)
    client = world.client("admin")
    asked = client.post(f"/outreach/advisories/{tid}/publish").content.decode()
    assert "Publish " in asked
    assert "and distribute it?" in asked
    assert "Alpha Registry" in asked  # the audience, by name
    assert "cannot be withdrawn" in asked
    assert "<b>wave</b>" not in asked
    assert Advisory.objects.get(tracking_id=tid).status == Advisory.REVIEW
    client.post(f"/outreach/advisories/{tid}/publish", {"confirm": "yes"})
    assert Advisory.objects.get(tracking_id=tid).status == Advisory.PUBLISHED


@override_settings(ADVISORY_TWO_PERSON=False)
def test_a_one_person_center_publishes_alone_and_the_check_warns(
    world: World, outbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    tid = _reviewed(world)
    answer = world.api("coordinator").post(f"/api/v1/outreach/advisories/{tid}/publish")
    assert answer.status_code == 200, answer.content
    call_command("check")
    assert "dnscc.W002" in capsys.readouterr().err


def test_the_rule_is_on_by_default_and_the_check_is_quiet(capsys: Any) -> None:
    call_command("check")
    assert "dnscc.W002" not in capsys.readouterr().err


def test_sending_a_notice_asks_first_with_its_audience(world: World, outbox: Any) -> None:
    client = world.client("coordinator")
    form = {"title": "Maintenance", "text": "Tonight.", "tlp": "GREEN", "regions": "AF"}
    asked = client.post("/outreach/notices/new/", form).content.decode()
    assert "to 2 organisation(s)?" in asked  # Alpha Registry and Example CERT (AF)
    assert "Alpha Registry" in asked
    assert not Notice.objects.exists()
    client.post("/outreach/notices/new/", {**form, "confirm": "yes"})
    assert Message.objects.filter(organization=world.org_a).exists()
