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
    a = msub.add_parser("transparency", help="the quarterly transparency report")
    tsub = a.add_subparsers(dest="transparency_command", metavar="ACTION", required=True)
    t = tsub.add_parser("list", help="every version, drafts included")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=cmd_transparency_list)
    t = tsub.add_parser("draft", help="draft the next version of a quarter")
    t.add_argument("quarter", help="2026-Q3")
    t.add_argument("--note", default="")
    t.add_argument("--as", dest="as_user", required=True, metavar="USER")
    t.set_defaults(func=cmd_transparency_draft)
    t = tsub.add_parser("publish", help="publish a draft (not its drafter: two-person rule)")
    t.add_argument("quarter")
    t.add_argument("version", type=int)
    t.add_argument("--as", dest="as_user", required=True, metavar="USER")
    t.set_defaults(func=cmd_transparency_publish)
    t = tsub.add_parser("write", help="write a published version as HTML, JSON or PDF")
    t.add_argument("quarter")
    t.add_argument("version", type=int)
    t.add_argument("--format", choices=["html", "json", "pdf"], default="pdf")
    t.add_argument("-o", "--output", required=True)
    t.set_defaults(func=cmd_transparency_write)


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


def _user(name: str) -> tuple[Any, Any, Any]:
    from django.contrib.auth import get_user_model

    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.core.errors import NotFoundError

    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        raise NotFoundError(f"no user {name!r}")
    return viewer_for(user), audit.Actor(f"cli:{user.get_username()}", user.pk), user


def cmd_transparency_list(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.metrics import transparency
    from dnscc.metrics.models import TransparencyReport

    rows = [transparency.describe(r) for r in TransparencyReport.objects.all()]
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        print(f"{r['quarter']} v{r['version']} {r['status']} {r['published_at'] or ''}")
    return 0


def cmd_transparency_draft(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.metrics import transparency

    viewer, actor, user = _user(args.as_user)
    r = transparency.draft(viewer, actor, args.quarter, user=user, note=args.note)
    print(f"{r.quarter} v{r.version} drafted; another coordinator publishes it")
    return 0


def cmd_transparency_publish(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.metrics import transparency

    viewer, actor, user = _user(args.as_user)
    r = transparency.publish(viewer, actor, args.quarter, args.version, user=user)
    print(f"{r.quarter} v{r.version} published at /transparency/{r.quarter}/v{r.version}/")
    return 0


def cmd_transparency_write(args: argparse.Namespace) -> int:
    django_setup()
    import json
    from pathlib import Path

    from dnscc.metrics import transparency

    r = transparency.get(args.quarter, args.version)
    out = Path(args.output)
    if args.format == "pdf":
        out.write_bytes(transparency.pdf(r))
    elif args.format == "json":
        out.write_text(json.dumps(transparency.public_json(r), indent=1), encoding="utf-8")
    else:
        out.write_text(transparency.html(r), encoding="utf-8")
    print(f"wrote {out}")
    return 0
