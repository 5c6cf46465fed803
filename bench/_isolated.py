"""What the database benchmarks share: a production-mode environment, one run in a fresh
process, a throwaway PostgreSQL database.

A benchmark imports this beside itself (`import _isolated`: a script's own folder is first on
`sys.path`, and a spawned child is given the parent's path). Each run gets a process of its
own so that its peak RSS is its own and Django is set up afresh for each database.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import secrets
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def production_environment(data_dir: Path, database_url: str | None, **settings: str) -> None:
    """This process's environment for a benchmark of the center in production mode (DEBUG,
    which DNSCC_DEV turns on, would keep every SQL statement): the caller's DNSCC_*
    variables dropped, throwaway secret and audit keys (production mode refuses to write the
    audit log without one), data in `data_dir`, tasks run at once, the outbox drained by the
    benchmark itself, errors only logged; `database_url` if given (else SQLite in the data
    directory). `settings` (DNSCC_* names) add to or override these. Puts src/ on sys.path."""
    for name in [n for n in os.environ if n.startswith("DNSCC_")]:
        del os.environ[name]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="dnscc.settings",
        DNSCC_SECRET_KEY=secrets.token_urlsafe(48),
        DNSCC_AUDIT_KEY=secrets.token_urlsafe(48),
        DNSCC_ALLOWED_HOSTS="dnscc.bench.test",
        DNSCC_DATA_DIR=str(data_dir),
        DNSCC_TASKS="immediate",
        DNSCC_OUTBOX_AUTODRAIN="0",
        DNSCC_LOG_LEVEL="ERROR",
    )
    os.environ.update(settings)
    if database_url:
        os.environ["DNSCC_DATABASE_URL"] = database_url
    sys.path.insert(0, str(REPO / "src"))


def _child(
    conn: Connection, func: Callable[..., dict[str, Any]], kwargs: dict[str, Any], trace: bool
) -> None:
    try:
        conn.send(func(**kwargs))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which prints it
        error = f"{type(exc).__name__}: {exc}"
        conn.send({"error": f"{error}\n{traceback.format_exc()}" if trace else error})


def run_isolated(
    func: Callable[..., dict[str, Any]], kwargs: dict[str, Any], *, trace: bool = False
) -> dict[str, Any]:
    """`func(**kwargs)` in a fresh spawned process; its result, or `{"error": ...}` if it raised.

    `func` must be a module-level function (the child finds it by name). `trace` adds the
    traceback to the error.
    """
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_child, args=(child, func, kwargs, trace))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join()
    return result


def fresh_pg_database(admin_url: str, prefix: str) -> tuple[str, str]:
    """CREATE a database of its own on the server at `admin_url`; (url, name) to drop it.

    The name is `prefix` and this process's id, so two benchmarks running at once on the
    same server do not collide.
    """
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


def drop_pg_database(admin_url: str, name: str) -> None:
    """DROP the database `name` made by fresh_pg_database, even with connections left open."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def pg_database(admin_url: str, prefix: str) -> Iterator[str]:
    """A fresh database's URL for the `with` block; dropped when it ends, however it ends."""
    url, name = fresh_pg_database(admin_url, prefix)
    try:
        yield url
    finally:
        drop_pg_database(admin_url, name)
