"""What a member may pull from a group, page by page, and the record of every pull.

The one TLP rule decides object by object (`core.tlp.can_see`, with the group's active
members as AMBER's recipients and AMBER+STRICT for the organisation it is about): SQL only
narrows to a superset first (decision 0002). Every object served is a Pull row (who, what,
which version, when, how) and every answer one audit disclosure listing the ids.

Pages follow the collection's `date_added` (strictly increasing, see sharing.publish): the
`next` token is the last date_added examined, so `added_after` and `next` can be replayed,
repeated or sent out of order without skipping or duplicating anything.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core import stix
from dnscc.core.errors import InputError, Location, NotFoundError
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.sharing import groups
from dnscc.sharing.models import Collection, Publication, Pull, SharedObject, TrustGroup

MAX_PAGE = 1000
"""The most objects one page holds (TAXII lets the server cap the client's `limit`)."""


@dataclass
class Page:
    rows: list[SharedObject] = field(default_factory=list)
    more: bool = False
    next: str = ""

    @property
    def first_added(self) -> dt.datetime | None:
        return self.rows[0].date_added if self.rows else None

    @property
    def last_added(self) -> dt.datetime | None:
        return self.rows[-1].date_added if self.rows else None


def taxii_timestamp(at: dt.datetime) -> str:
    """date_added with microseconds: exact, so added_after never skips an object."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def encode_next(at: dt.datetime) -> str:
    return base64.urlsafe_b64encode(taxii_timestamp(at).encode()).decode().rstrip("=")


def decode_next(token: str) -> dt.datetime:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return stix.parse_timestamp(text, field="next")
    except (binascii.Error, UnicodeDecodeError, ValueError, InputError):
        raise InputError(
            f"{token[:80]!r} is not a `next` token of this server",
            location=Location(field="next"),
            hint="send back the `next` value of the previous page unchanged",
        ) from None


def readable_collections(viewer: Viewer, group: TrustGroup) -> list[Collection]:
    """Collections the viewer may read or write (staff: all)."""
    qs = group.collections.all()
    if viewer.is_staff:
        return list(qs)
    return [c for c in qs if c.member_read or c.member_write]


def get_collection(viewer: Viewer, group: TrustGroup, uid: str) -> Collection:
    """NotFoundError for a collection that does not exist or the viewer may not see."""
    for collection in readable_collections(viewer, group):
        if str(collection.uid) == uid:
            return collection
    raise NotFoundError(f"no collection {uid[:80]!r}")


def can_read(viewer: Viewer, collection: Collection) -> bool:
    return viewer.is_staff or collection.member_read


def can_write(viewer: Viewer, collection: Collection) -> bool:
    return viewer.is_staff or collection.member_write


@dataclass(frozen=True)
class Filters:
    added_after: dt.datetime | None = None
    next: dt.datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    limit: int = MAX_PAGE


def parse_filters(params: Any) -> Filters:
    """TAXII query parameters: added_after, limit, next, match[id], match[type],
    match[version] (comma-separated lists). InputError names the bad one."""

    def listed(key: str) -> tuple[str, ...]:
        values: list[str] = []
        for raw in params.getlist(key):
            values += [v.strip() for v in raw.split(",") if v.strip()]
        return tuple(values[:100])

    added_after = None
    if params.get("added_after"):
        added_after = stix.parse_timestamp(params["added_after"], field="added_after")
    limit = MAX_PAGE
    if params.get("limit"):
        try:
            limit = int(params["limit"])
        except ValueError:
            raise InputError(
                f"limit {params['limit'][:20]!r} is not a number", location=Location(field="limit")
            ) from None
        if limit < 1:
            raise InputError("limit must be at least 1", location=Location(field="limit"))
    versions = listed("match[version]") or ("last",)
    for v in versions:
        if v not in ("last", "first", "all"):
            stix.parse_timestamp(v, field="match[version]")
    return Filters(
        added_after=added_after,
        next=decode_next(params["next"]) if params.get("next") else None,
        ids=listed("match[id]"),
        types=listed("match[type]"),
        versions=versions,
        limit=min(limit, MAX_PAGE),
    )


def _query(viewer: Viewer, collection: Collection, filters: Filters) -> Any:
    qs = SharedObject.objects.filter(collection=collection)
    after = max((t for t in (filters.added_after, filters.next) if t is not None), default=None)
    if after is not None:
        qs = qs.filter(date_added__gt=after)
    if filters.ids:
        qs = qs.filter(stix_id__in=filters.ids)
    if filters.types:
        qs = qs.filter(stix_type__in=filters.types)
    if "all" not in filters.versions:
        cond = Q(pk__in=[])
        newer = SharedObject.objects.filter(
            collection=collection, stix_id=OuterRef("stix_id"), version__gt=OuterRef("version")
        )
        older = SharedObject.objects.filter(
            collection=collection, stix_id=OuterRef("stix_id"), version__lt=OuterRef("version")
        )
        exact = [v for v in filters.versions if v not in ("last", "first")]
        if "last" in filters.versions:
            cond |= ~Exists(newer)
        if "first" in filters.versions:
            cond |= ~Exists(older)
        if exact:
            cond |= Q(version__in=[stix.timestamp(stix.parse_timestamp(v)) for v in exact])
        qs = qs.filter(cond)
    if not viewer.is_staff:
        # A superset of what can_see allows: never RED, never another organisation's
        # AMBER+STRICT objects.
        qs = qs.exclude(tlp=TLP.RED.value).exclude(
            Q(tlp=TLP.AMBER_STRICT.value, for_org__isnull=False)
            & ~Q(for_org_id=viewer.organization_id)
        )
    return qs.order_by("date_added")


class Visibility:
    """can_see for the objects of one group, with the group's members looked up once."""

    def __init__(self, viewer: Viewer, group: TrustGroup) -> None:
        self.viewer = viewer
        self.members = groups.active_org_ids(group)
        self._audiences: dict[int, frozenset[int]] = {}

    def audience(self, publication_id: int | None) -> frozenset[int]:
        if publication_id is None:
            return frozenset()
        if publication_id not in self._audiences:
            pub = Publication.objects.filter(pk=publication_id).values_list("audience", flat=True)
            self._audiences[publication_id] = frozenset(pub.first() or [])
        return self._audiences[publication_id]

    def allows(self, row: SharedObject) -> bool:
        if row.tlp == TLP.RED.value:
            return False  # never served, to anyone, even if one were stored
        members = self.members
        if self.viewer.is_staff:
            # The center sees what it published (AMBER+STRICT included) but not RED.
            return True
        labelled = row.labelled(members, self.audience(row.publication_id))
        return can_see(self.viewer, labelled)


def page(viewer: Viewer, group: TrustGroup, collection: Collection, filters: Filters) -> Page:
    """One page of objects (or manifest records) the viewer may see."""
    visibility = Visibility(viewer, group)
    rows = list(
        _query(viewer, collection, filters).only(
            "id",
            "stix_id",
            "stix_type",
            "version",
            "date_added",
            "tlp",
            "for_org_id",
            "publication_id",
            "data",
        )[: filters.limit + 1]
    )
    more = len(rows) > filters.limit
    examined = rows[: filters.limit]
    result = Page(rows=[r for r in examined if visibility.allows(r)], more=more)
    if more and examined:
        result.next = encode_next(examined[-1].date_added)
    return result


def versions(viewer: Viewer, group: TrustGroup, collection: Collection, stix_id: str) -> list[Any]:
    visibility = Visibility(viewer, group)
    rows = [
        r
        for r in SharedObject.objects.filter(collection=collection, stix_id=stix_id).order_by(
            "version"
        )
        if visibility.allows(r)
    ]
    return rows


_PULL_COLUMNS = ("group", "collection", "organization", "username", "stix_id", "version", "via")


def _insert_pulls(values: list[tuple[Any, ...]], at: dt.datetime) -> None:
    """One executemany of Pull rows: a page of 1,000 objects is 1,000 rows, and building
    them as model instances for bulk_create was three quarters of the page's time."""
    ops = connection.ops
    fields = [Pull._meta.get_field(name) for name in _PULL_COLUMNS]
    columns = ", ".join(ops.quote_name(f.column) for f in fields)  # type: ignore[union-attr]
    table = ops.quote_name(Pull._meta.db_table)
    stamp = ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}, {ops.quote_name('at')}) "  # noqa: S608 - names from the model, values bound
            f"VALUES ({', '.join(['%s'] * (len(fields) + 1))})",
            [(*v, stamp) for v in values],
        )


