"""`dnscc scheduler`: enqueues what is due of every app (sweeps, incident SLAs and shifts,
follow-ups, campaign verification, root server rounds, audit checkpoints, survey reminders,
exercises). It runs the tasks of every floor, so it lives on the top floor with `dnscc serve`,
which starts it."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from typing import Any

from dnscc.cli import django_setup


def register(sub: Any) -> None:
    p = sub.add_parser("scheduler", help="enqueue periodic sweeps (safe to run on many machines)")
    p.add_argument("--once", action="store_true", help="enqueue what is due, then exit")
    p.set_defaults(func=cmd_scheduler)


def cmd_scheduler(args: argparse.Namespace) -> int:
    django_setup()
    from django.conf import settings
    from django.db import close_old_connections

    from dnscc.accounts import tasks as account_tasks
    from dnscc.campaigns import tasks as campaign_tasks
    from dnscc.core.errors import UnavailableError
    from dnscc.exercises import tasks as exercise_tasks
    from dnscc.incidents import tasks as incident_tasks
    from dnscc.monitoring.runner import hints_and_anchor
    from dnscc.monitoring.services import claim_due, enqueue_due
    from dnscc.monitoring.tasks import sweep_task
    from dnscc.outreach import tasks as outreach_tasks
    from dnscc.risk import tasks as risk_tasks
    from dnscc.rootinfo import tasks as rootinfo_tasks

    running = True

    def stop(signum: int, frame: Any) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    interval = settings.SWEEP_INTERVAL_SECONDS
    warned = False
    while running:
        close_old_connections()
        try:
            hints_and_anchor()
        except UnavailableError as exc:
            # Nothing to sweep against yet (no hints configured, no lab): say so once.
            if not warned:
                print(f"scheduler: sweeps wait: {exc}", file=sys.stderr)
                warned = True
        else:
            if interval and claim_due("sweep", interval):
                sweep_task.enqueue(trigger="schedule")
        # Incident SLAs, the duty desks' shift changes, the purge of unconfirmed reports.
        incident_tasks.schedule()
        # Follow-ups of silent recipients of other notices (advisories, plain notices).
        outreach_tasks.schedule()
        # Campaigns: DNS verification of outcomes, escalation of late slices.
        campaign_tasks.schedule()
        # Root servers: RSSAC047 rounds, the daily RSSAC002 fetch when configured.
        rootinfo_tasks.schedule()
        # The audit chain's signed checkpoint, outside the database.
        enqueue_due(account_tasks.jobs())
        # Risk: reminders of silent survey recipients, assets in step with the directory.
        risk_tasks.schedule()
        # Exercises: the runner's pass over running exercises (injects due, operators).
        exercise_tasks.schedule()
        if args.once:
            break
        for _ in range(50):  # check every 5 s, wake promptly on a signal
            if not running:
                break
            time.sleep(0.1)
    return 0
