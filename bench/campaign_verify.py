"""Benchmark: verify a 100,000-name campaign against the TLDs' own servers; dnsperf beside it.

    scripts/bench campaign_verify [--tlds 110] [--names 100000] [--rate 5000]
                                  [--polite-rate 20] [--keep]

1. brings up its own lab (110 signed TLDs, no second-level zones) in a temporary directory
   under /var/tmp,
2. registers 80 % of the names (spread evenly over the TLDs), then unregisters some and
   sinkholes others, timing each step (what `Lab.apply_registrations` costs on a running
   lab: rewrite the changed TLD zones, Knot reloads and re-signs them),
3. runs `dnscc.probe.verify.verify_names` on all names, with a high per-server rate limit
   (--rate, queries/s per server address; the production default is 20) so that the engine
   and not the politeness limit is measured, and checks every verdict against the truth
   (mismatches must be 0); then once more at the production default (--polite-rate 20),
4. sends the same queries (NAME NS, EDNS0, no RD) with dnsperf to the same Knot instances
   (one dnsperf per instance, all at once, each through the input once) and quotes the
   time ratio,
5. takes the lab down in any case (unless --keep).

The truth, by name number i (i % 10):
    0-1  never registered            block     not_delegated  ok
    2-4  registered, unregistered    suspend   not_delegated  ok
    5-6  registered, sinkholed       sinkhole  sinkholed      ok
    7    registered                  transfer  delegated      unverifiable (ok None)
    8    registered                  block     delegated      not compliant
    9    registered, unregistered    release   not_delegated  ok

Prints a table, and last one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dnscc.lab.lab import Lab
from dnscc.lab.plan import Plan
from dnscc.lab.procs import wait_idle
from dnscc.probe.transport import TransportConfig, UdpTransport
from dnscc.probe.verify import (
    DELEGATED,
    NOT_DELEGATED,
    SINKHOLED,
    Expectation,
    Verdict,
    verify_names,
)

GOAL_S = 30.0
SINK = ["sink1.sinkhole.example.", "sink2.sinkhole.example."]
DEFAULT_NS = ("ns1.example.{tld}.", "ns2.example.{tld}.")
# group (i % 10) -> (registered?, then, action, observed, ok)
TRUTH: dict[int, tuple[bool, str, str, str, bool | None]] = {
    0: (False, "", "block", NOT_DELEGATED, True),
    1: (False, "", "block", NOT_DELEGATED, True),
    2: (True, "unregister", "suspend", NOT_DELEGATED, True),
    3: (True, "unregister", "suspend", NOT_DELEGATED, True),
    4: (True, "unregister", "suspend", NOT_DELEGATED, True),
    5: (True, "sinkhole", "sinkhole", SINKHOLED, True),
    6: (True, "sinkhole", "sinkhole", SINKHOLED, True),
    7: (True, "", "transfer", DELEGATED, None),
    8: (True, "", "block", DELEGATED, False),
    9: (True, "unregister", "release", NOT_DELEGATED, True),
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def names_of(tlds: list[str], n: int) -> list[tuple[int, str, str]]:
    return [(i, f"cv{i:06d}.{tlds[i % len(tlds)]}.", tlds[i % len(tlds)]) for i in range(n)]


def timed(label: str, f: Callable[[], int], timings: dict[str, float]) -> int:
    t0 = time.perf_counter()
    n = f()
    timings[label] = round(time.perf_counter() - t0, 2)
    log(f"  {label}: {n} names in {timings[label]} s")
    return n


def dnsperf(plan: Plan, names: list[tuple[int, str, str]], workdir: Path) -> dict[str, float]:
    """Every name's NS query through dnsperf, one process per Knot instance, all at once."""
    exe = shutil.which("dnsperf")
    if exe is None:
        sys.exit("dnsperf is missing: apt-get install dnsperf")
    per_inst: dict[str, list[str]] = {}
    for _i, name, tld in names:
        per_inst.setdefault(plan.instance_of_zone(f"{tld}.").admin, []).append(f"{name} NS")
    procs = []
    t0 = time.perf_counter()
    for address, lines in per_inst.items():
        data = workdir / f"dnsperf-{address}.txt"
        data.write_text("\n".join(lines) + "\n")
        argv = [exe, "-s", address, "-d", str(data), "-n", "1", "-c", "1", "-T", "1"]
        # 100 in flight: with 500, about 1 % were lost at Knot's sockets (and waited out).
        argv += ["-q", "100", "-t", "2", "-e"]
        procs.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    outs = [p.communicate(timeout=300)[0].decode() for p in procs]
    wall = time.perf_counter() - t0
    completed = lost = 0
    for out in outs:
        m = re.search(r"Queries completed:\s+(\d+)", out)
        lo = re.search(r"Queries lost:\s+(\d+)", out)
        if not m or not lo:
            sys.exit(f"dnsperf gave no figure:\n{out}")
        completed += int(m.group(1))
        lost += int(lo.group(1))
    return {"seconds": wall, "completed": completed, "lost": lost, "processes": len(procs)}


