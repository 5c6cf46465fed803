"""`dnscc monitor sweep` (record a sweep in the center), `dnscc monitor alerts` (in groups of
one cause) and `dnscc monitor ack`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("monitor", help="namespace health in the center (sweeps, findings)")
    msub = p.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)
    s = msub.add_parser("sweep", help="sweep the root and every TLD now and record findings")
    s.add_argument("--tlds", help="comma-separated TLDs (default: every delegated TLD)")
    s.add_argument("--hints", type=Path, help="root hints (default: DNSCC_ROOT_HINTS or the lab)")
    s.add_argument("--trust-anchor", type=Path)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sweep)

    a = msub.add_parser("alerts", help="alerts in groups of one cause, worst first")
    a.add_argument("--state", default="active", help="active (default), open, acknowledged, ...")
    a.add_argument("--desk", default="", help="one desk's alerts (AF, AP, EU, LAC, NA)")
    a.add_argument("--exercises", action="store_true", help="also an exercise's alerts")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_alerts)
    k = msub.add_parser("ack", help="acknowledge alerts (a group's ids, or any)")
    k.add_argument("alerts", nargs="+", type=int, metavar="ALERT_ID")
    k.add_argument("--as", dest="as_user", metavar="USER", required=True, help="who acknowledges")
    k.add_argument("--json", action="store_true")
    k.set_defaults(func=cmd_ack)


def cmd_sweep(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.monitoring.runner import run_sweep

    zones = [z for z in args.tlds.split(",") if z.strip()] if args.tlds else None
    sweep = run_sweep(
        trigger="cli", zones=zones, hints_path=args.hints, anchor_path=args.trust_anchor
    )
    data = {
        "sweep": sweep.pk,
        "status": sweep.status,
        "zones": sweep.zones_done,
        "untested": sweep.zones_untested,
        "queries": sweep.queries,
        "seconds": round(sweep.seconds, 2),
        "new_findings": sweep.new_findings,
        "resolved_findings": sweep.resolved_findings,
        "open": sweep.open_by_severity,
        "error": sweep.error,
    }
    if args.json:
        print_json(data)
    else:
        print(
            f"sweep {sweep.pk} {sweep.status}: {sweep.zones_done} zones, {sweep.queries} queries"
            f" in {sweep.seconds:.1f} s; {sweep.new_findings} new, {sweep.resolved_findings}"
            f" resolved; open: "
            + ", ".join(f"{k} {v}" for k, v in sweep.open_by_severity.items() if v)
        )
        if sweep.error:
            print(f"error: {sweep.error}", file=sys.stderr)
    return 0 if sweep.status == "done" else 77 if sweep.status == "not_run" else 1


def cmd_alerts(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.monitoring.groups import group_alerts
    from dnscc.monitoring.models import Alert

    qs = Alert.objects.select_related("finding", "organization").prefetch_related("incidents")
    if not args.exercises:
        qs = qs.filter(exercise__isnull=True)
    if args.state == "active":
        qs = qs.exclude(state=Alert.RESOLVED)
    elif args.state != "all":
        qs = qs.filter(state=args.state)
    if args.desk:
        qs = qs.filter(desk=args.desk.upper())
    groups = group_alerts(qs.order_by("-opened_at")[:5000])
    rows: list[dict[str, Any]] = [
        {
            "severity": g.severity,
            "title": g.title,
            "count": g.count,
            "zones": g.zones,
            "opened_at": g.opened_at.isoformat(),
            "alerts": g.ids,
            "incidents": [i.ref for i in g.incidents],
        }
        for g in groups
    ]
    if args.json:
        print_json(rows)
        return 0
    for row in rows:
        more = f" ({', '.join(row['zones'][:8])}{' ...' if len(row['zones']) > 8 else ''})"
        incidents = f" -> {', '.join(row['incidents'])}" if row["incidents"] else ""
        print(
            f"{row['severity']:<8} {row['title']}{more if row['count'] > 1 else ''}"
            f"{incidents}  [alerts {' '.join(map(str, row['alerts'][:20]))}]"
        )
    if not rows:
        print("no alerts")
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    django_setup()
    from django.contrib.auth import get_user_model

    from dnscc.accounts.services import staff_only, viewer_for
    from dnscc.core.errors import NotFoundError
    from dnscc.monitoring.services import acknowledge_alerts

    user = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
    if user is None:
        raise NotFoundError(f"no user {args.as_user!r}")
    staff_only(viewer_for(user), "acknowledge alerts")
    done = acknowledge_alerts(args.alerts, user)
    if args.json:
        print_json({"acknowledged": [a.pk for a in done]})
    else:
        print(f"{len(done)} alert(s) acknowledged")
    return 0
