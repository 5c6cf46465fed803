"""Where a sweep's CPU goes: sweep N TLDs of a running lab, CPU seconds per zone, and
optionally a cProfile with a CPU clock (the machine is shared: wall time says little).

    dnscc lab --dir /tmp/NAME-lab up --tlds 200 --slds 0
    scripts/bench sweep_profile --lab-dir /tmp/NAME-lab [--tlds 200] [--profile FILE]
    dnscc lab --dir /tmp/NAME-lab down

Prints the sweep's figures, the profile's heaviest modules and callers of the full message
parse when profiled, then `RESULT {json}` as the last line. Loopback only (the lab).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from dnscc.lab.lab import Lab
from dnscc.probe.profile import load_profile
from dnscc.probe.sweep import sweep_all
from dnscc.probe.transport import UdpTransport
from dnscc.probe.zone import read_hints, read_trust_anchor


def _modules(stats: pstats.Stats) -> list[tuple[str, float]]:
    """CPU seconds spent in each module's own code (tottime), heaviest first."""
    by: dict[str, float] = collections.defaultdict(float)
    for (path, _line, _fn), row in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in path:
            name = path.split("site-packages/")[-1].split("/")[0]
        elif "dnscc/" in path:
            name = "dnscc/" + path.split("dnscc/")[-1]
        elif "asyncio" in path:
            name = "asyncio"
        else:
            name = "builtins and stdlib"
        by[name] += row[2]
    return sorted(by.items(), key=lambda kv: -kv[1])[:12]


def main() -> int:
    os.environ.setdefault("DNSCC_PROBE_NETWORKS", "loopback")
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab-dir", type=Path, required=True)
    ap.add_argument("--tlds", type=int, default=200)
    ap.add_argument("--profile", type=Path, help="write a cProfile (CPU clock) here")
    args = ap.parse_args()
    lab = Lab(args.lab_dir)
    tlds = list(lab.plan().tlds)[: args.tlds]
    profile = load_profile()
    hints = read_hints(str(lab.root_hints))
    anchor = read_trust_anchor(str(lab.trust_anchor))

    async def go() -> list[Any]:
        async with UdpTransport(profile.transport) as t:
            return await sweep_all(
                [".", *tlds],
                hints=hints,
                profile=profile,
                transport=t,
                trust_anchor=anchor,
                concurrency=300,
            )

    prof = cProfile.Profile(time.process_time) if args.profile else None
    c0, w0 = time.process_time(), time.perf_counter()
    if prof is not None:
        prof.enable()
    reports = asyncio.run(go())
    if prof is not None:
        prof.disable()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    codes = collections.Counter(f.code for r in reports for f in r.findings)
    result: dict[str, Any] = {
        "zones": len(reports),
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "cpu_ms_per_zone": round(1000 * cpu / len(reports), 1),
        "queries": sum(r.queries for r in reports),
        "zones_with_findings": sum(1 for r in reports if r.findings),
        "codes": dict(codes.most_common(5)),
        "profiled": prof is not None,
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(
        f"{result['zones']} zones: {wall:.1f} s wall, {cpu:.1f} s CPU "
        f"({result['cpu_ms_per_zone']} ms a zone), {result['queries']:,} queries, "
        f"load {result['load_average']}{' (profiled)' if prof else ''}"
    )
    if prof is not None:
        prof.dump_stats(str(args.profile))
        stats = pstats.Stats(str(args.profile))
        total = sum(row[2] for row in stats.stats.values())  # type: ignore[attr-defined]
        result["profile_modules"] = {m: round(s, 1) for m, s in _modules(stats)}
        for name, seconds in _modules(stats):
            print(f"  {name:45} {seconds:6.1f} s  {100 * seconds / total:4.1f} %")
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
