"""taxii2-client, as a vetted member, pages through a collection of 10,000 objects on the
running server: every object once, in date_added order, each pull recorded."""

from __future__ import annotations

from typing import Any

from taxii2client.v21 import Server, as_pages

from dnscc.sharing.models import Pull, SharedObject
from tests.sharing.helpers import bulk_publish, vetted_group

COUNT = 10_000


def test_a_member_pages_through_ten_thousand_objects_with_taxii2_client(
    world: Any, live_server: Any, settings: Any, taxii_endpoint: Any
) -> None:
    settings.BASE_URL = live_server.url
    group = vetted_group(world)
    bulk_publish(group, COUNT, key="paging")
    collection = group.collections.get(kind="campaigns")
    partner = world.users["partner"]
    server = taxii_endpoint(
        Server(
            f"{live_server.url}/taxii2/", user=partner.username, password=world.tokens["partner"]
        )
    )
    [root] = server.api_roots
    taxii_endpoint(root)
    [found] = [c for c in root.collections if c.id == str(collection.uid)]

    pulled: list[str] = []
    pages = 0
    for envelope in as_pages(found.get_objects, per_request=1000):
        pages += 1
        pulled += [o["id"] for o in envelope.get("objects", [])]

    expected = list(
        SharedObject.objects.filter(collection=collection)
        .order_by("date_added")
        .values_list("stix_id", flat=True)
    )
    assert pulled == expected
    assert len(set(pulled)) == COUNT
    assert pages == COUNT // 1000
    assert Pull.objects.filter(group=group, username=partner.username).count() == COUNT
