"""`dnscc sharing ...`: trust groups, publishing, imports, feeds, exports."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import sys
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location, NotFoundError


def register(sub: Any) -> None:
    p = sub.add_parser("sharing", help="trust groups, STIX/TAXII/MISP in and out")
    ssub = p.add_subparsers(dest="sharing_command", metavar="ACTION", required=True)

    s = ssub.add_parser("groups", help="trust groups and their members")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_groups)

    s = ssub.add_parser("group-create", help="a trust group with its first agreement")
    s.add_argument("name")
    s.add_argument("--agreement", required=True, help="the agreement's text, or @FILE")
    s.add_argument("--min-vetting", default="vetted", help="unvetted, vetted or trusted")
    s.add_argument("--tlp-ceiling", default="AMBER")
    s.add_argument("--description", default="")
    s.add_argument("--slug", default="")
    s.set_defaults(func=cmd_group_create)

    s = ssub.add_parser("member-add", help="invite an organisation (refused below the level)")
    s.add_argument("group")
    s.add_argument("organization")
    s.add_argument("--accept", type=int, default=0, help="the agreement version it accepted")
    s.set_defaults(func=cmd_member_add)

    s = ssub.add_parser("agreement", help="a new version of a group's agreement")
    s.add_argument("group")
    s.add_argument("text", help="the text, or @FILE")
    s.set_defaults(func=cmd_agreement)

    s = ssub.add_parser("publish", help="publish an incident, campaign or advisory to a group")
    s.add_argument("group")
    s.add_argument("kind", choices=["incident", "campaign", "advisory"])
    s.add_argument("ref", help="incident reference, campaign slug or tracking id")
    s.set_defaults(func=cmd_publish)

    s = ssub.add_parser("import", help="import a STIX 2.1 bundle or MISP JSON (- for stdin)")
    s.add_argument("format", choices=["stix", "misp"])
    s.add_argument("file")
    s.add_argument("--provenance", required=True, help="who shared it, how")
    s.add_argument("--source-tlp", default="", help="the label it was shared under")
    s.add_argument("--policy", default="keep", help="custom objects: keep or reject")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import)

    s = ssub.add_parser("imports", help="imported intelligence")
    s.add_argument("id", nargs="?", type=int, help="one import, with its matches")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_imports)

    s = ssub.add_parser("open-incident", help="open an incident from an import")
    s.add_argument("id", type=int)
    s.add_argument("--title", required=True)
    s.set_defaults(func=cmd_open_incident)

    s = ssub.add_parser("open-campaign", help="open a campaign of an import's names")
    s.add_argument("id", type=int)
    s.add_argument("--title", required=True)
    s.add_argument("--due", required=True, help="YYYY-MM-DD")
    s.add_argument("--action", required=True)
    s.add_argument("--legal-basis", required=True)
    s.add_argument("--legal-reference", required=True)
    s.set_defaults(func=cmd_open_campaign)

    s = ssub.add_parser("export", help="a campaign as one STIX 2.1 bundle")
    s.add_argument("campaign")
    s.add_argument("-o", "--output", default="-", help="file (default: stdout)")
    s.set_defaults(func=cmd_export)

    s = ssub.add_parser("source-add", help="a partner feed to poll (TAXII collection or MISP)")
    s.add_argument("name")
    s.add_argument("kind", choices=["taxii", "misp"])
    s.add_argument("url", help="the collection's URL, or the MISP feed's base URL")
    s.add_argument("--token", default="")
    s.add_argument("--source-tlp", default="")
    s.set_defaults(func=cmd_source_add)

    s = ssub.add_parser("poll", help="poll the partner feeds now")
    s.add_argument("--source", default="", help="one source by name")
    s.set_defaults(func=cmd_poll)

    s = ssub.add_parser("pulls", help="who pulled what from a group")
    s.add_argument("group")
    s.add_argument("--limit", type=int, default=100)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_pulls)


def _who() -> tuple[Any, Any]:
    from dnscc.accounts.audit import Actor
    from dnscc.core.tlp import Role, Viewer

    return Viewer(user_id=0, role=Role.ADMIN), Actor(f"cli:{getpass.getuser()}")


def _text(value: str) -> str:
    if value.startswith("@"):
        return Path(value[1:]).read_text(encoding="utf-8")
    return value


def _org(slug: str) -> Any:
    from dnscc.directory.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise NotFoundError(f"no organisation {slug!r}")
    return org


def cmd_groups(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import groups

    viewer, _ = _who()
    found = [groups.group_summary(g) for g in groups.active_groups(viewer)]
    if args.json:
        print_json(found)
        return 0
    for g in found:
        print(
            f"{g['slug']}: {g['name']} (min {g['min_vetting']}, ceiling TLP:{g['tlp_ceiling']},"
            f" agreement v{g['agreement_version']})"
        )
        for m in g["members"]:
            print(f"  {m['organization']}: {m['state']}")
    return 0


def cmd_group_create(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import groups

    viewer, actor = _who()
    group = groups.create_group(
        viewer,
        actor,
        name=args.name,
        agreement=_text(args.agreement),
        min_vetting=args.min_vetting,
        tlp_ceiling=args.tlp_ceiling,
        description=args.description,
        slug=args.slug,
    )
    print(f"trust group {group.slug} created; TAXII API root /taxii2/{group.slug}/")
    return 0


def cmd_member_add(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import groups

    viewer, actor = _who()
    group = groups.get_group(args.group)
    membership = groups.add_member(
        viewer, actor, group, _org(args.organization), accept_version=args.accept
    )
    print(
        f"{membership.organization.slug} in {group.slug}: {groups.member_state(group, membership)}"
    )
    return 0


def cmd_agreement(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import groups

    viewer, actor = _who()
    agreement = groups.new_agreement(viewer, actor, groups.get_group(args.group), _text(args.text))
    print(f"{args.group}: agreement v{agreement.version}; members must accept it again")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import groups, publish

    viewer, actor = _who()
    pub = publish.publish_named(viewer, actor, groups.get_group(args.group), args.kind, args.ref)
    print(
        f"{pub.kind} {pub.ref} published to {args.group}: {pub.object_count} objects, TLP:{pub.tlp}"
    )
    return 0


def _import_out(imp: Any, matches: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {
        "id": imp.pk,
        "kind": imp.kind,
        "source": imp.source_name,
        "provenance": imp.provenance,
        "tlp": imp.tlp,
        "may_forward": imp.may_forward,
        "objects": imp.object_count,
        "indicators": imp.indicator_count,
        "kept": imp.kept,
        "rejected": imp.rejected,
        "tlds": imp.tlds,
        "registries": imp.registries,
        "incident": imp.incident_ref,
        "campaign": imp.campaign_slug,
        "rejections": imp.report.get("rejections", [])[:20],
    }
    if matches is not None:
        out["matches"] = matches
    return out


def cmd_import(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import imports

    viewer, actor = _who()
    name = "stdin" if args.file == "-" else args.file
    try:
        stream = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        raise InputError(str(exc.strerror), location=Location(file=args.file)) from None
    with stream:
        if args.format == "stix":
            imp = imports.import_stix(
                viewer,
                actor,
                stream,
                name=name,
                provenance=args.provenance,
                source_tlp=args.source_tlp,
                policy=args.policy,
            )
        else:
            imp = imports.import_misp(
                viewer,
                actor,
                [(name, stream)],
                name=name,
                provenance=args.provenance,
                source_tlp=args.source_tlp,
            )
    out = _import_out(imp, imports.matches(imp))
    if args.json:
        print_json(out)
    else:
        print(
            f"import #{imp.pk}: {imp.indicator_count} indicator(s), {imp.kept} kept, {imp.rejected}"
            f" rejected, TLP:{imp.tlp}; {imp.tlds} TLD(s), {imp.registries} registr(y/ies)"
        )
    return 0


def cmd_imports(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import imports

    viewer, _ = _who()
    if args.id:
        imp = imports.get_import(viewer, args.id)
        print_json(_import_out(imp, imports.matches(imp)))
        return 0
    rows = [_import_out(i) for i in imports.visible_imports(viewer)]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(
                f"#{r['id']} {r['kind']} {r['source']}: {r['indicators']} indicators,"
                f" TLP:{r['tlp']}"
            )
    return 0


def cmd_open_incident(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import imports

    viewer, actor = _who()
    incident = imports.open_incident(
        viewer, actor, imports.get_import(viewer, args.id), title=args.title
    )
    print(incident.ref)
    return 0


def cmd_open_campaign(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import imports

    viewer, actor = _who()
    try:
        due = dt.date.fromisoformat(args.due)
    except ValueError:
        raise InputError(f"{args.due!r} is not a date", location=Location(field="due")) from None
    campaign = imports.open_campaign(
        viewer,
        actor,
        imports.get_import(viewer, args.id),
        title=args.title,
        due_date=due,
        action=args.action,
        legal_basis=args.legal_basis,
        legal_reference=args.legal_reference,
    )
    print(f"{campaign.slug} (incident {campaign.incident.ref}): {campaign.names_total} names")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.campaigns import services as campaigns
    from dnscc.sharing import publish

    viewer, actor = _who()
    campaign = campaigns.get_campaign(viewer, args.campaign)
    if args.output == "-":
        count = publish.export_campaign_bundle(viewer, actor, campaign, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            count = publish.export_campaign_bundle(viewer, actor, campaign, out)
        print(f"{count} objects written to {args.output}", file=sys.stderr)
    return 0


def cmd_source_add(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import fetch

    viewer, actor = _who()
    source = fetch.add_source(
        viewer,
        actor,
        name=args.name,
        kind=args.kind,
        url=args.url,
        token=args.token,
        source_tlp=args.source_tlp,
    )
    print(f"feed {source.name} added ({source.kind} {source.url})")
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import fetch
    from dnscc.sharing.models import FeedSource

    qs = FeedSource.objects.all()
    if args.source:
        qs = qs.filter(name=args.source)
        if not qs.exists():
            raise NotFoundError(f"no feed {args.source!r}")
    for source in qs:
        found = fetch.poll(source)
        print(
            f"{source.name}: {len(found)} import(s),"
            f" {sum(i.indicator_count for i in found)} indicator(s)"
        )
    return 0


def cmd_pulls(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.sharing import groups
    from dnscc.sharing.models import Pull

    group = groups.get_group(args.group)
    rows = list(Pull.objects.filter(group=group).select_related("organization")[: args.limit])
    out = [
        {
            "at": p.at.isoformat(),
            "user": p.username,
            "organization": p.organization.slug if p.organization else "",
            "object": p.stix_id,
            "version": p.version,
            "via": p.via,
        }
        for p in rows
    ]
    if args.json:
        print_json(out)
    else:
        for r in out:
            print(
                f"{r['at']} {r['user']} ({r['organization'] or 'center'}) {r['via']} {r['object']}"
            )
    return 0
