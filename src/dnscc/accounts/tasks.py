"""Background work of accounts: the ping that proves the workers are alive (`dnscc ping`),
and the periodic signed checkpoint of the audit chain (accounts.anchor)."""

from __future__ import annotations

import os
import socket
from typing import Any

from django_tasks import task

from dnscc.accounts import audit


@task(queue_name="default")
def ping(label: str) -> int:
    """Record that a worker ran this ping; returns the audit entry's sequence number."""
    event = audit.record(
        audit.SYSTEM,
        "worker.ping",
        object_type="worker",
        object_id=label[:64],
        summary=f"ping {label} ran on {socket.gethostname()} pid {os.getpid()}",
    )
    return event.seq


ANCHOR_SCHEDULE = "accounts.audit_anchor"


@task(queue_name="default")
def anchor_task() -> int:
    """Append a signed checkpoint of the audit chain; returns the entry it records."""
    from dnscc.accounts import anchor

    return int(anchor.write_checkpoint()["seq"])


def jobs() -> list[tuple[str, int, Any]]:
    """The scheduler's jobs of accounts as (name, interval in seconds, task): the scheduler
    (a higher floor) enqueues them with monitoring.services.enqueue_due."""
    from django.conf import settings

    return [(ANCHOR_SCHEDULE, settings.AUDIT_ANCHOR_INTERVAL_SECONDS, anchor_task)]
