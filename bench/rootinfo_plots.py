"""Benchmark: the system-wide root server plots over ten years, without the ingestion.

    scripts/bench rootinfo_plots [--years 10] [--pg postgresql://...]

`scripts/bench rootinfo` measures the plots after ingesting ten years of files (minutes);
this fills the same tables directly (a LetterDay row per letter and day with random figures
of the published magnitudes, each letter's real traffic-size histograms per month), builds
the sums the ingestion keeps (periods.rebuild_all, timed: what a whole ingestion adds) and
times what the portal's root server page computes over the whole range: the six system-wide
plots and the latest figures per letter, best of three, wall and CPU seconds (the machine is
shared: CPU seconds are the steadier figure). Then the same plots with the sums ignored
(every point from the rows), the figure before PeriodSums. Target: <= 1 s.

Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import rootinfo as bench_rootinfo  # the sibling benchmark: its environment and sample
from _isolated import pg_database, run_isolated

PLOT_SECONDS = 1.0


def _timed(fn: Any, runs: int = 3) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `runs` calls."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - w0, time.process_time() - c0))
    return best


def run(years: int, database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dnscc-bench-rootinfo-plots-") as tmp:
        return _run(Path(tmp), years, database_url)


def _run(tmp: Path, years: int, database_url: str | None) -> dict[str, Any]:
    bench_rootinfo._environment(tmp, database_url)
    (tmp / "data").mkdir()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from dnscc.core import rssac002
    from dnscc.rootinfo import figures, periods, plots, sizes
    from dnscc.rootinfo.models import LetterDay, SizeMonth

    rng = random.Random(2015)
    first = date(2025 - years, 1, 1)
    last = date(2024, 12, 31)
    rows = []
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        for letter in rssac002.LETTERS:
            v = {
                c: rng.randint(10**8, 10**10)
                for c in (*figures.QUERY_COLUMNS, *figures.RESPONSE_COLUMNS)
            }
            v |= {
                c: rng.randint(10**6, 10**9)
                for c in (*figures.RCODE_COLUMNS, *figures.SOURCE_COLUMNS)
            }
            v["rcode_total"] = sum(v[c] for c in figures.RCODE_COLUMNS) + 1000
            rows.append(
                LetterDay(
                    letter=letter,
                    day=day,
                    load_time_median=rng.random() * 10,
                    load_time_max=rng.random() * 20,
                    **v,
                )
            )
    LetterDay.objects.bulk_create(rows, batch_size=2000)
    sample = bench_rootinfo.SAMPLE / "2024/06/traffic-sizes"
    months = [date(y, m, 1) for y in range(first.year, 2025) for m in range(1, 13)]
    total: dict[str, list[int]] = {}
    for letter in rssac002.LETTERS:
        name = f"{letter}-root-20240601-traffic-sizes.yaml"
        doc = rssac002.parse_bytes((sample / name).read_bytes(), name=name)
        hists = sizes.month_histograms([doc.values] * 30)
        for n, h in hists.items():
            total[n] = sizes.add(total.get(n), h)
        SizeMonth.objects.bulk_create(
            [SizeMonth(letter=letter, month=m, days=30, histograms=hists) for m in months]
        )
    SizeMonth.objects.bulk_create(
        [SizeMonth(letter="", month=m, days=390, histograms=total) for m in months]
    )
    c0, w0 = time.process_time(), time.perf_counter()
    kept = periods.rebuild_all()
    rebuild = (time.perf_counter() - w0, time.process_time() - c0)

    def page() -> None:
        plots.system_plots(first, last)
        figures.latest_per_letter()

    with_sums = _timed(page)
    saved = periods.whole_periods, periods.who_of
    periods.whole_periods = lambda *a: None  # type: ignore[assignment]
    periods.who_of = lambda letters: None  # type: ignore[assignment]
    try:
        from_rows = _timed(page, runs=2)
    finally:
        periods.whole_periods, periods.who_of = saved
    return {
        "database": connection.vendor,
        "letter_days": len(rows),
        "period_rows": kept,
        "rebuild_seconds": round(rebuild[0], 2),
        "rebuild_cpu_seconds": round(rebuild[1], 2),
        "plots_seconds": round(with_sums[0], 3),
        "plots_cpu_seconds": round(with_sums[1], 3),
        "plots_from_rows_seconds": round(from_rows[0], 3),
        "plots_from_rows_cpu_seconds": round(from_rows[1], 3),
        "load_average": round(os.getloadavg()[0], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--pg", default=os.environ.get("DNSCC_BENCH_PG_URL", ""))
    args = parser.parse_args()
    results = [run_isolated(run, {"years": args.years, "database_url": None})]
    if args.pg:
        with pg_database(args.pg, "dnscc_bench_rootinfo") as url:
            results.append(run_isolated(run, {"years": args.years, "database_url": url}))
    ok = True
    for r in results:
        if "error" in r:
            print(r["error"], file=sys.stderr)
            ok = False
            continue
        ok &= r["plots_seconds"] <= PLOT_SECONDS
        db = r["database"]
        print(
            f"[{db}] {r['letter_days']:,} letter-days; sums rebuilt in {r['rebuild_seconds']} s "
            f"({r['rebuild_cpu_seconds']} s CPU, {r['period_rows']:,} rows)"
        )
        print(
            f"[{db}] system-wide plots + latest figures over {args.years} years: "
            f"{r['plots_seconds']} s ({r['plots_cpu_seconds']} s CPU); from the rows: "
            f"{r['plots_from_rows_seconds']} s ({r['plots_from_rows_cpu_seconds']} s CPU); "
            f"target <= {PLOT_SECONDS} s; load {r['load_average']}"
        )
    print("RESULT " + json.dumps({"years": args.years, "runs": results, "ok": ok}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
