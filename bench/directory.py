"""Benchmark: directory import of the full root zone, and domain -> organisation lookups.

Targets (issue "The center runs"): import with operator grouping <= 5 s; lookups >= 50,000/s.
Peers measured side by side in the same run:
  - import: dnspython's dns.zone.from_file on the same file (parsing only, no grouping, no DB);
  - lookup: the obvious ORM way, one Tld query per name.
Prints a table, then `RESULT {json}` as the last line.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time

os.environ["DNSCC_DEV"] = "1"
os.environ["DNSCC_DATA_DIR"] = tempfile.mkdtemp(prefix="dnscc-bench-")
os.environ.setdefault("DNSCC_LOG_LEVEL", "WARNING")


def main() -> None:
    from dnscc.cli import django_setup

    django_setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import dns.zone

    from dnscc.core.paths import default_root_zone
    from dnscc.directory import lookup
    from dnscc.directory.models import Organization, Tld
    from dnscc.directory.rootzone_import import import_root_zone

    path = str(default_root_zone())

    t0 = time.perf_counter()
    report = import_root_zone(path)
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = import_root_zone(path)
    reimport_s = time.perf_counter() - t0
    assert not again.changed, "re-import changed something"

    t0 = time.perf_counter()
    dns.zone.from_file(path, origin=".", relativize=False, check_origin=False)
    dnspython_s = time.perf_counter() - t0

    tlds = list(Tld.objects.values_list("name", flat=True))
    rng = random.Random(1)
    queries = []
    for i in range(50_000):
        tld = rng.choice(tlds)
        kind = i % 10
        if kind < 7:
            queries.append(f"host{i}.example-{i % 97}.{tld}")
        elif kind == 7:
            queries.append(f"WWW.Example.{tld.upper()}.")
        elif kind == 8:
            queries.append(f"bücher{i % 13}.{tld}")
        else:
            queries.append(tld)
    index = lookup.get_index()
    t0 = time.perf_counter()
    found = 0
    for q in queries:
        if index.lookup(q).organizations:
            found += 1
    lookup_s = time.perf_counter() - t0
    lookups_per_s = len(queries) / lookup_s

    orm_sample = queries[:2000]
    t0 = time.perf_counter()
    for q in orm_sample:
        name = q.rstrip(".").lower().rsplit(".", 1)[-1]
        Tld.objects.select_related("operator").filter(name=name).first()
    orm_s = time.perf_counter() - t0
    orm_per_s = len(orm_sample) / orm_s

    rows = [
        ("root zone import (parse, group, store)", f"{import_s:.2f} s", "<= 5 s"),
        ("  re-import (idempotent, no change)", f"{reimport_s:.2f} s", ""),
        (
            "  peer: dnspython zone.from_file (parse only)",
            f"{dnspython_s:.2f} s",
            f"ratio {import_s / dnspython_s:.2f}x",
        ),
        ("TLDs / organizations", f"{report.tlds_in_zone} / {Organization.objects.count()}", ""),
        ("lookups (domain, IDN, TLD) per second", f"{lookups_per_s:,.0f}", ">= 50,000"),
        (
            "  peer: one ORM query per name, per second",
            f"{orm_per_s:,.0f}",
            f"ratio {lookups_per_s / orm_per_s:.0f}x",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>14}  {note}")
    result = {
        "import_seconds": round(import_s, 3),
        "reimport_seconds": round(reimport_s, 3),
        "dnspython_parse_seconds": round(dnspython_s, 3),
        "tlds": report.tlds_in_zone,
        "organizations": Organization.objects.count(),
        "lookups_per_second": round(lookups_per_s),
        "orm_lookups_per_second": round(orm_per_s),
        "lookups_with_operator": found,
    }
    print("RESULT " + json.dumps(result))
    sys.exit(0 if import_s <= 5 and lookups_per_s >= 50_000 else 1)


if __name__ == "__main__":
    main()
