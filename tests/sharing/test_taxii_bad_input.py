"""The TAXII server under bad requests: a collection the client may not see answers exactly as
one that does not exist (no existence leak); `added_after` and `next` replayed, repeated or
sent out of order never skip nor duplicate an object; malformed ones are a 400 naming the
parameter."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from django.test import Client

from dnscc.sharing import groups
from tests.sharing.helpers import AGREEMENT, bulk_publish, staff, vetted_group

pytestmark = pytest.mark.django_db

MEDIA = "application/taxii+json;version=2.1"


def _member(world: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {world.tokens['partner']}", "Accept": MEDIA})


def _objects_url(group: Any, kind: str = "campaigns") -> str:
    uid = group.collections.get(kind=kind).uid
    return f"/taxii2/{group.slug}/collections/{uid}/objects/"


def _ids(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.content
    return [o["id"] for o in json.loads(answer.content).get("objects", [])]


def test_a_collection_the_member_may_not_see_answers_as_one_that_does_not_exist(
    world: Any,
) -> None:
    group = vetted_group(world)
    viewer, actor = staff(world)
    other = groups.create_group(viewer, actor, name="Root server operators", agreement=AGREEMENT)
    hidden = group.collections.get(kind="sightings")
    hidden.member_read = hidden.member_write = False  # the center's own collection
    hidden.save()
    client = _member(world)

    def answer(root: str, uid: str, tail: str) -> tuple[int, str]:
        response = client.get(f"/taxii2/{root}/collections/{uid}/{tail}")
        return response.status_code, response.content.decode().replace(uid, "UID")

    for tail in ("", "objects/", "manifest/", f"objects/indicator--{uuid.uuid4()}/"):
        missing = answer(group.slug, str(uuid.uuid4()), tail)
        assert missing[0] == 404
        # Staff-only in the member's own group, and another group's collection under it.
        assert answer(group.slug, str(hidden.uid), tail) == missing, tail
        foreign = other.collections.get(kind="campaigns").uid
        assert answer(group.slug, str(foreign), tail) == missing, tail

    listed = json.loads(client.get(f"/taxii2/{group.slug}/collections/").content)
    assert str(hidden.uid) not in {c["id"] for c in listed["collections"]}
    # A group the member is not in: the same answer as a group that does not exist.
    not_in = client.get(f"/taxii2/{other.slug}/collections/")
    nowhere = client.get("/taxii2/no-such-group/collections/")
    assert not_in.status_code == nowhere.status_code == 404
    assert not_in.content.replace(other.slug.encode(), b"X") == nowhere.content.replace(
        b"no-such-group", b"X"
    )


def test_replayed_and_out_of_order_paging_never_skips_nor_duplicates(world: Any) -> None:
    group = vetted_group(world)
    bulk_publish(group, 25, key="first")
    url = _objects_url(group)
    client = _member(world)

    pages: list[list[str]] = []
    tokens: list[str] = []
    query = "?limit=10"
    while True:
        answer = client.get(url + query)
        pages.append(_ids(answer))
        body = json.loads(answer.content)
        if not body["more"]:
            break
        tokens.append(body["next"])
        query = f"?limit=10&next={body['next']}"
    everything = [i for page in pages for i in page]
    assert len(everything) == len(set(everything)) == 25
    assert [len(p) for p in pages] == [10, 10, 5]

    # The tokens again, in reverse order and twice: the same pages.
    for token, page in reversed(list(zip(tokens, pages[1:], strict=True))):
        for _ in range(2):
            assert _ids(client.get(f"{url}?limit=10&next={token}")) == page

    # added_after at the last date_added a page reported resumes right after it, whatever
    # the time zone it is written in; the same value sent twice gives the same objects.
    first = client.get(f"{url}?limit=10")
    last = first["X-TAXII-Date-Added-Last"]
    rest = everything[10:]
    assert _ids(client.get(f"{url}?added_after={last}")) == rest
    assert _ids(client.get(f"{url}?added_after={last}")) == rest
    shifted = _in_another_zone(last)
    assert _ids(client.get(f"{url}?added_after={shifted}")) == rest

    # Objects published meanwhile come after everything seen, never in between.
    bulk_publish(group, 5, key="later")
    newer = _ids(client.get(f"{url}?added_after={last}"))
    assert newer[: len(rest)] == rest
    assert len(newer) == len(rest) + 5
    # A stale next token with a later added_after: the later of the two wins.
    end = client.get(f"{url}?added_after={last}")["X-TAXII-Date-Added-Last"]
    assert _ids(client.get(f"{url}?next={tokens[0]}&added_after={end}")) == []
    # An added_after in the future is not an error: nothing yet.
    assert _ids(client.get(f"{url}?added_after=2999-01-01T00:00:00Z")) == []


def _in_another_zone(stamp: str) -> str:
    import datetime as dt

    at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return at.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat().replace("+", "%2B")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("added_after=yesterday", "added_after"),
        ("added_after=2026-01-02T03:04:05", "added_after"),  # no time zone
        ("added_after=2026-13-40T00:00:00Z", "added_after"),
        ("next=not-a-token!", "next"),
        ("next=aGVsbG8", "next"),  # base64 of "hello": not a position of this server
        ("limit=ten", "limit"),
        ("limit=0", "limit"),
        ("match[version]=newest", "match[version]"),
    ],
)
def test_a_malformed_paging_parameter_is_a_400_naming_it(
    world: Any, query: str, field: str
) -> None:
    group = vetted_group(world)
    client = _member(world)
    for url in (_objects_url(group), _objects_url(group).replace("objects/", "manifest/")):
        answer = client.get(f"{url}?{query}")
        assert answer.status_code == 400, (url, query)
        body = json.loads(answer.content)
        assert body["title"] == "Bad request"
        assert body["http_status"] == "400"
        assert f"'{field}'" in body["description"], body
