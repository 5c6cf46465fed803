"""`dnscc lab up|down|status|inject|clear|list-faults|register|unregister|sinkhole`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from dnscc.lab.faults import FAULTS
from dnscc.lab.lab import Lab


def _lab(args: argparse.Namespace) -> Lab:
    return Lab(Path(args.dir) if args.dir else None)


def _print_json(data: Any) -> None:
    from dnscc.cli import print_json

    print_json(data)


def cmd_up(args: argparse.Namespace) -> int:
    st = _lab(args).up(
        root_zone=Path(args.root_zone) if args.root_zone else None,
        tlds=args.tlds,
        slds=args.slds,
        block=args.block,
        timeout=args.timeout,
    )
    if args.json:
        _print_json(st)
    else:
        _print_status(st)
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    out = _lab(args).down()
    print(f"lab in {out['directory']}: stopped {out['stopped']} process(es)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    st = _lab(args).status()
    if args.json:
        _print_json(st)
    else:
        _print_status(st)
    return 0 if st["running"] else 3


def cmd_inject(args: argparse.Namespace) -> int:
    f = _lab(args).inject(
        args.fault,
        tld=args.tld,
        server=args.server,
        resolver=args.resolver,
        delay_ms=args.delay_ms,
        loss=args.loss,
    )
    print(f"injected {f['id']}")
    return 0


def cmd_clear(args: argparse.Namespace) -> int:
    if not args.all and not args.fault:
        from dnscc.core.errors import UsageError

        raise UsageError("name a fault id (or kind) to clear, or --all", hint="dnscc lab status")
    gone = _lab(args).clear(None if args.all else args.fault)
    print(f"cleared {len(gone)} fault(s){': ' + ', '.join(gone) if gone else ''}")
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    n = _lab(args).register(args.tld, args.names, ns=args.ns)
    tld = args.tld.strip(".").lower()
    print(f"registered {n} name(s) in .{tld} ({len(args.names) - n} unchanged)")
    return 0


def cmd_unregister(args: argparse.Namespace) -> int:
    n = _lab(args).unregister(args.tld, args.names)
    print(
        f"unregistered {n} name(s) in .{args.tld.strip('.').lower()} "
        f"({len(args.names) - n} were not registered)"
    )
    return 0


def cmd_sinkhole(args: argparse.Namespace) -> int:
    n = _lab(args).sinkhole(args.tld, args.names, args.ns)
    print(
        f"sinkholed {n} name(s) in .{args.tld.strip('.').lower()} ({len(args.names) - n} unchanged)"
    )
    return 0


def cmd_list_faults(args: argparse.Namespace) -> int:
    if args.json:
        _print_json([vars(f) for f in FAULTS.values()])
        return 0
    for f in FAULTS.values():
        target = {
            "server": "--server HOST|ADDR or --tld TLD",
            "zone": "--tld TLD",
            "resolver": "--resolver r1|r2",
        }[f.scope]
        print(
            f"{f.name}  ({target})\n  {f.summary}\n  how: {f.how}\n  on the wire: {f.wire}\n"
            f"  zonemaster: {f.zonemaster}\n"
        )
    return 0


def _print_status(st: dict[str, Any]) -> None:
    if "block" not in st:
        print(f"no lab in {st['directory']}")
        return
    state = "running" if st["running"] else "DEGRADED (some processes are gone)"
    print(f"lab {state} in {st['directory']}")
    print(f"  block {st['block']}, {st['tlds']} TLDs, {st['zones']} zones (signed)")
    print(f"  root hints {st['root_hints']}\n  trust anchor {st['trust_anchor']}")
    for name, addr in st["resolvers"].items():
        print(f"  resolver {name:8} {addr}")
    for name, inst in st["instances"].items():
        print(
            f"  knot {name:6} {inst['role']:4} admin {inst['admin']:16} "
            f"{inst['addresses']} addresses, {inst['zones']} zones"
        )
    dead = [p["name"] for p in st["processes"] if not p["alive"]]
    if dead:
        print(f"  not running: {', '.join(dead)}")
    for f in st["faults"]:
        print(f"  fault {f['id']}")
    if st.get("timings", {}).get("up_s"):
        print(f"  up took {st['timings']['up_s']} s")


def register(subparsers: Any) -> None:
    lab = subparsers.add_parser("lab", help="the DNS lab on loopback (Knot DNS, Unbound)")
    lab.add_argument("--dir", help="lab directory (default: <data dir>/lab)")
    sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    up = sub.add_parser("up", help="build and start the lab (idempotent)")
    up.add_argument("--root-zone", help="root zone file (default: the shipped root.zone)")
    up.add_argument("--tlds", type=int, help="only N TLDs (default: all)")
    up.add_argument("--slds", type=int, default=2, help="second-level zones per TLD (default 2)")
    up.add_argument("--block", type=int, help="use 127.B.0.0/16 (default: first free)")
    up.add_argument("--timeout", type=float, default=180.0, help="seconds to wait (default 180)")
    up.add_argument("--json", action="store_true")
    up.set_defaults(func=cmd_up)

    down = sub.add_parser("down", help="stop every lab process")
    down.set_defaults(func=cmd_down)

    status = sub.add_parser("status", help="what runs, where; exit 3 when not running")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    inject = sub.add_parser("inject", help="inject a fault (see list-faults)")
    inject.add_argument("fault", help="fault kind")
    inject.add_argument("--tld")
    inject.add_argument("--server", help="name server host name or address")
    inject.add_argument("--resolver", help="r1 or r2")
    inject.add_argument("--delay-ms", type=int, help="slow: delay per query (default 1200)")
    inject.add_argument("--loss", type=float, help="lossy: percent dropped (default 60)")
    inject.set_defaults(func=cmd_inject)

    clear = sub.add_parser("clear", help="clear a fault (id or kind) or --all")
    clear.add_argument("fault", nargs="?")
    clear.add_argument("--all", action="store_true")
    clear.set_defaults(func=cmd_clear)

    reg = sub.add_parser("register", help="delegate names in a lab TLD (as a registry would)")
    reg.add_argument("tld")
    reg.add_argument("names", nargs="+", metavar="NAME", help="names under the TLD")
    reg.add_argument(
        "--ns", nargs="+", metavar="HOST", help="NS host names (default ns1/ns2.example.TLD)"
    )
    reg.set_defaults(func=cmd_register)

    unreg = sub.add_parser("unregister", help="remove names' delegations (suspend, hold)")
    unreg.add_argument("tld")
    unreg.add_argument("names", nargs="+", metavar="NAME")
    unreg.set_defaults(func=cmd_unregister)

    sink = sub.add_parser("sinkhole", help="point names at a sinkhole NS set")
    sink.add_argument("tld")
    sink.add_argument("names", nargs="+", metavar="NAME")
    sink.add_argument("--ns", nargs="+", metavar="HOST", required=True, help="sinkhole NS hosts")
    sink.set_defaults(func=cmd_sinkhole)

    lf = sub.add_parser("list-faults", help="document each fault")
    lf.add_argument("--json", action="store_true")
    lf.set_defaults(func=cmd_list_faults)
