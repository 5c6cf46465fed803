"""Fan-out benchmark: one notice to 1,500 organisations, each mail signed (half also
encrypted), each also a webhook, through the outbox to a local SMTP server and webhook
receiver; side by side, a bare loop sending the same prepared messages over one SMTP
connection. Prints a table and, last, `RESULT {json}`.

    scripts/bench fanout [--orgs 1500] [--concurrency N] [--connections N]

Without --concurrency / --connections the sender runs with the product's defaults
(DNSCC_OUTBOX_CONCURRENCY, DNSCC_SMTP_CONNECTIONS in src/dnscc/settings.py).

The receivers run in a child process (the other core); the outbox and its sender run here,
on a fresh SQLite database under a temporary data directory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _isolated import production_environment

REPO = Path(__file__).resolve().parents[1]


def receivers(conn: Any) -> None:
    from dnscc.outreach.sinks import HttpSink, SmtpSink

    smtp = SmtpSink(keep=False).start()
    http = HttpSink(keep=False).start()
    conn.send((smtp.port, http.url("/ok")))
    while True:
        command = conn.recv()
        if command == "counts":
            conn.send((len(smtp.received.keys), smtp.received.total, len(http.received.keys)))
        elif command == "cpu":  # the receivers' CPU seconds so far
            conn.send(time.process_time())
        elif command == "stop":
            smtp.stop()
            http.stop()
            conn.send("stopped")
            return


def wait_for(
    conn: Any, emails: int, hooks: int, *, timeout: float, base: tuple[int, int, int]
) -> tuple[float, tuple[int, int, int]]:
    deadline = time.perf_counter() + timeout
    while True:
        conn.send("counts")
        counts = conn.recv()
        if counts[0] - base[0] >= emails and counts[2] - base[2] >= hooks:
            return time.perf_counter(), counts
        if time.perf_counter() > deadline:
            return time.perf_counter(), counts
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orgs", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=None, help="default: the product's")
    parser.add_argument("--connections", type=int, default=None, help="default: the product's")
    parser.add_argument(
        "--dev", action="store_true", help="development mode (DNSCC_DEV=1: DEBUG, SQL logged)"
    )
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=receivers, args=(child,), daemon=True)
    proc.start()
    smtp_port, hook_url = parent.recv()

    tmp = Path(tempfile.mkdtemp(prefix="dnscc-bench-fanout-"))
    (tmp / "data").mkdir()
    import pysequoia

    key = tmp / "center.asc"
    key.write_text(str(pysequoia.Tsk.generate("dnscc bench <dnscc@center.test>")))
    # Production mode, as the center runs (DNSCC_DEV=1 would turn on DEBUG, which logs every
    # SQL statement and, on SQLite, quotes its parameters with one more query).
    production_environment(
        tmp / "data",
        None,
        DNSCC_WEBHOOK_ALLOW_PRIVATE="1",  # the receiver is on loopback
        DNSCC_PROBE_NETWORKS="loopback",  # the egress rule: the receivers are on loopback
        DNSCC_SMTP_HOST="127.0.0.1",
        DNSCC_SMTP_PORT=str(smtp_port),
        DNSCC_PGP_KEY_FILE=str(key),
        DNSCC_FROM_EMAIL="dnscc@center.test",
        DNSCC_RATE_PER_HOST_PER_SECOND="100000",
    )
    if args.dev:
        os.environ["DNSCC_DEV"] = "1"
    if args.concurrency is not None:
        os.environ["DNSCC_OUTBOX_CONCURRENCY"] = str(args.concurrency)
    if args.connections is not None:
        os.environ["DNSCC_SMTP_CONNECTIONS"] = str(args.connections)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from dnscc.accounts import audit
    from dnscc.core.tlp import Role, Viewer
    from dnscc.outreach import services, sinks
    from dnscc.outreach.models import Message
    from dnscc.outreach.sender import Sender, _prepare_email

    print("setting up", file=sys.stderr, flush=True)
    t = time.perf_counter()
    orgs = sinks.populate(args.orgs, encrypted_every=2, webhook_url=hook_url, prefix="bench")
    setup_s = time.perf_counter() - t

    # -- ours: from the notice to everything accepted by both receivers -------------------
    base = (0, 0, 0)
    parent.send("cpu")
    r0 = parent.recv()
    profile = os.environ.get("BENCH_PROFILE", "")  # a path prefix: PREFIX-queue.prof, -send.prof
    profiler: Any = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    c0 = time.process_time()
    queued = services.notify(
        Viewer(user_id=1, role=Role.COORDINATOR),
        audit.Actor("bench"),
        kind="notice",
        context={
            "title": "Fan-out benchmark",
            "text": "One notice to every registry.",
            "tlp": "TLP:AMBER",
        },
        organizations=orgs,
    )
    t_queued = time.perf_counter()
    c_queued = time.process_time()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}-queue.prof")
        profiler = cProfile.Profile()
        profiler.enable()
    print("queued", file=sys.stderr, flush=True)
    stats = Sender().run()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(f"{profile}-send.prof")
    print("drained", stats.as_dict(), file=sys.stderr, flush=True)
    t_drained = time.perf_counter()
    c_drained = time.process_time()
    t1, counts = wait_for(parent, args.orgs, args.orgs, timeout=120, base=base)
    parent.send("cpu")
    r1 = parent.recv()
    ours = t1 - t0
    states = {
        s: Message.objects.filter(state=s).count()
        for s in (Message.ACCEPTED, Message.QUEUED, Message.DEAD)
    }
    encrypted = Message.objects.filter(security=Message.ENCRYPTED).count()

    # -- bare: the same prepared messages, one SMTP connection, a plain loop ---------------
    import aiosmtplib

    prepared = [
        (services.bounce_address(m.key), m.address, _prepare_email(m))
        for m in Message.objects.filter(channel=Message.EMAIL).select_related(
            "contact", "organization"
        )
    ]

    async def bare_loop() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=smtp_port, start_tls=None)
        await smtp.connect()
        for sender, rcpt, data in prepared:
            await smtp.sendmail(sender, [rcpt], data)
        await smtp.quit()

    import asyncio

    base = counts
    b0 = time.perf_counter()
    asyncio.run(bare_loop())
    b1, counts2 = wait_for(parent, 0, 0, timeout=60, base=base)
    bare = b1 - b0
    bare_received = counts2[1] - counts[1]
    parent.send("cpu")
    r2 = parent.recv()

    parent.send("stop")
    parent.recv()
    proc.join(5)

    ratio = ours / bare if bare else float("inf")
    rows = [
        ("organisations", args.orgs),
        ("mail messages (signed)", args.orgs),
        ("  of which encrypted", encrypted),
        ("webhooks (HMAC-signed)", args.orgs),
        ("setup (orgs, keys; not timed) s", f"{setup_s:.2f}"),
        ("queue (notify, one transaction) s", f"{t_queued - t0:.2f}"),
        ("send until outbox empty s", f"{t_drained - t_queued:.2f}"),
        ("ours: launch -> all accepted s", f"{ours:.2f}"),
        ("bare loop, same mail, 1 connection s", f"{bare:.2f}"),
        ("ratio ours / bare (goal <= 2)", f"{ratio:.2f}"),
        ("goal: within 10 s", "yes" if ours <= 10 else "NO"),
        (
            "accepted / queued / dead rows",
            f"{states[Message.ACCEPTED]} / {states[Message.QUEUED]} / {states[Message.DEAD]}",
        ),
        ("distinct mail keys / webhook keys received", f"{counts[0]} / {counts[2]}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    result = {
        "orgs": args.orgs,
        "messages": queued.messages,
        "encrypted": encrypted,
        "ours_s": round(ours, 3),
        "queue_s": round(t_queued - t0, 3),
        "send_s": round(t_drained - t_queued, 3),
        "cpu_queue_s": round(c_queued - c0, 3),
        "cpu_send_s": round(c_drained - c_queued, 3),
        "cpu_receivers_s": round(r1 - r0, 3),
        "cpu_receivers_bare_s": round(r2 - r1, 3),
        "bare_s": round(bare, 3),
        "bare_received": bare_received,
        "ratio": round(ratio, 2),
        "within_10s": ours <= 10,
        "mode": "development (DEBUG)" if args.dev else "production",
        "accepted": states[Message.ACCEPTED],
        "concurrency": settings.OUTREACH_CONCURRENCY,
        "smtp_connections": settings.OUTREACH_SMTP_CONNECTIONS,
        "sender": stats.as_dict(),
        "machine": (
            f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
        ),
    }
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0 if states[Message.ACCEPTED] == queued.messages else 1


if __name__ == "__main__":
    sys.exit(main())
