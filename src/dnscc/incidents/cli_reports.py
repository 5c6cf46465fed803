"""`dnscc report list|show|open|merge|link|reject|inbound`: triage from the command line,
and `dnscc report inbound < message.eml` to feed one raw mail (reports address or an
incident's thread address) from the MTA."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from dnscc.cli import django_setup, print_json


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="reports to the center: triage and inbound mail")
    rsub = p.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    s = rsub.add_parser("list", help="reports (default: those waiting for triage)")
    s.add_argument("--state", default="open", help="open (to triage), a state, or all")
    s.add_argument("--desk", default="", help="a desk region (unrouted reports included)")
    s.add_argument("--source", default="", choices=["", "web", "api", "mail", "alert"])
    s.add_argument("--exercises", action="store_true", help="also an exercise's reports")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)
    s = rsub.add_parser("show", help="one report")
    s.add_argument("id", type=int)
    s.set_defaults(func=cmd_show)
    s = rsub.add_parser("open", help="open a report as a new incident")
    s.add_argument("id", type=int)
    s.add_argument("--impact", default="", choices=["", "low", "medium", "high"])
    s.add_argument("--urgency", default="", choices=["", "low", "medium", "high"])
    s.set_defaults(func=cmd_open)
    for name, text in (("merge", "merge into an incident"), ("link", "link to an incident")):
        s = rsub.add_parser(name, help=text)
        s.add_argument("id", type=int)
        s.add_argument("ref", help="the incident, DNSCC-YYYY-NNNN")
        s.set_defaults(func=cmd_decide, decision=name)
    s = rsub.add_parser("reject", help="reject a report; the reporter reads the reason")
    s.add_argument("id", type=int)
    s.add_argument("--reason", required=True)
    s.set_defaults(func=cmd_reject)
    s = rsub.add_parser("inbound", help="process one raw mail read from standard input")
    s.set_defaults(func=cmd_inbound)


def _actor() -> Any:
    from dnscc.accounts.audit import Actor

    return Actor(f"cli:{getpass.getuser()}")


def _viewer() -> Any:
    from dnscc.core.tlp import Role, Viewer

    # The command line runs with the machine's authority: a coordinator's view.
    return Viewer(user_id=0, role=Role.ADMIN)


def _report(report_id: int) -> Any:
    from dnscc.incidents import intake

    return intake.get_report(_viewer(), report_id)


def cmd_list(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import intake

    rows = intake.search_reports(
        _viewer(), state=args.state, desk=args.desk, source=args.source, exercises=args.exercises
    )
    if args.json:
        print_json([intake.report_dict(r) for r in rows])
        return 0
    for r in rows:
        print(
            f"{r.pk:>6}  {r.created_at:%Y-%m-%d %H:%M}  {r.source:<5}  {r.state:<11}"
            f"  {r.desk or '-':<3}  {r.title}"
        )
    if not rows:
        print("no reports", file=sys.stderr)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import intake

    print_json(intake.report_dict(_report(args.id)))
    return 0


def cmd_open(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import intake

    data = {k: v for k, v in (("impact", args.impact), ("urgency", args.urgency)) if v}
    incident = intake.open_report(_viewer(), _actor(), _report(args.id), data)
    print_json({"report": args.id, "state": "opened", "incident": incident.ref})
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import intake

    decide = intake.merge_report if args.decision == "merge" else intake.link_report
    incident = decide(_viewer(), _actor(), _report(args.id), args.ref)
    state = "merged" if args.decision == "merge" else "linked"
    print_json({"report": args.id, "state": state, "incident": incident.ref})
    return 0


def cmd_reject(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents import intake

    report = intake.reject_report(_viewer(), _actor(), _report(args.id), args.reason)
    print_json({"report": report.pk, "state": report.state})
    return 0


def cmd_inbound(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.incidents.mail import process_incident_mail

    result = process_incident_mail(sys.stdin.buffer.read())
    print_json(result)
    return 0  # refused mail is in the audit log; a non-zero exit would bounce it to its sender
