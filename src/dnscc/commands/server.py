"""`dnscc serve`, `dnscc worker`, `dnscc migrate`, `dnscc check`, `dnscc demo`."""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import time
from typing import Any

from dnscc.cli import django_setup, print_json
from dnscc.core.errors import ConfigError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="run the web server, a task worker and the scheduler (one command)"
    )
    p.add_argument("--host", default=os.environ.get("DNSCC_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("DNSCC_PORT", "8000")))
    p.add_argument("--web-workers", type=int, default=2, help="web server processes")
    p.add_argument(
        "--no-worker", action="store_true", help="do not start a task worker and the scheduler"
    )
    p.add_argument("--no-migrate", action="store_true", help="do not apply migrations first")
    p.set_defaults(func=serve)

    p = sub.add_parser("worker", help="run background tasks (many may run, on many machines)")
    p.add_argument("--queues", default="*", help="comma-separated queue names, or * for all")
    p.add_argument("--batch", action="store_true", help="run what is queued, then exit")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
    p.add_argument(
        "--skip-checks",
        action="store_true",
        help="do not run the configuration checks first (`dnscc serve` runs them once for the"
        " worker it starts)",
    )
    p.set_defaults(func=worker)

    p = sub.add_parser("migrate", help="create or upgrade the database")
    p.set_defaults(func=migrate)

    p = sub.add_parser("check", help="run the configuration checks (production rules included)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=check)

    p = sub.add_parser("demo", help="load the demo: directory from the root zone, users, contacts")
    p.add_argument("--root-zone", help="root zone file (default: the shipped snapshot)")
    p.add_argument("--password", help="password for the demo users (default: generated)")
    p.add_argument(
        "--lab",
        action="store_true",
        help="also start the full-root DNS lab with a few faults for monitoring to find"
        " (without it, namespace health is one recorded sweep)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=demo)


def run_checks() -> list[Any]:
    """Django system checks, deployment rules included; raises ConfigError on errors."""
    from django.core import checks

    messages = checks.run_checks(include_deployment_checks=False)
    errors = [m for m in messages if m.level >= checks.ERROR]
    for m in messages:
        if m.level < checks.ERROR and not m.is_silenced():
            print(
                f"warning: {m.id}: {m.msg}" + (f"\n  fix: {m.hint}" if m.hint else ""),
                file=sys.stderr,
            )
    if errors:
        text = "\n".join(
            f"{m.id}: {m.msg}" + (f"\n  fix: {m.hint}" if m.hint else "") for m in errors
        )
        raise ConfigError(f"the center refuses to start:\n{text}")
    return messages


def check(args: argparse.Namespace) -> int:
    django_setup()
    from django.core import checks

    messages = checks.run_checks()
    rows = [
        {
            "id": m.id,
            "level": "error" if m.level >= checks.ERROR else "warning",
            "message": m.msg,
            "hint": m.hint,
        }
        for m in messages
        if not m.is_silenced()
    ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(
                f"{r['level']}: {r['id']}: {r['message']}"
                + (f"\n  fix: {r['hint']}" if r["hint"] else "")
            )
        if not rows:
            print("no problems found")
    return 78 if any(r["level"] == "error" for r in rows) else 0


def migrate(args: argparse.Namespace) -> int:
    django_setup()
    run_checks()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0


def worker(args: argparse.Namespace) -> int:
    django_setup()
    if not args.skip_checks:
        run_checks()
    from django.core.management import call_command

    # No autoreload, even in development: a worker restarting mid-task helps nobody.
    options: dict[str, Any] = {
        "queue_name": args.queues,
        "interval": args.interval,
        "reload": False,
    }
    if args.batch:
        options["batch"] = True
    call_command("db_worker", **options)
    return 0


def worker_command() -> list[str]:
    """The worker `dnscc serve` starts beside the web server."""
    return [sys.executable, "-m", "dnscc", "worker", "--skip-checks"]


def _child_setup() -> None:
    """In each process `dnscc serve` starts: its own process group, so a signal to serve's
    group (Ctrl+C in a terminal, `kill -TERM -PGID`) reaches serve alone and each part gets
    exactly one stop request, from serve. A second one would make the task worker abandon
    the task it is running (django-tasks treats a repeated signal as "force"). On Linux the
    part also stops if serve itself is killed without a chance to stop it."""
    os.setpgid(0, 0)
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _start(cmd: list[str]) -> subprocess.Popen[bytes]:
    # preexec_fn is safe here: serve has started no thread yet.
    return subprocess.Popen(cmd, preexec_fn=_child_setup)


def serve(args: argparse.Namespace) -> int:
    django_setup()
    run_checks()
    if not args.no_migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    procs: list[subprocess.Popen[bytes]] = []
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "dnscc.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.web_workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
        "--forwarded-allow-ips",
        os.environ.get("DNSCC_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        # gunicorn's control socket is one per user by default: two centers on one machine
        # would fight over it, and dnscc supervises gunicorn itself.
        "--no-control-socket",
    ]
    procs.append(_start(web))
    if not args.no_worker:
        # serve has run the checks in this same environment: the worker need not import
        # the URL configuration (most of the checks' ~1.5 s of CPU) only to run them again.
        procs.append(_start(worker_command()))
        procs.append(_start([sys.executable, "-m", "dnscc", "scheduler"]))

    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while not stopping:
            for p in procs:
                if p.poll() is not None:  # one part died: stop the rest, report its code
                    code = p.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    return code


def demo(args: argparse.Namespace) -> int:
    django_setup()
    from dnscc.demo import run_demo

    result = run_demo(lab=bool(args.lab), root_zone=args.root_zone, password=args.password)
    if args.json:
        print_json(result)
    else:
        print(result["text"])
    return 0
