"""The keyed, hash-chained audit log: entries are recorded, verified, and tampering is
detected: by the chain, by the database's triggers, and by signed checkpoints outside it."""

from __future__ import annotations

import contextlib
import io
import itertools
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from dnscc import cli
from dnscc.accounts import audit, dbguard
from dnscc.accounts.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db


def _record(n: int) -> list[AuditEvent]:
    actor = audit.Actor("alice", user_id=None)
    return [
        audit.record(actor, "test.change", object_type="test", object_id=i, data={"i": i})
        for i in range(n)
    ]


def _drop_trigger() -> None:
    """Let the test play the attacker who drops the triggers and edits rows behind the
    application's back (rolled back with the test's transaction)."""
    dbguard.remove(connection)


def _sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def test_recorded_entries_form_a_chain_that_verifies() -> None:
    events = _record(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    result = audit.verify()
    assert result.ok
    assert result.checked == 5
    head = AuditHead.objects.get(pk=1)
    assert (head.seq, head.hash) == (5, events[-1].hash)


def test_an_empty_log_verifies_unless_a_checkpoint_recorded_an_entry() -> None:
    assert audit.verify().as_dict() == {"ok": True, "checked": 0, "problems": []}
    key = audit.key_id()
    at_start = audit.Checkpoint(seq=0, hash=audit.GENESIS, at="2026-12-01T00:00Z", key_id=key)
    assert audit.verify(checkpoint=at_start).ok
    # A checkpoint that saw entries and an empty log: the entries were removed.
    later = audit.Checkpoint(seq=3, hash="a" * 64, at="2026-12-02T00:00Z", key_id=key)
    result = audit.verify(checkpoint=later)
    assert not result.ok
    assert result.problems == [
        {
            "seq": 3,
            "problem": "the log is empty but the checkpoint of 2026-12-02T00:00Z recorded"
            " entry 3 (entries removed from the end)",
        }
    ]


def test_data_hashes_the_same_after_a_round_trip_through_the_database() -> None:
    audit.record(audit.SYSTEM, "test.data", data={"when": object.__name__, "n": [1, 2]})
    assert audit.verify().ok


def test_a_disclosure_names_what_was_shown_and_how() -> None:
    event = audit.disclosed(audit.SYSTEM, "directory.contact", ids=[3, 4], how="export")
    assert event.action == "disclose.export"
    assert event.kind == AuditEvent.DISCLOSURE
    assert event.data["ids"] == ["3", "4"]
    assert event.data["count"] == 2


def test_an_edited_entry_is_reported_as_edited() -> None:
    _record(5)
    _drop_trigger()
    _sql("UPDATE accounts_auditevent SET summary = %s WHERE seq = %s", "nothing to see", 3)
    result = audit.verify()
    assert not result.ok
    assert result.problems == [{"seq": 3, "problem": "content does not match its hash (edited)"}]


def test_an_edit_that_also_recomputes_the_hash_breaks_the_next_link() -> None:
    events = _record(4)
    _drop_trigger()
    row = AuditEvent.objects.get(seq=2)
    row.actor = "mallory"
    forged = audit.compute_hash(row.prev_hash, row)
    _sql("UPDATE accounts_auditevent SET actor = %s, hash = %s WHERE seq = 2", "mallory", forged)
    assert forged != events[1].hash
    problems = audit.verify().problems
    assert {"seq": 3, "problem": "does not link to the entry before it"} in problems


def test_a_deleted_middle_entry_is_reported_missing() -> None:
    _record(5)
    _drop_trigger()
    _sql("DELETE FROM accounts_auditevent WHERE seq = 3")
    result = audit.verify()
    assert not result.ok
    assert result.checked == 4
    assert {"seq": 3, "problem": "entries 3..3 are missing (deleted)"} in result.problems
    assert {"seq": 4, "problem": "does not link to the entry before it"} in result.problems


def test_a_cut_tail_is_caught_by_the_chain_head() -> None:
    _record(5)
    _drop_trigger()
    _sql("DELETE FROM accounts_auditevent WHERE seq >= 4")
    result = audit.verify()
    assert not result.ok
    (problem,) = result.problems
    assert problem["seq"] == 5
    assert "entries removed from the end" in problem["problem"]


def test_the_database_refuses_an_update_through_the_orm() -> None:
    (event,) = _record(1)
    event.summary = "rewritten"
    with pytest.raises(DatabaseError), transaction.atomic():
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(actor="mallory")
    assert AuditEvent.objects.get(pk=event.pk).summary == ""
    assert audit.verify().ok


def test_the_cli_exits_0_on_an_intact_chain() -> None:
    _record(3)
    code, out = _cli("audit", "verify")
    assert code == 0
    assert "audit chain intact: 3 entries verified" in out


def test_the_cli_exits_1_and_names_the_entry_on_a_broken_chain() -> None:
    _record(3)
    _drop_trigger()
    _sql("UPDATE accounts_auditevent SET action = %s WHERE seq = 2", "test.other")
    code, out = _cli("audit", "verify")
    assert code == 1
    assert "BROKEN" in out
    assert "entry 2: content does not match its hash (edited)" in out
    code, out = _cli("audit", "verify", "--json")
    assert code == 1
    assert '"ok": false' in out
