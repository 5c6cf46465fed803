"""Contact verification by a mailed link (GET asks, POST confirms), flagging of unverified
contacts, and the audit entries that record every disclosure of contact data."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from dnscc.accounts.models import AuditEvent
from dnscc.directory import services
from dnscc.directory.models import Contact
from dnscc.outreach.models import Message
from tests.conftest import World

LINK = re.compile(r"http\S+/directory/verify/(\d+)/(\S+)/")


def _verification_message(world: World) -> Message:
    return Message.objects.get(kind="contact_verification", contact=world.contact_a)


@pytest.fixture
def link(world: World) -> str:
    """Start verification of contact_a through the API; the path of the link it mails.

    The mail is an outbox message (committed with the token); delivery is the outbox's
    business and is not run here."""
    response = world.api("coordinator").post(
        f"/api/v1/directory/contacts/{world.contact_a.pk}/verify"
    )
    assert response.status_code == 200
    assert response.json() == {"queued": True, "email": "security@alpha.example"}
    match = LINK.search(_verification_message(world).body)
    assert match, _verification_message(world).body
    return f"/directory/verify/{match.group(1)}/{match.group(2)}/"


def test_starting_verification_mails_the_contact_a_link(world: World, link: str) -> None:
    message = _verification_message(world)
    assert message.address == "security@alpha.example"
    assert message.channel == Message.EMAIL
    assert message.organization == world.org_a
    assert link.startswith(f"/directory/verify/{world.contact_a.pk}/")
    contact = Contact.objects.get(pk=world.contact_a.pk)
    assert contact.verification_digest
    assert link.split("/")[-2] not in contact.verification_digest  # only a digest is kept
    assert AuditEvent.objects.filter(action="contact.verification_sent").count() == 1


def test_opening_the_link_does_not_verify(world: World, link: str) -> None:
    response = Client().get(link)
    assert response.status_code == 200
    assert b'<form method="post">' in response.content
    assert Contact.objects.get(pk=world.contact_a.pk).verified_at is None


def test_confirming_with_a_post_verifies_once(world: World, link: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.get(link)
    response = client.post(link, {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})
    assert response.status_code == 200
    assert b"is confirmed as a contact for Alpha Registry" in response.content
    contact = Contact.objects.get(pk=world.contact_a.pk)
    assert contact.verified_at is not None
    assert services.contact_status(contact) == "verified"
    event = AuditEvent.objects.get(action="contact.verified")
    assert event.actor == "contact:security@alpha.example"
    # the link is spent
    assert Client().post(link).status_code == 404


def test_a_wrong_token_or_contact_is_not_found(world: World, link: str) -> None:
    assert Client().post(link.replace(link.split("/")[-2], "wrong")).status_code == 404
    other = link.replace(f"/{world.contact_a.pk}/", f"/{world.contact_b.pk}/")
    assert Client().post(other).status_code == 404
    assert Client().post("/directory/verify/99999/whatever/").status_code == 404
    assert not Contact.objects.filter(verified_at__isnull=False).exists()


@override_settings(CONTACT_TOKEN_HOURS=72)
def test_an_expired_link_is_refused_with_a_message(world: World, link: str) -> None:
    Contact.objects.filter(pk=world.contact_a.pk).update(
        verification_sent_at=timezone.now() - timedelta(hours=73)
    )
    response = Client().post(link)
    assert response.status_code == 410
    assert b"this verification link has expired" in response.content
    assert Contact.objects.get(pk=world.contact_a.pk).verified_at is None


def test_a_contact_without_email_cannot_be_verified(world: World) -> None:
    hook = Contact.objects.create(
        organization=world.org_a, name="Hook", webhook_url="https://alpha.example/hook"
    )
    response = world.api("coordinator").post(f"/api/v1/directory/contacts/{hook.pk}/verify")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
    assert not Message.objects.filter(kind="contact_verification").exists()


@override_settings(CONTACT_VERIFY_DAYS=30)
def test_contacts_not_verified_recently_are_flagged(world: World) -> None:
    now = timezone.now()
    Contact.objects.filter(pk=world.contact_a.pk).update(verified_at=now - timedelta(days=31))
    Contact.objects.filter(pk=world.contact_b.pk).update(verified_at=now - timedelta(days=29))
    a = Contact.objects.get(pk=world.contact_a.pk)
    b = Contact.objects.get(pk=world.contact_b.pk)
    assert services.contact_status(a) == "stale"
    assert services.contact_status(b) == "verified"
    staff = services.search_organizations  # the directory filter "unverified contacts"
    from dnscc.accounts.services import viewer_for

    found = staff(
        viewer_for(world.users["coordinator"]), services.OrgFilters(unverified_contacts=True)
    )
    assert [o.slug for o in found] == ["alpha-registry"]
    summary = services.dashboard_summary(viewer_for(world.users["coordinator"]))
    assert summary["unverified_contacts"] == 1
    with override_settings(CONTACT_VERIFY_DAYS=60):
        assert services.contact_status(a) == "verified"
    body = world.api("coordinator").get("/api/v1/directory/organizations/alpha-registry").json()
    assert body["contacts"][0]["status"] == "stale"


def test_a_never_verified_contact_is_unverified(world: World) -> None:
    assert services.contact_status(world.contact_a) == "unverified"


# --- disclosure audit ---------------------------------------------------------------------


def _disclosures(how: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=f"disclose.{how}").order_by("seq"))


@pytest.mark.parametrize("role", ["coordinator", "operator"])
def test_viewing_an_organization_page_records_which_contacts_were_shown(
    world: World, role: str
) -> None:
    response = world.client(role).get("/directory/org/alpha-registry/")
    assert response.status_code == 200
    assert b"security@alpha.example" in response.content
    (event,) = _disclosures("view")
    assert event.kind == AuditEvent.DISCLOSURE
    assert event.actor == world.users[role].username
    assert event.object_type == "directory.contact"
    assert event.data["ids"] == [str(world.contact_a.pk)]
    assert event.data["organization"] == "alpha-registry"


def test_the_api_records_its_disclosures_too(world: World) -> None:
    response = world.api("operator").get("/api/v1/directory/organizations/alpha-registry")
    assert response.status_code == 200
    (event,) = _disclosures("api")
    assert event.actor == "op_a"
    assert event.data["ids"] == [str(world.contact_a.pk)]


def test_a_page_without_visible_contacts_records_no_disclosure(world: World) -> None:
    Contact.objects.filter(pk=world.contact_a.pk).update(tlp="RED")
    response = world.client("coordinator").get("/directory/org/alpha-registry/")
    assert response.status_code == 200
    assert b"security@alpha.example" not in response.content
    assert _disclosures("view") == []


def test_a_refused_page_records_no_disclosure(world: World) -> None:
    assert world.client("outsider").get("/directory/org/alpha-registry/").status_code == 404
    assert (
        world.api("outsider").get("/api/v1/directory/organizations/alpha-registry").status_code
        == 404
    )
    assert _disclosures("view") == []
    assert _disclosures("api") == []


def test_an_export_records_a_disclosure_for_the_portal_user(world: World) -> None:
    response = world.client("admin").get("/api/v1/directory/export/contacts?format=json")
    assert response.status_code == 200
    (event,) = _disclosures("export")
    assert event.actor == "admin1"
    assert event.data["count"] == 2
    assert event.data["format"] == "json"