def check(verdicts: list[Verdict], names: list[tuple[int, str, str]]) -> list[str]:
    bad = []
    for (i, name, tld), v in zip(names, verdicts, strict=True):
        _reg, _then, action, observed, ok = TRUTH[i % 10]
        ns: tuple[str, ...] = ()
        if observed == DELEGATED:
            ns = tuple(h.format(tld=tld) for h in DEFAULT_NS)
        elif observed == SINKHOLED:
            ns = tuple(SINK)
        if (v.name, v.action, v.observed, v.ns, v.ok) != (name, action, observed, ns, ok):
            bad.append(f"{name}: expected {observed}/{ok}, got {v.observed}/{v.ok} ({v.evidence})")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tlds", type=int, default=110)
    ap.add_argument("--names", type=int, default=100_000)
    ap.add_argument("--rate", type=float, default=5000.0, help="queries/s per server address")
    ap.add_argument(
        "--polite-rate",
        type=float,
        default=20.0,
        help="verify again at this per-server rate (the production default; 0: skip)",
    )
    ap.add_argument("--keep", action="store_true", help="leave the lab running")
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="dnscc-bench-campaign-", dir="/var/tmp"))
    lab = Lab(workdir / "lab")
    result: dict[str, object] = {"names": args.names, "rate_per_server": args.rate}
    timings: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        log(f"bringing up the lab ({args.tlds} TLDs) in {workdir} ...")
        lab.up(tlds=args.tlds, slds=0, timeout=300)
        result["lab_up_s"] = round(time.perf_counter() - t0, 2)
        plan = lab.plan()
        tlds = list(plan.tlds)
        result["tlds"] = len(tlds)
        names = names_of(tlds, args.names)

        def batch(which: str) -> dict[str, dict[str, list[str] | None]]:
            out: dict[str, dict[str, list[str] | None]] = {}
            for i, name, tld in names:
                reg, then, *_ = TRUTH[i % 10]
                if which == "register" and reg:
                    out.setdefault(tld, {})[name] = [h.format(tld=tld) for h in DEFAULT_NS]
                elif which == "unregister" and then == "unregister":
                    out.setdefault(tld, {})[name] = None
                elif which == "sinkhole" and then == "sinkhole":
                    out.setdefault(tld, {})[name] = list(SINK)
            return out

        log("registrations ...")
        first = batch("register")
        timed("register", lambda: lab.apply_registrations(first), timings)
        timed("register again (no change)", lambda: lab.apply_registrations(first), timings)
        for step in ("unregister", "sinkhole"):
            changes = batch(step)
            timed(step, lambda c=changes: lab.apply_registrations(c), timings)  # type: ignore[misc]
        result["registration_s"] = timings

        pids = [p["pid"] for p in lab.status()["processes"]]
        timings["settle after the changes"] = round(wait_idle(pids, 60.0), 1)
        log(f"  Knot idle again after {timings['settle after the changes']} s")

        servers = {t: [plan.hosts[h] for h in plan.tlds[t]] for t in tlds}
        result["server_addresses"] = len({a for v in servers.values() for a in v})
        items = [Expectation(name, TRUTH[i % 10][2]) for i, name, _t in names]

        async def go(rate: float) -> tuple[float, list[Verdict], dict[str, int]]:
            config = TransportConfig(
                timeout=1.0, tries=3, qps_per_server=rate, burst=10, max_in_flight=1000
            )
            async with UdpTransport(config) as t:
                s0 = time.perf_counter()
                out = await verify_names(
                    items, servers=servers, sinkhole_ns=SINK, transport=t, concurrency=500
                )
                secs = time.perf_counter() - s0
                stats = {
                    "sent": t.stats.sent,
                    "retries": t.stats.retries,
                    "timeouts": t.stats.timeouts,
                    "rate_waits": t.stats.rate_waits,
                    "mismatched": t.stats.mismatched,
                }
                return secs, out, stats

        log(f"verifying {len(items)} names ...")
        secs, verdicts, stats = asyncio.run(asyncio.wait_for(go(args.rate), 300))
        bad = check(verdicts, names)
        for line in bad[:5]:
            log("  MISMATCH " + line)
        result["verify_s"] = round(secs, 2)
        result["verify_qps"] = round(len(items) / secs)
        result["verify_stats"] = stats
        result["mismatches"] = len(bad)
        outcomes: dict[str, int] = {}
        for v in verdicts:
            outcomes[v.outcome] = outcomes.get(v.outcome, 0) + 1
        result["outcomes"] = outcomes

        if args.polite_rate:
            log(f"verifying again at the production rate limit ({args.polite_rate:g} q/s) ...")
            psecs, pverdicts, pstats = asyncio.run(asyncio.wait_for(go(args.polite_rate), 600))
            result["polite_verify_s"] = round(psecs, 2)
            result["polite_mismatches"] = len(check(pverdicts, names))
            result["polite_stats"] = pstats

        log("dnsperf, same queries, same instances ...")
        dp = dnsperf(plan, names, workdir)
        result["dnsperf_s"] = round(dp["seconds"], 2)
        result["dnsperf_qps"] = round(dp["completed"] / dp["seconds"])
        result["dnsperf_lost"] = int(dp["lost"])
        result["dnsperf_processes"] = int(dp["processes"])
        result["ratio_ours_to_dnsperf"] = round(secs / dp["seconds"], 1)
    finally:
        if not args.keep:
            log("taking the lab down ...")
            lab.down()
            shutil.rmtree(workdir, ignore_errors=True)

    reg = result.get("registration_s", {})
    assert isinstance(reg, dict)
    rows = [
        ("lab up (s)", result.get("lab_up_s"), ""),
        (f"register {args.names * 8 // 10} names (s)", reg.get("register"), ""),
        (f"unregister {args.names * 4 // 10} names (s)", reg.get("unregister"), ""),
        (f"sinkhole {args.names * 2 // 10} names (s)", reg.get("sinkhole"), ""),
        ("register again, no change (s)", reg.get("register again (no change)"), ""),
        ("Knot busy after the changes (s)", reg.get("settle after the changes"), ""),
        (f"verify {args.names} names (s)", result.get("verify_s"), f"<= {GOAL_S:.0f}"),
        ("  verify q/s", result.get("verify_qps"), ""),
        ("  mismatched verdicts", result.get("mismatches"), "0"),
        (
            f"verify again at {args.polite_rate:g} q/s per server (s)",
            result.get("polite_verify_s"),
            "",
        ),
        ("  mismatched verdicts", result.get("polite_mismatches"), "0"),
        ("dnsperf, same queries (s)", result.get("dnsperf_s"), "reference"),
        ("  dnsperf q/s", result.get("dnsperf_qps"), ""),
        ("ratio ours / dnsperf (time)", result.get("ratio_ours_to_dnsperf"), ""),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}  goal")
    for label, value, goal in rows:
        print(f"{label:<{width}}  {value!s:>10}  {goal}")
    print(
        f"machine: {os.cpu_count()} cores; {result.get('tlds')} TLDs on "
        f"{result.get('server_addresses')} server addresses; rate limit {args.rate:g} q/s "
        "per server address for the bench (production default 20)"
    )
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0 if result.get("mismatches") == 0 and result.get("polite_mismatches", 0) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
