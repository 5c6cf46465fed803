"""`dnscc campaign ...`."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path
from typing import Any

from dnscc.campaigns import cli_results
from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location

LEGAL_HELP = "court_order, registry_waiver or other"


def register(sub: Any) -> None:
    p = sub.add_parser("campaign", help="coordinated action campaigns")
    csub = p.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)

    s = csub.add_parser("list", help="campaigns")
    s.add_argument("--exercises", action="store_true", help="also an exercise's campaigns")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)

    s = csub.add_parser("create", help="a campaign for an incident")
    s.add_argument("--incident", required=True, help="incident reference, DNSCC-YYYY-NNNN")
    s.add_argument("--title", required=True)
    s.add_argument("--due", required=True, help="due date, YYYY-MM-DD (23:59 local time)")
    s.add_argument("--description", default="")
    s.add_argument("--sinkhole-ns", default="", help="comma-separated sinkhole name servers")
    s.add_argument("--tlp", default="AMBER")
    s.set_defaults(func=cmd_create)

    def list_args(s: argparse.ArgumentParser) -> None:
        s.add_argument("slug")
        s.add_argument("--action", required=True, help="block, suspend, sinkhole, ...")
        s.add_argument("--legal-basis", required=True, help=LEGAL_HELP)
        s.add_argument("--legal-reference", required=True, help="court order or waiver ref.")
        s.add_argument("--expires", help="when the action ends, YYYY-MM-DD")

    s = csub.add_parser("load", help="load a name list (text, CSV, gzip, zip; - for stdin)")
    list_args(s)
    s.add_argument("file")
    s.add_argument(
        "--encoding",
        help="encoding of lines that are not UTF-8 (e.g. cp1252); without it they are refused",
    )
    s.set_defaults(func=cmd_load)

    s = csub.add_parser("generate", help="load the names of a DGA over a date range")
    list_args(s)
    s.add_argument("--generator", required=True)
    s.add_argument("--start", required=True, help="YYYY-MM-DD")
    s.add_argument("--end", required=True, help="YYYY-MM-DD")
    s.set_defaults(func=cmd_generate)

    for name, func, text in (
        ("deliver", "cmd_deliver", "deliver every pending slice through the outbox"),
        ("show", "cmd_show", "a campaign with its lists and slices"),
        ("slices", "cmd_slices", "the slices of a campaign"),
        ("end", "cmd_end", "end a campaign (release notices for blocks)"),
    ):
        s = csub.add_parser(name, help=text)
        s.add_argument("slug")
        s.add_argument("--json", action="store_true")
        s.set_defaults(func=globals()[func])

    s = csub.add_parser("manifest", help="write a slice's manifest (csv, json, *.asc, sha256)")
    s.add_argument("slug")
    s.add_argument("slice", type=int)
    s.add_argument("--format", default="csv", dest="fmt")
    s.add_argument("-o", "--output", help="file (default: standard output)")
    s.set_defaults(func=cmd_manifest)

    s = csub.add_parser("ack", help="acknowledge a slice on its operator's behalf")
    s.add_argument("slug")
    s.add_argument("slice", type=int)
    s.set_defaults(func=cmd_ack)

    s = csub.add_parser("outcomes", help="record an operator's outcome file for a slice")
    s.add_argument("slug")
    s.add_argument("slice", type=int)
    s.add_argument("file")
    s.set_defaults(func=cmd_outcomes)

    # Verification, reports and exports (cli_results.py; keep this line).
    cli_results.add_commands(csub)


def _who() -> tuple[Any, Any]:
    from dnscc.accounts.audit import Actor
    from dnscc.core.tlp import Role, Viewer

    return Viewer(user_id=0, role=Role.ADMIN), Actor(f"cli:{getpass.getuser()}")


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(
            f"{value!r} is not a date", location=Location(field=field), hint="write YYYY-MM-DD"
        ) from None


def _expires(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.combine(_date(value, "expires"), dt.time(23, 59), tzinfo=dt.UTC)


def _campaign(slug: str) -> Any:
    from dnscc.campaigns import services

    return services.get_campaign(_who()[0], slug)


def _list_out(nl: Any) -> None:
    from dnscc.campaigns import services

    r = services.name_list_report(nl)
    print(
        f"{r['source']}: {r['lines']} lines, {r['added']} added, {r['duplicates']} duplicate(s),"
        f" {r['invalid']} invalid, {r['unassigned']} without operator"
    )
    for item in r["invalid_lines"][:20]:
        print(f"  {item['file']}, line {item['line']}: {item['reason']}")
    if r["invalid"] > 20:
        print(f"  ... {r['invalid'] - 20} more invalid line(s)")
    if r["unknown_tlds"]:
        print(
            "  unknown TLDs: " + ", ".join(f"{t['tld']} ({t['names']})" for t in r["unknown_tlds"])
        )


def cmd_list(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    rows = [
        {
            "slug": c.slug,
            "title": c.title,
            "status": c.status,
            "names": c.names_total,
            "exercise": c.exercise,
        }
        for c in services.listed_campaigns(_who()[0], exercises=args.exercises)
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['slug']:<40} {r['status']:<8} {r['names']:>9}  {r['title']}")
    return 0


def cmd_create(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    campaign = services.create_campaign(
        viewer,
        actor,
        incident_ref=args.incident,
        title=args.title,
        due_date=_date(args.due, "due"),
        description=args.description,
        sinkhole_ns=[h for h in args.sinkhole_ns.split(",") if h.strip()],
        tlp=args.tlp,
    )
    print(campaign.slug)
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    campaign = _campaign(args.slug)
    kwargs = {
        "action": args.action,
        "legal_basis": args.legal_basis,
        "legal_reference": args.legal_reference,
        "expires_at": _expires(args.expires),
        "encoding": args.encoding,
    }
    if args.file == "-":
        nl = services.load_names(
            viewer, actor, campaign, sys.stdin.buffer, filename="stdin", **kwargs
        )
    else:
        path = Path(args.file)
        if not path.is_file():
            raise InputError("no such file", location=Location(file=args.file))
        with path.open("rb") as stream:
            nl = services.load_names(viewer, actor, campaign, stream, filename=path.name, **kwargs)
    _list_out(nl)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    nl = services.generate_names(
        viewer,
        actor,
        _campaign(args.slug),
        generator=args.generator,
        start=_date(args.start, "start"),
        end=_date(args.end, "end"),
        action=args.action,
        legal_basis=args.legal_basis,
        legal_reference=args.legal_reference,
        expires_at=_expires(args.expires),
    )
    _list_out(nl)
    return 0


def cmd_deliver(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    result = services.deliver(viewer, actor, _campaign(args.slug))
    if args.json:
        print_json(result)
    else:
        print(f"{result['slices']} slice(s) delivered, {result['messages']} message(s) queued")
        if result["unreachable"]:
            print("no contact channel: " + ", ".join(result["unreachable"]), file=sys.stderr)
    return 0


def _slice_rows(campaign: Any) -> list[dict[str, Any]]:
    from dnscc.campaigns import services

    return [
        {
            "id": s.pk,
            "organization": s.organization.slug,
            "tlds": s.tlds,
            "names": s.names,
            "deadline_utc": s.deadline,
            "deadline_local": services.local_deadline(s),
            "state": s.state,
            "acknowledged_at": s.acknowledged_at,
            "reported": s.reported,
            "verified_ok": s.verified_ok,
            "manifest_sha256": s.manifest_sha256,
        }
        for s in services.visible_slices(_who()[0], campaign)
    ]


def cmd_show(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import reports, services

    campaign = _campaign(args.slug)
    data = {
        "slug": campaign.slug,
        "title": campaign.title,
        "incident": campaign.incident.ref,
        "status": campaign.status,
        "tlp": campaign.tlp,
        "due": f"{campaign.due_date} {campaign.due_time:%H:%M}",
        "names": campaign.names_total,
        "unassigned": campaign.names_unassigned,
        "lists": [services.name_list_report(nl) for nl in campaign.lists.all()],
        "slices": _slice_rows(campaign),
        "constrained": reports.constrained_reach(campaign.pk).as_dict(),
    }
    if args.json:
        print_json(data)
    else:
        print(
            f"{campaign.title} [{campaign.status}] TLP:{campaign.tlp} incident {data['incident']}"
        )
        print(
            f"due {data['due']}; {campaign.names_total} names,"
            f" {campaign.names_unassigned} without slice"
        )
        for nl in campaign.lists.all():
            _list_out(nl)
        _print_slices(data["slices"])
        print(data["constrained"]["words"])
    return 0


def _print_slices(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        ack = "ack" if r["acknowledged_at"] else "-"
        print(
            f"{r['id']:>6} {r['organization']:<36} {r['names']:>8} {r['state']:<12} {ack:<3}"
            f" {r['reported']:>8} reported  due {r['deadline_local']}"
        )


def cmd_slices(args: argparse.Namespace) -> int:
    django_setup()
    rows = _slice_rows(_campaign(args.slug))
    if args.json:
        print_json(rows)
    else:
        _print_slices(rows)
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    campaign = _campaign(args.slug)
    content, _ = services.manifest(
        viewer, actor, services.get_slice(viewer, campaign, args.slice), args.fmt
    )
    if args.output:
        Path(args.output).write_bytes(content)
    else:
        sys.stdout.buffer.write(content)
    return 0


def cmd_ack(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    campaign = _campaign(args.slug)
    slice_ = services.acknowledge_slice(
        viewer, actor, services.get_slice(viewer, campaign, args.slice), via="cli"
    )
    print(f"slice {slice_.pk} {slice_.state}")
    return 0


def cmd_outcomes(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    campaign = _campaign(args.slug)
    slice_ = services.get_slice(viewer, campaign, args.slice)
    path = Path(args.file)
    if not path.is_file():
        raise InputError("no such file", location=Location(file=args.file))
    with path.open("rb") as stream:
        result = services.record_outcomes(viewer, actor, slice_, stream, filename=path.name)
    print_json(result)
    return 0


def cmd_end(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services

    viewer, actor = _who()
    campaign = services.end_campaign(viewer, actor, _campaign(args.slug))
    print(f"{campaign.slug} {campaign.status}")
    return 0
