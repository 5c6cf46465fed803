"""Benchmark: ten years of RSSAC002 files from every letter into the center.

    scripts/bench rootinfo [--years 10] [--pg postgresql://...] [--jobs 2] [--dir DIR]

`--years 1` (28,548 files) measures a tenth of the volume in minutes; the ingestion's cost
grows linearly with the files (a batch at a time), so ten years is about ten times that.
CPU seconds (the storing process, and the parsing workers) are reported beside the wall
seconds: on a shared machine they are the steadier figure.

Generates ten years of all six metrics for the 13 letters (3,653 days x 13 x 6 = 284,934
files) in the published tree layout, from the real June 2024 sample's shape: each letter's
own file of 2024-06-01 (its key order, quoting, line endings and bucket set), its counts
scaled by a trend (half of today's traffic ten years ago), a weekly rhythm, noise, and a
two-day flood on ten letters on 30 November and 1 December 2015. The tree is kept between
runs (`--dir`, default /tmp/dnscc-bench-rootinfo).

Then, each database in a fresh child process: `ingest` of the whole tree (parsing on
`--jobs` processes, storing in this one), timed, with the peak resident memory of the
ingesting process and its workers together; and the system-wide plots over the ten years
(what the portal's root server page computes), timed. Targets: <= 120 s and <= 512 MiB for
the ingestion on SQLite and on PostgreSQL (--pg or DNSCC_BENCH_PG_URL), <= 1 s for the plots.
Peer, side by side: PyYAML's C loader (libyaml) reading a month of the same files, against
our reader.

Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _isolated import pg_database, production_environment, run_isolated

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "src" / "dnscc" / "data" / "rssac002"
LETTERS = "abcdefghijklm"
METRICS = (
    "load-time",
    "zone-size",
    "traffic-volume",
    "traffic-sizes",
    "rcode-volume",
    "unique-sources",
)
SCALED = {"traffic-volume", "traffic-sizes", "rcode-volume", "unique-sources"}
INGEST_SECONDS = 120.0
INGEST_RSS_MIB = 512.0
PLOT_SECONDS = 1.0
FLOOD_DAYS = (date(2015, 11, 30), date(2015, 12, 1))
FLOOD_LETTERS = "abcefghijk"

_TOKEN = re.compile(r"2024-06-01|20240601(?=\d\d)|20240531(?=\d\d)|(?<=: )'?(\d+)'?(?=\r?$)", re.M)


def _template(letter: str, metric: str) -> tuple[list[str], list[tuple[str, int]]]:
    """The letter's file of 2024-06-01 cut into text pieces and slots (kind, number)."""
    base = SAMPLE / "2024/06" / metric
    path = base / f"{letter}-root-20240601-{metric}.yaml"
    if metric == "zone-size":
        text = (base / "rzm-20240601-zone-size.yaml").read_bytes().decode()
        text = text.replace("service: root-servers.net", f"service: {letter}.root-servers.net")
    elif path.exists():
        text = path.read_bytes().decode()
    else:  # g-root publishes no unique-sources: a's shape under g's name
        text = (base / f"a-root-20240601-{metric}.yaml").read_bytes().decode()
        text = text.replace("a.root-servers.net", f"{letter}.root-servers.net")
    pieces, slots = [], []
    last = 0
    for m in _TOKEN.finditer(text):
        if m.group(1) is not None:
            start, end = m.span(1)
            kind, number = "count", int(m.group(1))
        else:
            start, end = m.span()
            kind = {"2024-06-01": "date", "20240601": "ymd", "20240531": "prev"}[m.group()]
            number = 0
        pieces.append(text[last:start])
        slots.append((kind, number))
        last = end
    pieces.append(text[last:])
    return pieces, slots


