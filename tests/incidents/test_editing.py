"""Editing an incident in the portal: parties added from a directory search and removed
after a confirmation; a scope change shows what it does to the parties before it is saved
and asks before dropping one that acknowledged; the notice is previewed in each language
with the coordinator's addition before it is sent. Stale forms get the conflict message."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents.models import Incident, Party
from dnscc.outreach.models import Message
from tests.conftest import World
from tests.web.seed import incident


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_a_coordinator_finds_an_organisation_and_adds_it_as_a_party(world: World) -> None:
    opened = incident(world)
    client = world.client("coordinator")
    page = client.get(f"/incidents/{opened.ref}/parties/add", {"q": "bravo"}).content.decode()
    assert "Bravo Registry" in page
    assert "Alpha Registry" not in page.split("<main>")[1]  # a party already
    fragment = client.get(
        f"/incidents/{opened.ref}/parties/add", {"q": "bravo"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<html" not in fragment
    assert 'value="bravo-registry"' in fragment
    response = client.post(
        f"/incidents/{opened.ref}/parties/add",
        {"organization": "bravo-registry", "role": "expert", "reason": "<b>runs</b> ns2"},
    )
    assert response.status_code == 302
    party = Party.objects.get(incident=opened, organization=world.org_b)
    assert (party.source, party.role, party.reason) == (Party.MANUAL, "expert", "<b>runs</b> ns2")
    page = client.get(f"/incidents/{opened.ref}/").content.decode()
    assert "&lt;b&gt;runs&lt;/b&gt; ns2" in page


def test_removing_a_party_asks_and_a_stale_form_is_refused(world: World) -> None:
    opened = incident(world)
    party = Party.objects.get(incident=opened)
    client = world.client("coordinator")
    url = f"/incidents/{opened.ref}/parties/{party.pk}/remove"
    asked = client.post(url, {"version": party.version})
    assert "Remove Alpha Registry from" in asked.content.decode()
    assert Party.objects.filter(pk=party.pk).exists()
    stale = client.post(url, {"version": party.version - 1 or 99, "confirm": "yes"}, follow=True)
    assert any("since you loaded it" in m for m in _messages(stale))
    assert Party.objects.filter(pk=party.pk).exists()
    client.post(url, {"version": party.version, "confirm": "yes"})
    assert not Party.objects.filter(pk=party.pk).exists()


def _acknowledged(world: World) -> Incident:
    opened = incident(world, scope={"tlds": ["alpha", "bravo"]})
    Party.objects.filter(incident=opened, organization=world.org_a).update(
        status=Party.ACKNOWLEDGED, notified_at=timezone.now(), acknowledged_at=timezone.now()
    )
    return Incident.objects.get(pk=opened.pk)


def test_the_scope_diff_is_shown_before_saving(world: World) -> None:
    opened = _acknowledged(world)
    client = world.client("coordinator")
    form = {"version": opened.version, "tlds": "bravo", "action": "preview"}
    page = client.post(f"/incidents/{opened.ref}/scope", form).content.decode()
    assert "\N{MINUS SIGN} TLDs: <code>alpha</code>" in page
    assert "Alpha Registry is set not affected" in page
    assert "it acknowledged already" in page
    assert 'name="confirm_drop"' in page
    assert Incident.objects.get(pk=opened.pk).scope["tlds"] == ["alpha", "bravo"]


def test_dropping_a_party_that_acknowledged_needs_its_confirmation(world: World) -> None:
    opened = _acknowledged(world)
    client = world.client("coordinator")
    form = {"version": opened.version, "tlds": "bravo", "action": "save"}
    refused = client.post(f"/incidents/{opened.ref}/scope", form)
    assert any("acknowledged already" in m for m in _messages(refused))
    assert Incident.objects.get(pk=opened.pk).scope["tlds"] == ["alpha", "bravo"]
    client.post(f"/incidents/{opened.ref}/scope", {**form, "confirm_drop": "yes"})
    assert Incident.objects.get(pk=opened.pk).scope["tlds"] == ["bravo"]
    alpha = Party.objects.get(incident=opened, organization=world.org_a)
    assert alpha.status == Party.NOT_AFFECTED
    assert alpha.note == "no longer in the incident's scope"


def test_a_scope_change_adds_and_removes_parties_never_contacted(world: World) -> None:
    opened = incident(world)
    client = world.client("coordinator")
    form = {"version": opened.version, "tlds": "bravo", "action": "save"}
    client.post(f"/incidents/{opened.ref}/scope", form)
    assert [p.organization.slug for p in opened.parties.all()] == ["bravo-registry"]


def test_two_coordinators_editing_the_scope_the_second_gets_the_conflict(world: World) -> None:
    opened = incident(world)
    first, second = world.client("coordinator"), world.client("admin")
    loaded = opened.version
    first.post(
        f"/incidents/{opened.ref}/scope",
        {"version": loaded, "tlds": "alpha\nbravo", "action": "save"},
    )
    late = second.post(
        f"/incidents/{opened.ref}/scope", {"version": loaded, "tlds": "bravo", "action": "save"}
    )
    assert any("since you loaded it" in m for m in _messages(late))
    assert Incident.objects.get(pk=opened.pk).scope["tlds"] == ["alpha", "bravo"]


def _multilingual(world: World) -> Incident:
    Organization.objects.filter(pk=world.org_a.pk).update(languages=["fr"])
    Organization.objects.filter(pk=world.org_b.pk).update(languages=["es"])
    silent = Organization.objects.create(name="Silent Registry", slug="silent", region="AF")
    Tld.objects.create(name="silent", kind=Tld.GTLD, operator=silent, ns=["ns.silent"])
    return incident(world, scope={"tlds": ["alpha", "bravo", "silent"]})


def test_the_notice_is_previewed_in_each_language_with_the_addition(world: World) -> None:
    opened = _multilingual(world)
    client = world.client("coordinator")
    page = client.get(f"/incidents/{opened.ref}/notify").content.decode()
    assert 'id="version-fr"' in page
    assert 'id="version-es"' in page
    assert "Silent Registry" in page.split('id="preview-unreachable"')[1].split("</p>")[0]
    previewed = client.post(
        f"/incidents/{opened.ref}/notify",
        {"chosen": "1", "party": [p.pk for p in opened.parties.all()], "message": "<i>Call us</i>"},
    ).content.decode()
    assert previewed.count("&lt;i&gt;Call us&lt;/i&gt;") >= 3  # the textarea and two versions
    assert not Message.objects.exists()


def test_sending_from_the_preview_queues_the_notice_with_the_addition(world: World) -> None:
    opened = _multilingual(world)
    parties = list(opened.parties.all())
    form: dict[str, Any] = {
        "chosen": "1",
        "party": [p.pk for p in parties],
        "message": "Call the duty desk.",
        "confirm": "yes",
        **{f"version_{p.pk}": p.version for p in parties},
    }
    response = world.client("coordinator").post(f"/incidents/{opened.ref}/notify", form)
    assert response.status_code == 302
    sent = list(Message.objects.filter(kind="incident_notice"))
    assert {m.language for m in sent} == {"fr", "es"}
    assert all("Call the duty desk." in m.body for m in sent)
    assert Party.objects.get(incident=opened, organization__slug="silent").status == (
        Party.UNREACHABLE
    )


def test_a_stale_preview_sends_nothing(world: World) -> None:
    opened = _multilingual(world)
    parties = list(opened.parties.all())
    form: dict[str, Any] = {
        "chosen": "1",
        "party": [p.pk for p in parties],
        "confirm": "yes",
        **{f"version_{p.pk}": p.version for p in parties},
    }
    Party.objects.filter(pk=parties[0].pk).update(version=parties[0].version + 1)
    response = world.client("coordinator").post(f"/incidents/{opened.ref}/notify", form)
    assert any("since you loaded it" in m for m in _messages(response))
    assert not Message.objects.exists()


def test_the_api_previews_a_scope_change_and_a_notice(world: World) -> None:
    opened = _acknowledged(world)
    api = world.api("coordinator")
    diff = api.post(
        f"/api/v1/incidents/{opened.ref}/scope-preview",
        {"scope": {"tlds": ["bravo"]}},
        content_type="application/json",
    ).json()
    assert diff["acknowledged"] == ["alpha-registry"]
    refused = api.patch(
        f"/api/v1/incidents/{opened.ref}",
        {"version": opened.version, "scope": {"tlds": ["bravo"]}},
        content_type="application/json",
    )
    assert refused.status_code == 409
    done = api.patch(
        f"/api/v1/incidents/{opened.ref}",
        {"version": opened.version, "scope": {"tlds": ["bravo"]}, "confirm_drop": True},
        content_type="application/json",
    )
    assert done.status_code == 200
    Contact.objects.filter(organization=world.org_b).update(language="fr")
    preview = api.post(
        f"/api/v1/incidents/{opened.ref}/notice-preview",
        {"message": "Extra words"},
        content_type="application/json",
    ).json()
    assert [v["language"] for v in preview["versions"]] == ["fr"]
    assert "Extra words" in preview["versions"][0]["body"]