def record_pulls(
    viewer: Viewer,
    user: Any,
    group: TrustGroup,
    collection: Collection | None,
    rows: list[SharedObject],
    *,
    via: str,
) -> None:
    """A Pull row per object served, and one audit disclosure naming them."""
    if not rows:
        return
    now = timezone.now()
    username = user.get_username() if user is not None else "anonymous"
    who = (group.pk, collection.pk if collection else None, viewer.organization_id, username)
    _insert_pulls([(*who, r.stix_id, r.version, via) for r in rows], now)
    audit.disclosed(
        audit.Actor.of(user),
        "sharing.object",
        ids=[r.stix_id for r in rows],
        how=via,
        group=group.slug,
        collection=str(collection.uid) if collection else "",
    )


# --- MISP feed out ---------------------------------------------------------------------------

MISP_ORG_UUID = "5b4a7c3e-2f1d-4e8a-9c6b-0d1e2f3a4b5c"


def visible_publications(viewer: Viewer, group: TrustGroup) -> list[Publication]:
    """The group's publications the viewer may see (the MISP feed's events)."""
    members = groups.active_org_ids(group)
    result = []
    for pub in group.publications.order_by("published_at", "id"):
        label = TLP(pub.tlp)
        if label is TLP.RED:
            continue
        if viewer.is_staff:
            result.append(pub)
            continue
        orgs = frozenset(pub.audience) if label is TLP.AMBER_STRICT else members
        from dnscc.core.tlp import Labelled

        if can_see(viewer, Labelled(tlp=label, recipient_organization_ids=orgs & members)):
            result.append(pub)
    return result