def generate(root: Path, first: date, days: int, *, seed: int = 2015) -> int:
    """Write the tree (kept: a marker file names what it holds); the number of files."""
    marker = root / "GENERATED"
    wanted = f"{first.isoformat()} {days} {seed}\n"
    if marker.exists() and marker.read_text() == wanted:
        return sum(1 for _ in root.rglob("*.yaml"))
    rng = random.Random(seed)
    templates = {(lt, m): _template(lt, m) for lt in LETTERS for m in METRICS}
    count = 0
    for i in range(days):
        day = first + timedelta(days=i)
        trend = 0.5 + 0.5 * i / max(days - 1, 1)
        weekly = 0.94 if day.weekday() >= 5 else 1.0
        texts = {
            "date": day.isoformat(),
            "ymd": f"{day:%Y%m%d}",
            "prev": f"{day - timedelta(days=1):%Y%m%d}",
        }
        for metric in METRICS:
            folder = root / f"{day:%Y}" / f"{day:%m}" / metric
            if day.day == 1 or i == 0:
                folder.mkdir(parents=True, exist_ok=True)
            for letter in LETTERS:
                factor = trend * weekly * (1 + rng.gauss(0, 0.03))
                if day in FLOOD_DAYS and letter in FLOOD_LETTERS and metric != "unique-sources":
                    factor *= 4
                pieces, slots = templates[(letter, metric)]
                scale = metric in SCALED
                out = [pieces[0]]
                for (kind, number), piece in zip(slots, pieces[1:], strict=True):
                    if kind == "count":
                        out.append(str(int(number * factor)) if scale else str(number))
                    else:
                        out.append(texts[kind])
                    out.append(piece)
                name = f"{letter}-root-{day:%Y%m%d}-{metric}.yaml"
                (folder / name).write_bytes("".join(out).encode())
                count += 1
    marker.write_text(wanted)
    return count


# --- the timed part, one fresh process per database ----------------------------------------


