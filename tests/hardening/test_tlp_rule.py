"""Issue 18, defects 6, 7 and 10: TLP:RED advisory drafts were readable and editable by
all staff; a message (recipient's address, signed acknowledgement link) could be read and
acknowledged by any account knowing its key; a `javascript:` reference was accepted,
published and rendered as a live link."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from dnscc.accounts.services import create_user
from dnscc.outreach.models import Message
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

DRAFT = {
    "title": "Red draft",
    "category": "csaf_security_advisory",
    "tlp": "RED",
    "summary": "For named people only.",
}


def _json(client: Client, method: str, path: str, body: dict[str, Any]) -> Any:
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


@pytest.fixture
def second_coordinator(world: World) -> Client:
    from django.test import Client as C

    user = create_user("coord2", role="coordinator", password=PASSWORD, desks=["EU"])
    client = C()
    client.force_login(user)
    return client


def test_a_red_draft_is_its_authors_alone(world: World, second_coordinator: Client) -> None:
    author = world.client("coordinator")
    created = _json(author, "post", "/api/v1/outreach/advisories", DRAFT)
    assert created.status_code == 201
    tid = created.json()["tracking_id"]
    path = f"/api/v1/outreach/advisories/{tid}"
    assert author.get(path).status_code == 200
    # Before the fix: 200 and 200 for another coordinator.
    assert second_coordinator.get(path).status_code == 404
    assert _json(second_coordinator, "patch", path, {"title": "x"}).status_code == 404
    listed = second_coordinator.get("/api/v1/outreach/advisories").json()
    assert tid not in [a["tracking_id"] for a in listed]
    assert second_coordinator.get(f"/outreach/advisories/{tid}/").status_code == 404


def test_an_amber_draft_stays_visible_to_staff_and_hidden_from_members(
    world: World, second_coordinator: Client
) -> None:
    created = _json(
        world.client("coordinator"),
        "post",
        "/api/v1/outreach/advisories",
        {**DRAFT, "tlp": "AMBER"},
    )
    path = f"/api/v1/outreach/advisories/{created.json()['tracking_id']}"
    assert second_coordinator.get(path).status_code == 200
    assert world.client("operator").get(path).status_code == 404


def _green_notice(world: World) -> Message:
    response = _json(
        world.client("coordinator"),
        "post",
        "/api/v1/outreach/notices",
        {
            "title": "Green news",
            "text": "Everyone may read this.",
            "tlp": "GREEN",
            "organizations": ["alpha-registry"],
        },
    )
    assert response.status_code == 201, response.content
    return Message.objects.filter(organization=world.org_a).latest("id")


def test_a_message_is_for_its_recipient_organisation_and_staff_only(
    world: World, settings: Any
) -> None:
    settings.OUTREACH_AUTODRAIN = False
    message = _green_notice(world)
    path = f"/api/v1/outreach/messages/{message.key}"
    assert world.api("operator").get(path).status_code == 200
    assert world.api("coordinator").get(path).status_code == 200
    for role in ("outsider", "partner"):
        # Before the fix: 200 with the address and the signed acknowledgement link.
        response = world.api(role).get(path)
        assert response.status_code == 404, role
        assert message.address not in response.content.decode()
        assert world.api(role).post(f"{path}/ack").status_code == 404
    message.refresh_from_db()
    assert message.acknowledged_at is None


def test_the_signed_link_alone_acknowledges_and_shows_no_contact_data(
    world: World, settings: Any
) -> None:
    from dnscc.outreach.services import ack_url

    settings.OUTREACH_AUTODRAIN = False
    message = _green_notice(world)
    link = ack_url(message.key).split("/outreach/", 1)[1]
    response = Client().post(f"/outreach/{link}")
    assert response.status_code == 200
    assert message.address not in response.content.decode()
    message.refresh_from_db()
    assert message.acknowledged_via == "link"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(3)", "data:text/html,<script>x</script>", "https://", "ftp://x.example/"],
)
def test_a_reference_that_is_not_an_http_url_is_refused(world: World, url: str) -> None:
    response = _json(
        world.client("coordinator"),
        "post",
        "/api/v1/outreach/advisories",
        {**DRAFT, "tlp": "GREEN", "references": [{"url": url, "summary": "see"}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "references[0].url"


def test_a_webhook_that_is_not_http_is_refused(world: World) -> None:
    response = _json(
        world.client("coordinator"),
        "post",
        "/api/v1/directory/organizations/alpha-registry/contacts",
        {"name": "hook", "webhook_url": "javascript:alert(1)//x.example"},
    )
    assert response.status_code == 422
