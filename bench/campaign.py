"""Benchmark: coordinated action campaigns in the center.

    scripts/bench campaign [--names 1000000] [--pg postgresql://postgres@127.0.0.1:55432/postgres]

`bench_ingest` (issue target): stream, normalise, split per registry and persist 1,000,000
names over every TLD of the real root zone (operators from the directory, imported from the
root zone as `dnscc import` does) in <= 60 s and <= 1 GiB peak RSS, on SQLite and, with
--pg (or DNSCC_BENCH_PG_URL), on PostgreSQL too: each database in its own child process, so
each peak RSS is that run's own. `bench_verify` and `bench_rpz` (verification and export)
live in this file too, as separate functions, and so does `bench_manifest` (downloads of a
large slice's manifest, from the bytes kept at delivery against a rebuild, side by side).

Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _isolated import pg_database, production_environment, run_isolated

REPO = Path(__file__).resolve().parents[1]
INGEST_SECONDS = 60.0
INGEST_RSS_MIB = 1024.0


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _environment(tmp: Path, database_url: str | None) -> None:
    production_environment(
        tmp / "data",
        database_url,
        DNSCC_PROBE_NETWORKS="loopback",  # the egress rule: verification asks the lab only
    )


def write_names(path: Path, count: int, tlds: list[str], *, seed: int = 1) -> dict[str, int]:
    """A list like a researcher's: mostly lower-case ASCII, some upper case with a trailing
    dot, some IDNs, ~1% duplicates and a few junk lines, over every TLD. Streamed to disk."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz0123456789"
    idn = ["bücher", "münchen", "zürich", "café", "straße"]
    written = dupes = junk = 0
    recent: list[str] = []
    with path.open("w", encoding="utf-8") as out:
        out.write("# bench list\n")
        while written < count:
            i = written
            if i % 100 == 99 and recent:
                out.write(rng.choice(recent).upper() + ".\n")
                dupes += 1
            elif i % 5000 == 4998:
                out.write("not a domain name\n")
                junk += 1
            else:
                label = "".join(rng.choices(letters, k=rng.randint(8, 16)))
                if i % 50 == 7:
                    label = f"{rng.choice(idn)}{i}"
                name = f"{label}{i}.{tlds[i % len(tlds)]}"
                out.write(name + "\n")
                if len(recent) < 1000:
                    recent.append(name)
                else:
                    recent[i % 1000] = name
            written += 1
    return {"lines": count + 1, "duplicates": dupes, "junk": junk}


