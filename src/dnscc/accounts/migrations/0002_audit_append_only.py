"""Refuse UPDATE on audit entries at the database level (the hash chain detects the rest)."""

from django.db import migrations

SQLITE_UP = """
CREATE TRIGGER accounts_auditevent_no_update BEFORE UPDATE ON accounts_auditevent
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS accounts_auditevent_no_update;"

PG_UP = """
CREATE OR REPLACE FUNCTION accounts_auditevent_refuse_update() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_auditevent_no_update BEFORE UPDATE ON accounts_auditevent
FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_refuse_update();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS accounts_auditevent_no_update ON accounts_auditevent;
DROP FUNCTION IF EXISTS accounts_auditevent_refuse_update();
"""


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        schema_editor.execute(PG_UP)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        schema_editor.execute(PG_DOWN)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
