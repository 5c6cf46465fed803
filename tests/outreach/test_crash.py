"""The crash test: SIGKILL the sender at random points of a 1,500-recipient fan-out, 20
times; after restarts every recipient has the notice, and the few duplicates carry the same
idempotency key so the recipient can discard them.

The sender runs in child processes on their own SQLite database (this test never touches
the suite's database, so it runs the same when the suite runs on PostgreSQL); the SMTP
server runs here, so it survives the kills and counts what arrived by idempotency key.
Between kills the test reads the outbox's rows straight from that SQLite file (plain
sqlite3, as a fresh process would see them) rather than starting a Django process for each
look: a process's start-up cost more than the rest of a kill's round.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pysequoia
import pytest

from dnscc.outreach.models import Message
from dnscc.outreach.sinks import SmtpSink

RECIPIENTS = 1500
CRASHES = 20
LEASE = 1  # seconds: a killed sender's claims are taken over this soon
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def sink() -> Any:
    server = SmtpSink(keep=False).start()
    yield server
    server.stop()


def _env(tmp_path: Path, sink: SmtpSink) -> dict[str, str]:
    key = tmp_path / "center.asc"
    key.write_text(str(pysequoia.Tsk.generate("dnscc crash <dnscc@center.test>")))
    (tmp_path / "data").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DNSCC_")}
    env.update(
        DJANGO_SETTINGS_MODULE="dnscc.settings",
        PYTHONPATH=str(REPO),
        DNSCC_DEV="1",
        DNSCC_DATA_DIR=str(tmp_path / "data"),
        DNSCC_TASKS="immediate",
        DNSCC_OUTBOX_AUTODRAIN="0",
        DNSCC_OUTBOX_LEASE_SECONDS=str(LEASE),
        DNSCC_OUTBOX_CONCURRENCY="8",
        DNSCC_SMTP_HOST=sink.host,
        DNSCC_SMTP_PORT=str(sink.port),
        DNSCC_SMTP_CONNECTIONS="4",
        DNSCC_PGP_KEY_FILE=str(key),
        DNSCC_FROM_EMAIL="dnscc@center.test",
        DNSCC_RATE_PER_HOST_PER_SECOND="100000",
        DNSCC_LOG_LEVEL="ERROR",
    )
    return env


def _child(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.outreach.crash_sender", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _states(tmp_path: Path) -> dict[str, str]:
    """Each outbox row's idempotency key and state, read from the children's database file
    (WAL mode: a reader sees every committed write, and nothing a killed sender left half
    done)."""
    query = f"SELECT key, state FROM {Message._meta.db_table}"  # noqa: S608 (the model's table)
    db = sqlite3.connect(tmp_path / "data" / "dnscc.sqlite3", timeout=30)
    try:
        return dict(db.execute(query).fetchall())
    finally:
        db.close()


def test_sigkilled_senders_lose_nothing_and_duplicates_carry_the_same_key(
    tmp_path: Path, sink: SmtpSink
) -> None:
    env = _env(tmp_path, sink)
    setup = _child(env, "setup", str(RECIPIENTS))
    _out, err = setup.communicate(timeout=300)
    assert setup.returncode == 0, err.decode()[-2000:]

    rng = random.Random(int(os.environ.get("DNSCC_CRASH_SEED", "0")) or None)
    runs: list[dict[str, Any]] = []
    for _ in range(CRASHES):
        before_total = len(sink.received.log)
        sender = _child(env, "send")
        # Kill at a random point of the sending: after a random number of messages of this
        # run have arrived, plus a random few milliseconds (so a kill may hit mid-record).
        # (at most RECIPIENTS / CRASHES per run, so that all 20 kills land mid-fan-out)
        target = sink.received.total + rng.randint(1, RECIPIENTS // CRASHES)
        deadline = time.monotonic() + 60
        while sink.received.total < target and sender.poll() is None:
            assert time.monotonic() < deadline, "the sender made no progress"
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.02))
        sender.send_signal(signal.SIGKILL)
        sender.communicate(timeout=30)
        # Accepted by the server in this run but not recorded: each will be sent again.
        sending = {key for key, state in _states(tmp_path).items() if state == Message.SENDING}
        arrived = set(sink.received.log[before_total:])
        runs.append(
            {
                "received": len(sink.received.log) - before_total,
                "unrecorded": len(arrived & sending),
            }
        )
        time.sleep(LEASE + 0.2)  # let the killed sender's lease lapse

    finish = _child(env, "send")
    _out, err = finish.communicate(timeout=300)
    assert finish.returncode == 0, err.decode()[-2000:]
    states = _states(tmp_path)
    remaining = sum(state != Message.ACCEPTED for state in states.values())
    per_crash = [run["unrecorded"] for run in runs]

    keys = sink.received.keys
    duplicates = sink.received.duplicates()
    report = (
        f"{CRASHES} SIGKILLs over a {RECIPIENTS}-recipient fan-out: "
        f"{len(keys)} distinct keys, {sink.received.total} messages, {duplicates} duplicate(s); "
        f"duplicates per crash: {per_crash}; "
        f"messages accepted in each run before its kill: {[run['received'] for run in runs]}"
    )
    print(report)
    assert all(run["received"] > 0 for run in runs), "every kill came during the fan-out"
    assert len(states) == RECIPIENTS, "one outbox row per recipient"
    assert remaining == 0, "every outbox row ends accepted"
    assert len(keys) == RECIPIENTS, "every recipient has the notice"
    assert "" not in keys, "every message carries its idempotency key"
    # At most the messages in flight when each kill came: the sender's concurrency.
    # Each kill leaves at most the sender's concurrency accepted but unrecorded; each of
    # those is sent once more, and nothing else is ever sent twice.
    assert max(per_crash) <= 8, report
    assert duplicates == sum(per_crash), report