def bench_ingest(
    *, names: int = 1_000_000, database_url: str | None = None, seed: int = 1
) -> dict[str, Any]:
    """Import the root zone, create a campaign, load `names` names through the service, and
    measure the load alone (seconds, names per second, peak RSS). Runs in its own process."""
    tmp = Path(tempfile.mkdtemp(prefix="dnscc-bench-campaign-"))
    (tmp / "data").mkdir()
    _environment(tmp, database_url)
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from dnscc.accounts import audit
    from dnscc.campaigns import services
    from dnscc.campaigns.models import Slice, Target
    from dnscc.core.paths import default_root_zone
    from dnscc.core.tlp import Role, Viewer
    from dnscc.directory.models import Tld
    from dnscc.directory.rootzone_import import import_root_zone
    from dnscc.incidents.models import Incident

    import_root_zone(str(default_root_zone()))
    tlds = sorted(Tld.objects.values_list("name", flat=True))
    path = tmp / "names.txt"
    shape = write_names(path, names, tlds, seed=seed)
    viewer, actor = Viewer(user_id=0, role=Role.ADMIN), audit.Actor("bench")
    Incident.objects.create(ref="DNSCC-2026-0001", title="bench", created_at=timezone.now())
    campaign = services.create_campaign(
        viewer, actor, incident_ref="DNSCC-2026-0001", title="bench", due_date=dt.date(2026, 12, 1)
    )
    before_mib = _peak_mib()
    c0 = time.process_time()
    t0 = time.perf_counter()
    with path.open("rb") as stream:
        name_list = services.load_names(
            viewer,
            actor,
            campaign,
            stream,
            filename="names.txt",
            action="block",
            legal_basis="court_order",
            legal_reference="bench",
        )
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    peak_mib = _peak_mib()
    stored = Target.objects.filter(campaign=campaign).count()
    slices = Slice.objects.filter(campaign=campaign).count()
    # A second load of the same file: everything is a duplicate of the campaign.
    t0 = time.perf_counter()
    with path.open("rb") as stream:
        again = services.load_names(
            viewer,
            actor,
            campaign,
            stream,
            filename="again.txt",
            action="block",
            legal_basis="court_order",
            legal_reference="bench",
        )
    reload_s = time.perf_counter() - t0
    return {
        "database": connection.vendor,
        "names": names,
        "tlds": len(tlds),
        "file_bytes": path.stat().st_size,
        "seconds": round(seconds, 2),
        "names_per_second": round(names / seconds),
        # This process's CPU time: on a shared machine the wall time includes waiting.
        "cpu_seconds": round(cpu_seconds, 2),
        "load_average": round(os.getloadavg()[0], 1),
        "peak_rss_mib": round(_peak_mib(), 1),
        "peak_rss_mib_after_load": round(peak_mib, 1),
        "rss_mib_before_load": round(before_mib, 1),
        "added": name_list.added,
        "stored": stored,
        "duplicates": name_list.duplicates,
        "invalid": name_list.invalid,
        "unassigned": name_list.unassigned,
        "slices": slices,
        "expected_duplicates": shape["duplicates"],
        "expected_junk": shape["junk"],
        "phases": name_list.report.get("seconds", {}),
        "reload_seconds": round(reload_s, 2),
        "reload_added": again.added,
    }


RPZ_SECONDS = 10.0
VERIFY_SECONDS = 30.0


def _bench_campaign(tmp: Path, database_url: str | None) -> Any:
    """A migrated database in `tmp` with one incident and one campaign (for bench_rpz and
    bench_verify)."""
    _environment(tmp, database_url)
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from dnscc.campaigns.models import Campaign
    from dnscc.incidents.models import Incident

    incident = Incident.objects.create(
        ref="DNSCC-2026-0001", title="bench", created_at=timezone.now()
    )
    return Campaign.objects.create(
        incident=incident, slug="bench", title="bench", due_date=dt.date(2026, 12, 1)
    )


def _bulk_targets(campaign: Any, names_by_tld: dict[str, list[str]], action: str) -> None:
    """Targets written the way an ingest leaves them (rows, no slices), in big batches."""
    from dnscc.campaigns.models import NameList, Target

    name_list = NameList.objects.create(
        campaign=campaign,
        kind=NameList.UPLOAD,
        source="bench",
        action=action,
        legal_basis="court_order",
        legal_reference="bench",
    )
    batch: list[Any] = []
    for tld, names in names_by_tld.items():
        for name in names:
            batch.append(
                Target(campaign=campaign, name_list=name_list, name=name, tld=tld, action=action)
            )
            if len(batch) >= 20_000:
                Target.objects.bulk_create(batch, batch_size=5000)
                batch.clear()
    Target.objects.bulk_create(batch, batch_size=5000)


def bench_rpz(*, names: int = 1_000_000, database_url: str | None = None) -> dict[str, Any]:
    """Export `names` campaign names as an RPZ (campaigns.reports.rpz_chunks, through
    core.rpz) and measure the export alone; goal <= 10 s for 1,000,000. Own process."""
    tmp = Path(tempfile.mkdtemp(prefix="dnscc-bench-rpz-"))
    (tmp / "data").mkdir()
    campaign = _bench_campaign(tmp, database_url)
    from dnscc.campaigns import reports

    per_tld: dict[str, list[str]] = {}
    tlds = [f"t{i:03d}" for i in range(100)]
    for i in range(names):
        tld = tlds[i % len(tlds)]
        per_tld.setdefault(tld, []).append(f"n{i:07d}-dga.{tld}")
    t0 = time.perf_counter()
    _bulk_targets(campaign, per_tld, "suspend")
    load_s = time.perf_counter() - t0
    out = tmp / "campaign.rpz"
    t0 = time.perf_counter()
    with out.open("w", encoding="utf-8") as fh:
        for chunk in reports.rpz_chunks(campaign):
            fh.write(chunk)
    seconds = time.perf_counter() - t0
    records = sum(1 for line in out.open(encoding="utf-8") if " CNAME " in line)
    return {
        "names": names,
        "seconds": round(seconds, 2),
        "names_per_second": round(names / seconds),
        "bytes": out.stat().st_size,
        "records": records,
        "setup_seconds": round(load_s, 1),
        "peak_rss_mib": round(_peak_mib(), 1),
        "ok": seconds <= RPZ_SECONDS and records == 2 * names,
    }


