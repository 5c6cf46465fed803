"""Not a benchmark of its own: the faulted part of `scripts/bench sweep`. The full lab
with many TLDs faulted (every
fault kind, unreachable and slow servers included), swept with every check; zonemaster-cli
and dnscc side by side on 20 faulted TLDs; and the time of a zone with a silent server.

Imported by bench/sweep.py (one lab, brought up once); loopback only, bounded in time.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from dnscc.core.errors import DnsccError
from dnscc.lab.lab import Lab
from dnscc.probe.profile import Profile
from dnscc.probe.sweep import sweep_all
from dnscc.probe.transport import UdpTransport
from dnscc.probe.zone import probe_zone

# Every zone fault kind of the lab (the resolver faults do not touch zones).
KINDS = (
    "unreachable",
    "lame",
    "serial-drift",
    "slow",
    "lossy",
    "ns-mismatch",
    "missing-glue",
    "wrong-glue",
    "expired-rrsig",
    "future-rrsig",
    "ds-mismatch",
    "broken-rollover",
    "hijack",
    "open-axfr",
)
FAULTED_GOAL_S = 60.0
SILENT_GOAL_S = 2.0
RATIO_GOAL = 20.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def inject_many(lab: Lab, tlds: list[str], count: int) -> dict[str, str]:
    """`count` TLDs faulted, the kinds in turn; a TLD a kind cannot apply to is skipped."""
    faulted: dict[str, str] = {}
    candidates = iter(tlds)
    k = 0
    t0 = time.monotonic()
    while len(faulted) < count:
        try:
            tld = next(candidates)
        except StopIteration:
            break
        kind = KINDS[k % len(KINDS)]
        try:
            lab.inject(kind, tld=tld)
        except DnsccError as exc:
            log(f"  {kind} on {tld}: not applied ({exc.message})")
            continue
        faulted[tld] = kind
        k += 1
        if len(faulted) % 20 == 0:
            log(f"  {len(faulted)} faults injected ({time.monotonic() - t0:.0f} s)")
    return faulted


def zonemaster_seconds(hints: Path, tld: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    run = subprocess.run(
        ["zonemaster-cli", "--hints", str(hints), tld, "--no-ipv6", "--level", "NOTICE", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    seconds = time.perf_counter() - t0
    try:
        messages = len(json.loads(run.stdout))
    except ValueError:
        messages = -1
    return seconds, messages


async def _one_at_a_time(
    zones: list[str], *, hints: Any, profile: Profile, anchor: Any
) -> list[tuple[float, int]]:
    out = []
    for zone in zones:
        # A fresh transport per zone, as `dnscc probe zone` has: nothing learnt is shared.
        async with UdpTransport(profile.transport) as t:
            s0 = time.perf_counter()
            r = await probe_zone(
                zone, hints=hints, profile=profile, transport=t, trust_anchor=anchor
            )
            out.append((time.perf_counter() - s0, len(r.findings)))
    return out


def run(
    lab: Lab,
    tlds: list[str],
    *,
    hints: Any,
    anchor: Any,
    profile: Profile,
    count: int = 100,
    compare: int = 20,
) -> dict[str, Any]:
    """Inject, sweep, compare, time a silent-server zone; clear the faults. Figures out."""
    result: dict[str, Any] = {}
    log(f"injecting {count} faults ...")
    t0 = time.monotonic()
    faulted = inject_many(lab, tlds, count)
    result["faulted_tlds"] = len(faulted)
    result["fault_kinds"] = len(set(faulted.values()))
    result["inject_s"] = round(time.monotonic() - t0, 1)
    try:

        async def do_sweep() -> tuple[float, list[Any]]:
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

        log("sweeping the faulted lab ...")
        secs, reports = asyncio.run(asyncio.wait_for(do_sweep(), 900))
        by_zone = {r.zone.rstrip("."): r for r in reports}
        result["faulted_sweep_s"] = round(secs, 2)
        result["faulted_sweep_queries"] = sum(r.queries for r in reports)
        result["faulted_zones_with_findings"] = sum(1 for r in reports if r.findings)
        missed = [t for t in faulted if not by_zone.get(t) or not by_zone[t].findings]
        result["faulted_tlds_without_findings"] = missed[:20]

        # One zone with a silent server, warm (imports and keys loaded): what it costs.
        silent = next((t for t, k in faulted.items() if k == "unreachable"), None)
        if silent:
            times = asyncio.run(
                _one_at_a_time([silent] * 3, hints=hints, profile=profile, anchor=anchor)
            )
            result["silent_server_zone"] = silent
            result["silent_server_zone_s"] = round(max(s for s, _ in times[1:]), 3)

        sample = []
        for kind in KINDS:  # every kind first, then more of the same
            sample += [t for t, k in faulted.items() if k == kind][:1]
        sample += [t for t in faulted if t not in sample]
        sample = sample[:compare]
        if shutil.which("zonemaster-cli") and sample:
            log(f"zonemaster-cli and dnscc on {len(sample)} faulted TLDs, one at a time ...")
            zm = [zonemaster_seconds(lab.root_hints, t) for t in sample]
            us = asyncio.run(_one_at_a_time(sample, hints=hints, profile=profile, anchor=anchor))
            ratios = [z / max(u, 1e-6) for (z, _), (u, _) in zip(zm, us, strict=True)]
            result["compare_zones"] = {
                t: {
                    "fault": faulted[t],
                    "zonemaster_s": round(z, 2),
                    "dnscc_s": round(u, 3),
                    "ratio": round(z / max(u, 1e-6), 1),
                }
                for t, (z, _), (u, _) in zip(sample, zm, us, strict=True)
            }
            result["faulted_zonemaster_per_zone_s"] = round(statistics.mean(z for z, _ in zm), 2)
            result["faulted_dnscc_per_zone_s"] = round(statistics.mean(u for u, _ in us), 3)
            result["faulted_ratio_of_means"] = round(
                statistics.mean(z for z, _ in zm) / statistics.mean(u for u, _ in us), 1
            )
            result["faulted_ratio_min"] = round(min(ratios), 1)
            result["faulted_ratio_median"] = round(statistics.median(ratios), 1)
    finally:
        log("clearing the faults ...")
        lab.clear(timeout=600)
    return result


def rows(result: dict[str, Any]) -> list[tuple[str, Any, str]]:
    return [
        ("faulted TLDs (kinds)", f"{result.get('faulted_tlds')} ({result.get('fault_kinds')})", ""),
        ("faulted full sweep, s", result.get("faulted_sweep_s"), f"<= {FAULTED_GOAL_S}"),
        ("zones with findings (faulted lab)", result.get("faulted_zones_with_findings"), ""),
        ("zone with a silent server, s", result.get("silent_server_zone_s"), f"<= {SILENT_GOAL_S}"),
        ("zonemaster-cli per faulted zone, s", result.get("faulted_zonemaster_per_zone_s"), ""),
        ("dnscc per faulted zone, s", result.get("faulted_dnscc_per_zone_s"), ""),
        (
            "per-zone ratio, median (min)",
            f"{result.get('faulted_ratio_median')} ({result.get('faulted_ratio_min')})",
            f">= {RATIO_GOAL}",
        ),
    ]


if __name__ == "__main__":
    sys.exit("run `scripts/bench sweep` (this module is its faulted part)")
