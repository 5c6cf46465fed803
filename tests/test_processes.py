"""The center as separate processes: `dnscc serve` (web server + worker) and several
`dnscc worker`s sharing one queue. Runs against SQLite, and against PostgreSQL when the
suite runs there (DNSCC_DATABASE_URL), each test on a database of its own."""

from __future__ import annotations

import os
import secrets
import shutil
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


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DNSCC_", "DJANGO_"))}
    env.update(DNSCC_DEV="1")
    return env


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path | None, str]]:
    """One database migrated by `dnscc migrate` in a process of its own, which each test
    copies (migrating costs ~15 s of CPU: once per module, not once per test): the SQLite
    data directory, or on PostgreSQL (DNSCC_DATABASE_URL) a database used as template."""
    env = _clean_env()
    data = tmp_path_factory.mktemp("migrated") / "data"
    env["DNSCC_DATA_DIR"] = str(data)
    url = os.environ.get("DNSCC_DATABASE_URL")
    template = ""
    if url:
        import psycopg

        template = f"dnscc_proc_{secrets.token_hex(4)}"
        with psycopg.connect(_admin_url(url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{template}"')
        env["DNSCC_DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{template}"))
    migrate = subprocess.run(
        [sys.executable, "-m", "dnscc", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    yield (None if url else data), template
    if url:
        with psycopg.connect(_admin_url(url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{template}" WITH (FORCE)')


@pytest.fixture
def center_env(tmp_path: Path, migrated: tuple[Path | None, str]) -> Iterator[dict[str, str]]:
    """Environment for dnscc subprocesses with a fresh, migrated database of their own (a
    copy of the module's migrated one)."""
    env = _clean_env()
    data = tmp_path / "data"
    env["DNSCC_DATA_DIR"] = str(data)
    migrated_data, template = migrated
    url = os.environ.get("DNSCC_DATABASE_URL")
    if migrated_data is not None:  # the migrating process has ended: its files are whole
        shutil.copytree(migrated_data, data)
        yield env
        return
    assert url
    import psycopg

    data.mkdir(mode=0o700)
    dbname = f"dnscc_proc_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}" TEMPLATE "{template}"')
    env["DNSCC_DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))
    yield env
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
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
        parts = _children(proc.pid)
        assert len(parts) == 3, parts  # the web server, the worker and the scheduler
        # Each part runs in its own process group, so that a signal to serve's group reaches
        # serve alone and each part is asked to stop exactly once, by serve.
        assert all(os.getpgid(pid) == pid for pid in parts), parts
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # to the whole group, as Ctrl+C in a terminal
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert "terminating current task" not in log.read_text()  # no part was asked twice
    # Nothing serve started is left running.
    time.sleep(0.5)
    for pid in [proc.pid, *parts]:
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (from /proc: Linux, as the lab is)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


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
