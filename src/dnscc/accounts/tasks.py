"""A task that proves the workers are alive: it writes one audit entry (`dnscc ping`)."""

from __future__ import annotations

import os
import socket

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
