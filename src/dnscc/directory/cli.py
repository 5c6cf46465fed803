"""`dnscc import`, `dnscc export`, `dnscc lookup`, `dnscc directory ...`."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location, UsageError, ValidationErrors


def register(sub: Any) -> None:
    p = sub.add_parser("import", help="import the root zone or contact data into the directory")
    isub = p.add_subparsers(dest="import_command", metavar="WHAT", required=True)
    r = isub.add_parser(
        "rootzone", help="TLDs, NS, glue, DS and inferred operators from a root zone"
    )
    r.add_argument("file", nargs="?", help="root zone file (default: the shipped snapshot)")
    r.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    r.add_argument(
        "--allow-shrink",
        action="store_true",
        help="accept a zone with fewer delegations than the directory holds "
        "(more than DNSCC_ROOTZONE_MAX_SHRINK_PERCENT removed, or NSEC gaps)",
    )
    r.add_argument(
        "--url",
        help="fetch the zone over HTTPS (e.g. https://www.internic.net/domain/root.zone); "
        "its ZONEMD and signatures must verify",
    )
    r.add_argument(
        "--axfr",
        metavar="SERVER",
        help="transfer the zone from a root server offering AXFR (NAME or ADDRESS[@PORT]); "
        "its ZONEMD and signatures must verify",
    )
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=import_rootzone)
    i = isub.add_parser(
        "iana-rootdb",
        help="each TLD's IANA type, manager, RDAP URLs and DNSSEC flag (IANA Root Zone Database)",
    )
    i.add_argument("file", nargs="?", help="the CSV export (default: the shipped snapshot)")
    i.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=import_iana)
    c = isub.add_parser("contacts", help="contacts from CSV or JSON (docs/directory.md)")
    c.add_argument("file")
    c.add_argument("--format", choices=["csv", "json"], help="default: from the file name")
    c.add_argument("--dry-run", action="store_true")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=import_contacts)

    p = sub.add_parser("export", help="export the directory as CSV or JSON")
    p.add_argument("what", choices=["organizations", "tlds", "contacts"])
    p.add_argument("--format", choices=["json", "csv"], default="json")
    p.add_argument("-o", "--output", help="file to write (default: standard output)")
    p.set_defaults(func=export_directory)

    p = sub.add_parser("lookup", help="who is responsible for a domain name, TLD or IP address")
    p.add_argument("query", nargs="+")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=lookup_cmd)

    p = sub.add_parser("directory", help="confirm, vet, merge and split organizations")
    dsub = p.add_subparsers(dest="directory_command", metavar="ACTION", required=True)
    d = dsub.add_parser("confirm", help="confirm an inferred operator")
    d.add_argument("slug")
    d.set_defaults(func=confirm)
    d = dsub.add_parser("vet", help="set the vetting level")
    d.add_argument("slug")
    d.add_argument("level", choices=["unvetted", "vetted", "trusted"])
    d.set_defaults(func=vet)
    d = dsub.add_parser("merge", help="merge SOURCE organizations into TARGET")
    d.add_argument("target")
    d.add_argument("sources", nargs="+")
    d.set_defaults(func=merge)
    d = dsub.add_parser(
        "link", help="the TLDs a manager holds (IANA) take OPERATOR as technical operator"
    )
    d.add_argument("manager")
    d.add_argument("operator")
    d.set_defaults(func=link)
    d = dsub.add_parser("split", help="move TLDs of an organization into a new one")
    d.add_argument("slug")
    d.add_argument("--tlds", required=True, help="comma-separated TLDs to move")
    d.add_argument("--name", required=True, help="name of the new organization")
    d.set_defaults(func=split)


def _actor() -> Any:
    from dnscc.accounts.audit import Actor

    return Actor(f"cli:{getpass.getuser()}")


def _cli_viewer() -> Any:
    from dnscc.core.tlp import Role, Viewer

    # The command line runs with the machine's authority: full directory access.
    return Viewer(user_id=0, role=Role.ADMIN)


def _read(path: str) -> str:
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", location=Location(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", location=Location(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", location=Location(path)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", location=Location(path)) from None


def import_rootzone(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.core.paths import default_root_zone
    from dnscc.directory import rootzone_fetch
    from dnscc.directory.rootzone_import import import_root_zone

    given = [x for x in (args.file, args.url, args.axfr) if x]
    if len(given) > 1:
        raise UsageError("give one of FILE, --url, --axfr")
    anchors = None
    if args.url:
        path, text = args.url, rootzone_fetch.fetch_url(args.url)
    elif args.axfr:
        path, text = f"AXFR from {args.axfr}", rootzone_fetch.fetch_axfr(args.axfr)
    else:
        path = args.file or str(default_root_zone())
        text = _read(path)
    if args.url or args.axfr:
        anchors = rootzone_fetch.trust_anchor()
    report = import_root_zone(
        text if text.endswith("\n") else text + "\n",
        actor=_actor(),
        dry_run=args.dry_run,
        name=path,
        allow_shrink=args.allow_shrink,
        fetched=anchors is not None,
        anchors=anchors,
    )
    return _print_rootzone_report(report, args)


def _print_rootzone_report(report: Any, args: argparse.Namespace) -> int:
    if args.json:
        print_json(report.as_dict())
        return 0
    print(
        f"root zone serial {report.serial}: {report.tlds_in_zone} TLDs "
        f"({'dry run, nothing written' if args.dry_run else 'imported'})"
        + (f"; {', '.join(report.notes)}" if report.notes else "")
    )
    for check, found in report.checks.items():
        print(f"  {check}: {found}")
    if args.dry_run:
        print(
            f"  TLDs that would be added: {len(report.created)}, changed: "
            f"{len(report.updated)}, undelegated: {len(report.undelegated)}; "
            f"{report.unchanged} unchanged"
        )
        print(
            f"  inferred operators that would be created: {len(report.organizations_created)};"
            f" TLDs that would be placed: {report.assigned}"
        )
    else:
        print(
            f"  TLDs added: {len(report.created)}, changed: {len(report.updated)}, "
            f"undelegated: {len(report.undelegated)}; {report.unchanged} unchanged"
        )
        print(
            f"  inferred operators created: {len(report.organizations_created)};"
            f" TLDs placed: {report.assigned}"
        )
    for name, fields in list(report.updated.items())[:20]:
        print(f"  ~ .{name}: {', '.join(fields)}")
    for name in report.undelegated[:20]:
        print(f"  - .{name}: no longer delegated")
    for w in report.warnings[:20]:
        print(f"  warning: {w}")
    return 0


def import_iana(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.core.paths import default_iana_rootdb
    from dnscc.directory.iana_import import import_iana_rootdb

    path = args.file or str(default_iana_rootdb())
    report = import_iana_rootdb(_read(path), actor=_actor(), dry_run=args.dry_run, name=path)
    if args.json:
        print_json(report.as_dict())
        return 0
    print(
        f"{path}: {report.rows} TLDs, {report.assigned} assigned "
        f"({'dry run, nothing written' if args.dry_run else 'imported'})"
    )
    print(
        f"  TLDs {'to change' if args.dry_run else 'changed'}: {len(report.updated)}; "
        f"{report.unchanged} unchanged; {len(report.managers_created)} manager(s) "
        f"{'to add' if args.dry_run else 'added'}"
    )
    for name, fields in list(report.updated.items())[:20]:
        print(f"  ~ .{name}: {', '.join(fields)}")
    for name, (old, new) in report.manager_changed.items():
        print(f"  manager of .{name}: {old} -> {new}")
    disagreements = report.as_dict()["disagreements"]
    for key, label in (
        ("in_iana_not_in_root_zone", "in the IANA database, not delegated in the root zone"),
        ("in_root_zone_not_in_iana", "delegated in the root zone, not in the IANA database"),
        ("not_assigned_in_iana_but_delegated", "'Not assigned' in IANA, yet delegated"),
    ):
        if disagreements[key]:
            names = ", ".join("." + n for n in disagreements[key][:30])
            more = len(disagreements[key]) - 30
            print(f"  {label}: {names}" + (f" and {more} more" if more > 0 else ""))
    return 0


def import_contacts(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory.contacts_import import import_contacts as run

    report = run(
        _read(args.file), source=args.file, fmt=args.format, actor=_actor(), dry_run=args.dry_run
    )
    if args.json:
        print_json(report.as_dict())
    else:
        verb = "would be" if args.dry_run else ""
        print(
            f"{args.file}: {report.records} record(s)"
            + (" (dry run, nothing written)" if args.dry_run else "")
        )
        print(
            f"  contacts {verb} created: {len(report.created)}, updated: {len(report.updated)}, "
            f"unchanged: {report.unchanged}, rejected: {len(report.errors)}"
        )
        for label in report.created[:50]:
            print(f"  + {label}")
        for label in report.updated[:50]:
            print(f"  ~ {label}")
        for slug in report.organizations_created:
            print(f"  + organization {slug}")
        for err in report.errors:
            print(f"  error: {err}", file=sys.stderr)
    return 0 if report.ok else ValidationErrors.exit_code


def export_directory(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory.export import export

    text = export(args.what, args.format, _cli_viewer(), _actor())
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def lookup_cmd(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory.lookup import lookup

    results = [lookup(q) for q in args.query]
    if args.json:
        print_json([r.as_dict() for r in results])
        return 0 if all(r.known for r in results) else 1
    for r in results:
        orgs = ", ".join(f"{o.name} [{o.slug}]" for o in r.organizations) or "nobody known"
        print(f"{r.query}: {r.kind} {r.normalized or '.'} -> {orgs}")
        if r.name_server_of:
            print(f"  name server of: {', '.join('.' + t for t in r.name_server_of[:20])}")
    return 0 if all(r.known for r in results) else 1


def _org(slug: str) -> Any:
    from dnscc.directory import services

    return services.get_organization(_cli_viewer(), slug)


def confirm(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory import services

    org = services.confirm_organization(_cli_viewer(), _actor(), _org(args.slug), None)
    print(f"confirmed {org.name}")
    return 0


def vet(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory import services

    org = services.set_vetting(_cli_viewer(), _actor(), _org(args.slug), args.level, None)
    print(f"{org.name}: {org.vetting}")
    return 0


def merge(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory import services

    target = _org(args.target)
    services.merge_organizations(_cli_viewer(), _actor(), target, [_org(s) for s in args.sources])
    print(f"merged {', '.join(args.sources)} into {target.slug}")
    return 0


def link(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory import services

    manager, operator = _org(args.manager), _org(args.operator)
    changed = services.link_manager(_cli_viewer(), _actor(), manager, operator)
    print(f"the TLDs of {manager.name} are run by {operator.name} ({len(changed)} changed)")
    return 0


def split(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.directory import services

    new = services.split_organization(
        _cli_viewer(), _actor(), _org(args.slug), args.tlds.split(","), args.name
    )
    print(f"created {new.slug} with {new.tlds.count()} TLD(s)")
    return 0
