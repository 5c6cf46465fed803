"""Resource-constrained operators in an incident and its notice (issue 11, "Build" 6): how
many of them were reached (the relay accepted: queued does not count) and acknowledged, in
the service, the API, the CLI and the pages; and every resource-constrained operator of a
region added as parties at once."""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

import pytest

from dnscc import cli
from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.core.errors import InputError
from dnscc.directory.models import Organization
from dnscc.incidents import services
from dnscc.incidents.constrained import add_constrained_parties, constrained_reach
from dnscc.incidents.models import Incident
from dnscc.outreach import services as outreach
from dnscc.outreach.models import Message
from tests import delivery
from tests.conftest import World


@pytest.fixture
def incident(world: World, settings: Any) -> Incident:
    """Both parties resource-constrained, the notice queued and nothing accepted yet."""
    settings.OUTREACH_AUTODRAIN = False
    Organization.objects.filter(pk__in=[world.org_a.pk, world.org_b.pk]).update(
        resource_constrained=True, constrained_reason="single-person registry"
    )
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    found = services.create_incident(
        viewer,
        actor,
        {
            "title": "Lame delegation",
            "dns_type": "broken-delegation",
            "scope": {"tlds": [".alpha", ".bravo"]},
        },
        user=user,
    )
    services.notify_parties(viewer, actor, found)
    return found


def test_queued_is_not_reached_accepted_is_and_a_refusal_stays_unreached(
    world: World, incident: Incident
) -> None:
    assert constrained_reach(incident.pk).as_dict() == {
        "total": 2,
        "reached": 0,
        "acknowledged": 0,
        "words": "0 of 2 resource-constrained operators reached, 0 acknowledged",
    }
    delivery.accept(organization=world.org_a)
    delivery.refuse(organization=world.org_b)
    assert constrained_reach(incident.pk).words == (
        "1 of 2 resource-constrained operators reached, 0 acknowledged"
    )
    message = Message.objects.get(organization=world.org_a, kind="incident_notice")
    outreach.acknowledge(message, via="link", by="op_a", actor=audit.SYSTEM)
    reach = constrained_reach(incident.pk)
    assert (reach.reached, reach.acknowledged) == (1, 1)
    # The notice says the same of its recipients.
    notice = outreach.constrained_reach(message.notice)
    assert (notice.total, notice.reached, notice.acknowledged) == (2, 1, 1)


def test_a_party_acknowledged_by_phone_while_queued_was_reached(
    world: World, incident: Incident
) -> None:
    user = world.users["coordinator"]
    party = incident.parties.get(organization=world.org_b)
    assert party.status == "queued"
    services.set_party_status(
        viewer_for(user), audit.Actor.of(user), party, "acknowledged", version=party.version
    )
    reach = constrained_reach(incident.pk)
    assert (reach.reached, reach.acknowledged) == (1, 1)


def test_an_organisation_without_the_flag_is_not_counted(world: World, incident: Incident) -> None:
    Organization.objects.filter(pk=world.org_b.pk).update(resource_constrained=False)
    delivery.accept(organization=world.org_b)
    assert constrained_reach(incident.pk).words == (
        "0 of 1 resource-constrained operator reached, 0 acknowledged"
    )


