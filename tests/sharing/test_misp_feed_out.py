"""The MISP feed out, read as MISP reads it: every event file loads with pymisp, and
manifest.json and hashes.csv agree with the event files (uuids, info, dates, TLP tags, one
hash line per attribute); a member of no group gets nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from pymisp import MISPEvent

from dnscc.sharing import publish
from tests.sharing.helpers import bulk_publish, second_csirt, staff, vetted_group

pytestmark = pytest.mark.django_db


def _incident(world: Any) -> Any:
    from dnscc.incidents import services

    viewer, actor = staff(world)
    return services.create_incident(
        viewer,
        actor,
        {
            "title": "Phishing names",
            "summary": "Seen by a partner",
            "dns_type": "malicious-registrations",
            "tlp": "GREEN",
            "scope": {"names": ["pay.alpha", "login.bravo"], "ips": ["192.0.2.7"]},
        },
        user=world.users["coordinator"],
    )


def test_every_event_of_the_feed_loads_with_pymisp_and_agrees_with_the_manifest(
    world: Any,
) -> None:
    group = vetted_group(world)
    viewer, actor = staff(world)
    publish.publish_incident(viewer, actor, group, _incident(world))
    bulk_publish(group, 300, key="feed")
    member = Client(headers={"Authorization": f"Bearer {world.tokens['partner']}"})
    base = f"/sharing/feeds/{group.slug}/misp/"

    manifest = json.loads(member.get(base + "manifest.json").content)
    assert len(manifest) == 2
    expected_hashes: set[tuple[str, str]] = set()
    for uid, head in manifest.items():
        answer = member.get(f"{base}{uid}.json")
        assert answer.status_code == 200
        text = b"".join(answer.streaming_content).decode()
        event = MISPEvent()
        event.load(text)
        assert event.uuid == uid
        assert event.info == head["info"]
        assert event.date.isoformat() == head["date"]
        assert int(event.timestamp.timestamp()) == int(head["timestamp"])
        assert [t.name for t in event.tags] == [t["name"] for t in head["Tag"]]
        assert event.attributes, uid
        for attribute in event.attributes:
            assert attribute.type in ("domain", "ip-dst")
            assert attribute.to_ids
            digest = hashlib.md5(attribute.value.encode(), usedforsecurity=False).hexdigest()
            expected_hashes.add((digest, uid))
    tags = {head["Tag"][0]["name"] for head in manifest.values()}
    assert tags == {"tlp:green", "tlp:amber"}
    incident_event = next(h for h in manifest.values() if h["Tag"][0]["name"] == "tlp:green")
    assert incident_event["info"].startswith("incident ")

    csv = b"".join(member.get(base + "hashes.csv").streaming_content).decode()
    lines = csv.splitlines()
    hashes = {(line.split(",")[0], line.split(",")[1]) for line in lines}
    assert len(lines) == len(hashes) == 300 + 3  # the bulk names; two names and an address
    assert hashes == expected_hashes

    _shady, token = second_csirt(world, group)
    outsider = Client(headers={"Authorization": f"Bearer {token}"})
    assert outsider.get(base + "manifest.json").status_code == 404
    assert outsider.get(f"{base}{next(iter(manifest))}.json").status_code == 404
