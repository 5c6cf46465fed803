"""The operator's portal: a home that says what the organisation owes and by when (in its
own time zone), its incidents and slices, the health of its own zones only, its contacts
kept by its own members (verified by the center's token mail, audited, stale forms refused)
and one or a few names' outcomes reported in a form."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.accounts.services import viewer_for
from dnscc.campaigns import services as campaigns
from dnscc.campaigns.models import Target
from dnscc.directory.models import Contact, Organization
from dnscc.incidents import services
from dnscc.monitoring.models import Finding
from dnscc.outreach.models import Message
from tests import delivery
from tests.campaigns.test_services import load, make_campaign, staff
from tests.conftest import World


def _notified_incident(world: World, title: str = "Hijack of <script>alert(1)</script>") -> Any:
    user = world.users["coordinator"]
    viewer, actor = viewer_for(user), audit.Actor.of(user)
    incident = services.create_incident(
        viewer,
        actor,
        {
            "title": title,
            "dns_type": "domain-hijack",
            "impact": "high",
            "urgency": "high",
            "scope": {"tlds": [".alpha", ".bravo"]},
        },
        user=user,
    )
    services.notify_parties(viewer, actor, incident)
    delivery.accept(kind="incident_notice")
    return incident


def _finding(zone: str, code: str, evidence: Any) -> Finding:
    now = timezone.now()
    return Finding.objects.create(
        zone=zone,
        code=code,
        severity="error",
        server="ns1.nic." + zone,
        message=f"{code} at .{zone}",
        evidence=evidence,
        first_seen=now,
        last_seen=now,
    )


def test_the_home_says_what_the_operator_owes_by_when_in_its_own_time_zone(world: World) -> None:
    Organization.objects.filter(pk=world.org_a.pk).update(time_zone="Africa/Nairobi")
    campaign = make_campaign(world, due_date=timezone.now().date() + dt.timedelta(days=3))
    incident = _notified_incident(world)
    load(world, campaign, b"a.alpha\nb.alpha\nx.bravo\n")
    campaigns.deliver(*staff(world), campaign)
    _finding(
        "alpha",
        "DELEGATION04",
        [{"query": "alpha. NS @192.0.2.1", "status": "error", "note": "lame <b>x</b>"}],
    )
    _finding("bravo", "DNSSEC10", [{"secret": "bravo-only evidence"}])

    page = world.client("operator").get("/").content.decode()
    owed = re.search(r'<section id="owed".*?</section>', page, re.S)
    assert owed is not None
    text = owed.group(0)
    assert f"Acknowledge incident {incident.ref}" in text
    assert "Acknowledge your slice of Avalanche takedown (2 names)" in text
    assert "Report the outcome of 2 of 2 names" in text
    assert "EAT" in text
    assert "UTC" in text
    assert "due in" in text
    # Its zones' findings with their evidence; never another's.
    assert "DELEGATION04" in page
    assert "lame &lt;b&gt;x&lt;/b&gt;" in page  # as dig prints it, escaped
    assert "; &lt;&lt;&gt;&gt; dnscc probe &lt;&lt;&gt;&gt; alpha. NS @192.0.2.1" in page
    assert "DNSSEC10" not in page
    assert "bravo-only evidence" not in page
    # What a coordinator typed is escaped.
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    # The outsider (org_b) sees its own, not org_a's.
    other = world.client("outsider").get("/").content.decode()
    assert "DNSSEC10" in other
    assert "DELEGATION04" not in other
    assert "Acknowledge your slice of Avalanche takedown (1 names)" in other


def test_acknowledging_in_the_portal_clears_what_is_owed(world: World) -> None:
    incident = _notified_incident(world, title="Lame delegation")
    party = incident.parties.get(organization=world.org_a)
    client = world.client("operator")
    assert f"Acknowledge incident {incident.ref}" in client.get("/").content.decode()
    response = client.post(
        f"/incidents/{incident.ref}/parties/{party.pk}/status",
        {"status": "acknowledged", "version": party.version},
    )
    assert response.status_code == 302
    assert f"Acknowledge incident {incident.ref}" not in client.get("/").content.decode()


def _contacts_page(world: World, role: str = "operator") -> str:
    return world.client(role).get("/directory/mine/contacts/").content.decode()


def test_a_member_edits_its_contact_and_a_new_address_gets_the_centers_token_mail(
    world: World,
) -> None:
    contact = world.contact_a
    Contact.objects.filter(pk=contact.pk).update(verified_at=timezone.now())
    contact.refresh_from_db()
    page = _contacts_page(world)
    assert "security@alpha.example" in page
    assert "security@bravo.example" not in page
    seen = re.search(r'name="seen" value="([^"]+)"', page)
    assert seen is not None
    response = world.client("operator").post(
        f"/directory/mine/contacts/{contact.pk}/edit",
        {"name": "Alpha <b>SOC</b>", "email": "soc@alpha.example", "seen": seen.group(1)},
    )
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.email, contact.verified_at) == (
        "Alpha <b>SOC</b>",
        "soc@alpha.example",
        None,
    )
    mail = Message.objects.get(kind="contact_verification")
    assert mail.address == "soc@alpha.example"
    assert "/directory/verify/" in mail.body
    event = AuditEvent.objects.filter(action="contact.update").latest("id")
    assert event.actor == "op_a"
    page = _contacts_page(world)
    assert "Alpha &lt;b&gt;SOC&lt;/b&gt;" in page
    assert "<b>SOC</b>" not in page
    assert "unverified" in page

    # A second member's form, opened before that change, is stale: refused, not applied.
    stale = world.client("operator").post(
        f"/directory/mine/contacts/{contact.pk}/edit",
        {"name": "Old name", "email": "soc@alpha.example", "seen": seen.group(1)},
        follow=True,
    )
    assert "was changed by someone else since you opened the form" in stale.content.decode()
    contact.refresh_from_db()
    assert contact.name == "Alpha <b>SOC</b>"


def test_a_member_adds_and_removes_contacts_but_never_the_last_way_to_reach_it(
    world: World,
) -> None:
    client = world.client("operator")
    only = world.contact_a
    refused = client.post(
        f"/directory/mine/contacts/{only.pk}/remove", {"confirm": "yes"}, follow=True
    )
    assert "is the last way to reach Alpha Registry" in refused.content.decode()
    assert Contact.objects.filter(pk=only.pk).exists()
    client.post(
        "/directory/mine/contacts/add", {"name": "Night desk", "email": "night@alpha.example"}
    )
    night = Contact.objects.get(email="night@alpha.example")
    assert night.organization_id == world.org_a.pk
    assert Message.objects.filter(kind="contact_verification", address=night.email).exists()
    # Removing asks first; the confirmation removes.
    asked = client.post(f"/directory/mine/contacts/{night.pk}/remove")
    assert asked.status_code == 200
    assert "Remove Night desk?" in asked.content.decode()
    assert Contact.objects.filter(pk=night.pk).exists()
    client.post(f"/directory/mine/contacts/{night.pk}/remove", {"confirm": "yes"})
    assert not Contact.objects.filter(pk=night.pk).exists()
    assert AuditEvent.objects.filter(action="contact.delete").exists()
    # Another organisation's contact is not found, whatever the member tries.
    other = world.contact_b
    assert (
        client.post(f"/directory/mine/contacts/{other.pk}/remove", {"confirm": "yes"}).status_code
        == 404
    )
    assert Contact.objects.filter(pk=other.pk).exists()


def test_a_bad_contact_is_refused_with_the_field_named_and_the_form_kept(world: World) -> None:
    response = world.client("operator").post(
        "/directory/mine/contacts/add", {"name": "Desk", "email": "not an address"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "email" in text
    assert 'value="not an address"' in text
    assert not Contact.objects.filter(name="Desk").exists()


def test_an_operator_reports_a_few_names_outcomes_in_a_form(world: World) -> None:
    campaign = make_campaign(world)
    load(world, campaign, b"a.alpha\nb.alpha\nc.alpha\n")
    campaigns.deliver(*staff(world), campaign)
    slice_ = campaign.slices.get(organization=world.org_a)
    url = f"/campaigns/{campaign.slug}/slices/{slice_.pk}/outcomes/"
    client = world.client("operator")
    assert (
        'id="form-outcomes"'
        in client.get(f"/campaigns/{campaign.slug}/slices/{slice_.pk}/").content.decode()
    )
    first = client.post(
        url,
        {
            "name_0": "a.alpha",
            "outcome_0": "not_registered",
            "name_1": "b.alpha",
            "outcome_1": "refused",
            "note_1": "court order <i>pending</i>",
        },
        follow=True,
    )
    assert "2 outcome(s) recorded" in first.content.decode(), first.content.decode()[-3000:]
    outcomes = dict(Target.objects.filter(slice=slice_).values_list("name", "outcome"))
    assert outcomes == {"a.alpha": "not_registered", "b.alpha": "refused", "c.alpha": ""}
    # A name not in the slice: nothing of the form is recorded, the problem is named.
    response = client.post(
        url,
        {"name_0": "c.alpha", "outcome_0": "done", "name_1": "zz.bravo", "outcome_1": "done"},
        follow=True,
    )
    assert "zz.bravo" in response.content.decode()
    assert Target.objects.get(slice=slice_, name="c.alpha").outcome == ""
    page = client.get(f"/campaigns/{campaign.slug}/slices/{slice_.pk}/").content.decode()
    assert "court order &lt;i&gt;pending&lt;/i&gt;" in page
