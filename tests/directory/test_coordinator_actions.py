"""What coordinators do to the directory (merge, split, confirm, vet, edit, contacts), through
the services, the API and the portal, each with its audit entry."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dnscc.accounts import audit
from dnscc.accounts.models import Account, AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.core.errors import ConflictError, InputError, PermissionDenied
from dnscc.directory import lookup, services
from dnscc.directory.models import Contact, Organization, Tld
from tests.conftest import World


def _staff(world: World) -> Any:
    return viewer_for(world.users["coordinator"])


def _actor(world: World) -> audit.Actor:
    return audit.Actor.of(world.users["coordinator"])


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


def _post(world: World, url: str, payload: dict[str, Any] | None = None) -> Any:
    return world.api("coordinator").post(
        url, data=json.dumps(payload or {}), content_type="application/json"
    )


def test_merge_moves_tlds_contacts_and_accounts_and_removes_the_source(world: World) -> None:
    Contact.objects.create(organization=world.org_b, name="Dup", email="security@alpha.example")
    services.merge_organizations(_staff(world), _actor(world), world.org_a, [world.org_b])
    assert not Organization.objects.filter(pk=world.org_b.pk).exists()
    assert set(world.org_a.tlds.values_list("name", flat=True)) == {"alpha", "bravo"}
    # the same mailbox on both is kept once
    assert sorted(world.org_a.contacts.values_list("email", flat=True)) == [
        "security@alpha.example",
        "security@bravo.example",
    ]
    assert Account.objects.get(user=world.users["outsider"]).organization == world.org_a
    event = _last("organization.merge")
    assert event.actor == "coord1"
    assert event.data["merged"] == ["Bravo Registry"]
    assert event.data["tlds"] == ["bravo"]
    assert [o.slug for o in lookup.lookup("bravo").organizations] == ["alpha-registry"]


def test_merging_an_organization_into_itself_is_refused(world: World) -> None:
    with pytest.raises(InputError) as caught:
        services.merge_organizations(_staff(world), _actor(world), world.org_a, [world.org_a])
    assert caught.value.location.field == "sources"


def test_split_moves_the_named_tlds_into_a_new_confirmed_organization(world: World) -> None:
    Tld.objects.create(name="alpha2", kind=Tld.GTLD, operator=world.org_a, ns=["ns.example"])
    new = services.split_organization(
        _staff(world), _actor(world), world.org_a, [".ALPHA2"], "Alpha Two"
    )
    assert (new.slug, new.inferred, new.tlp, new.region) == ("alpha-two", False, "AMBER", "AF")
    assert list(new.tlds.values_list("name", flat=True)) == ["alpha2"]
    assert list(world.org_a.tlds.values_list("name", flat=True)) == ["alpha"]
    event = _last("organization.split")
    assert event.data == {"tlds": ["alpha2"], "new_organization": "alpha-two"}
    assert [o.slug for o in lookup.lookup("x.alpha2").organizations] == ["alpha-two"]


@pytest.mark.parametrize(
    ("tlds", "name", "error", "field"),
    [
        (["bravo"], "New", InputError, "tlds"),
        ([], "New", InputError, "tlds"),
        (["alpha"], "", InputError, "name"),
        (["alpha"], "bravo registry", ConflictError, None),
    ],
)
def test_a_bad_split_is_refused_and_changes_nothing(
    world: World, tlds: list[str], name: str, error: type[Exception], field: str | None
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(error) as caught:
        services.split_organization(_staff(world), _actor(world), world.org_a, tlds, name)
    if field:
        assert caught.value.location.field == field
    assert Organization.objects.count() == 3
    assert AuditEvent.objects.count() == before


def test_confirm_clears_the_inferred_mark_and_records_who(world: World) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(inferred=True)
    response = _post(world, "/api/v1/directory/organizations/alpha-registry/confirm")
    assert response.status_code == 200
    assert response.json()["inferred"] is False
    world.org_a.refresh_from_db()
    assert world.org_a.confirmed_by == world.users["coordinator"]
    assert _last("organization.confirm").object_id == str(world.org_a.pk)


def test_vetting_is_set_recorded_and_validated(world: World) -> None:
    response = _post(
        world, "/api/v1/directory/organizations/alpha-registry/vetting", {"level": "Trusted"}
    )
    assert response.status_code == 200
    assert response.json()["vetting"] == "trusted"
    event = _last("organization.vet")
    assert event.data == {"before": "unvetted", "after": "trusted"}
    response = _post(
        world, "/api/v1/directory/organizations/alpha-registry/vetting", {"level": "golden"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "vetting"
    world.org_a.refresh_from_db()
    assert world.org_a.vetting == "trusted"


def test_merge_and_split_through_the_api(world: World) -> None:
    response = _post(
        world,
        "/api/v1/directory/organizations/alpha-registry/merge",
        {"sources": ["bravo-registry"]},
    )
    assert response.status_code == 200
    assert response.json()["tlds"] == ["alpha", "bravo"]
    response = _post(
        world,
        "/api/v1/directory/organizations/alpha-registry/split",
        {"tlds": ["bravo"], "name": "Bravo Again"},
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "bravo-again"
    response = _post(
        world, "/api/v1/directory/organizations/alpha-registry/merge", {"sources": ["no-such-org"]}
    )
    assert response.status_code == 404


def test_merge_split_confirm_and_vet_through_the_portal(world: World) -> None:
    client = world.client("coordinator")
    base = "/directory/org/alpha-registry/"
    assert client.post(base + "vet", {"level": "vetted"}).status_code == 302
    assert client.post(base + "confirm").status_code == 302
    assert client.post(base + "merge", {"source": "bravo-registry"}).status_code == 302
    response = client.post(base + "split", {"tlds": "bravo", "name": "Bravo Again"})
    assert response["Location"] == "/directory/org/bravo-again/"
    actions = list(AuditEvent.objects.filter(actor="coord1").values_list("action", flat=True))
    for action in (
        "organization.vet",
        "organization.confirm",
        "organization.merge",
        "organization.split",
    ):
        assert action in actions
    # a refused action is a message on the page, not an error page
    response = client.post(base + "split", {"tlds": "nope", "name": "X"}, follow=True)
    assert response.status_code == 200
    assert "not operated by Alpha Registry" in response.content.decode()


def test_an_organization_is_created_and_edited_through_the_api(world: World) -> None:
    response = _post(
        world,
        "/api/v1/directory/organizations",
        {"name": "Charlie Registry", "kind": "tld_registry", "country": "ke"},
    )
    assert response.status_code == 201
    assert (response.json()["slug"], response.json()["country"]) == ("charlie-registry", "KE")
    assert _last("organization.create").summary == "Charlie Registry"
    response = _post(world, "/api/v1/directory/organizations", {"name": "ALPHA REGISTRY"})
    assert response.status_code == 409
    response = world.api("coordinator").patch(
        "/api/v1/directory/organizations/charlie-registry",
        data=json.dumps({"time_zone": "Mars/Olympus", "country": "KE"}),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "time_zone"
    response = world.api("coordinator").patch(
        "/api/v1/directory/organizations/charlie-registry",
        data=json.dumps({"time_zone": "Africa/Nairobi", "tlp": "green"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["tlp"] == "GREEN"
    assert _last("organization.update").data["time_zone"] == ["", "Africa/Nairobi"]


def test_a_contact_is_added_validated_and_deleted_with_audit_entries(world: World) -> None:
    url = "/api/v1/directory/organizations/alpha-registry/contacts"
    response = _post(world, url, {"name": "NOC", "email": "noc@alpha.example", "tlp": "GREEN"})
    assert response.status_code == 201
    contact_id = response.json()["id"]
    assert response.json()["status"] == "unverified"
    assert _last("contact.create").object_id == str(contact_id)
    response = _post(world, url, {"name": "NOC", "email": "noc@alpha.example"})
    assert response.status_code == 409
    response = _post(world, url, {"name": "Bad", "email": "bad@"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "email"
    response = _post(world, url, {"name": "Nothing"})
    assert response.status_code == 422
    response = world.api("coordinator").delete(f"/api/v1/directory/contacts/{contact_id}")
    assert response.status_code == 204
    assert not Contact.objects.filter(pk=contact_id).exists()
    assert _last("contact.delete").object_id == str(contact_id)


def test_only_staff_may_change_the_directory_through_the_services(world: World) -> None:
    operator = viewer_for(world.users["operator"])
    actor = audit.Actor.of(world.users["operator"])
    before = AuditEvent.objects.count()
    calls = [
        lambda: services.create_organization(operator, actor, {"name": "X"}),
        lambda: services.update_organization(operator, actor, world.org_a, {"notes": "x"}),
        lambda: services.confirm_organization(operator, actor, world.org_a, None),
        lambda: services.set_vetting(operator, actor, world.org_a, "trusted", None),
        lambda: services.merge_organizations(operator, actor, world.org_a, [world.org_b]),
        lambda: services.split_organization(operator, actor, world.org_a, ["alpha"], "X"),
        lambda: services.add_contact(operator, actor, world.org_a, {"name": "X", "email": ""}),
        lambda: services.delete_contact(operator, actor, world.contact_a),
        lambda: services.start_verification(operator, actor, world.contact_a),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert AuditEvent.objects.count() == before
    assert Organization.objects.count() == 3
    assert Contact.objects.count() == 2


def test_the_organization_search_filters_and_respects_tlp(world: World) -> None:
    staff = _staff(world)
    find = services.search_organizations
    assert [o.slug for o in find(staff, services.OrgFilters(q=".alpha"))] == ["alpha-registry"]
    assert [o.slug for o in find(staff, services.OrgFilters(q="www.bravo"))] == ["bravo-registry"]
    assert [o.slug for o in find(staff, services.OrgFilters(region="EU"))] == ["bravo-registry"]
    assert [o.slug for o in find(staff, services.OrgFilters(kind="csirt"))] == ["example-cert"]
    operator = viewer_for(world.users["operator"])
    assert [o.slug for o in find(operator, services.OrgFilters())] == ["alpha-registry"]


@pytest.mark.parametrize("action", ["verify_contact", "delete_contact"])
def test_the_portal_does_not_act_on_a_contact_staff_may_not_see(world: World, action: str) -> None:
    Contact.objects.filter(pk=world.contact_a.pk).update(tlp="RED")
    client = world.client("coordinator")
    before = AuditEvent.objects.count()
    response = client.post(
        f"/directory/org/alpha-registry/{action}", {"contact": world.contact_a.pk}
    )
    assert response.status_code == 404
    assert b"security@alpha.example" not in response.content
    assert Contact.objects.filter(pk=world.contact_a.pk, verification_digest="").exists()
    assert AuditEvent.objects.count() == before


def test_a_new_organization_keeps_the_label_and_notes_it_was_given(world: World) -> None:
    response = _post(
        world,
        "/api/v1/directory/organizations",
        {"name": "Echo Registry", "tlp": "green", "notes": "met at the regional meeting"},
    )
    assert response.status_code == 201
    org = Organization.objects.get(slug="echo-registry")
    assert (org.tlp, org.notes) == ("GREEN", "met at the regional meeting")
    response = _post(world, "/api/v1/directory/organizations", {"name": "Foxtrot", "tlp": "x"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tlp"


def test_an_operator_sees_the_webhook_secret_of_its_own_contacts_only(world) -> None:  # type: ignore[no-untyped-def]
    from dnscc.directory.models import Contact
    from dnscc.directory.services import webhook_secret

    hook = Contact.objects.create(
        organization=world.org_a,
        name="Alpha hooks",
        webhook_url="https://hooks.alpha.example/dnscc",
    )
    secret = webhook_secret(hook.pk).decode()
    own = world.client("operator").get(f"/directory/org/{world.org_a.slug}/")
    assert own.status_code == 200
    assert secret.encode() in own.content
    other = world.client("outsider").get(f"/directory/org/{world.org_a.slug}/")
    assert other.status_code == 404
    assert secret.encode() not in other.content
