"""`dnscc campaign verify|report|rpz|escalate` (added to the `campaign` command by cli.py)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import NotFoundError, UsageError


def add_commands(campaign_subparsers: Any) -> None:
    """Add the verification, report and export actions to `dnscc campaign`."""
    v = campaign_subparsers.add_parser("verify", help="check a campaign's names in DNS now")
    v.add_argument("slug")
    v.add_argument(
        "--hints",
        type=Path,
        help="find each TLD's servers from these root hints (default: the directory's glue)",
    )
    v.add_argument("--rate", type=float, help="queries per second per server")
    v.set_defaults(func=verify)
    r = campaign_subparsers.add_parser("report", help="the campaign report, per name")
    r.add_argument("slug")
    r.add_argument("--format", choices=("csv", "json"), default="csv")
    r.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    r.set_defaults(func=report)
    z = campaign_subparsers.add_parser("rpz", help="the campaign's names as a response policy zone")
    z.add_argument("slug")
    z.add_argument("-o", "--output", type=Path, help="write to FILE (default: stdout)")
    z.set_defaults(func=rpz)
    e = campaign_subparsers.add_parser("escalate", help="escalate late slices now")
    e.add_argument("--now", help="ISO date and time to act as of (default: now)")
    e.set_defaults(func=escalate)


def _campaign(slug: str) -> Any:
    from dnscc.campaigns.models import Campaign

    campaign = Campaign.objects.select_related("incident").filter(slug=slug).first()
    if campaign is None:
        raise NotFoundError(f"no campaign {slug!r}", hint="`dnscc campaign list` shows them")
    return campaign


def verify(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import audit
    from dnscc.campaigns.models import Target
    from dnscc.campaigns.verification import servers_from_hints, verify_campaign

    campaign = _campaign(args.slug)
    servers = None
    if args.hints:
        if not args.hints.exists():
            raise UsageError(f"no root hints file at {args.hints}")
        tlds = set(Target.objects.filter(campaign=campaign).values_list("tld", flat=True))
        servers = servers_from_hints(str(args.hints), tlds)
    run = verify_campaign(campaign, servers=servers, rate=args.rate, actor=audit.Actor("cli"))
    print_json(
        {
            "campaign": campaign.slug,
            "run": run.pk,
            "names": run.names,
            "ok": run.ok,
            "bad": run.bad,
            "errors": run.errors,
            "queries": run.queries,
            "not_run": run.not_run,
        }
    )
    return 0


def _write(chunks: Any, output: Path | None) -> None:
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with output.open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(chunk)


def report(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import audit
    from dnscc.campaigns import reports

    campaign = _campaign(args.slug)
    audit.disclosed(audit.Actor("cli"), "campaign.report", ids=[campaign.pk], how=args.format)
    chunks = reports.report_csv(campaign) if args.format == "csv" else reports.report_json(campaign)
    _write(chunks, args.output)
    return 0


def rpz(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import audit
    from dnscc.campaigns import reports

    campaign = _campaign(args.slug)
    audit.disclosed(audit.Actor("cli"), "campaign.rpz", ids=[campaign.pk], how="rpz")
    if args.output is None:
        reports.write_campaign_rpz(campaign, sys.stdout)
    else:
        with args.output.open("w", encoding="utf-8") as fh:
            summary = reports.write_campaign_rpz(campaign, fh)
        print_json({"file": str(args.output), "names": summary.names, "skipped": summary.skipped})
    return 0


def escalate(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns.escalation import escalate as run

    now = None
    if args.now:
        try:
            now = datetime.fromisoformat(args.now)
        except ValueError:
            raise UsageError(
                f"--now {args.now!r} is not an ISO date and time", hint="e.g. 2026-03-01T12:00Z"
            ) from None
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
    print_json(run(now))
    return 0
