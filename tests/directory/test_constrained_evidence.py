"""The resource-constrained flag carries its evidence: why, who set it, when. Set without a
reason it is refused (portal, API); turned off, the evidence goes; a contact file that sets it
is named as the source."""

from __future__ import annotations

import pytest

from dnscc.accounts.models import AuditEvent
from dnscc.directory.contacts_import import import_contacts
from dnscc.directory.models import Organization
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _patch(world: World, **body: object) -> tuple[int, dict[str, object]]:
    response = world.api("coordinator").patch(
        f"/api/v1/directory/organizations/{world.org_a.slug}",
        body,
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_the_flag_without_a_reason_is_refused_and_nothing_changes(world: World) -> None:
    code, body = _patch(world, resource_constrained=True)
    assert code == 422
    assert body["errors"][0]["field"] == "constrained_reason"
    assert "say why" in str(body["detail"])
    world.org_a.refresh_from_db()
    assert not world.org_a.resource_constrained


def test_the_flag_with_a_reason_records_who_and_when_and_is_audited(world: World) -> None:
    code, body = _patch(world, resource_constrained=True, constrained_reason="no CSIRT in country")
    assert code == 200
    assert body["constrained_reason"] == "no CSIRT in country"
    assert body["constrained_by"] == "coord1"
    assert body["constrained_at"]
    event = AuditEvent.objects.filter(action="organization.update").latest("pk")
    assert "no CSIRT in country" in str(event.data)
    page = world.client("coordinator").get(f"/directory/org/{world.org_a.slug}/").content.decode()
    assert "yes: no CSIRT in country" in page
    assert "by coord1" in page

    # Turned off, the evidence goes with it.
    code, body = _patch(world, resource_constrained=False)
    assert code == 200
    assert (body["constrained_reason"], body["constrained_by"], body["constrained_at"]) == (
        "",
        "",
        None,
    )


def test_the_portal_form_asks_for_the_reason(world: World) -> None:
    client = world.client("coordinator")
    url = f"/directory/org/{world.org_a.slug}/edit"
    form = {"name": world.org_a.name, "time_zone": "UTC", "resource_constrained": "1"}
    client.post(url, form)
    world.org_a.refresh_from_db()
    assert not world.org_a.resource_constrained
    client.post(url, {**form, "constrained_reason": "single-person registry"})
    world.org_a.refresh_from_db()
    assert world.org_a.resource_constrained
    assert world.org_a.constrained_reason == "single-person registry"


def test_a_contact_file_that_sets_the_flag_is_named_as_its_source(world: World) -> None:
    text = (
        "organization,name,email,resource_constrained\n"
        f"{world.org_b.slug},NOC,noc@bravo.example,true\n"
    )
    report = import_contacts(text, source="contacts.csv")
    assert report.ok, report.errors
    org = Organization.objects.get(pk=world.org_b.pk)
    assert org.resource_constrained
    assert org.constrained_reason == "set by the contact file contacts.csv"
    assert org.constrained_by == "contact import"


def test_the_reach_reads_as_words_with_the_right_number() -> None:
    from dnscc.directory.constrained import Reach

    assert Reach(4, 3, 1).words == "3 of 4 resource-constrained operators reached, 1 acknowledged"
    assert Reach(1, 0, 0).words == "0 of 1 resource-constrained operator reached, 0 acknowledged"
    assert Reach(among="the parties").words == (
        "no resource-constrained operator among the parties"
    )
