"""Benchmark: directory import of the full root zone, and domain -> organisation lookups.

Targets (issue "The center runs"): import with operator grouping <= 5 s; lookups >= 50,000/s.
Issue 11: the import with its checks (ZONEMD, NSEC chain, serial, shrink) stays <= 5 s; the
ZONEMD verification of a full-size signed zone (the real root's 1,438 delegations, re-signed
here with a throwaway Ed25519 key, ZONEMD added) and the IANA root database import are timed.
Peers measured side by side in the same run:
  - import: dnspython's dns.zone.from_file on the same file (parsing only, no grouping, no DB);
  - ZONEMD: dnspython's dns.zone.Zone.verify_digest on the same zone (after its own parse);
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
from typing import Any

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

    signed, anchor = _signed_full_zone(path)
    from dnscc.core import zonecheck
    from dnscc.core.rootzone import parse_root_zone

    t0 = time.perf_counter()
    parsed = parse_root_zone(signed, keep_records=True)
    verdict = zonecheck.zonemd(parsed.records)
    zonemd_s = time.perf_counter() - t0
    assert verdict.ok, verdict.detail
    t0 = time.perf_counter()
    dns.zone.from_text(signed, origin=".", relativize=False).verify_digest()
    dnspython_zonemd_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    fetched = import_root_zone(signed, fetched=True, anchors=anchor)
    fetched_s = time.perf_counter() - t0
    assert "DNSSEC" in fetched.checks, fetched.checks
    assert not fetched.changed, "the re-signed zone changed the directory"

    from dnscc.core.paths import default_iana_rootdb
    from dnscc.directory.iana_import import import_iana_rootdb

    t0 = time.perf_counter()
    iana = import_iana_rootdb(default_iana_rootdb())
    iana_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert not import_iana_rootdb(default_iana_rootdb()).changed, "IANA re-import changed"
    iana_again_s = time.perf_counter() - t0

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
        ("root zone import (parse, check, group, store)", f"{import_s:.2f} s", "<= 5 s"),
        ("  re-import (idempotent, no change)", f"{reimport_s:.2f} s", ""),
        (
            "  peer: dnspython zone.from_file (parse only)",
            f"{dnspython_s:.2f} s",
            f"ratio {import_s / dnspython_s:.2f}x",
        ),
        ("ZONEMD verified, full signed zone (parse + digest)", f"{zonemd_s:.2f} s", ""),
        (
            "  peer: dnspython from_text + verify_digest",
            f"{dnspython_zonemd_s:.2f} s",
            f"ratio {zonemd_s / dnspython_zonemd_s:.2f}x",
        ),
        ("import of it as fetched (ZONEMD, DNSSEC, NSEC checked)", f"{fetched_s:.2f} s", "<= 5 s"),
        ("IANA root database import (1,592 rows)", f"{iana_s:.2f} s", ""),
        ("  re-import (idempotent, no change)", f"{iana_again_s:.2f} s", ""),
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
        "zonemd_seconds": round(zonemd_s, 3),
        "fetched_import_seconds": round(fetched_s, 3),
        "dnspython_zonemd_seconds": round(dnspython_zonemd_s, 3),
        "signed_zone_delegations": len(parsed.tlds),
        "iana_import_seconds": round(iana_s, 3),
        "iana_reimport_seconds": round(iana_again_s, 3),
        "iana_managers": len(iana.managers_created),
        "tlds": report.tlds_in_zone,
        "organizations": Organization.objects.count(),
        "lookups_per_second": round(lookups_per_s),
        "orm_lookups_per_second": round(orm_per_s),
        "lookups_with_operator": found,
    }
    print("RESULT " + json.dumps(result))
    sys.exit(0 if max(import_s, fetched_s) <= 5 and lookups_per_s >= 50_000 else 1)


def _signed_full_zone(path: str) -> tuple[str, Any]:
    """The shipped root zone without its signatures and ZONEMD, signed again (Ed25519, NSEC)
    and given a ZONEMD: a full-size zone whose digest verifies (untimed)."""
    import datetime as dt
    from pathlib import Path

    import dns.dnssec
    import dns.name
    import dns.rrset
    import dns.zone
    from cryptography.hazmat.primitives.asymmetric import ed25519

    kept = [
        line
        for line in Path(path).read_text(encoding="utf-8").splitlines(keepends=True)
        if line.split()[3:4] not in (["RRSIG"], ["ZONEMD"], ["DNSKEY"], ["NSEC"])
    ]
    zone = dns.zone.from_text("".join(kept), origin=".", relativize=False)
    private = ed25519.Ed25519PrivateKey.generate()
    public = dns.dnssec.make_dnskey(private.public_key(), dns.dnssec.Algorithm.ED25519, flags=257)
    now = dt.datetime.now(dt.UTC)
    window = {"inception": now - dt.timedelta(days=1), "expiration": now + dt.timedelta(days=14)}
    with zone.writer() as txn:
        dns.dnssec.sign_zone(zone, txn, keys=[(private, public)], dnskey_ttl=172800, **window)
    root = dns.name.root
    zonemd = dns.rrset.from_rdata(
        root, 86400, zone.compute_digest(dns.zone.DigestHashAlgorithm.SHA384)
    )
    with zone.writer() as txn:
        txn.replace(root, zonemd)
        txn.replace(
            root,
            dns.rrset.from_rdata(
                root, 86400, dns.dnssec.sign(zonemd, private, root, public, **window)
            ),
        )
    anchor = dns.rrset.from_rdata(root, 86400, dns.dnssec.make_ds(root, public, "SHA256"))
    return str(zone.to_text(relativize=False, want_origin=False)), anchor


if __name__ == "__main__":
    main()
