"""Benchmark: sharing (issue 15).

Targets: export a 1,000,000-name campaign as STIX indicators <= 60 s and <= 1 GiB; a TAXII
page of 1,000 objects served <= 200 ms; import of a 100,000-object bundle <= 60 s.

    scripts/bench sharing                       # the issue's volumes
    scripts/bench sharing --names 200000        # a smaller campaign (the figures scale)
    scripts/bench sharing --objects 20000       # a smaller bundle

What is timed (wall and CPU seconds: the machine may be shared):
  - export: `publish.export_campaign_bundle` of a campaign whose names are in the database
    (targets bulk-created, not timed), to a file: indicators and "indicates" relationships,
    two objects a name. Peak RSS is the process's (ru_maxrss), setup included.
  - TAXII page: GET .../objects/?limit=1000 by a member with an API token, through the whole
    Django stack (authentication, the TLP rule per object, a Pull row per object, the audit);
    the median of 5 pages.
  - import: `imports.import_stix` of a bundle of indicators on domain names (a file written
    beforehand), matched to 30 registries.
Peers side by side: the stix2 library building the same indicators and relationships, and
stix2.parse reading the same bundle's objects (both on a sample, extrapolated); the TAXII
page built by parsing and dumping the objects instead of serving their stored text.
Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ["DNSCC_DEV"] = "1"
os.environ["DNSCC_DATA_DIR"] = tempfile.mkdtemp(prefix="dnscc-bench-")
os.environ.setdefault("DNSCC_LOG_LEVEL", "WARNING")

TLDS = 30
SAMPLE = 2_000


class Clock:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup() -> tuple[Any, Any, Any, list[Any]]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dnscc.accounts import audit
    from dnscc.accounts.services import create_user, viewer_for
    from dnscc.directory import lookup
    from dnscc.directory.models import Organization, Tld

    orgs = Organization.objects.bulk_create(
        Organization(
            name=f"Registry {i}",
            slug=f"registry-{i}",
            kind=Organization.TLD_REGISTRY,
            vetting=Organization.VETTED,
        )
        for i in range(TLDS)
    )
    orgs = list(Organization.objects.filter(slug__startswith="registry-").order_by("pk"))
    Tld.objects.bulk_create(
        Tld(name=f"r{i}", kind=Tld.GTLD, operator=org) for i, org in enumerate(orgs)
    )
    lookup.invalidate()
    user = create_user("bench", role="coordinator", check_password=False)
    return user, viewer_for(user), audit.Actor.of(user), orgs


def _campaign(user: Any, viewer: Any, actor: Any, names: int) -> Any:
    import io

    from dnscc.campaigns import services
    from dnscc.campaigns.models import NameList, Target
    from dnscc.incidents import services as incidents

    incident = incidents.create_incident(
        viewer,
        actor,
        {
            "title": "Bench DGA",
            "summary": "Generated names",
            "dns_type": "dga-botnet",
            "tlp": "AMBER",
            "scope": {"tlds": ["r0"], "names": [], "ips": [], "resolvers": []},
        },
        user=user,
    )
    campaign = services.create_campaign(
        viewer,
        actor,
        incident_ref=incident.ref,
        title="Bench campaign",
        due_date=dt.date.today() + dt.timedelta(days=3),
        user=user,
    )
    services.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(b"".join(b"seed%d.r%d\n" % (i, i) for i in range(TLDS))),
        filename="seed.txt",
        action="block",
        legal_basis="registry_waiver",
        legal_reference="bench",
    )
    name_list = NameList.objects.filter(campaign=campaign).first()
    batch: list[Any] = []
    for i in range(TLDS, names):
        batch.append(
            Target(
                campaign=campaign,
                name_list=name_list,
                name=f"n{i:07d}.r{i % TLDS}",
                tld=f"r{i % TLDS}",
                action="block",
            )
        )
        if len(batch) >= 20_000:
            Target.objects.bulk_create(batch)
            batch = []
    Target.objects.bulk_create(batch)
    return campaign


def bench_export(user: Any, viewer: Any, actor: Any, names: int, workdir: Path) -> dict[str, Any]:
    from dnscc.sharing import publish

    with Clock() as setup:
        campaign = _campaign(user, viewer, actor, names)
        import stix2  # noqa: F401  (imported once by a running server; not the export's cost)
    out_path = workdir / "campaign.json"
    with Clock() as run, out_path.open("w") as out:
        count = publish.export_campaign_bundle(viewer, actor, campaign, out)
    size = out_path.stat().st_size
    out_path.unlink()
    peer = _stix2_peer_export()
    return {
        "names": names,
        "objects": count,
        "bytes": size,
        "setup_s": round(setup.wall, 1),
        "wall_s": round(run.wall, 2),
        "cpu_s": round(run.cpu, 2),
        "names_per_s": round(names / run.wall),
        "peak_rss_mib": round(_rss_mib()),
        "stix2_us_per_name": round(peer * 1e6),
        "ours_us_per_name": round(run.cpu / names * 1e6, 1),
    }


def _stix2_peer_export() -> float:
    """CPU seconds a name for stix2 to build the same indicator and relationship."""
    import stix2

    from dnscc.core import stix
    from dnscc.core.tlp import TLP

    created = "2026-01-01T00:00:00.000Z"
    ctx = stix.Context(tlp=TLP.AMBER, created_by=stix.stix_id("identity", "c"), created=created)
    with Clock() as clock:
        for i in range(SAMPLE):
            ours = stix.indicator(ctx, stix.DOMAIN, f"n{i}.r0", key="peer", description="d")
            indicator = stix2.v21.Indicator(
                id=ours["id"],
                created_by_ref=ctx.created_by,
                created=created,
                modified=created,
                name=ours["name"],
                description="d",
                indicator_types=["malicious-activity"],
                pattern=ours["pattern"],
                pattern_type="stix",
                pattern_version="2.1",
                valid_from=created,
                object_marking_refs=[stix.marking_ref(TLP.AMBER)],
            )
            relationship = stix2.v21.Relationship(
                created_by_ref=ctx.created_by,
                created=created,
                modified=created,
                relationship_type="indicates",
                source_ref=indicator.id,
                target_ref=stix.campaign_id("peer"),
                object_marking_refs=[stix.marking_ref(TLP.AMBER)],
            )
            indicator.serialize()
            relationship.serialize()
    return clock.cpu / SAMPLE


def bench_page(viewer: Any, actor: Any, orgs: list[Any]) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    from dnscc.accounts.services import create_token, create_user
    from dnscc.directory.models import Organization
    from dnscc.sharing import groups
    from dnscc.sharing.models import SharedObject

    settings.ALLOWED_HOSTS = ["*"]
    group = groups.create_group(viewer, actor, name="Bench CSIRTs", agreement="bench")
    cert = Organization.objects.create(
        name="Bench CERT", slug="bench-cert", kind=Organization.CSIRT, vetting="vetted"
    )
    groups.add_member(viewer, actor, group, cert, accept_version=1)
    member = create_user("member", role="partner", organization=cert, check_password=False)
    token = create_token(member, "bench")[1]
    _bulk_objects(group, 6_000)
    uid = group.collections.get(kind="campaigns").uid
    url = f"/taxii2/{group.slug}/collections/{uid}/objects/?limit=1000"
    client = Client(headers={"Authorization": f"Bearer {token}"})
    client.get(url)  # warm: imports, URL conf
    walls, cpus = [], []
    next_token = ""
    for _ in range(5):
        with Clock() as clock:
            answer = client.get(url + (f"&next={next_token}" if next_token else ""))
        body = json.loads(answer.content)
        assert answer.status_code == 200, answer.status_code
        assert len(body["objects"]) == 1000, len(body["objects"])
        next_token = body.get("next", "")
        walls.append(clock.wall)
        cpus.append(clock.cpu)
    rows = list(SharedObject.objects.filter(collection__uid=uid)[:1000])
    with Clock() as peer:
        json.dumps({"more": True, "objects": [json.loads(r.data) for r in rows]})
    return {
        "objects": 1000,
        "median_ms": round(statistics.median(walls) * 1000, 1),
        "median_cpu_ms": round(statistics.median(cpus) * 1000, 1),
        "max_ms": round(max(walls) * 1000, 1),
        "parse_and_dump_ms": round(peer.wall * 1000, 1),
    }


def _bulk_objects(group: Any, count: int) -> None:
    from django.utils import timezone

    from dnscc.core import stix
    from dnscc.core.tlp import TLP
    from dnscc.sharing.models import Publication, SharedObject

    collection = group.collections.get(kind="campaigns")
    now = timezone.now()
    publication = Publication.objects.create(
        group=group,
        collection=collection,
        kind="campaign",
        ref="bench",
        title="bench",
        tlp="AMBER",
        published_at=now,
    )
    ctx = stix.Context(
        tlp=TLP.AMBER, created_by=stix.stix_id("identity", "center"), created=stix.timestamp(now)
    )
    rows = []
    for i in range(count):
        obj = stix.indicator(ctx, stix.DOMAIN, f"p{i}.r{i % TLDS}", key="b", description="bench")
        rows.append(
            SharedObject(
                collection=collection,
                publication=publication,
                stix_id=obj["id"],
                stix_type="indicator",
                version=obj["modified"],
                date_added=now + dt.timedelta(microseconds=i),
                tlp="AMBER",
                value=obj["name"],
                data=stix.dumps(obj),
            )
        )
    SharedObject.objects.bulk_create(rows, batch_size=5000)


def _write_bundle(path: Path, count: int) -> None:
    from dnscc.core import stix
    from dnscc.core.tlp import TLP

    amber = stix.marking_ref(TLP.AMBER)
    ctx = stix.Context(
        tlp=TLP.AMBER, created_by=stix.stix_id("identity", "p"), created="2026-01-01T00:00:00.000Z"
    )
    with path.open("w") as out:
        out.write('{"type":"bundle","id":"' + stix.stix_id("bundle", "bench") + '","objects":[')
        for i in range(count):
            obj = stix.indicator(ctx, stix.DOMAIN, f"m{i}.r{i % TLDS}", key="in", description="x")
            assert obj["object_marking_refs"] == [amber]
            out.write(("," if i else "") + stix.dumps(obj))
        out.write("]}")


def bench_import(viewer: Any, actor: Any, user: Any, count: int, workdir: Path) -> dict[str, Any]:
    import stix2

    from dnscc.sharing import imports

    path = workdir / "bundle.json"
    _write_bundle(path, count)
    with Clock() as run, path.open("rb") as stream:
        imp = imports.import_stix(
            viewer, actor, stream, name="bundle.json", provenance="bench", user=user
        )
    assert imp.indicator_count == count, imp.indicator_count
    assert imp.registries == TLDS, imp.registries
    with path.open("rb") as stream:
        import ijson

        sample = [
            o for _, o in zip(range(SAMPLE), ijson.items(stream, "objects.item"), strict=False)
        ]
    with Clock() as peer:
        for obj in sample:
            stix2.parse(obj, allow_custom=False)
    size = path.stat().st_size
    path.unlink()
    return {
        "objects": count,
        "bytes": size,
        "wall_s": round(run.wall, 2),
        "cpu_s": round(run.cpu, 2),
        "objects_per_s": round(count / run.wall),
        "stix2_parse_s_extrapolated": round(peer.cpu / len(sample) * count, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--names", type=int, default=1_000_000, help="names of the campaign")
    parser.add_argument("--objects", type=int, default=100_000, help="objects of the bundle")
    args = parser.parse_args()
    from dnscc.cli import django_setup

    django_setup()
    load = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="dnscc-bench-sharing-"))
    user, viewer, actor, orgs = _setup()
    export = bench_export(user, viewer, actor, args.names, workdir)
    print(
        f"export   {export['names']:>9,} names  {export['objects']:>9,} objects"
        f"  {export['wall_s']:>7} s wall  {export['cpu_s']:>7} s CPU"
        f"  peak RSS {export['peak_rss_mib']} MiB"
        f"  (stix2: {export['stix2_us_per_name']} us a name, ours {export['ours_us_per_name']})",
        flush=True,
    )
    page = bench_page(viewer, actor, orgs)
    print(
        f"page     {page['objects']:>9,} objects  median {page['median_ms']} ms"
        f" ({page['median_cpu_ms']} ms CPU), max {page['max_ms']} ms"
        f"  (parse and dump alone: {page['parse_and_dump_ms']} ms)",
        flush=True,
    )
    imported = bench_import(viewer, actor, user, args.objects, workdir)
    print(
        f"import   {imported['objects']:>9,} objects  {imported['wall_s']:>7} s wall"
        f"  {imported['cpu_s']:>7} s CPU  ({imported['objects_per_s']:,}/s;"
        f" stix2.parse alone: {imported['stix2_parse_s_extrapolated']} s)",
        flush=True,
    )
    result = {
        "export": export,
        "taxii_page": page,
        "import": imported,
        "loadavg_start": [round(x, 2) for x in load],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        "targets": {"export_s": 60, "export_mib": 1024, "page_ms": 200, "import_s": 60},
    }
    from django.db import connections

    connections.close_all()
    # The million-name database is a few hundred MB: leave nothing behind.
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(os.environ["DNSCC_DATA_DIR"], ignore_errors=True)
    print("RESULT " + json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
