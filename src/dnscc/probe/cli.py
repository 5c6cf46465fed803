"""`dnscc probe zone NAME`, `dnscc probe sweep`, `dnscc probe resolver ADDRESS`.

Pure: no Django. Root hints default to the running lab's (`dnscc lab up`), so nothing is
sent to the real Internet unless hints for it are given on purpose.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from dnscc.core import egress
from dnscc.core.errors import InputError, UnavailableError
from dnscc.probe.model import SEVERITIES, ZoneReport
from dnscc.probe.output import exit_code, parse_ds, parse_ns, zonemaster_json
from dnscc.probe.profile import Profile, load_profile
from dnscc.probe.resolver import check_nxdomain_rewrite, check_randomness
from dnscc.probe.sweep import sweep
from dnscc.probe.transport import UdpTransport
from dnscc.probe.zone import Baseline, Undelegated, probe_zone, read_hints, read_trust_anchor


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("probe", help="probe zones and resolvers (DNS health checks)")
    sub = p.add_subparsers(dest="probe_command", metavar="PROBE_COMMAND", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--hints", type=Path, help="root hints file (default: the lab's)")
        q.add_argument("--trust-anchor", type=Path, help="root DS file (default: the lab's)")
        q.add_argument("--profile", type=Path, help="profile TOML laid over the shipped one")
        q.add_argument("--rate", type=float, help="queries per second per server")
        q.add_argument("--port", type=int, default=53)
        q.add_argument("--json", action="store_true", help="machine-readable output")

    z = sub.add_parser(
        "zone",
        help="probe one zone (exit 0 clean or notices, 3 warning, 4 error, 5 critical)",
        description="Probe one zone with every check. Exit status by the worst finding: 0 "
        "none or notices only, 3 warning, 4 error, 5 critical (a zone that does not exist "
        "is critical: B02_NO_DELEGATION).",
    )
    z.add_argument("name")
    z.add_argument("--baseline-ns", help="expected NS names, comma-separated (hijack check)")
    z.add_argument("--no-axfr", action="store_true", help="do not try zone transfers")
    z.add_argument(
        "--ns",
        action="append",
        metavar="NAME[/IP]",
        help="undelegated test: a name server of the zone (repeat; without /IP it is looked up)",
    )
    z.add_argument(
        "--ds",
        action="append",
        metavar="KEYTAG,ALG,DIGTYPE,DIGEST",
        help="undelegated test: a DS record the zone is to get (repeat)",
    )
    z.add_argument(
        "--format",
        choices=("text", "json", "zonemaster"),
        default=None,
        help="text (default), json (our report), zonemaster (zonemaster-cli --json messages)",
    )
    common(z)
    z.set_defaults(func=cmd_zone)

    s = sub.add_parser("sweep", help="probe the root and every TLD")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--zones-from", type=Path, metavar="ROOTZONE", help="TLDs of a root zone file")
    g.add_argument("--tlds", help="comma-separated TLDs")
    s.add_argument("--concurrency", type=int, default=200)
    s.add_argument("--no-axfr", action="store_true")
    common(s)
    s.set_defaults(func=cmd_sweep)

    r = sub.add_parser("resolver", help="check a resolver (NXDOMAIN rewriting, randomness)")
    r.add_argument("address")
    r.add_argument("--under", required=True, help="a zone whose servers are on loopback")
    r.add_argument("--outgoing", help="the resolver's outgoing address (default: ADDRESS)")
    common(r)
    r.set_defaults(func=cmd_resolver)


def _lab_paths() -> tuple[Path, Path]:
    from dnscc.lab.lab import Lab

    lab = Lab()
    return lab.root_hints, lab.trust_anchor


def _setup(args: argparse.Namespace) -> tuple[Profile, dict[str, list[str]], Any]:
    profile = load_profile(args.profile)
    if args.rate is not None:
        if args.rate <= 0:
            raise InputError("--rate must be positive")
        profile = dataclasses.replace(
            profile, transport=dataclasses.replace(profile.transport, qps_per_server=args.rate)
        )
    hints_path, anchor_path = _lab_paths()
    hints_path = args.hints or hints_path
    if not hints_path.exists():
        raise UnavailableError(
            f"no root hints at {hints_path}", hint="start the lab (`dnscc lab up`) or pass --hints"
        )
    anchor_file: Path | None = args.trust_anchor or (anchor_path if args.hints is None else None)
    anchor = read_trust_anchor(str(anchor_file)) if anchor_file and anchor_file.exists() else None
    hints = read_hints(str(hints_path))
    if getattr(args, "address", None):
        egress.current().check(args.address)  # the resolver under test
    elif not egress.current().split(a for addrs in hints.values() for a in addrs)[0]:
        # Every root server outside the egress rule: refuse before sending anything.
        egress.current().check(next(a for addrs in hints.values() for a in addrs))
    return profile, hints, anchor


def _print_report(r: ZoneReport) -> None:
    missing = next((f for f in r.findings if f.detail == "B01_NO_CHILD"), None)
    if missing is not None:
        print(f"{r.zone}: does not exist: {missing.message}")
    print(f"{r.zone}: {len(r.findings)} finding(s), {r.queries} queries, {r.seconds:.2f} s")
    order = sorted(r.findings, key=lambda f: -SEVERITIES.index(f.severity))
    for f in order:
        where = f" [{f.server}]" if f.server else ""
        tag = f"/{f.tag}" if f.tag and f.tag != f.code else ""
        print(f"  {f.severity.upper():8} {f.code}{tag}{where}: {f.message}")
        for e in f.evidence:
            d = e.as_dict()
            extra = f" {d.get('rcode', '')} {d.get('flags', '')}".rstrip()
            print(f"      {d['query']} -> {d['status']}{extra}")
            for rec in d.get("records", [])[:4]:
                print(f"          {rec}")
    for u in r.untested:
        print(f"  UNTESTED {u}")
    for k in r.skipped:
        print(f"  SKIPPED  {k}")


def cmd_zone(args: argparse.Namespace) -> int:
    profile, hints, anchor = _setup(args)
    baseline = None
    if args.baseline_ns:
        baseline = Baseline.of([h.strip() for h in args.baseline_ns.split(",") if h.strip()])
    undelegated = None
    if args.ns or args.ds:
        if not args.ns:
            raise InputError("--ds needs --ns: an undelegated test names the zone's servers")
        undelegated = Undelegated(parse_ns(args.ns), parse_ds(args.ds or []))
    from dnscc.probe.zone import _name

    try:
        _name(args.name)
    except (InputError, ValueError, UnicodeError) as exc:
        raise InputError(f"invalid zone name {args.name!r}: {exc}") from None

    async def run() -> ZoneReport:
        async with UdpTransport(profile.transport) as t:
            return await probe_zone(
                args.name,
                hints=hints,
                profile=profile,
                transport=t,
                baseline=baseline,
                trust_anchor=anchor,
                port=args.port,
                axfr=not args.no_axfr,
                undelegated=undelegated,
            )

    report = asyncio.run(run())
    fmt = args.format or ("json" if args.json else "text")
    if fmt == "json":
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    elif fmt == "zonemaster":
        print(json.dumps(zonemaster_json(report)))
    else:
        _print_report(report)
    return exit_code(report)


def _zones(args: argparse.Namespace) -> list[str]:
    if args.tlds:
        return [t.strip() for t in args.tlds.split(",") if t.strip()]
    if args.zones_from:
        from dnscc.lab.plan import read_root_zone

        return list(read_root_zone(args.zones_from).delegations)
    from dnscc.lab.lab import Lab

    return list(Lab().plan().tlds)


class _Bar:
    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = -1

    def __call__(self, done: int, total: int, report: ZoneReport) -> None:
        pct = done * 100 // max(total, 1)
        if self.tty:
            bar = "#" * (pct // 4)
            self.stream.write(f"\r[{bar:<25}] {done}/{total} zones")
            if done == total:
                self.stream.write("\n")
        elif pct // 10 != self.last or done == total:
            self.last = pct // 10
            self.stream.write(f"swept {done}/{total} zones\n")
        self.stream.flush()


def cmd_sweep(args: argparse.Namespace) -> int:
    profile, hints, anchor = _setup(args)
    zones = [".", *_zones(args)]

    async def run() -> list[ZoneReport]:
        async with UdpTransport(profile.transport) as t:
            return [
                r
                async for r in sweep(
                    zones,
                    hints=hints,
                    profile=profile,
                    transport=t,
                    trust_anchor=anchor,
                    concurrency=args.concurrency,
                    port=args.port,
                    axfr=not args.no_axfr,
                    progress=_Bar(sys.stderr),
                )
            ]

    t0 = time.monotonic()
    reports = sorted(asyncio.run(run()), key=lambda r: (r.zone != ".", r.zone))
    seconds = time.monotonic() - t0
    if args.json:
        print(
            json.dumps(
                {"seconds": round(seconds, 3), "zones": [r.as_dict() for r in reports]},
                indent=2,
                sort_keys=True,
            )
        )
        return 0
    codes: Counter[str] = Counter()
    for r in reports:
        codes.update({f.code for f in r.findings})
    print(f"{'zone':<24} {'worst':<9} {'findings':>8} {'untested':>8} {'queries':>7}")
    for r in reports:
        if r.findings or r.untested:
            print(
                f"{r.zone:<24} {r.worst or '-':<9} {len(r.findings):>8} {len(r.untested):>8} "
                f"{r.queries:>7}"
            )
    print(f"\n{'code':<26} zones")
    for code, n in sorted(codes.items()):
        print(f"{code:<26} {n}")
    clean = sum(1 for r in reports if not r.findings and not r.untested)
    print(
        f"\n{len(reports)} zones ({clean} clean), {sum(r.queries for r in reports)} queries, "
        f"{seconds:.1f} s"
    )
    return 0


def cmd_resolver(args: argparse.Namespace) -> int:
    profile, _hints, _anchor = _setup(args)

    async def run() -> tuple[list[Any], list[str]]:
        async with UdpTransport(profile.transport) as t:
            f1, u1 = await check_nxdomain_rewrite(
                args.address, transport=t, profile=profile, under=args.under, port=args.port
            )
            f2, u2 = await check_randomness(
                args.address,
                transport=t,
                profile=profile,
                under=args.under,
                port=args.port,
                outgoing=args.outgoing,
            )
            return f1 + f2, u1 + u2

    findings, untested = asyncio.run(run())
    if args.json:
        print(
            json.dumps(
                {
                    "resolver": args.address,
                    "findings": [f.as_dict() for f in findings],
                    "untested": untested,
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        print(f"resolver {args.address}: {len(findings)} finding(s)")
        for f in findings:
            print(f"  {f.severity.upper():8} {f.code}: {f.message}")
        for u in untested:
            print(f"  UNTESTED {u}")
    return 0
