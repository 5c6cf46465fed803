"""What the sharing tests build on: registries for many TLDs, a trust group with members,
a partner's MISP feed made with pymisp, and a loopback HTTP server to serve it from."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dnscc.accounts import audit
from dnscc.accounts.services import create_token, create_user, viewer_for
from dnscc.directory import lookup
from dnscc.directory.models import Organization, Tld
from dnscc.sharing import groups

AGREEMENT = "Members keep what they receive within their own CSIRT and act on it under TLP."


def staff(world: Any) -> tuple[Any, audit.Actor]:
    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user)


def registries(count: int, *, prefix: str = "r") -> list[Tld]:
    """`count` TLDs ({prefix}0 ...), each run by its own vetted registry (bulk-created:
    they are the scenery, not what is tested)."""
    orgs = Organization.objects.bulk_create(
        Organization(
            name=f"Registry {prefix.upper()}{i}",
            slug=f"registry-{prefix}{i}",
            kind=Organization.TLD_REGISTRY,
            region="EU",
            vetting=Organization.VETTED,
        )
        for i in range(count)
    )
    if any(org.pk is None for org in orgs):  # a backend that returns no ids
        orgs = list(Organization.objects.filter(slug__startswith=f"registry-{prefix}"))
        orgs.sort(key=lambda org: int(org.slug.rsplit(prefix, 1)[1]))
    tlds = Tld.objects.bulk_create(
        Tld(name=f"{prefix}{i}", kind=Tld.GTLD, operator=org) for i, org in enumerate(orgs)
    )
    lookup.invalidate()
    return tlds


def vetted_group(world: Any, *, name: str = "Vetted CSIRTs", ceiling: str = "AMBER") -> Any:
    """A group whose member is the world's CSIRT (vetted, agreement accepted)."""
    viewer, actor = staff(world)
    group = groups.create_group(
        viewer, actor, name=name, agreement=AGREEMENT, min_vetting="vetted", tlp_ceiling=ceiling
    )
    Organization.objects.filter(pk=world.csirt.pk).update(vetting=Organization.VETTED)
    world.csirt.refresh_from_db()
    groups.add_member(viewer, actor, group, world.csirt, accept_version=1)
    return group


def second_csirt(world: Any, group: Any) -> tuple[Any, str]:
    """Another CSIRT, member while vetted, then its vetting lowered to unvetted; its user
    and API token."""
    viewer, actor = staff(world)
    org = Organization.objects.create(
        name="Shady CERT", slug="shady-cert", kind=Organization.CSIRT, vetting="vetted"
    )
    groups.add_member(viewer, actor, group, org, accept_version=1)
    Organization.objects.filter(pk=org.pk).update(vetting=Organization.UNVETTED)
    user = create_user("shady1", role="partner", organization=org, check_password=False)
    return user, create_token(user, "taxii")[1]


def misp_feed(directory: Path, events: list[Any]) -> None:
    """A MISP feed as MISP writes it: manifest.json, one file per event, hashes.csv."""
    manifest: dict[str, Any] = {}
    hashes = []
    for event in events:
        feed = event.to_feed(with_meta=True)
        meta = feed["Event"].pop("_manifest")
        manifest.update(meta)
        hashes += [f"{h},{event.uuid}" for h in feed["Event"].pop("_hashes", [])]
        (directory / f"{event.uuid}.json").write_text(json.dumps(feed))
    (directory / "manifest.json").write_text(json.dumps(manifest))
    (directory / "hashes.csv").write_text("\n".join(hashes) + "\n")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve_directory(directory: Path, *, log: list[str] | None = None) -> Iterator[str]:
    """A loopback HTTP server for `directory` (port 0: any free port); its base URL. The
    paths asked for are appended to `log`."""

    class Handler(_Quiet):
        def do_GET(self) -> None:
            if log is not None:
                log.append(self.path)
            super().do_GET()

    def handler(*args: Any, **kwargs: Any) -> Any:
        return Handler(*args, directory=str(directory), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def bulk_publish(group: Any, count: int, *, key: str = "bulk", kind: str = "campaigns") -> Any:
    """`count` indicators published to the group's `kind` collection as one publication,
    bulk-created (the scenery of paging tests: publishing itself is tested elsewhere), with
    date_added strictly increasing after what the collection holds."""
    import datetime as dt

    from django.utils import timezone

    from dnscc.core import stix
    from dnscc.core.tlp import TLP
    from dnscc.sharing.models import Collection, Publication, SharedObject

    collection = group.collections.get(kind=kind)
    now = timezone.now()
    step = dt.timedelta(microseconds=1)
    start = max(now, collection.last_added + step) if collection.last_added else now
    publication = Publication.objects.create(
        group=group,
        collection=collection,
        kind="campaign",
        ref=key,
        title=key,
        tlp=TLP.AMBER.value,
        published_at=now,
        object_count=count,
        indicator_count=count,
    )
    ctx = stix.Context(
        tlp=TLP.AMBER, created_by=stix.stix_id("identity", "center"), created=stix.timestamp(now)
    )
    rows = []
    for i in range(count):
        obj = stix.indicator(ctx, stix.DOMAIN, f"n{i}.{key}.r0", key=key, description=key)
        rows.append(
            SharedObject(
                collection=collection,
                publication=publication,
                stix_id=obj["id"],
                stix_type="indicator",
                version=obj["modified"],
                date_added=start + i * step,
                tlp=TLP.AMBER.value,
                value=obj["name"],
                data=stix.dumps(obj),
            )
        )
    SharedObject.objects.bulk_create(rows, batch_size=5000)
    Collection.objects.filter(pk=collection.pk).update(last_added=start + (count - 1) * step)
    return publication