def bench_manifest(*, names: int = 300_000, database_url: str | None = None) -> dict[str, Any]:
    """One registry's slice of `names` (an Avalanche-sized share: the largest registry's),
    delivered; then downloads of its CSV manifest served two ways side by side in this one
    process: from the bytes kept at delivery (what the center does) and rebuilt from the
    slice's targets (what it did before; still the path for a slice delivered before bytes
    were kept). Memory: the peak Python allocation of one download of each (tracemalloc, in
    an untimed run). Own process."""
    tmp = Path(tempfile.mkdtemp(prefix="dnscc-bench-manifest-"))
    (tmp / "data").mkdir()
    campaign = _bench_campaign(tmp, database_url)
    import datetime as dt

    from django.utils import timezone

    from dnscc.accounts import audit
    from dnscc.campaigns import services
    from dnscc.campaigns.models import Slice, SliceManifest, Target
    from dnscc.core.tlp import Role, Viewer
    from dnscc.directory.models import Organization

    org = Organization.objects.create(
        name="Bench Registry", slug="bench-registry", kind=Organization.TLD_REGISTRY
    )
    _bulk_targets(campaign, {"com": [f"n{i:07d}-dga.com" for i in range(names)]}, "block")
    slice_ = Slice.objects.create(
        campaign=campaign,
        organization=org,
        tlds=["com"],
        names=names,
        deadline=timezone.now() + dt.timedelta(days=2),
    )
    Target.objects.filter(campaign=campaign).update(slice=slice_)
    staff = Viewer(user_id=0, role=Role.COORDINATOR)
    actor = audit.Actor("bench")
    t0 = time.perf_counter()
    result = services.deliver(staff, actor, campaign)
    deliver_s = time.perf_counter() - t0
    slice_.refresh_from_db()
    stored = SliceManifest.objects.get(slice=slice_)
    compressed = len(stored.csv_gz) + len(stored.json_gz)
    expected = slice_.manifest_sha256["csv"]

    def timed(repeat: int) -> tuple[float, bool]:
        import hashlib

        best, same = float("inf"), True
        for _ in range(repeat):
            t = time.perf_counter()
            content, _ = services.manifest(staff, actor, Slice.objects.get(pk=slice_.pk), "csv")
            best = min(best, time.perf_counter() - t)
            same &= hashlib.sha256(content).hexdigest() == expected
        return best, same

    def allocated_mib() -> float:
        """Peak Python allocation of one download (tracemalloc; untimed)."""
        import tracemalloc

        tracemalloc.start()
        services.manifest(staff, actor, Slice.objects.get(pk=slice_.pk), "csv")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak / 2**20

    kept_s, kept_same = timed(3)
    kept_mib = allocated_mib()
    SliceManifest.objects.filter(slice=slice_).delete()  # the rebuild path, as before
    rebuilt_s, rebuilt_same = timed(3)
    rebuilt_mib = allocated_mib()
    return {
        "names": names,
        "deliver_seconds": round(deliver_s, 2),
        "messages": result["messages"],
        "kept_bytes_gzip": compressed,
        "download_kept_seconds": round(kept_s, 3),
        "download_rebuilt_seconds": round(rebuilt_s, 3),
        "speedup": round(rebuilt_s / kept_s, 1),
        "download_kept_alloc_mib": round(kept_mib, 1),
        "download_rebuilt_alloc_mib": round(rebuilt_mib, 1),
        "ok": kept_same and rebuilt_same and kept_s < rebuilt_s,
    }


