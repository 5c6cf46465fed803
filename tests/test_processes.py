"""The center as separate processes: `dnscc serve` (web server + worker) and several
`dnscc worker`s sharing one queue. Runs against SQLite, and against PostgreSQL when the
suite runs there (DNSCC_DATABASE_URL), each test on a database of its own."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ENQUEUE = """
import sys
from dnscc.cli import django_setup
django_setup()
from dnscc.accounts.tasks import ping
for i in range(int(sys.argv[1])):
    ping.enqueue(label=f"job-{i}")
"""


@pytest.fixture
def center_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for dnscc subprocesses with a fresh, migrated database of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DNSCC_", "DJANGO_"))}
    env.update(DNSCC_DEV="1", DNSCC_DATA_DIR=str(tmp_path / "data"))
    url = os.environ.get("DNSCC_DATABASE_URL")
    dbname = None
    if url:
        import psycopg

        parts = urlsplit(url)
        dbname = f"dnscc_proc_{secrets.token_hex(4)}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        env["DNSCC_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{dbname}"))
    migrate = subprocess.run(
        [sys.executable, "-m", "dnscc", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    yield env
    if dbname:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pings(env: dict[str, str]) -> list[str]:
    """Labels of the pings the workers ran, one per run, read back by a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", READ_PINGS],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


READ_PINGS = """
from dnscc.cli import django_setup
django_setup()
from dnscc.accounts.audit import verify
from dnscc.accounts.models import AuditEvent
assert verify().ok, verify().problems
for label in AuditEvent.objects.filter(action="worker.ping").values_list("object_id", flat=True):
    print(label)
"""


def _enqueue(env: dict[str, str], count: int) -> None:
    result = subprocess.run(
        [sys.executable, "-c", ENQUEUE, str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_serve_runs_the_web_server_and_a_worker_in_one_command(center_env: dict[str, str]) -> None:
    port = _free_port()
    log = Path(center_env["DNSCC_DATA_DIR"]) / "serve.log"
    log.parent.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing created it yet
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dnscc", "serve", "--port", str(port), "--web-workers", "1"],
            env=center_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def healthy() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    return r.status == 200
            except OSError:
                return False

        # Start-up (checks, migrations, the worker importing the URL configuration) takes
        # tens of seconds on a busy 2-core machine; this test is about running, not speed.
        assert _wait(healthy, 90), log.read_text()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5) as r:
            assert b'"/api/v1/directory/lookup"' in r.read()
        _enqueue(center_env, 1)
        assert _wait(lambda: _pings(center_env) == ["job-0"], 60), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    # Nothing of the group is left running.
    time.sleep(0.5)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_two_workers_share_one_queue_and_run_each_task_exactly_once(
    center_env: dict[str, str],
) -> None:
    count = 24
    _enqueue(center_env, count)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "dnscc", "worker", "--batch", "--interval", "0.05"],
            env=center_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err.decode()
    ran = _pings(center_env)
    assert sorted(ran) == sorted(f"job-{i}" for i in range(count))  # each once, none lost