def _environment(tmp: Path, database_url: str | None) -> None:
    # The product default (drain after each commit): the ingestion queues no mail anyway.
    production_environment(tmp / "data", database_url, DNSCC_OUTBOX_AUTODRAIN="1")


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class PeakSampler(threading.Thread):
    """The peak of this process's resident memory plus its children's (the parse pool)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            total = _rss_mib(os.getpid()) + sum(_rss_mib(p.pid or 0) for p in mp.active_children())
            self.peak = max(self.peak, total)
            time.sleep(0.05)


def bench_ingest(tree: str, database_url: str | None, jobs: int) -> dict[str, Any]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="dnscc-bench-rootinfo-") as tmp:
        _environment(Path(tmp), database_url)
        (Path(tmp) / "data").mkdir()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from dnscc.rootinfo import figures, plots
        from dnscc.rootinfo.ingest import ingest
        from dnscc.rootinfo.models import DailyFile, LetterDay

        sampler = PeakSampler()
        sampler.start()
        cpu0 = time.process_time()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        run = ingest(tree, jobs=jobs, scan=False)
        seconds = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        # The parsing workers have ended with the pool: their user + system CPU seconds.
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        workers_cpu = (children1.ru_utime - children0.ru_utime) + (
            children1.ru_stime - children0.ru_stime
        )
        sampler.stop.set()
        sampler.join()
        first, last = figures.data_range() or (date.today(), date.today())
        timings = []
        for _ in range(3):
            t1 = time.perf_counter()
            svgs = plots.system_plots(first, last)
            figures.latest_per_letter()
            timings.append(time.perf_counter() - t1)
        return {
            "database": connection.vendor,
            "files": run.files_new + run.files_unchanged + run.files_corrected,
            "new": run.files_new,
            "refused": run.files_rejected,
            "seconds": round(seconds, 1),
            "files_per_second": int((run.files_new + run.files_rejected) / seconds),
            "cpu_seconds_main": round(cpu, 1),
            "cpu_seconds_workers": round(workers_cpu, 1),
            "cpu_seconds": round(cpu + workers_cpu, 1),
            "peak_rss_mib": round(sampler.peak, 1),
            "jobs": jobs,
            "rows": {
                "daily_files": DailyFile.objects.count(),
                "letter_days": LetterDay.objects.count(),
            },
            "plots_seconds": round(min(timings), 3),
            "plots_seconds_first": round(timings[0], 3),
            "plots": len(svgs),
            "range": [first.isoformat(), last.isoformat()],
            "load_average": round(os.getloadavg()[0], 1),
        }


def peer(tree: Path) -> dict[str, Any]:
    """Our reader against PyYAML's C loader on one month of the same files."""
    sys.path.insert(0, str(REPO / "src"))
    import yaml

    from dnscc.core import rssac002

    month = sorted(tree.glob("[0-9][0-9][0-9][0-9]/06"))[-1]
    files = sorted(month.rglob("*.yaml"))
    blobs = [(f.name, f.read_bytes()) for f in files]
    t0 = time.perf_counter()
    for name, data in blobs:
        rssac002.parse_bytes(data, name=name)
    ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _, data in blobs:
        yaml.load(data, Loader=yaml.CSafeLoader)  # the safe loader, in C
    theirs = time.perf_counter() - t0
    return {
        "files": len(blobs),
        "ours_seconds": round(ours, 2),
        "pyyaml_c_seconds": round(theirs, 2),
        "ratio": round(theirs / ours, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--dir", default="/tmp/dnscc-bench-rootinfo")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--pg", default=os.environ.get("DNSCC_BENCH_PG_URL", ""))
    args = parser.parse_args()
    tree = Path(args.dir)
    tree.mkdir(parents=True, exist_ok=True)
    days = (date(2025, 1, 1) - date(2025 - args.years, 1, 1)).days
    t0 = time.perf_counter()
    files = generate(tree, date(2025 - args.years, 1, 1), days)
    generated = time.perf_counter() - t0
    kwargs = {"tree": str(tree), "database_url": None, "jobs": args.jobs}
    runs = [run_isolated(bench_ingest, kwargs, trace=True)]
    if args.pg:
        with pg_database(args.pg, "dnscc_bench_rootinfo") as url:
            runs.append(run_isolated(bench_ingest, {**kwargs, "database_url": url}, trace=True))
    compare = peer(tree)
    ok = True
    rows = [
        (
            f"generate {files:,} files ({args.years} years x 13 letters x 6 metrics)",
            f"{generated:.0f} s",
            "not timed",
        )
    ]
    for run in runs:
        if "error" in run:
            print(run["error"], file=sys.stderr)
            ok = False
            continue
        db = run["database"]
        passed = (
            run["seconds"] <= INGEST_SECONDS
            and run["peak_rss_mib"] <= INGEST_RSS_MIB
            and run["plots_seconds"] <= PLOT_SECONDS
            and run["refused"] == 0
        )
        ok &= passed
        rows += [
            (
                f"[{db}] ingest {run['files']:,} files",
                f"{run['seconds']:.1f} s",
                f"<= {INGEST_SECONDS:.0f} s; {run['files_per_second']:,} files/s, "
                f"{run['jobs']} parsing processes",
            ),
            (
                f"[{db}]   peak memory, ingesting process + workers",
                f"{run['peak_rss_mib']:.0f} MiB",
                f"<= {INGEST_RSS_MIB:.0f} MiB",
            ),
            (
                f"[{db}]   CPU: storing process + parsing workers",
                f"{run['cpu_seconds_main']:.0f} + {run['cpu_seconds_workers']:.0f} s",
                f"= {run['cpu_seconds']:.0f} CPU-s on {os.cpu_count()} cores; load "
                f"{run['load_average']}",
            ),
            (f"[{db}]   refused", str(run["refused"]), "0 expected"),
            (
                f"[{db}] system-wide plots over {run['range'][0]}..{run['range'][1]}",
                f"{run['plots_seconds']:.2f} s",
                f"<= {PLOT_SECONDS:.0f} s ({run['plots']} plots; "
                f"first {run['plots_seconds_first']:.2f} s)",
            ),
        ]
    rows.append(
        (
            f"peer: PyYAML C loader vs our reader, {compare['files']:,} files",
            f"{compare['pyyaml_c_seconds']:.2f} s vs {compare['ours_seconds']:.2f} s",
            f"ours {compare['ratio']}x faster",
        )
    )
    width = max(len(r[0]) for r in rows)
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>22}  {note}")
    result = {
        "files": files,
        "generate_seconds": round(generated, 1),
        "runs": runs,
        "peer": compare,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average": round(os.getloadavg()[0], 1),
        },
        "ok": ok,
    }
    print("RESULT " + json.dumps(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
