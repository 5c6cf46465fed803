"""Benchmark: the full root-zone lab up (1,438 TLDs, signed), then dnsperf against the root
instance and one TLD instance. Loopback only, bounded in time; the lab is stopped at the end.

Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dnscc.lab.lab import Lab
from dnscc.lab.plan import Plan
from dnscc.lab.procs import wait_idle

DURATION_S = 10  # per dnsperf run
TARGET_UP_S = 60.0
TARGET_QPS = 50_000


def dnsperf(address: str, queries: list[str], workdir: Path) -> float:
    exe = shutil.which("dnsperf")
    if exe is None:
        sys.exit("dnsperf is missing: apt-get install dnsperf")
    data = workdir / f"queries-{address}.txt"
    data.write_text("\n".join(queries) + "\n")
    run = subprocess.run(
        [
            exe,
            "-s",
            address,
            "-d",
            str(data),
            "-l",
            str(DURATION_S),
            "-c",
            "1",
            "-T",
            "1",
            "-q",
            "50",
            "-t",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=DURATION_S + 60,
        check=False,
    )
    m = re.search(r"Queries per second:\s+([\d.]+)", run.stdout)
    if not m:
        sys.exit(f"dnsperf gave no figure:\n{run.stdout}\n{run.stderr}")
    return float(m.group(1))


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="dnscc-bench-lab-", dir="/var/tmp"))
    lab = Lab(workdir / "lab")
    t0 = time.monotonic()
    try:
        status = lab.up(timeout=300)
        up_s = time.monotonic() - t0
        settle_s = wait_idle([p["pid"] for p in status["processes"]])
        plan: Plan = lab.plan()
        root = plan.instances["root"]
        tld_inst = plan.instances["tld0"]
        root_queries = [f"{t}. NS" for t in plan.tlds] + [f"www.example.{t}. A" for t in plan.tlds]
        tld_queries = [f"{z} SOA" for z in tld_inst.zones] + [
            f"www.{s}. A" for z in tld_inst.zones for s in plan.sld_zones[z.rstrip(".")]
        ]
        root_qps = dnsperf(root.admin, root_queries, workdir)
        tld_qps = dnsperf(tld_inst.admin, tld_queries, workdir)
    finally:
        lab.down()
        shutil.rmtree(workdir, ignore_errors=True)
    rows = [
        ("full root lab up (s)", f"{up_s:.1f}", f"<= {TARGET_UP_S:.0f}"),
        ("  TLDs / zones", f"{status['tlds']} / {status['zones']}", ""),
        ("  settle before dnsperf (s)", f"{settle_s:.1f}", ""),
        ("dnsperf root instance (q/s)", f"{root_qps:,.0f}", f">= {TARGET_QPS:,}"),
        (
            f"dnsperf TLD instance tld0, {len(tld_inst.zones)} zones (q/s)",
            f"{tld_qps:,.0f}",
            f">= {TARGET_QPS:,}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>14}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>14}  {target}")
    print(
        f"machine: {os.cpu_count()} cores; dnsperf {DURATION_S} s per target, "
        "1 client, 50 queries in flight"
    )
    result = {
        "lab_up_s": round(up_s, 2),
        "tlds": status["tlds"],
        "zones": status["zones"],
        "root_qps": round(root_qps),
        "tld_qps": round(tld_qps),
        "timings": status.get("timings", {}),
    }
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
