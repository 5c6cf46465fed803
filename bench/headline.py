"""The headline benchmark: Conficker C end to end on the full-root lab, unattended.

    scripts/bench headline [--tlds 110] [--names 50000] [--time-scale 60] [--root-tlds 0]
                           [--keep]

1. brings up the lab on the shipped root zone (1,438 TLDs; `--root-tlds N` keeps only the
   first N TLDs besides Conficker C's, for a quick run) in a temporary directory under
   /var/tmp, no second-level zones;
2. makes a directory of one registry per affected TLD (Conficker C's 110 ccTLDs the lab
   has), each with a security contact who opted in to exercises, at a local SMTP sink
   (aiosmtpd, in a child process);
3. runs the `conficker-c` exercise unattended, in production mode (no DNSCC_DEV, an audit
   key, the egress rule allowing loopback only): the botnet's operators register 2 % of
   the day's 50,000 names in the lab's TLD zones; a partner's report arrives; the plan's
   automatic steps open the incident, start the campaign from the Conficker C generator,
   notify every affected registry and deliver each its slice, every mail OpenPGP-signed
   and sent through the outbox to the sink; simulated operators acknowledge (portal, API,
   signed mail) or comply in the lab at a log-normal spread of times (median T+20m, at
   most T+2h: at --time-scale 60 a scenario minute is a real second), or stay silent;
   the campaign is verified by DNS against the lab's own TLD servers;
4. reports, in real seconds: report received -> every affected registry notified
   (accepted by the relay), goal <= 60 s; last operator action -> DNS-verified coverage of
   every complying TLD, goal <= 10 min; and the whole timeline (every inject, the log);
5. takes the lab down and removes its temporary directory in any case (unless --keep).

Prints a table, the timeline, and last one line `RESULT {json}`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _isolated import production_environment

REPO = Path(__file__).resolve().parents[1]
GOAL_NOTIFIED_S = 60.0
GOAL_COVERAGE_S = 600.0


def sink(conn: Any) -> None:
    """The local SMTP sink, in its own process (the other core)."""
    from dnscc.outreach.sinks import SmtpSink

    smtp = SmtpSink(keep=False).start()
    conn.send(smtp.port)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(smtp.received.total)
        elif command == "stop":
            smtp.stop()
            conn.send("stopped")
            return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tlds", type=int, default=110)
    parser.add_argument("--names", type=int, default=50_000)
    parser.add_argument("--time-scale", type=float, default=60.0)
    parser.add_argument("--root-tlds", type=int, default=0, help="0: the whole root")
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="leave the lab running")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=sink, args=(child,), daemon=True)
    proc.start()
    smtp_port = parent.recv()

    tmp = Path(tempfile.mkdtemp(prefix="dnscc-bench-headline-", dir="/var/tmp"))
    (tmp / "data").mkdir()
    import pysequoia

    key = tmp / "center.asc"
    key.write_text(str(pysequoia.Tsk.generate("dnscc bench <dnscc@center.test>")))
    # Production mode, as the center runs; the outbox is not drained after each commit: the
    # runner sends between its passes (run(drain=True)).
    production_environment(
        tmp / "data",
        None,
        DNSCC_PROBE_NETWORKS="loopback",  # the egress rule: the lab and the sink only
        DNSCC_SMTP_HOST="127.0.0.1",
        DNSCC_SMTP_PORT=str(smtp_port),
        DNSCC_PGP_KEY_FILE=str(key),
        DNSCC_FROM_EMAIL="dnscc@center.test",
        DNSCC_RATE_PER_HOST_PER_SECOND="100000",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from dnscc.accounts import audit
    from dnscc.accounts.models import Account
    from dnscc.accounts.services import viewer_for
    from dnscc.core.dga.conficker_c import TLDS as C_TLDS
    from dnscc.exercises import runner, services
    from dnscc.exercises.labworld import lab_registries, subset_root_zone
    from dnscc.exercises.models import Inject
    from dnscc.lab.lab import Lab
    from dnscc.outreach.models import Message

    lab = Lab(tmp / "lab")
    result: dict[str, Any] = {}
    try:
        zone = (
            subset_root_zone(tmp / "root.zone", set(C_TLDS), extra=args.root_tlds)
            if args.root_tlds
            else None
        )
        print("bringing up the lab ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        lab.up(root_zone=zone, slds=0, timeout=900)
        lab_up = time.perf_counter() - t
        plan = lab.plan()
        affected = [t for t in C_TLDS if t in plan.tlds][: args.tlds]
        lab_registries(affected, plan, email="security@nic-{tld}.sink.test", opted_in=set(affected))
        user = get_user_model().objects.create_user("bench-coordinator")
        Account.objects.update_or_create(user=user, defaults={"role": "coordinator"})
        viewer, actor = viewer_for(user), audit.Actor.of(user)
        exercise = services.create_exercise(
            viewer,
            actor,
            scenario_id="conficker-c",
            parameters={"tlds": len(affected), "names": args.names},
            time_scale=args.time_scale,
            seed=args.seed,
            lab_dir=str(lab.dir),
        )
        print(f"{exercise.ref}: {len(affected)} TLDs, running ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        services.start(viewer, actor, exercise)
        exercise = runner.run(exercise, timeout=args.timeout, drain=True)
        wall = time.perf_counter() - t0
        score = exercise.score or {}
        figures = score.get("figures", {})
        notified = figures.get("all_notified_real")
        coverage = figures.get("coverage_after_last_action")
        parent.send("count")
        received = parent.recv()
        signed = Message.objects.filter(
            exercise=exercise.pk, channel=Message.EMAIL, security__in=("signed", "encrypted")
        ).count()
        mails = Message.objects.filter(exercise=exercise.pk, channel=Message.EMAIL).count()
        accepted = Message.objects.filter(exercise=exercise.pk, state=Message.ACCEPTED).count()
        behaviours: dict[str, int] = {}
        for i in exercise.injects.filter(source=Inject.OPERATOR):
            behaviours[i.kind] = behaviours.get(i.kind, 0) + 1
        timeline = [
            {
                "at": e.at.isoformat(),
                "t_s": round((e.at - exercise.started_at).total_seconds(), 3)
                if exercise.started_at
                else None,
                "kind": e.kind,
                "summary": e.summary,
            }
            for e in exercise.events.order_by("at", "pk")
        ]
        rows = [
            ("root zone TLDs in the lab", len(plan.tlds)),
            ("lab up s", f"{lab_up:.1f}"),
            ("affected TLDs / registries", f"{len(affected)} / {figures.get('registries')}"),
            ("names (one day of Conficker C)", args.names),
            ("time scale (scenario s per real s)", f"{args.time_scale:g}"),
            ("exercise status", exercise.status),
            ("exercise wall time s", f"{wall:.1f}"),
            ("mail messages / signed / accepted", f"{mails} / {signed} / {accepted}"),
            ("mail received by the sink", received),
            ("operators: " + ", ".join(f"{k[9:]} {v}" for k, v in sorted(behaviours.items())), ""),
            ("report -> every registry notified (accepted) s", notified),
            ("  goal <= 60 s", "met" if notified is not None and notified <= 60 else "MISSED"),
            ("last operator action -> DNS-verified coverage s", coverage),
            ("  goal <= 600 s", "met" if coverage is not None and coverage <= 600 else "MISSED"),
            (
                "DNS-verified share of the complying registries' names",
                figures.get("verified_share_of_acting"),
            ),
        ]
        width = max(len(r[0]) for r in rows)
        for name, value in rows:
            print(f"{name:<{width}}  {value}")
        print("\ntimeline (real seconds after the start):")
        for item in timeline:
            print(f"  {item['t_s']:>8}  {item['kind']:<10} {item['summary']}")
        result = {
            "exercise": exercise.ref,
            "status": exercise.status,
            "root_tlds": len(plan.tlds),
            "affected_tlds": len(affected),
            "names": args.names,
            "time_scale": args.time_scale,
            "lab_up_s": round(lab_up, 1),
            "wall_s": round(wall, 1),
            "mails": mails,
            "signed": signed,
            "accepted": accepted,
            "sink_received": received,
            "operators": behaviours,
            "report_to_all_notified_s": notified,
            "notified_goal_met": notified is not None and notified <= GOAL_NOTIFIED_S,
            "last_action_to_verified_coverage_s": coverage,
            "coverage_goal_met": coverage is not None and coverage <= GOAL_COVERAGE_S,
            "verified_share_of_acting": figures.get("verified_share_of_acting"),
            "objectives": {o["key"]: o["verdict"] for o in score.get("objectives", [])},
            "timeline": timeline,
            "mode": "production",
            "machine": (
                f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
            ),
        }
    finally:
        if not args.keep:
            print("taking the lab down ...", file=sys.stderr, flush=True)
            lab.down()
        parent.send("stop")
        parent.recv()
        proc.join(5)
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)  # the lab's and the database's files
    print("RESULT " + json.dumps(result, default=str))
    ok = result.get("status") == "finished"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
