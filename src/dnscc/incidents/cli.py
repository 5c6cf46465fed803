"""`dnscc incident list|show|create|update|party|notify|note|task|attach|link|replay`.

The command line acts with the machine's authority (an admin viewer, recorded in the audit
log as `cli:<login>`), or as a named account with `--as USER` (needed to see a TLP:RED
incident, which only its author sees). `--json` prints what a script wants.
"""

from __future__ import annotations

import argparse
import getpass
from datetime import datetime
from pathlib import Path
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, Location, NotFoundError


def register(sub: Any) -> None:
    p = sub.add_parser("incident", help="incidents: open, change, notify parties, replay")
    isub = p.add_subparsers(dest="incident_command", metavar="ACTION", required=True)

    def action(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        a: argparse.ArgumentParser = isub.add_parser(name, help=help_text)
        a.add_argument("--as", dest="as_user", metavar="USER", help="act as this account")
        a.add_argument("--json", action="store_true")
        a.set_defaults(func=func)
        return a

    a = action("list", "incidents, filtered", cmd_list)
    a.add_argument("-q", "--query", default="", help="ref, title, or a name/TLD/IP in the scope")
    a.add_argument("--status", default="", help="comma-separated (default: all but closed)")
    a.add_argument("--severity", default="")
    a.add_argument("--type", dest="dns_type", default="")
    a.add_argument("--desk", default="")
    a.add_argument(
        "--exercises", action="store_true", help="also list incidents an exercise caused"
    )

    a = action("show", "one incident with its parties", cmd_show)
    a.add_argument("ref")

    a = action("create", "open an incident", cmd_create)
    a.add_argument("--title", required=True)
    a.add_argument("--summary", default="")
    a.add_argument("--type", dest="dns_type", default="other")
    a.add_argument("--impact", default="medium", choices=["low", "medium", "high"])
    a.add_argument("--urgency", default="medium", choices=["low", "medium", "high"])
    a.add_argument("--tlp", default="AMBER")
    _scope_args(a)
    a.add_argument("--desk", default="")
    a.add_argument("--owner", default="")

    a = action("from-alerts", "open an incident from monitoring alerts", cmd_from_alerts)
    a.add_argument("alerts", nargs="+", type=int, metavar="ALERT_ID")
    a.add_argument("--title", help="instead of the one proposed from the alerts")
    a.add_argument("--impact", choices=["low", "medium", "high"])
    a.add_argument("--urgency", choices=["low", "medium", "high"])
    a.add_argument("--tlp")
    a.add_argument("--desk")

    a = action("update", "change an incident (needs the version you saw)", cmd_update)
    a.add_argument("ref")
    a.add_argument("--version", type=int, required=True)
    for flag in ("title", "summary", "impact", "urgency", "tlp", "desk", "owner", "status"):
        a.add_argument(f"--{flag}")
    a.add_argument("--type", dest="dns_type")
    a.add_argument("--resolution")
    _scope_args(a)
    a.add_argument(
        "--confirm-drop",
        action="store_true",
        help="a scope change may drop parties that acknowledged already (set not affected)",
    )

    a = action("party", "list the parties, add one, or set one's status", cmd_party)
    a.add_argument("ref")
    a.add_argument("--add", metavar="ORG", help="add this organisation (slug) by hand")
    a.add_argument(
        "--add-constrained",
        nargs="?",
        const="",
        default=None,
        metavar="REGIONS",
        help="add every resource-constrained operator of these ICANN regions (comma-separated;"
        " none: the regions of the scope's TLDs) that is not a party yet",
    )
    a.add_argument("--role", default="affected", choices=["affected", "expert", "reporter"])
    a.add_argument("--reason", default="")
    a.add_argument("--set", dest="party_id", type=int, metavar="PARTY_ID")
    a.add_argument("--status")
    a.add_argument("--version", type=int)
    a.add_argument("--note", default="")

    a = action("notify", "queue the incident notice to its parties", cmd_notify)
    a.add_argument("ref")
    a.add_argument("--parties", default="", help="party ids (default: those not contacted)")
    a.add_argument("--message", default="", help="added to the notice")
    a.add_argument(
        "--preview", action="store_true", help="print each language version; send nothing"
    )

    a = action("note", "add a note to the timeline", cmd_note)
    a.add_argument("ref")
    a.add_argument("text")

    a = action("task", "add a task, or mark one done", cmd_task)
    a.add_argument("ref")
    a.add_argument("--title")
    a.add_argument("--owner", default="")
    a.add_argument("--due", help="ISO 8601 with a time zone, e.g. 2026-05-01T12:00Z")
    a.add_argument("--done", type=int, metavar="TASK_ID")
    a.add_argument("--version", type=int)

    a = action("attach", "attach a file", cmd_attach)
    a.add_argument("ref")
    a.add_argument("file", type=Path)
    a.add_argument("--content-type", default="application/octet-stream")

    a = action("link", "link to another incident", cmd_link)
    a.add_argument("ref")
    a.add_argument("other")
    a.add_argument("--relation", default="related", choices=["related", "duplicate", "parent"])

    a = action("replay", "the timeline, in order", cmd_replay)
    a.add_argument("ref")


def _scope_args(a: argparse.ArgumentParser) -> None:
    for key in ("names", "tlds", "ips", "resolvers"):
        a.add_argument(f"--{key}", help="comma-separated")


def _scope(args: argparse.Namespace) -> dict[str, list[str]] | None:
    given = {k: getattr(args, k) for k in ("names", "tlds", "ips", "resolvers")}
    if all(v is None for v in given.values()):
        return None
    return {k: [x.strip() for x in (v or "").split(",") if x.strip()] for k, v in given.items()}


def _who(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(viewer, actor, user) of this run."""
    from django.contrib.auth import get_user_model

    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.core.tlp import Role, Viewer

    if args.as_user:
        user = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            raise NotFoundError(f"no user {args.as_user!r}")
        return viewer_for(user), audit.Actor(f"cli:{user.get_username()}", user.pk), user
    # The machine's authority: staff, but no author of anything, so no RED.
    return Viewer(user_id=0, role=Role.ADMIN), audit.Actor(f"cli:{getpass.getuser()}"), None


def _setup(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    django_setup()
    return _who(args)


def _row(incident: Any) -> dict[str, Any]:
    return {
        "ref": incident.ref,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "tlp": incident.tlp,
        "dns_type": incident.dns_type,
        "desk": incident.desk,
        "scope": incident.scope,
        "created_at": incident.created_at,
        "version": incident.version,
        "exercise": incident.exercise,
    }


def _party(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "organization": p.organization.slug,
        "organization_name": p.organization.name,
        "role": p.role,
        "source": p.source,
        "status": p.status,
        "reason": p.reason,
        "notified_at": p.notified_at,
        "acknowledged_at": p.acknowledged_at,
        "version": p.version,
    }


def _print_parties(parties: list[dict[str, Any]]) -> None:
    for p in parties:
        print(f"  {p['id']:>6}  {p['status']:<14} {p['organization']:<30} v{p['version']}")


def cmd_list(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.accounts import audit
    from dnscc.incidents import services

    filters = services.IncidentFilters.from_query(
        {
            "q": args.query,
            "status": args.status,
            "severity": args.severity,
            "dns_type": args.dns_type,
            "desk": args.desk,
            "exercises": "1" if args.exercises else "",
        }
    )
    rows = services.search_incidents(viewer, filters)
    audit.disclosed(actor, "incidents.incident", ids=[i.ref for i in rows], how="cli")
    if args.json:
        print_json([_row(i) for i in rows])
        return 0
    for i in rows:
        print(f"{i.ref}  {i.status:<9} {i.severity:<8} {i.tlp:<12} {i.title}")
    if not rows:
        print("no incidents")
    return 0


def _show(args: argparse.Namespace, viewer: Any, actor: Any, ref: str) -> int:
    from dnscc.accounts import audit
    from dnscc.incidents import constrained, services

    incident = services.get_incident(viewer, ref)
    parties = services.visible_parties(viewer, incident)
    if parties:
        audit.disclosed(
            actor, "incidents.party", ids=[p.pk for p in parties], how="cli", incident=incident.ref
        )
    data = {
        **_row(incident),
        "summary": incident.summary,
        "parties": [_party(p) for p in parties],
        "unknown_scope": services.unknown_scope(incident) if viewer.is_staff else [],
        "constrained": (
            constrained.constrained_reach(incident.pk).as_dict() if viewer.is_staff else None
        ),
    }
    if args.json:
        print_json(data)
        return 0
    print(f"{incident.ref}: {incident.title}")
    print(
        f"  {incident.status}, severity {incident.severity}, {incident.tlp},"
        f" type {incident.dns_type}, desk {incident.desk or '-'}, version {incident.version}"
    )
    print(f"  parties ({len(parties)}):")
    _print_parties(data["parties"])
    if data["constrained"]:
        print(f"  {data['constrained']['words']}")
    if data["unknown_scope"]:
        print("  no operator known for: " + ", ".join(data["unknown_scope"]))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    return _show(args, viewer, actor, args.ref)


def cmd_create(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.incidents import services

    data = {
        "title": args.title,
        "summary": args.summary,
        "dns_type": args.dns_type,
        "impact": args.impact,
        "urgency": args.urgency,
        "tlp": args.tlp,
        "scope": _scope(args),
        "desk": args.desk,
        "owner": args.owner,
    }
    incident = services.create_incident(viewer, actor, data, user=user)
    if not args.json:
        print(f"opened {incident.ref}")
    return _show(args, viewer, actor, incident.ref)


def cmd_from_alerts(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.incidents import from_alerts

    alerts = from_alerts.alerts_of(args.alerts)
    data = {k: getattr(args, k) for k in ("title", "impact", "urgency", "tlp", "desk")}
    incident = from_alerts.open_incident(viewer, actor, alerts, data, user=user)
    if not args.json:
        print(f"opened {incident.ref} from {len(alerts)} alert(s)")
    return _show(args, viewer, actor, incident.ref)


def cmd_update(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    data = {
        key: getattr(args, key)
        for key in (
            "title",
            "summary",
            "impact",
            "urgency",
            "tlp",
            "desk",
            "owner",
            "status",
            "dns_type",
            "resolution",
        )
        if getattr(args, key) is not None
    }
    scope = _scope(args)
    if scope is not None:
        data["scope"] = scope
    services.update_incident(
        viewer, actor, incident, data, version=args.version, confirm_drop=args.confirm_drop
    )
    return _show(args, viewer, actor, incident.ref)


def cmd_party(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    if args.add_constrained is not None:
        from dnscc.incidents import constrained

        regions = [r for r in args.add_constrained.replace(",", " ").split() if r]
        added = constrained.add_constrained_parties(
            viewer, actor, incident, regions=regions or None
        )
        return _done(
            args,
            [_party(p) for p in added],
            f"added {len(added)} resource-constrained operator(s)"
            + (": " + ", ".join(p.organization.slug for p in added) if added else ""),
        )
    if args.add:
        party = services.add_party(
            viewer, actor, incident, args.add, role=args.role, reason=args.reason
        )
        return _done(args, _party(party), f"added {party.organization.slug} (party {party.pk})")
    if args.party_id is not None:
        if not args.status or args.version is None:
            raise InputError(
                "--set needs --status and --version",
                location=Location(field="status" if not args.status else "version"),
            )
        party = services.get_party(viewer, incident, args.party_id)
        party = services.set_party_status(
            viewer, actor, party, args.status, version=args.version, via="cli", note=args.note
        )
        return _done(args, _party(party), f"{party.organization.slug}: {party.status}")
    return _show(args, viewer, actor, incident.ref)


def _done(args: argparse.Namespace, data: Any, text: str) -> int:
    if args.json:
        print_json(data)
    else:
        print(text)
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    viewer, actor, user = _setup(args)
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    ids: list[int] | None = None
    if args.parties:
        try:
            ids = [int(x) for x in args.parties.split(",") if x.strip()]
        except ValueError:
            raise InputError("party ids are numbers", location=Location(field="parties")) from None
    if args.preview:
        from dnscc.incidents.editing import notice_preview

        found = notice_preview(viewer, incident, ids, args.message)
        data = {
            "versions": [
                {"language": v.language, "subject": v.subject, "body": v.body, "to": v.recipients}
                for v in found["versions"]
            ],
            "unreachable": found["unreachable"],
        }
        text = "\n\n".join(
            f"--- {v['language']} to {'; '.join(v['to'])}\nSubject: {v['subject']}\n\n{v['body']}"
            for v in data["versions"]
        )
        if found["unreachable"]:
            text += "\n\nno usable contact: " + ", ".join(found["unreachable"])
        return _done(args, data, text)
    result = services.notify_parties(
        viewer, actor, incident, party_ids=ids, message=args.message, user=user
    )
    text = f"{result['parties']} party(ies) notified: {result['messages']} message(s) queued"
    if result["unreachable"]:
        text += "; no contact for: " + ", ".join(result["unreachable"])
    return _done(args, result, text)


def cmd_note(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    services.add_note(viewer, actor, incident, args.text)
    return _done(args, {"ok": True}, "note added")


def cmd_task(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    if args.done is not None:
        if args.version is None:
            raise InputError("--done needs --version", location=Location(field="version"))
        task = services.get_task(viewer, incident, args.done)
        task = services.complete_task(viewer, actor, task, version=args.version)
    else:
        if not args.title:
            raise InputError("a task needs --title", location=Location(field="title"))
        due = None
        if args.due:
            try:
                due = datetime.fromisoformat(args.due.replace("Z", "+00:00"))
            except ValueError:
                raise InputError(
                    f"{args.due!r} is not an ISO 8601 time", location=Location(field="due")
                ) from None
        task = services.add_task(
            viewer, actor, incident, title=args.title, owner_username=args.owner, due_at=due
        )
    data = {"id": task.pk, "title": task.title, "done_at": task.done_at, "version": task.version}
    return _done(args, data, f"task {task.pk}: {task.title}{' (done)' if task.done_at else ''}")


def cmd_attach(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from django.conf import settings

    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    path: Path = args.file
    try:
        size = path.stat().st_size
        if size > settings.ATTACHMENT_MAX_BYTES:  # refuse before reading it into memory
            raise InputError(
                f"the file has {size} bytes, more than the limit of"
                f" {settings.ATTACHMENT_MAX_BYTES} bytes",
                location=Location(file=str(path)),
                hint="the limit is DNSCC_ATTACHMENT_MAX_BYTES",
            )
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        raise InputError("no such file", location=Location(file=str(path))) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", location=Location(str(path))) from None
    attachment = services.add_attachment(
        viewer,
        actor,
        incident,
        filename=path.name,
        content=content,
        content_type=args.content_type,
    )
    data = {"id": attachment.pk, "filename": attachment.filename, "sha256": attachment.sha256}
    return _done(args, data, f"attached {attachment.filename} sha256 {attachment.sha256}")


def cmd_link(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    link = services.link_incidents(viewer, actor, incident, args.other, relation=args.relation)
    data = {"source": incident.ref, "target": link.target.ref, "relation": link.relation}
    return _done(args, data, f"{incident.ref} {link.relation} {link.target.ref}")


def cmd_replay(args: argparse.Namespace) -> int:
    viewer, actor, _ = _setup(args)
    from dnscc.accounts import audit
    from dnscc.incidents import services

    incident = services.get_incident(viewer, args.ref)
    entries = services.replay(viewer, incident)
    audit.disclosed(actor, "incidents.timeline", ids=[incident.ref], how="cli")
    if args.json:
        print_json(entries)
        return 0
    for e in entries:
        who = f" [{e['party']}]" if e["party"] else ""
        print(
            f"{e['at']:%Y-%m-%d %H:%M:%S}  {e['kind']:<10} {e['actor'] or '-'}{who}: {e['summary']}"
        )
    return 0
