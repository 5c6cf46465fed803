"""The whole path: a partner CSIRT's MISP feed (200 malicious domains under 30 TLDs) is polled
from a loopback server, matched to 30 registries, turned into a campaign; the campaign and its
incident are published to "Vetted CSIRTs"; taxii2-client as the vetted member pulls them
(valid STIX, TLP on every object), as an unvetted member gets nothing, and the audit shows
each pull."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import requests
from pymisp import MISPEvent, MISPOrganisation
from stix2validator import ValidationOptions, validate_string
from taxii2client.v21 import ApiRoot, Server, as_pages

from dnscc.accounts.models import AuditEvent
from dnscc.campaigns.models import Slice
from dnscc.core import stix
from dnscc.sharing import fetch, imports, publish
from dnscc.sharing.models import Pull
from tests.sharing.helpers import (
    misp_feed,
    registries,
    second_csirt,
    serve_directory,
    staff,
    vetted_group,
)

AMBER = stix.marking_ref(stix.TLP.AMBER)


def _partner_event() -> MISPEvent:
    event = MISPEvent()
    event.info = "Phishing kit domains seen by Example CERT"
    org = MISPOrganisation()
    org.name = "Example CERT"
    org.uuid = "0b5c3a52-7d3e-4b6f-9a1c-2e4d6f8a0b1c"
    event.Orgc = org
    event.distribution = 1
    event.add_tag("tlp:amber")
    for i in range(200):
        event.add_attribute("domain", f"login-{i}.r{i % 30}", to_ids=True)
    return event


def test_a_partner_feed_becomes_a_campaign_that_only_vetted_members_pull(
    world: Any, live_server: Any, tmp_path: Any, settings: Any, taxii_endpoint: Any
) -> None:
    settings.BASE_URL = live_server.url
    registries(30)
    viewer, actor = staff(world)
    misp_feed(tmp_path, [_partner_event()])

    with serve_directory(tmp_path) as url:
        source = fetch.add_source(viewer, actor, name="Example CERT feed", kind="misp", url=url)
        [imp] = fetch.poll(source)
    assert (imp.indicator_count, imp.tlp, imp.may_forward) == (200, "AMBER", True)
    found = imports.matches(imp)
    assert (len(found["tlds"]), len(found["registries"])) == (30, 30)
    assert not found["unmatched_tlds"]

    campaign = imports.open_campaign(
        viewer,
        actor,
        imp,
        title="Phishing kit takedown",
        due_date=dt.date.today() + dt.timedelta(days=7),
        action="suspend",
        legal_basis="registry_waiver",
        legal_reference="Partner request 2026-17",
        user=world.users["coordinator"],
    )
    assert (campaign.names_total, campaign.tlp) == (200, "AMBER")
    assert Slice.objects.filter(campaign=campaign).count() == 30

    group = vetted_group(world)
    publish.publish_incident(viewer, actor, group, campaign.incident)
    publish.publish_campaign(viewer, actor, group, campaign)

    partner = world.users["partner"]
    server = Server(
        f"{live_server.url}/taxii2/", user=partner.username, password=world.tokens["partner"]
    )
    taxii_endpoint(server)
    [root] = server.api_roots
    taxii_endpoint(root)
    pulled: list[dict[str, Any]] = []
    for collection in root.collections:
        if not collection.can_read:
            continue
        for envelope in as_pages(collection.get_objects, per_request=250):
            pulled += envelope.get("objects", [])
    names = {o["name"] for o in pulled if o["type"] == "indicator"}
    assert {f"login-{i}.r{i % 30}" for i in range(200)} <= names
    assert {o["type"] for o in pulled} >= {"incident", "campaign", "note", "relationship"}
    for obj in pulled:
        if obj["type"] == "identity":  # the center's own, public
            assert obj["object_marking_refs"] == [stix.marking_ref(stix.TLP.CLEAR)]
        elif obj["type"] != "marking-definition":
            assert obj["object_marking_refs"] == [AMBER], obj["id"]
    # stix2-validator takes about 0.1 s an object: one object of each type is validated here
    # (every indicator and relationship is made by the same function).
    sample = list({o["type"]: o for o in pulled}.values())
    bundle = {"type": "bundle", "id": stix.stix_id("bundle", "e2e"), "objects": sample}
    result = validate_string(json.dumps(bundle), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]

    shady, token = second_csirt(world, group)
    outsider = Server(f"{live_server.url}/taxii2/", user=shady.username, password=token)
    taxii_endpoint(outsider)
    assert outsider.api_roots == []
    direct = ApiRoot(f"{live_server.url}/taxii2/{group.slug}/", user=shady.username, password=token)
    taxii_endpoint(direct)
    with pytest.raises(requests.HTTPError) as refused:
        direct.refresh()
    assert refused.value.response.status_code == 404
    refused.value.response.close()  # it holds the connection's socket (see taxii_endpoint)

    pulls = Pull.objects.filter(group=group, username=partner.username)
    assert pulls.count() == len(pulled)
    assert set(pulls.values_list("stix_id", flat=True)) == {o["id"] for o in pulled}
    assert not Pull.objects.filter(username=shady.username).exists()
    shown = AuditEvent.objects.filter(action="disclose.taxii", actor=partner.username)
    assert sum(e.data["count"] for e in shown) == len(pulled)
