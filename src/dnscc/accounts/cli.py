"""`dnscc createuser`, `dnscc token ...`, `dnscc secondfactor show|reset`,
`dnscc audit verify|anchor`."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import InputError, NotFoundError, UsageError


def register(sub: Any) -> None:
    p = sub.add_parser("createuser", help="create a user with a role")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["admin", "coordinator", "operator", "partner"])
    p.add_argument("--organization", help="slug of the user's organization (operators, partners)")
    p.add_argument(
        "--desk", action="append", default=[], help="ICANN region of a duty desk (repeat)"
    )
    p.add_argument("--email", default="")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=createuser)

    p = sub.add_parser("token", help="API tokens")
    tsub = p.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    t = tsub.add_parser("create", help="create a token for a user; prints it once")
    t.add_argument("username")
    t.add_argument("--name", default="cli")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=token_create)
    t = tsub.add_parser("list", help="list a user's tokens")
    t.add_argument("username")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=token_list)
    t = tsub.add_parser("revoke", help="revoke a token by id")
    t.add_argument("username")
    t.add_argument("token_id", type=int)
    t.set_defaults(func=token_revoke)

    p = sub.add_parser("secondfactor", help="a user's second factors (show; reset when lost)")
    ssub = p.add_subparsers(dest="secondfactor_command", metavar="ACTION", required=True)
    s = ssub.add_parser("show", help="what second factors a user has")
    s.add_argument("username")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=secondfactor_show)
    s = ssub.add_parser(
        "reset",
        help="remove a user's authenticator app, passkeys and recovery codes (they lost them); "
        "they enrol again at the next login",
    )
    s.add_argument("username")
    s.add_argument("--reason", required=True, help="why (kept in the audit log)")
    s.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=secondfactor_reset)

    p = sub.add_parser("ping", help="check that a worker runs tasks (waits for the answer)")
    p.add_argument("--count", type=int, default=1, help="pings to queue")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
    p.add_argument("--no-wait", action="store_true", help="queue and return")
    p.set_defaults(func=ping)

    p = sub.add_parser("audit", help="the audit log")
    asub = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    a = asub.add_parser(
        "verify",
        help="check the keyed chain, and against the latest signed checkpoint; exit 1 when "
        "it does not hold",
    )
    a.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="anchor file to check against (default: the configured one)",
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=audit_verify)
    a = asub.add_parser("anchor", help="append a signed checkpoint of the chain to the anchor file")
    a.add_argument(
        "--output", metavar="FILE", help="another file to append to, or - for standard output"
    )
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=audit_anchor)


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise NotFoundError(f"no user {username!r}", hint="create it with `dnscc createuser`")
    return user


def _cli_actor() -> Any:
    from dnscc.accounts.audit import Actor

    return Actor(f"cli:{getpass.getuser()}")


def secondfactor_show(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import twofactor

    info = twofactor.summary(_user(args.username))
    if args.json:
        print_json(info)
    else:
        print(
            f"{info['username']}: authenticator app "
            f"{'yes' if info['authenticator_app'] else 'no'}, "
            f"passkeys {len(info['passkeys'])}, recovery codes left {info['recovery_codes_left']}"
            + ("; the role must use a second factor" if info["required"] else "")
        )
        for p in info["passkeys"]:
            print(f"  passkey {p['name']} (registered {p['created_at'][:16]})")
    return 0


def secondfactor_reset(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import twofactor

    user = _user(args.username)
    if not args.yes:
        raise UsageError(
            f"this removes every second factor of {user.get_username()} for good",
            hint="check who asks, then run again with --yes",
        )
    removed = twofactor.reset(user, actor=_cli_actor(), reason=args.reason)
    if args.json:
        print_json({"username": user.get_username(), **removed})
    else:
        print(
            f"reset the second factors of {user.get_username()}: "
            f"{removed['authenticator_apps']} app(s), {removed['passkeys']} passkey(s), "
            "recovery codes; they enrol again at their next login"
        )
    return 0


def createuser(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts.services import create_user
    from dnscc.directory.models import Organization

    org = None
    if args.organization:
        org = Organization.objects.filter(slug=args.organization).first()
        if org is None:
            raise NotFoundError(
                f"no organization {args.organization!r}",
                hint="list them with `dnscc export organizations`",
            )
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise InputError("no password on standard input")
    user = create_user(
        args.username,
        role=args.role,
        email=args.email,
        password=password,
        organization=org,
        desks=args.desk,
        actor=_cli_actor(),
    )
    if args.json:
        print_json({"username": user.username, "role": args.role, "has_password": bool(password)})
    else:
        print(
            f"created {user.username} ({args.role})"
            + ("" if password else "; no password set: use an API token or set one")
        )
    return 0


def token_create(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts.services import create_token

    token, secret = create_token(_user(args.username), args.name, actor=_cli_actor())
    if args.json:
        print_json({"id": token.pk, "name": token.name, "token": secret})
    else:
        print(secret)
    return 0


def token_list(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts.models import ApiToken

    rows = [
        {
            "id": t.pk,
            "name": t.name,
            "prefix": t.prefix,
            "created_at": t.created_at,
            "last_used_at": t.last_used_at,
            "revoked_at": t.revoked_at,
        }
        for t in ApiToken.objects.filter(user=_user(args.username))
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            state = "revoked" if r["revoked_at"] else "active"
            print(f"{r['id']:>5}  dnscc_{r['prefix']}_…  {state:8} {r['name']}")
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts.services import revoke_token

    revoke_token(_user(args.username), args.token_id, actor=_cli_actor())
    print(f"revoked token {args.token_id}")
    return 0


def audit_verify(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.accounts import anchor

    path = anchor.read_checkpoint_file(args.checkpoint) if args.checkpoint else None
    result = anchor.verify_with_anchor(path)
    if args.json:
        print_json(result.as_dict())
    elif result.ok:
        against = (
            f"; matches the checkpoint of {result.checkpoint['at']} (entry "
            f"{result.checkpoint['seq']})"
            if result.checkpoint
            else "; no checkpoint yet (`dnscc audit anchor`)"
        )
        print(f"audit chain intact: {result.checked} entries verified{against}")
    else:
        print(f"audit chain BROKEN ({result.checked} entries read):")
        for p in result.problems:
            print(f"  entry {p['seq']}: {p['problem']}")
    return 0 if result.ok else 1


def audit_anchor(args: argparse.Namespace) -> int:
    django_setup()
    from pathlib import Path

    from dnscc.accounts import anchor

    if args.output == "-":
        checkpoint = anchor.write_checkpoint(stream=sys.stdout)
        return 0
    path = Path(args.output) if args.output else anchor.anchor_path()
    checkpoint = anchor.write_checkpoint(path)
    if args.json:
        print_json({**checkpoint, "file": str(path)})
    else:
        print(f"checkpoint of entry {checkpoint['seq']} appended to {path}")
    return 0


def ping(args: argparse.Namespace) -> int:
    django_setup()
    import secrets
    import time

    from dnscc.accounts.models import AuditEvent
    from dnscc.accounts.tasks import ping as ping_task
    from dnscc.core.errors import UnavailableError

    labels = [f"ping-{secrets.token_hex(4)}" for _ in range(max(1, args.count))]
    for label in labels:
        ping_task.enqueue(label=label)
    if args.no_wait:
        print(f"queued {len(labels)} ping(s)")
        return 0
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        done = AuditEvent.objects.filter(action="worker.ping", object_id__in=labels).count()
        if done >= len(labels):
            print(f"{done} ping(s) answered by the workers")
            return 0
        time.sleep(0.2)
    raise UnavailableError(
        f"no worker answered within {args.timeout:.0f} s", hint="start one: dnscc worker"
    )