def bench_verify(
    *, names: int = 100_000, tlds: int = 20, rate: float = 5000.0, lab_dir: str | None = None
) -> dict[str, Any]:
    """Verify `names` campaign names at their TLDs' servers in a lab of `tlds` TLDs (names
    registered with Lab.register; every other name then suspended with Lab.unregister) and
    measure verify_campaign alone; goal <= 30 s for 100,000. Own process; lab taken down."""
    tmp = Path(tempfile.mkdtemp(prefix="dnscc-bench-verify-"))
    (tmp / "data").mkdir()
    campaign = _bench_campaign(tmp, None)
    from dnscc.campaigns.models import Target
    from dnscc.campaigns.verification import verify_campaign
    from dnscc.lab.lab import Lab

    lab = Lab(Path(lab_dir) if lab_dir else Path("/var/tmp") / f"dnscc-bench-verify-{os.getpid()}")
    t0 = time.perf_counter()
    lab.up(tlds=tlds, slds=0, timeout=300)
    up_s = time.perf_counter() - t0
    try:
        plan = lab.plan()
        zone_tlds = sorted(plan.tlds)
        per_tld: dict[str, list[str]] = {t: [] for t in zone_tlds}
        for i in range(names):
            tld = zone_tlds[i % len(zone_tlds)]
            per_tld[tld].append(f"n{i:07d}-dga.{tld}")
        suspended = sum(len(ns_[::2]) for ns_ in per_tld.values())
        t0 = time.perf_counter()
        ns = ["ns1.example.net", "ns2.example.net"]
        lab.apply_registrations({t: dict.fromkeys(ns_, ns) for t, ns_ in per_tld.items()})
        lab.apply_registrations({t: dict.fromkeys(ns_[::2]) for t, ns_ in per_tld.items()})
        lab_s = time.perf_counter() - t0
        _bulk_targets(campaign, per_tld, "suspend")
        servers = {t: sorted({plan.hosts[h] for h in plan.tlds[t]}) for t in zone_tlds}
        t0 = time.perf_counter()
        run = verify_campaign(campaign, servers=servers, rate=rate)
        seconds = time.perf_counter() - t0
        ok_count = Target.objects.filter(campaign=campaign, verified_ok=True).count()
    finally:
        lab.down()
    return {
        "names": names,
        "tlds": tlds,
        "rate_per_server": rate,
        "seconds": round(seconds, 2),
        "names_per_second": round(names / seconds),
        "queries": run.queries,
        "ok": run.ok,
        "bad": run.bad,
        "errors": run.errors,
        "lab_up_seconds": round(up_s, 1),
        "lab_changes_seconds": round(lab_s, 1),
        "correct": ok_count == suspended and run.errors == 0,
        "passed": seconds <= VERIFY_SECONDS and ok_count == suspended,
    }


Rows = list[tuple[str, str, str]]


def _ingest_rows(run: dict[str, Any]) -> tuple[bool, Rows]:
    db = run["database"]
    passed = run["seconds"] <= INGEST_SECONDS and run["peak_rss_mib"] <= INGEST_RSS_MIB
    return passed, [
        (
            f"[{db}] ingest {run['names']:,} names over {run['tlds']:,} TLDs",
            f"{run['seconds']:.1f} s",
            f"<= {INGEST_SECONDS:.0f} s",
        ),
        (f"[{db}]   names per second", f"{run['names_per_second']:,}", ""),
        (
            f"[{db}]   CPU time of this process",
            f"{run['cpu_seconds']:.1f} s",
            f"load average {run['load_average']}",
        ),
        (
            f"[{db}]   peak RSS",
            f"{run['peak_rss_mib']:.0f} MiB",
            f"<= {INGEST_RSS_MIB:.0f} MiB",
        ),
        (
            f"[{db}]   added / duplicates / invalid",
            f"{run['added']:,} / {run['duplicates']:,} / {run['invalid']:,}",
            "",
        ),
        (f"[{db}]   slices (registries)", f"{run['slices']:,}", ""),
        (
            f"[{db}]   same file again (all duplicates)",
            f"{run['reload_seconds']:.1f} s",
            f"added {run['reload_added']}",
        ),
    ]


