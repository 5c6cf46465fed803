"""Benchmark: sweep the full lab root with dnscc.probe; engine throughput; peers side by side.

    scripts/bench sweep [--tlds N] [--zonemaster N] [--queries N] [--faults N] [--lab-dir DIR]
                        [--keep]

1. brings up the lab on the full shipped root (1,438 signed TLDs; no second-level zones),
2. sweeps the root and every TLD with every zone check (delegation, consistency, glue,
   DNSSEC, AXFR) at the profile's per-server rate limit, and reports the seconds,
3. measures the engine's raw throughput against one lab server with no rate limit, and
   dnsperf against the same server for reference,
4. runs zonemaster-cli and dnscc.probe one zone at a time on the same N TLDs and reports
   the per-zone time ratio,
5. faults N TLDs (100 by default, every fault kind in turn, unreachable and slow servers
   included), sweeps again with every check, times a zone with a silent server, and runs
   zonemaster-cli and dnscc side by side on 20 of the faulted TLDs (bench/sweep_faults.py),
6. takes the lab down (unless --keep). Loopback only; every step is bounded in time.

Prints a table, and last one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.rdatatype

import sweep_faults  # bench/sweep_faults.py, beside this file
from dnscc.lab.lab import Lab
from dnscc.probe.profile import load_profile
from dnscc.probe.sweep import sweep_all
from dnscc.probe.transport import TransportConfig, UdpTransport
from dnscc.probe.zone import probe_zone, read_hints, read_trust_anchor

SWEEP_GOAL_S = 30.0
QPS_GOAL = 15_000
RATIO_GOAL = 50.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


async def engine_qps(server: str, n: int, concurrency: int = 300) -> tuple[float, dict[str, int]]:
    cfg = TransportConfig(qps_per_server=None, max_in_flight=64, timeout=1.0, tries=2)
    names = ["nl.", "se.", "dk.", "ch."]
    async with UdpTransport(cfg) as t:
        todo = iter(range(n))

        async def worker() -> None:
            for i in todo:
                await t.query(server, names[i % 4], dns.rdatatype.SOA)

        # warm-up (sockets, caches), then the measured run
        await asyncio.gather(*(t.query(server, "nl.", dns.rdatatype.SOA) for _ in range(200)))
        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        dt = time.perf_counter() - t0
        return n / dt, {
            "answered": t.stats.answered - 200,
            "timeouts": t.stats.timeouts,
            "mismatched": t.stats.mismatched,
        }


def dnsperf_qps(server: str, seconds: int = 5) -> float | None:
    exe = shutil.which("dnsperf")
    if exe is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("nl. SOA\nse. SOA\ndk. SOA\nch. SOA\n")
        path = fh.name
    run = subprocess.run(
        [exe, "-s", server, "-d", path, "-l", str(seconds), "-c", "4", "-T", "1", "-D"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=False,
    )
    Path(path).unlink(missing_ok=True)
    for line in run.stdout.splitlines():
        if "Queries per second" in line:
            return float(line.split(":")[1])
    return None


def zonemaster_seconds(hints: Path, tld: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        ["zonemaster-cli", "--hints", str(hints), tld, "--no-ipv6", "--level", "NOTICE", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return time.perf_counter() - t0


def main() -> int:
    # The lab is on loopback, and a benchmark sends nothing elsewhere (the egress rule of
    # production mode allows only public addresses).
    os.environ.setdefault("DNSCC_PROBE_NETWORKS", "loopback")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tlds", type=int, default=None, help="TLDs in the lab (default: all)")
    ap.add_argument("--zonemaster", type=int, default=20, help="TLDs compared with zonemaster")
    ap.add_argument("--queries", type=int, default=60_000, help="queries for the engine run")
    ap.add_argument("--lab-dir", type=Path, default=Path("/var/tmp/dnscc-bench-sweep-lab"))
    ap.add_argument("--keep", action="store_true", help="leave the lab running")
    ap.add_argument("--faults", type=int, default=100, help="TLDs faulted (0: none)")
    args = ap.parse_args()

    lab = Lab(args.lab_dir)
    result: dict[str, object] = {}
    t0 = time.monotonic()
    log("bringing up the lab ...")
    try:
        status = lab.up(tlds=args.tlds, slds=0, timeout=900)
        result["lab_up_s"] = round(time.monotonic() - t0, 1)
        plan = lab.plan()
        tlds = list(plan.tlds)
        result["tlds"] = len(tlds)
        log(f"lab up in {result['lab_up_s']} s: {status['tlds']} TLDs")
        profile = load_profile()
        hints = read_hints(str(lab.root_hints))
        anchor = read_trust_anchor(str(lab.trust_anchor))

        async def do_sweep() -> tuple[float, list[object]]:
            async with UdpTransport(profile.transport) as t:
                s0 = time.perf_counter()
                reports = await sweep_all(
                    [".", *tlds],
                    hints=hints,
                    profile=profile,
                    transport=t,
                    trust_anchor=anchor,
                    concurrency=300,
                )
                return time.perf_counter() - s0, list(reports)

        log("sweeping ...")
        secs, reports = asyncio.run(asyncio.wait_for(do_sweep(), 600))
        dirty = [r for r in reports if r.findings or r.untested]  # type: ignore[attr-defined]
        result["sweep_s"] = round(secs, 2)
        result["sweep_zones"] = len(reports)
        result["sweep_queries"] = sum(r.queries for r in reports)  # type: ignore[attr-defined]
        result["sweep_zones_with_findings"] = len(dirty)
        for r in dirty[:5]:
            log(f"  {r.zone}: {sorted(r.codes)} {r.untested[:2]}")  # type: ignore[attr-defined]

        server = plan.instances["tld0"].admin
        log(f"engine throughput against {server} ...")
        qps, stats = asyncio.run(asyncio.wait_for(engine_qps(server, args.queries), 300))
        result["engine_qps"] = round(qps)
        result["engine_stats"] = stats
        log("dnsperf ...")
        dp = dnsperf_qps(server)
        result["dnsperf_qps"] = round(dp) if dp else None

        sample = [t for t in tlds if t in ("nl", "se", "dk", "ch")] + tlds[: args.zonemaster]
        sample = list(dict.fromkeys(sample))[: args.zonemaster]
        if shutil.which("zonemaster-cli") and sample:
            log(f"zonemaster-cli and dnscc.probe on {len(sample)} TLDs, one at a time ...")
            zm = [zonemaster_seconds(lab.root_hints, t) for t in sample]

            async def ours() -> list[float]:
                out = []
                async with UdpTransport(profile.transport) as t:
                    for tld in sample:
                        s0 = time.perf_counter()
                        await probe_zone(
                            tld, hints=hints, profile=profile, transport=t, trust_anchor=anchor
                        )
                        out.append(time.perf_counter() - s0)
                return out

            us = asyncio.run(asyncio.wait_for(ours(), 300))
            result["zonemaster_zones"] = len(sample)
            result["zonemaster_per_zone_s"] = round(statistics.mean(zm), 3)
            result["probe_per_zone_s"] = round(statistics.mean(us), 4)
            result["per_zone_ratio"] = round(statistics.mean(zm) / statistics.mean(us), 1)
        if args.faults:
            result.update(
                sweep_faults.run(
                    lab,
                    tlds,
                    hints=hints,
                    anchor=anchor,
                    profile=profile,
                    count=args.faults,
                    compare=args.zonemaster,
                )
            )
    finally:
        if not args.keep:
            log("taking the lab down ...")
            lab.down()

    rows = [
        ("full sweep (root + TLDs), s", result.get("sweep_s"), f"<= {SWEEP_GOAL_S}"),
        ("zones swept", result.get("sweep_zones"), ""),
        ("queries in the sweep", result.get("sweep_queries"), ""),
        ("zones with findings (healthy lab)", result.get("sweep_zones_with_findings"), "0"),
        ("engine, one server, no limit, q/s", result.get("engine_qps"), f">= {QPS_GOAL}"),
        ("dnsperf, same server, q/s", result.get("dnsperf_qps"), "reference"),
        ("zonemaster-cli per zone, s", result.get("zonemaster_per_zone_s"), ""),
        ("dnscc.probe per zone, s", result.get("probe_per_zone_s"), ""),
        ("per-zone ratio (zonemaster / ours)", result.get("per_zone_ratio"), f">= {RATIO_GOAL}"),
        *(sweep_faults.rows(result) if args.faults else []),
    ]
    print(f"{'measure':<38} {'value':>12}  goal")
    for name, value, goal in rows:
        print(f"{name:<38} {value!s:>12}  {goal}")
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
