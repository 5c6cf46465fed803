"""Benchmark: parse the real root zone and group its TLDs by operator.

Usage: uv run python bench/rootzone.py [--runs N] [--zone PATH]

Prints a table (best, median, worst of N runs for each step) and, last, one line
`RESULT {json}` with the figures in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from dnscc.core.grouping import _network, group_operators
from dnscc.core.names import normalize_name
from dnscc.core.paths import default_root_zone
from dnscc.core.rootzone import RootZone, parse_root_zone


def _time(runs: int, step: Callable[[], object]) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--zone", type=Path, default=default_root_zone())
    args = parser.parse_args()

    text = args.zone.read_text(encoding="utf-8")
    zone: RootZone = parse_root_zone(text, source=str(args.zone))
    names = [f"www.{tld}." for tld in zone.tlds] * 35  # about 50,000 names

    results = {
        "parse_ms": _time(args.runs, lambda: parse_root_zone(text, source=str(args.zone))),
        # The prefix cache is cleared so that every run is a cold, first import.
        "group_ms": _time(args.runs, lambda: (_network.cache_clear(), group_operators(zone))),
        "parse_and_group_ms": _time(
            args.runs,
            lambda: (
                _network.cache_clear(),
                group_operators(parse_root_zone(text, source=str(args.zone))),
            ),
        ),
        "normalize_50k_ms": _time(args.runs, lambda: [normalize_name(n) for n in names]),
    }
    groups = group_operators(zone)

    print(f"root zone: {args.zone} (serial {zone.serial}, {len(zone.tlds)} TLDs)")
    print(
        f"machine: {platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}, runs: {args.runs}"
    )
    print(f"{'step':<22}{'best ms':>10}{'median ms':>12}{'worst ms':>10}")
    for step, timings in results.items():
        print(
            f"{step:<22}{min(timings):>10.1f}{statistics.median(timings):>12.1f}"
            f"{max(timings):>10.1f}"
        )
    per_second = len(names) / (min(results["normalize_50k_ms"]) / 1000)
    print(f"normalize_name: {per_second:,.0f} names/s; groups: {len(groups)}")
    summary: dict[str, object] = {step: round(min(timings), 2) for step, timings in results.items()}
    summary |= {
        "runs": args.runs,
        "tlds": len(zone.tlds),
        "groups": len(groups),
        "normalize_per_second": round(per_second),
    }
    print("RESULT " + json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
