"""Resource-constrained operators as an audience (issue 11, "Build" 6): a notice or an
advisory can target them (alone: every one; with other filters: those among them), and its
distribution says how many were reached (accepted, not queued) and acknowledged."""

from __future__ import annotations

import contextlib
import io
from typing import Any

import pytest

from dnscc import cli
from dnscc.directory.models import Organization
from dnscc.outreach.advisories import audience_organizations, audience_words
from dnscc.outreach.models import Advisory, Message
from dnscc.outreach.sinks import SmtpSink
from tests import delivery
from tests.conftest import World
from tests.outreach.test_advisories import ADVISORY, _publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def constrained(world: World) -> None:
    """Alpha (a registry) and the CSIRT are resource-constrained; Bravo is not."""
    Organization.objects.filter(pk__in=[world.org_a.pk, world.csirt.pk]).update(
        resource_constrained=True, constrained_reason="single-person registry"
    )


def _slugs(audience: dict[str, Any]) -> list[str]:
    return sorted(o.slug for o in audience_organizations(audience))


def test_the_audience_alone_is_every_constrained_one_and_beside_filters_those_among_them(
    world: World, constrained: None
) -> None:
    assert _slugs({"resource_constrained": True}) == ["alpha-registry", "example-cert"]
    assert _slugs({"resource_constrained": True, "kinds": ["tld_registry"]}) == ["alpha-registry"]
    assert _slugs({"resource_constrained": True, "regions": ["EU"]}) == []
    # Named organisations are added whatever the filters say.
    assert _slugs({"resource_constrained": True, "organizations": ["bravo-registry"]}) == [
        "alpha-registry",
        "bravo-registry",
        "example-cert",
    ]


def test_a_notice_to_constrained_operators_goes_to_them_only_and_a_bad_flag_is_named(
    world: World, constrained: None, settings: Any
) -> None:
    settings.OUTREACH_AUTODRAIN = False
    api = world.api("coordinator")
    body = {"title": "Heads-up", "text": "Renew your DS.", "resource_constrained": True}
    response = api.post("/api/v1/outreach/notices", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert sorted(Message.objects.values_list("organization__slug", flat=True).distinct()) == [
        "alpha-registry"
    ]  # the CSIRT has no contact: nobody to send to
    assert response.json()["unreachable"] == ["example-cert"]
    notice_id = response.json()["notice"]
    # ...and it counts as a resource-constrained operator not reached.
    status = api.get(f"/api/v1/outreach/notices/{notice_id}").json()
    assert status["constrained"]["words"] == (
        "0 of 2 resource-constrained operators reached, 0 acknowledged"
    )
    assert status["unreachable"] == ["example-cert"]
    delivery.accept(organization=world.org_a)
    page = world.client("coordinator").get(f"/outreach/notices/{notice_id}/").content.decode()
    assert "1 of 2 resource-constrained operators reached, 0 acknowledged." in page
    assert "No contact or channel for: example-cert." in page
    response = api.post(
        "/api/v1/outreach/advisories",
        {**ADVISORY, "audience": {"resource_constrained": "maybe"}},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "audience.resource_constrained"


def test_an_advisory_for_constrained_registries_reports_them_reached_once_accepted(
    world: World, constrained: None, outbox: SmtpSink
) -> None:
    data = {**ADVISORY, "audience": {"kinds": ["tld_registry"], "resource_constrained": True}}
    result = _publish(world, data)
    tid = result["advisory"]["tracking_id"]
    assert set(Message.objects.values_list("organization__slug", flat=True)) == {"alpha-registry"}
    api = world.api("coordinator")
    assert api.get(f"/api/v1/outreach/advisories/{tid}").json()["constrained"]["reached"] == 0
    delivery.accept(organization=world.org_a)
    words = "1 of 1 resource-constrained operator reached, 0 acknowledged"
    assert api.get(f"/api/v1/outreach/advisories/{tid}").json()["constrained"]["words"] == words
    page = world.client("coordinator").get(f"/outreach/advisories/{tid}/").content.decode()
    assert words.capitalize() + "." in page
    assert "Audience: resource-constrained organisations of kind TLD registry operator." in page


def test_the_advisory_form_keeps_the_choice(world: World, constrained: None) -> None:
    client = world.client("coordinator")
    fields = {
        "title": "Glue hygiene",
        "category": "csaf_informational_advisory",
        "tlp": "CLEAR",
        "summary": "Check your glue.",
        "audience_resource_constrained": "1",
    }
    assert client.post("/outreach/advisories/new/", fields).status_code == 302
    advisory = Advisory.objects.get(title="Glue hygiene")
    assert advisory.audience["resource_constrained"] is True
    page = client.get(f"/outreach/advisories/{advisory.tracking_id}/edit/").content.decode()
    assert 'name="audience_resource_constrained" value="1" checked' in page


def test_the_cli_lists_the_audience_then_queues_the_notice(
    world: World, constrained: None, settings: Any
) -> None:
    settings.OUTREACH_AUTODRAIN = False
    argv = ["outreach", "notice", "--title", "Heads-up", "--text", "Renew your DS."]
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert cli.main([*argv, "--resource-constrained", "--dry-run"]) == 0
    assert out.getvalue().strip() == "2 organisation(s): alpha-registry, example-cert"
    assert not Message.objects.exists()  # a dry run sends nothing
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert cli.main([*argv, "--resource-constrained", "--kinds", "tld_registry"]) == 0
    assert "1 message(s) queued to 1 organisation(s)" in out.getvalue()
    assert set(Message.objects.values_list("organization__slug", flat=True)) == {"alpha-registry"}
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main([*argv, "--resource-constrained", "--regions", "EU"]) == 65


def test_the_advisory_page_says_its_audience_in_words() -> None:
    assert audience_words({"resource_constrained": True, "regions": ["AF"]}) == (
        "resource-constrained organisations in Africa"
    )
    assert audience_words({"kinds": ["tld_registry"], "organizations": ["x-nic"]}) == (
        "organisations of kind TLD registry operator, and x-nic"
    )