def _verify_rows(verify: dict[str, Any]) -> tuple[bool, Rows]:
    return bool(verify["passed"]), [
        (
            f"verify {verify['names']:,} names at {verify['tlds']} lab TLDs' servers",
            f"{verify['seconds']:.1f} s",
            f"<= {VERIFY_SECONDS:.0f} s; {verify['rate_per_server']:.0f} q/s per server",
        ),
        (
            "  verdicts right (suspended found not delegated)",
            str(verify["correct"]),
            f"ok {verify['ok']:,} / bad {verify['bad']:,} / errors {verify['errors']}",
        ),
    ]


def _rpz_rows(rpz: dict[str, Any]) -> tuple[bool, Rows]:
    return bool(rpz["ok"]), [
        (
            f"RPZ export of {rpz['names']:,} names",
            f"{rpz['seconds']:.1f} s",
            f"<= {RPZ_SECONDS:.0f} s; {rpz['records']:,} records",
        )
    ]


def _manifest_rows(manifest: dict[str, Any]) -> tuple[bool, Rows]:
    return bool(manifest["ok"]), [
        (
            f"deliver a slice of {manifest['names']:,} names (kept gzip)",
            f"{manifest['deliver_seconds']:.1f} s",
            f"{manifest['kept_bytes_gzip'] / 2**20:.1f} MiB kept",
        ),
        (
            "  CSV download from the kept bytes",
            f"{manifest['download_kept_seconds']:.2f} s",
            f"{manifest['download_kept_alloc_mib']:.0f} MiB allocated at peak",
        ),
        (
            "  CSV download rebuilt from targets (before)",
            f"{manifest['download_rebuilt_seconds']:.2f} s",
            f"{manifest['download_rebuilt_alloc_mib']:.0f} MiB allocated at peak;"
            f" kept is {manifest['speedup']}x faster",
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--names", type=int, default=1_000_000)
    parser.add_argument(
        "--pg",
        default=os.environ.get("DNSCC_BENCH_PG_URL", ""),
        help="a PostgreSQL server's URL (its maintenance database) to run the ingest on too",
    )
    parser.add_argument(
        "--only",
        choices=("ingest", "verify", "rpz", "manifest"),
        action="append",
        help="run only these parts (default: all four)",
    )
    parser.add_argument("--verify-names", type=int, default=100_000)
    parser.add_argument("--manifest-names", type=int, default=300_000)
    args = parser.parse_args()
    parts = set(args.only or ("ingest", "verify", "rpz", "manifest"))

    runs = []
    if "ingest" in parts:
        runs.append(run_isolated(bench_ingest, {"names": args.names}))
        if args.pg:
            with pg_database(args.pg, "dnscc_bench") as url:
                runs.append(run_isolated(bench_ingest, {"names": args.names, "database_url": url}))
    verify = run_isolated(bench_verify, {"names": args.verify_names}) if "verify" in parts else None
    rpz = run_isolated(bench_rpz, {"names": args.names}) if "rpz" in parts else None
    manifest = (
        run_isolated(bench_manifest, {"names": args.manifest_names})
        if "manifest" in parts
        else None
    )

    ok = True
    rows: list[tuple[str, str, str]] = []
    parts_run = [(run, _ingest_rows) for run in runs]
    parts_run += [(verify, _verify_rows), (rpz, _rpz_rows), (manifest, _manifest_rows)]
    for part, table in parts_run:
        if part is None:
            continue
        if "error" in part:
            print(part["error"], file=sys.stderr)
            ok = False
            continue
        passed, part_rows = table(part)
        ok &= passed
        rows += part_rows
    width = max((len(r[0]) for r in rows), default=10)
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>22}  {note}")
    result = {
        "ingest": runs,
        "verify": verify,
        "rpz": rpz,
        "manifest": manifest,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "ok": ok,
    }
    print("RESULT " + json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