def test_the_page_the_api_and_the_cli_say_it_in_words_to_staff_only(
    world: World, incident: Incident
) -> None:
    delivery.accept(organization=world.org_a)
    words = "1 of 2 resource-constrained operators reached, 0 acknowledged"
    page = world.client("coordinator").get(f"/incidents/{incident.ref}/").content.decode()
    assert words.capitalize() + "." in page
    assert page.count('title="single-person registry">Resource-constrained</span>') == 2
    notice_id = Message.objects.filter(kind="incident_notice").values_list("notice", flat=True)[0]
    page = world.client("coordinator").get(f"/outreach/notices/{notice_id}/").content.decode()
    assert words.capitalize() + "." in page
    body = world.api("coordinator").get(f"/api/v1/incidents/{incident.ref}").json()
    assert body["constrained"] == {"total": 2, "reached": 1, "acknowledged": 0, "words": words}
    notice = world.api("coordinator").get(f"/api/v1/outreach/notices/{notice_id}").json()
    assert notice["constrained"]["words"] == words
    # An operator sees its own party, not figures about the others.
    assert (
        world.api("operator").get(f"/api/v1/incidents/{incident.ref}").json()["constrained"] is None
    )
    page = world.client("operator").get(f"/incidents/{incident.ref}/").content.decode()
    assert "resource-constrained" not in page
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["incident", "show", incident.ref]) == 0
    assert words in out.getvalue()
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert cli.main(["incident", "show", incident.ref, "--json"]) == 0
    assert json.loads(out.getvalue())["constrained"]["reached"] == 1


def _open(world: World, **scope: Any) -> Incident:
    user = world.users["coordinator"]
    return services.create_incident(
        viewer_for(user), audit.Actor.of(user), {"title": "Outage", "scope": scope}, user=user
    )


def test_every_constrained_operator_of_the_scopes_regions_becomes_a_party_once(
    world: World,
) -> None:
    type(world.tld_a).objects.filter(pk=world.tld_a.pk).update(region="AF")
    # The CSIRT (AF) is resource-constrained and no party; a constrained one in EU is not
    # in the scope's region; an unflagged one in AF is not constrained; a TLP:RED one in AF
    # the coordinator may not see.
    Organization.objects.filter(pk=world.csirt.pk).update(
        resource_constrained=True, constrained_reason="no 24/7 staff"
    )
    Organization.objects.bulk_create(
        [
            Organization(name="Echo NIC", slug="echo-nic", region="EU", resource_constrained=True),
            Organization(name="Foxtrot NIC", slug="foxtrot-nic", region="AF"),
            Organization(
                name="Golf NIC", slug="golf-nic", region="AF", resource_constrained=True, tlp="RED"
            ),
        ]
    )
    incident = _open(world, tlds=[".alpha"])
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    added = add_constrained_parties(viewer, actor, incident)
    assert [p.organization.slug for p in added] == ["example-cert"]
    assert added[0].reason == "resource-constrained operator in AF (no 24/7 staff)"
    assert added[0].source == "manual"
    assert incident.timeline.filter(party=added[0], kind="party").exists()
    assert AuditEvent.objects.filter(
        action="incident.party_add", object_id=str(added[0].pk)
    ).exists()
    assert add_constrained_parties(viewer, actor, incident) == []  # once
    # A region named: the API and the CLI take it; an unknown one is refused by name.
    response = world.api("coordinator").post(
        f"/api/v1/incidents/{incident.ref}/parties/constrained",
        {"regions": ["EU"]},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert [p["organization"] for p in response.json()] == ["echo-nic"]
    response = world.api("coordinator").post(
        f"/api/v1/incidents/{incident.ref}/parties/constrained",
        {"regions": ["Mars"]},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "'Mars' is not an ICANN region" in str(response.json()["detail"])
    with contextlib.redirect_stdout(out := io.StringIO()):
        assert cli.main(["incident", "party", incident.ref, "--add-constrained", "AF,EU"]) == 0
    assert out.getvalue().strip() == "added 0 resource-constrained operator(s)"


def test_a_scope_without_a_regional_tld_needs_a_region_named(world: World) -> None:
    incident = _open(world, tlds=[".alpha"])  # the world's TLDs carry no region
    user = world.users["coordinator"]
    with pytest.raises(InputError, match="the scope names no TLD with a region"):
        add_constrained_parties(viewer_for(user), audit.Actor.of(user), incident)
    page = world.client("coordinator").post(
        f"/incidents/{incident.ref}/parties/constrained", {"region": ""}, follow=True
    )
    assert "the scope names no TLD with a region" in page.content.decode()
    assert not incident.parties.exclude(source="computed").exists()
