"""`dnscc metrics ...`: the center's performance in a period and its objectives' verdicts.

dnscc metrics performance --period 2026-Q3 [--by region] [--include-exercises] [--json|--csv]
dnscc metrics objectives --period 2026-Q3 [--json]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dnscc.cli import django_setup, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("metrics", help="the center's performance over time and its objectives")
    msub = p.add_subparsers(dest="metrics_command", metavar="ACTION", required=True)

    def common(a: argparse.ArgumentParser) -> None:
        a.add_argument(
            "--period",
            default="",
            help="2026-Q3, 2026-07, 2026-W27 or 2026-07-01..2026-09-30 (default: this quarter)",
        )
        a.add_argument("--include-exercises", action="store_true", help="count exercise rows too")
        a.add_argument("--json", action="store_true")

    a = msub.add_parser("performance", help="every figure of a period, overall and per group")
    common(a)
    a.add_argument(
        "--by",
        default="",
        choices=["", "region", "type", "kind", "constrained"],
        help="also list every group of this dimension",
    )
    a.add_argument("--csv", action="store_true", help="every cell as CSV")
    a.set_defaults(func=cmd_performance)
    a = msub.add_parser("objectives", help="each objective's verdict in a period")
    common(a)
    a.set_defaults(func=cmd_objectives)
    a = msub.add_parser("health", help="namespace health per day from the sweeps")
    common(a)
    a.add_argument("--operators", action="store_true", help="per operator group too")
    a.set_defaults(func=cmd_health)


def _report(args: argparse.Namespace) -> dict[str, Any]:
    django_setup()
    from dnscc.metrics import dashboard, periods

    period = periods.parse(args.period) if args.period else dashboard.current_quarter()
    return dashboard.report(period, include_exercises=args.include_exercises)


def cmd_performance(args: argparse.Namespace) -> int:
    data = _report(args)
    from dnscc.metrics import dashboard, figures

    if args.csv:
        sys.stdout.write(dashboard.csv_text(data))
        return 0
    if args.json:
        print_json(data)
        return 0
    print(
        f"performance {data['period']['label']} ({data['period']['start'][:10]} to "
        f"{data['period']['end'][:10]}, end excluded)"
    )
    for fig in data["figures"].values():
        print(f"  {fig['label']:<36} {figures.cell_text(fig['kind'], fig['all'])}")
        if args.by and args.by in fig["by"]:
            for group, cell in fig["by"][args.by].items():
                label = figures.group_label(args.by, group)
                print(f"      {label:<32} {figures.cell_text(fig['kind'], cell)}")
    return 0


def cmd_objectives(args: argparse.Namespace) -> int:
    data = _report(args)
    if args.json:
        print_json(data["objectives"])
        return 0
    print(f"objectives {data['period']['label']}")
    for o in data["objectives"]:
        print(
            f"  {o['verdict'].upper():<8} {o['title']}: {o['display']} "
            f"(target {o['op']} {o['target_display']})"
        )
        for g in o["groups"]:
            print(f"      {g['label']:<28} {g['display']} ({g['verdict']})")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.metrics import dashboard, health, periods

    period = periods.parse(args.period) if args.period else dashboard.current_quarter()
    data = health.health(period, operators=args.operators)
    if args.json:
        print_json(data)
        return 0
    print(
        f"namespace health {period.label}: {sum(data['swept'])} of {len(data['days'])} days swept"
    )
    for group, g in data["groups"].items():
        print(f"  {health.group_label(group)} ({g['tlds']} TLDs)")
        for key in health.SERIES:
            cell = g["summary"][key]
            mean = "no data" if cell["mean"] is None else f"{cell['mean']:.3g}"
            last = "no data" if cell["last"] is None else f"{cell['last']:.3g}"
            print(f"      {health.LABELS[key]:<36} mean {mean}, last {last}")
    return 0
