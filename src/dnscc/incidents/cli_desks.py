"""`dnscc desk status|handover|ack|sla-check|set`: the duty desks and SLA checks by hand."""

from __future__ import annotations

import argparse
import getpass
from datetime import UTC, datetime
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location, NotFoundError


def register(sub: Any) -> None:
    p = sub.add_parser("desk", help="duty desks: rota, handovers, SLA checks")
    dsub = p.add_subparsers(dest="desk_command", metavar="ACTION", required=True)
    s = dsub.add_parser("status", help="who is on duty, next change, handovers, open breaches")
    s.add_argument("--now", help="ISO time (default: now)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
    s = dsub.add_parser("handover", help="write the handover note of the current shift change")
    s.add_argument("--now", help="ISO time (default: now)")
    s.set_defaults(func=cmd_handover)
    s = dsub.add_parser("ack", help="acknowledge a handover as a coordinator of the incoming desk")
    s.add_argument("id", type=int)
    s.add_argument("--as", dest="username", required=True, help="the coordinator's username")
    s.set_defaults(func=cmd_ack)
    s = dsub.add_parser("sla-check", help="record SLA breaches and escalate them now")
    s.add_argument("--now", help="ISO time (default: now)")
    s.set_defaults(func=cmd_sla_check)
    s = dsub.add_parser("set", help="set a desk's shift (UTC start hour and length)")
    s.add_argument("region", help="AF, AP, EU, LAC or NA")
    s.add_argument("--start", type=int, required=True, help="UTC hour the shift starts (0-23)")
    s.add_argument("--hours", type=int, required=True, help="shift length in hours (1-24)")
    s.add_argument("--lead", help="username of the desk's coordinator lead")
    s.add_argument("--time-zone", help="the desk's own IANA time zone (for display)")
    s.set_defaults(func=cmd_set)


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{text!r} is not an ISO time",
            location=Location(field="now"),
            hint="e.g. 2026-03-01T04:00:00+00:00 (UTC when no offset is given)",
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _actor() -> Any:
    from dnscc.accounts.audit import Actor

    return Actor(f"cli:{getpass.getuser()}")


def cmd_status(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import desks

    status = desks.desk_status(_when(args.now))
    if args.json:
        print_json(status)
        return 0
    print(f"on duty: {status['on_duty'] or '-'} ({', '.join(status['on_duty_coordinators'])})")
    nxt = status["next"]
    if nxt["region"]:
        print(f"next:    {nxt['region']} at {nxt['at']:%Y-%m-%d %H:%M} UTC")
    for d in status["desks"]:
        mark = "*" if d["on_duty"] else " "
        h = d["handover"]
        if h is None:
            ho = "no handover"
        elif h["acknowledged_at"]:
            ho = f"handover {h['id']} acknowledged by {h['acknowledged_by']}"
        else:
            ho = f"handover {h['id']} not acknowledged"
        print(
            f"{mark} {d['region']:<3} {d['window']}  lead {d['lead'] or '-'}  "
            f"{d['open_incidents']} open, {len(d['breaches'])} breach(es), {ho}"
        )
    for problem in status["problems"]:
        print(f"rota: {problem}")
    return 0


def cmd_handover(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import desks

    desks.ensure_desks()
    handover = desks.shift_change(_when(args.now))
    if handover is None:
        print_json({"handover": None, "why": "no shift change due (or its note exists)"})
        return 0
    print_json(desks.handover_row(handover))
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    django_setup()
    from django.contrib.auth import get_user_model

    from dnscc.accounts.audit import Actor
    from dnscc.accounts.services import viewer_for
    from dnscc.incidents import desks

    user = get_user_model().objects.filter(username=args.username).first()
    if user is None:
        raise NotFoundError(f"no user {args.username!r}")
    viewer = viewer_for(user)
    handover = desks.get_handover(viewer, args.id)
    actor = Actor(name=f"{user.get_username()} (cli:{getpass.getuser()})", user_id=user.pk)
    print_json(desks.handover_row(desks.acknowledge_handover(viewer, actor, handover)))
    return 0


def cmd_sla_check(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import sla

    print_json(sla.check(_when(args.now), actor=_actor()))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import desks

    desks.ensure_desks()
    desk = desks.set_desk(
        _actor(),
        args.region,
        start_hour=args.start,
        hours=args.hours,
        lead=args.lead,
        time_zone=args.time_zone,
    )
    print_json(
        {
            "region": desk.region,
            "start_hour": desk.shift_start_hour,
            "hours": desk.shift_hours,
            "lead": desk.lead.get_username() if desk.lead else "",
            "problems": desks.rota_problems(),
        }
    )
    return 0