def _tag(label: TLP) -> list[dict[str, str]]:
    return [{"name": f"tlp:{label.value.lower()}"}]


def _event_head(pub: Publication, center: str) -> dict[str, Any]:
    label = TLP(pub.tlp)
    return {
        "uuid": str(pub.uid),
        "info": f"{pub.kind} {pub.ref}: {pub.title}"[:300],
        "date": pub.published_at.date().isoformat(),
        "timestamp": str(int(pub.published_at.timestamp())),
        "publish_timestamp": str(int(pub.published_at.timestamp())),
        "published": True,
        "analysis": "2",
        "threat_level_id": "2",
        "distribution": "0" if label is TLP.AMBER_STRICT else "1",
        "Orgc": {"name": center, "uuid": MISP_ORG_UUID},
        "Tag": _tag(label),
    }


def misp_manifest(viewer: Viewer, group: TrustGroup, center: str) -> dict[str, Any]:
    manifest = {}
    for pub in visible_publications(viewer, group):
        head = _event_head(pub, center)
        manifest[head.pop("uuid")] = head
    return manifest


def _attribute_rows(viewer: Viewer, pub: Publication) -> Any:
    qs = SharedObject.objects.filter(publication=pub).exclude(value="")
    if not viewer.is_staff and pub.tlp == TLP.AMBER_STRICT.value:
        qs = qs.filter(Q(for_org__isnull=True) | Q(for_org_id=viewer.organization_id))
    return qs.order_by("date_added").values_list("stix_id", "value", "date_added")


def _attribute(stix_id: str, value: str, at: dt.datetime) -> dict[str, Any]:
    try:
        import ipaddress

        ipaddress.ip_address(value)
        kind = "ip-dst"
    except ValueError:
        kind = "domain"
    return {
        "uuid": stix_id.split("--", 1)[1],
        "type": kind,
        "category": "Network activity",
        "value": value,
        "to_ids": True,
        "distribution": "5",
        "timestamp": str(int(at.timestamp())),
        "comment": "",
    }


def misp_event_chunks(viewer: Viewer, pub: Publication, center: str) -> Iterator[str]:
    """The event file as text chunks, attributes streamed (a million-name campaign)."""
    head = _event_head(pub, center)
    opening = json.dumps({"Event": head})[:-2]  # drop the closing "}}"
    yield opening + ', "Attribute": ['
    first = True
    for stix_id, value, at in _attribute_rows(viewer, pub).iterator(chunk_size=5000):
        yield ("" if first else ",") + json.dumps(_attribute(stix_id, value, at))
        first = False
    yield "]}}"


def misp_hashes(viewer: Viewer, group: TrustGroup) -> Iterator[str]:
    """hashes.csv: the MD5 of every attribute value and its event's uuid."""
    for pub in visible_publications(viewer, group):
        for _sid, value, _at in _attribute_rows(viewer, pub).iterator(chunk_size=5000):
            yield f"{hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()},{pub.uid}\n"


def misp_publication(viewer: Viewer, group: TrustGroup, uid: str) -> Publication:
    for pub in visible_publications(viewer, group):
        if str(pub.uid) == uid:
            return pub
    raise NotFoundError(f"no event {uid[:60]!r}")


def record_event_pull(viewer: Viewer, user: Any, group: TrustGroup, pub: Publication) -> None:
    Pull.objects.create(
        group=group,
        collection=pub.collection,
        organization_id=viewer.organization_id,
        username=user.get_username() if user is not None else "anonymous",
        stix_id=f"misp-event:{pub.uid}",
        version=stix.timestamp(pub.published_at),
        via="misp",
        at=timezone.now(),
    )
    audit.disclosed(
        audit.Actor.of(user),
        "sharing.publication",
        ids=[str(pub.uid)],
        how="misp",
        group=group.slug,
        ref=pub.ref,
        attributes=pub.indicator_count,
    )
