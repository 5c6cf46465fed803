"""`dnscc outreach ...`: run the sender, follow-ups, inbound mail, the center's key."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import NotFoundError


def register(sub: Any) -> None:
    p = sub.add_parser("outreach", help="the outbox: send, follow up, inbound mail, keys")
    osub = p.add_subparsers(dest="outreach_command", metavar="ACTION", required=True)
    s = osub.add_parser("send", help="drain the outbox (once, or --forever as a sender process)")
    s.add_argument("--forever", action="store_true", help="keep polling for new messages")
    s.add_argument("--concurrency", type=int, default=None)
    s.add_argument("--batch", type=int, default=200)
    s.set_defaults(func=send)
    f = osub.add_parser("followups", help="queue follow-ups for recipients who stayed silent")
    f.set_defaults(func=followups)
    i = osub.add_parser(
        "inbound", help="process one message from stdin (a DSN bounce or a signed reply)"
    )
    i.set_defaults(func=inbound)
    k = osub.add_parser("key", help="print the center's OpenPGP public key")
    k.set_defaults(func=key)
    c = osub.add_parser(
        "catcher",
        help="development: a mail catcher on loopback (aiosmtpd) keeping every mail it"
        " accepts for the Demo mailbox page (scripts/run starts it)",
    )
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8025)
    c.add_argument("--dir", default="", help="default: DNSCC_DEMO_MAILBOX (DATA_DIR/mailbox)")
    c.set_defaults(func=catcher)
    a = osub.add_parser(
        "notice",
        help="queue a notice to an audience (organisations; regions AND kinds AND languages"
        " AND resource-constrained), TLP-checked per recipient",
    )
    a.add_argument("--title", required=True)
    a.add_argument("--text", required=True)
    a.add_argument("--tlp", default="AMBER")
    for name in ("organizations", "regions", "kinds", "languages"):
        a.add_argument(f"--{name}", default="", help="comma-separated")
    a.add_argument(
        "--resource-constrained",
        action="store_true",
        help="only resource-constrained organisations (alone: every one of them)",
    )
    a.add_argument("--dry-run", action="store_true", help="list the audience; send nothing")
    a.add_argument("--as", dest="as_user", metavar="USER", help="act as this account")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=notice)
    n = osub.add_parser(
        "status",
        help="the outbox's health (exit 69 when a channel has been failing past the"
        " threshold), or with NOTICE the per-recipient status of that notice",
    )
    n.add_argument("notice", type=int, nargs="?")
    n.add_argument("--json", action="store_true")
    n.set_defaults(func=status)


def send(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.outreach.sender import drain

    stats = drain(
        concurrency=args.concurrency,
        batch=args.batch,
        until_empty=not args.forever,
    )
    print_json(stats.as_dict())
    return 0


def catcher(args: argparse.Namespace) -> int:
    django_setup()
    from pathlib import Path

    from django.conf import settings

    from dnscc.core.errors import PermissionDenied
    from dnscc.outreach import mailbox

    if not settings.DEV:
        raise PermissionDenied(
            "the mail catcher is for development and the demo (DNSCC_DEV=1)",
            hint="in production the outbox sends to your relay (DNSCC_SMTP_HOST)",
        )
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        raise PermissionDenied("the mail catcher listens on loopback only")
    directory = Path(args.dir) if args.dir else settings.DEMO_MAILBOX_DIR
    print(f"mail catcher: smtp://{args.host}:{args.port}/ -> {directory}", flush=True)
    mailbox.serve(directory, host=args.host, port=args.port)
    return 0


def followups(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import audit
    from dnscc.outreach import services

    print_json({"queued": services.schedule_followups(audit.Actor("cli"))})
    return 0


def inbound(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.outreach import services

    print_json(services.process_inbound(sys.stdin.buffer.read()))
    return 0


def key(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.outreach import pgp

    sys.stdout.write(pgp.center_public_key())
    return 0


def notice(args: argparse.Namespace) -> int:
    """The portal's "Send a notice" and `POST /api/v1/outreach/notices` from the shell."""
    import getpass

    django_setup()
    from django.contrib.auth import get_user_model

    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.core.errors import InputError, Location
    from dnscc.core.tlp import TLP, Role, Viewer
    from dnscc.outreach import advisories, services

    user = None
    if args.as_user:
        user = get_user_model().objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            raise NotFoundError(f"no user {args.as_user!r}")
        viewer, actor = viewer_for(user), audit.Actor(f"cli:{user.get_username()}", user.pk)
    else:  # the machine's authority: staff, but no author of anything
        viewer, actor = Viewer(user_id=0, role=Role.ADMIN), audit.Actor(f"cli:{getpass.getuser()}")
    tlp = TLP.parse(args.tlp)
    orgs = advisories.audience_organizations(
        {
            **{
                k: getattr(args, k).replace(",", " ").split()
                for k in ("organizations", "regions", "kinds", "languages")
            },
            "resource_constrained": args.resource_constrained,
        }
    )
    if not orgs:
        raise InputError(
            "the audience matches no organisation",
            location=Location(field="organizations"),
            hint="name organisations, or regions, kinds or languages that match some",
        )
    if args.dry_run:
        found = {"organizations": sorted(o.slug for o in orgs)}
        if args.json:
            print_json(found)
        else:
            print(f"{len(orgs)} organisation(s): " + ", ".join(found["organizations"]))
        return 0
    queued = services.notify(
        viewer,
        actor,
        kind="notice",
        context={"title": args.title, "text": args.text, "tlp": tlp.label},
        organizations=orgs,
        tlp=tlp,
        user=user,
    )
    if args.json:
        print_json(queued.as_dict())
    else:
        print(
            f"notice {queued.notice.pk}: {queued.messages} message(s) queued to"
            f" {len(orgs)} organisation(s)"
            + (f"; no channel for {', '.join(queued.unreachable)}" if queued.unreachable else "")
        )
    return 0


def status(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.outreach import services
    from dnscc.outreach.models import Notice

    if args.notice is None:
        return _health(args)
    notice = Notice.objects.filter(pk=args.notice).first()
    if notice is None:
        raise NotFoundError(f"no notice {args.notice}")
    print_json(services.notice_status(notice))
    return 0


def _health(args: argparse.Namespace) -> int:
    """What the staff banner and the outbox page say; exit 69 (unavailable) when a channel
    has been failing for DNSCC_OUTBOX_ALERT_SECONDS or more, so a monitor can page."""
    from dnscc.core.errors import UnavailableError
    from dnscc.outreach import health

    status = health.status()
    if args.json:
        print_json(status)
    else:
        print(
            f"outbox: {status['waiting']} waiting ({status['due']} due now),"
            f" {status['dead']} dead letter(s)"
        )
        for c in status["channels"]:
            if c["failing"]:
                state = "FAILING" if c["alert"] else "failing (under the threshold)"
                print(
                    f"{c['label']}: {state} since {c['failing_since']:%Y-%m-%d %H:%M:%S} UTC,"
                    f" {c['failures']} failed attempt(s), {c['waiting']} waiting;"
                    f" last error: {c['last_error']}"
                )
            else:
                ok = (
                    f" (last success {c['last_ok_at']:%Y-%m-%d %H:%M:%S} UTC)"
                    if c["last_ok_at"]
                    else ""
                )
                print(f"{c['label']}: working{ok}")
    if not status["ok"]:
        names = ", ".join(a["label"] for a in status["alerts"])
        raise UnavailableError(
            f"{names} failing for {status['threshold_seconds']} s or more",
            hint="see the last error above; messages wait in the outbox and are retried",
        )
    return 0
