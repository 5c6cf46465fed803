"""The database's own refusal to change the audit log (SQLite and PostgreSQL triggers).

The log is append-only: UPDATE and DELETE of an entry are refused, as is TRUNCATE on
PostgreSQL, and the chain head may only move forward. The triggers stop the application
(and anyone using its database account casually) from rewriting history; a determined
database administrator can drop them, which the keyed chain and the signed checkpoints
outside the database then reveal (accounts.audit, accounts.anchor).

`lifted()` removes the triggers for the length of a block and puts them back: Django's
`flush` (which empties every table, in tests and by an administrator's explicit command)
runs inside it. Migration 0004 installs the same SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

MESSAGE = "the audit log is append-only"

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS accounts_auditevent_no_update BEFORE UPDATE
    ON accounts_auditevent BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS accounts_auditevent_no_delete BEFORE DELETE
    ON accounts_auditevent BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS accounts_audithead_no_delete BEFORE DELETE
    ON accounts_audithead BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS accounts_audithead_forward BEFORE UPDATE
    ON accounts_audithead WHEN NEW.seq < OLD.seq
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END""",
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_update",
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS accounts_audithead_no_delete",
    "DROP TRIGGER IF EXISTS accounts_audithead_forward",
]

PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION accounts_auditevent_refuse_update() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql""",
    f"""CREATE OR REPLACE FUNCTION accounts_audithead_forward_only() RETURNS trigger AS $$
    BEGIN IF NEW.seq < OLD.seq THEN RAISE EXCEPTION '{MESSAGE}'; END IF; RETURN NEW; END;
    $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_update ON accounts_auditevent",
    """CREATE TRIGGER accounts_auditevent_no_update BEFORE UPDATE OR DELETE
    ON accounts_auditevent FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_refuse_update()""",
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent",
    """CREATE TRIGGER accounts_auditevent_no_truncate BEFORE TRUNCATE
    ON accounts_auditevent FOR EACH STATEMENT
    EXECUTE FUNCTION accounts_auditevent_refuse_update()""",
    "DROP TRIGGER IF EXISTS accounts_audithead_no_delete ON accounts_audithead",
    """CREATE TRIGGER accounts_audithead_no_delete BEFORE DELETE
    ON accounts_audithead FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_refuse_update()""",
    "DROP TRIGGER IF EXISTS accounts_audithead_no_truncate ON accounts_audithead",
    """CREATE TRIGGER accounts_audithead_no_truncate BEFORE TRUNCATE
    ON accounts_audithead FOR EACH STATEMENT
    EXECUTE FUNCTION accounts_auditevent_refuse_update()""",
    "DROP TRIGGER IF EXISTS accounts_audithead_forward ON accounts_audithead",
    """CREATE TRIGGER accounts_audithead_forward BEFORE UPDATE
    ON accounts_audithead FOR EACH ROW EXECUTE FUNCTION accounts_audithead_forward_only()""",
]
PG_REMOVE = [
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_update ON accounts_auditevent",
    "DROP TRIGGER IF EXISTS accounts_auditevent_no_truncate ON accounts_auditevent",
    "DROP TRIGGER IF EXISTS accounts_audithead_no_delete ON accounts_audithead",
    "DROP TRIGGER IF EXISTS accounts_audithead_no_truncate ON accounts_audithead",
    "DROP TRIGGER IF EXISTS accounts_audithead_forward ON accounts_audithead",
]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    if vendor == "postgresql":
        return PG_INSTALL if install else PG_REMOVE
    return []


def install(connection: Any) -> None:
    """Create (or re-create) the triggers on `connection`'s database."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=True):
            cursor.execute(statement)


def remove(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=False):
            cursor.execute(statement)


@contextmanager
def lifted(using: str = "default") -> Iterator[None]:
    """The triggers removed for the block (an explicit, whole-database operation such as
    `flush`), and installed again after it, also when it fails."""
    connection = connections[using]
    remove(connection)
    try:
        yield
    finally:
        install(connection)
