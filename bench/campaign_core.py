"""Benchmark: the pure building blocks of coordinated action campaigns.

Figures (brief "coordinated action campaigns"): read + normalise + dedupe 1,000,000 names
(90% lower-case ASCII, 8% upper case with a trailing dot, 2% IDN U-labels, ~1% duplicates)
in a few seconds; RPZ export of 1,000,000 names <= 10 s; the process peak memory with the
dedup set and the name list held (target: well under 1 GiB). Also the ASCII-only rate, to
show the hot path is normalize_name's ASCII fast path, and Conficker B's day of names.
Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import datetime
import io
import json
import random
import resource
import sys
import time

from dnscc.core.dga import get_generator
from dnscc.core.namelist import open_names, split_by_tld
from dnscc.core.rpz import write_rpz

N = 1_000_000
TLDS = ["com", "net", "org", "de", "ru", "cn", "info", "biz", "nl", "ws"]
IDN = ["bücher", "münchen", "zürich", "пример", "例え", "café", "straße", "ελληνικά"]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _mixed() -> bytes:
    rng = random.Random(7)
    lines = []
    for i in range(N):
        kind = i % 100
        tld = TLDS[i % len(TLDS)]
        if kind < 90:
            lines.append(f"x{rng.getrandbits(40):x}.example{i % 997}.{tld}")
        elif kind < 98:
            lines.append(f"HOST{i}.Example{i % 997}.{tld.upper()}.")
        else:
            lines.append(f"{IDN[i % len(IDN)]}{i}.{tld}")
        if kind == 0:
            lines.append(lines[-1])  # a duplicate
    return ("\n".join(lines) + "\n").encode()


def _ingest(data: bytes) -> tuple[list[str], float, int]:
    start = time.perf_counter()
    names = open_names(io.BytesIO(data), filename="bench", max_bytes=None)
    found = [item.name for item in names]
    return found, time.perf_counter() - start, names.summary.duplicates


def main() -> None:
    ascii_data = "".join(f"host{i}.example{i % 997}.com\n" for i in range(N)).encode()
    _, ascii_s, _ = _ingest(ascii_data)
    del ascii_data

    base_mib = _peak_mib()
    data = _mixed()
    mixed, mixed_s, duplicates = _ingest(data)
    del data
    peak_mib = _peak_mib()

    start = time.perf_counter()
    slices = split_by_tld(mixed)
    split_s = time.perf_counter() - start

    out = io.StringIO()
    start = time.perf_counter()
    summary = write_rpz(mixed, out, origin="rpz.example.org", serial=1)
    rpz_s = time.perf_counter() - start
    rpz_mb = len(out.getvalue()) / 1e6
    del out

    generator = get_generator("conficker-b")
    start = time.perf_counter()
    generator.generate(datetime.date(2009, 4, 1))
    dga_ms = (time.perf_counter() - start) * 1000

    rows = [
        ("read+normalise+dedupe 1M ASCII names", f"{ascii_s:.2f} s", f"{N / ascii_s:,.0f}/s"),
        ("read+normalise+dedupe 1M mixed names", f"{mixed_s:.2f} s", f"{N / mixed_s:,.0f}/s"),
        ("  unique / duplicates", f"{len(mixed):,} / {duplicates:,}", "2% IDN, 8% upper+dot"),
        ("split by TLD", f"{split_s:.2f} s", f"{len(slices)} TLDs"),
        ("RPZ export (2 records per name)", f"{rpz_s:.2f} s", f"{rpz_mb:.0f} MB, <= 10 s"),
        ("peak RSS with 1M names held", f"{peak_mib:,.0f} MiB", f"before: {base_mib:,.0f} MiB"),
        ("Conficker B, one day (250 names)", f"{dga_ms:.1f} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>18}  {note}")
    result = {
        "names": N,
        "ascii_seconds": round(ascii_s, 3),
        "ascii_names_per_second": round(N / ascii_s),
        "mixed_seconds": round(mixed_s, 3),
        "mixed_names_per_second": round(N / mixed_s),
        "unique": len(mixed),
        "duplicates": duplicates,
        "split_seconds": round(split_s, 3),
        "rpz_seconds": round(rpz_s, 3),
        "rpz_records": summary.records,
        "peak_rss_mib": round(peak_mib),
        "conficker_b_day_ms": round(dga_ms, 2),
    }
    print("RESULT " + json.dumps(result))
    sys.exit(0 if rpz_s <= 10 and peak_mib < 1024 else 1)


if __name__ == "__main__":
    main()
