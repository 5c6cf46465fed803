"""`dnscc rootinfo ...`: ingest RSSAC002 files, scan for anomalies, measure the letters
(RSSAC047), print the monthly report, export the figures."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location


def register(sub: Any) -> None:
    p = sub.add_parser("rootinfo", help="root server information: RSSAC002, RSSAC047")
    rsub = p.add_subparsers(dest="rootinfo_command", metavar="ACTION", required=True)
    s = rsub.add_parser("ingest", help="ingest RSSAC002 files: a file, directory, tarball or URL")
    s.add_argument(
        "source", help="file, directory tree (YYYY/MM/<metric>/...), tarball or https URL"
    )
    s.add_argument("--jobs", type=int, help="parsing processes (default: the CPUs, at most 4)")
    s.add_argument("--ca-file", help="CA certificates for an https URL (default: the system's)")
    s.add_argument("--no-scan", action="store_true", help="do not look for anomalies after")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_ingest)
    s = rsub.add_parser("scan", help="look for anomalies from one day to another (alerts follow)")
    s.add_argument("--from", dest="first", required=True, help="YYYY-MM-DD")
    s.add_argument("--to", dest="last", required=True, help="YYYY-MM-DD")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_scan)
    s = rsub.add_parser("measure", help="one RSSAC047 round against every letter now")
    s.add_argument("--timeout", type=float, help="seconds per query (default 4)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_measure)
    s = rsub.add_parser("report", help="the RSSAC047 report of a month")
    s.add_argument("month", help="YYYY-MM")
    s.add_argument("--format", choices=("text", "csv", "json"), default="text")
    s.set_defaults(func=cmd_report)
    s = rsub.add_parser("export", help="the letters' daily figures as CSV or JSON")
    s.add_argument("--from", dest="first", required=True, help="YYYY-MM-DD")
    s.add_argument("--to", dest="last", required=True, help="YYYY-MM-DD")
    s.add_argument("--letter", default="")
    s.add_argument("--format", choices=("csv", "json"), default="csv")
    s.set_defaults(func=cmd_export)


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{text!r} is not a date (YYYY-MM-DD)", location=Location(field=field)
        ) from None


def cmd_ingest(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import audit
    from dnscc.rootinfo.ingest import ingest

    if args.jobs is not None and args.jobs < 1:
        raise InputError("--jobs must be at least 1", location=Location(field="jobs"))
    run = ingest(
        args.source,
        actor=audit.Actor("cli"),
        jobs=args.jobs,
        ca_file=args.ca_file,
        scan=not args.no_scan,
    )
    data = {
        "run": run.pk,
        "state": run.state,
        "new": run.files_new,
        "unchanged": run.files_unchanged,
        "corrected": run.files_corrected,
        "refused": run.files_rejected,
        "notes": run.notes,
        "problems": run.problems,
        "corrections": run.corrections,
    }
    if args.json:
        print_json(data)
    else:
        print(
            f"{run.source}: {run.files_new} new, {run.files_corrected} corrected, "
            f"{run.files_unchanged} unchanged, {run.files_rejected} refused "
            f"({run.notes} irregularities read)"
        )
        for c in run.corrections[:20]:
            print(f"  corrected: {c['file']} (replaces {c['replaced']})")
        for p in run.problems:
            where = f"{p['file']}" + (f", line {p['line']}" if p.get("line") else "")
            print(f"  refused: {where}: {p['error']}", file=sys.stderr)
    return 0 if run.files_rejected == 0 else 1


def cmd_scan(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.rootinfo.anomalies import scan

    first, last = _day(args.first, "from"), _day(args.last, "to")
    if first > last:
        raise InputError("--from is after --to", location=Location(field="from"))
    result = scan(first, last)
    titles = [a.title for a in result.opened if a is not None]
    data: dict[str, Any] = {
        "days": result.days,
        "judged": result.judged,
        "not_judged": result.not_judged,
        "anomalies": [
            {"letter": a.letter, "series": a.series, "day": a.day.isoformat(), "value": a.value}
            for a in result.anomalies
        ],
        "alerts": titles,
        "resolved": result.resolved,
    }
    if args.json:
        print_json(data)
    else:
        print(
            f"{result.days} days, {result.judged} judgements ({result.not_judged} with too "
            f"little history), {len(result.anomalies)} anomalies, {result.resolved} resolved"
        )
        for title in titles:
            print(f"  alert: {title}")
    return 0


def cmd_measure(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.rootinfo.rssac047 import run_round

    rows = run_round(timeout=args.timeout)
    data = [
        {
            "letter": m.letter,
            "answered": sum(1 for p in m.results if p["ok"]),
            "asked": len(m.results),
            "serial": m.serial,
            "correct": m.correct,
        }
        for m in rows
    ]
    if args.json:
        print_json(data)
    else:
        for d in data:
            print(
                f"{d['letter']}-root: {d['answered']}/{d['asked']} answered, serial "
                f"{d['serial']}, correct {d['correct']}"
            )
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.core.errors import NotFoundError
    from dnscc.rootinfo import rssac047

    report = rssac047.month_report(rssac047.parse_month(args.month))
    if not report.rows:
        raise NotFoundError(f"no measurements in {args.month}")
    if args.format == "csv":
        sys.stdout.write(rssac047.report_csv(report))
    elif args.format == "json":
        print_json(
            {
                "month": report.label,
                "rounds": report.rounds,
                "rows": {
                    row.who: {f.name: {"value": f.value, "verdict": f.verdict} for f in row.figures}
                    for row in report.rows
                },
            }
        )
    else:
        print(f"RSSAC047 report {report.label}: {report.rounds} rounds")
        for row in report.rows:
            print(f"{row.who}: {'pass' if row.passed else 'FAIL'}")
            for f in row.figures:
                print(f"  {f.name}: {f.shown()} ({f.verdict})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.rootinfo.views import export_rows, to_csv

    first, last = _day(args.first, "from"), _day(args.last, "to")
    rows = export_rows(first, last, letters=args.letter.lower() or "abcdefghijklm")
    if args.format == "json":
        sys.stdout.write(json.dumps(rows, default=str) + "\n")
    else:
        sys.stdout.write(to_csv(rows))
    return 0
