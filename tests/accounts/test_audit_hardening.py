"""Issue 18, defect 2: the audit tail could be cut, the log emptied or rehashed, and
`dnscc audit verify` still exited 0. Now the chain is keyed, the database refuses DELETE as
well as UPDATE, and signed checkpoints outside the database catch the rest."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from dnscc import cli
from dnscc.accounts import anchor, audit, dbguard, tasks
from dnscc.accounts.models import AuditEvent, AuditHead

pytestmark = pytest.mark.django_db

# The outside test's reproduction, word for word.
CUT_TAIL = [
    "DELETE FROM accounts_auditevent WHERE seq > (SELECT max(seq) - 10 FROM accounts_auditevent)",
    "DELETE FROM accounts_audithead",
]


@pytest.fixture
def anchor_file(tmp_path: Path) -> Any:
    path = tmp_path / "anchors.jsonl"
    with override_settings(AUDIT_ANCHOR_FILE=path):
        yield path


def _record(n: int) -> None:
    for i in range(n):
        audit.record(audit.Actor("alice"), "test.change", object_type="test", object_id=i)


def _sql(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(list(argv))
    return code, out.getvalue()


def test_the_database_refuses_to_delete_entries() -> None:
    _record(20)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _sql(CUT_TAIL[0])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=3).delete()
    assert AuditEvent.objects.count() == 20
    assert audit.verify().ok


def test_the_database_refuses_to_delete_the_chain_head_or_move_it_back() -> None:
    _record(5)
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql(CUT_TAIL[1])
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.filter(pk=1).update(seq=2)
    assert AuditHead.objects.get(pk=1).seq == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_to_truncate_the_log() -> None:
    _record(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("TRUNCATE accounts_auditevent")


def test_the_reproduction_of_a_cut_tail_now_fails_verification() -> None:
    _record(30)
    dbguard.remove(connection)  # an attacker with the database's owner rights
    _sql(*CUT_TAIL)
    code, out = _cli("audit", "verify")
    assert code == 1
    assert "the chain head is missing" in out


def test_a_cut_tail_with_its_head_rewritten_is_caught_by_the_checkpoint(
    anchor_file: Path,
) -> None:
    _record(30)
    assert _cli("audit", "anchor")[0] == 0
    dbguard.remove(connection)
    _sql(CUT_TAIL[0])
    last = AuditEvent.objects.order_by("-seq").first()
    assert last is not None
    AuditHead.objects.filter(pk=1).update(seq=last.seq, hash=last.hash)
    assert audit.verify().ok  # the chain alone cannot see it: that was the defect
    code, out = _cli("audit", "verify")
    assert code == 1
    assert "entries removed from the end" in out
    assert "checkpoint" in out


def test_an_emptied_log_is_caught_by_the_checkpoint(anchor_file: Path) -> None:
    _record(3)
    anchor.write_checkpoint()
    dbguard.remove(connection)
    _sql("DELETE FROM accounts_auditevent", "DELETE FROM accounts_audithead")
    result = anchor.verify_with_anchor()
    assert not result.ok
    assert result.checked == 0
    assert any("the log is empty" in p["problem"] for p in result.problems)


def test_a_chain_rehashed_without_the_key_no_longer_verifies() -> None:
    _record(5)
    dbguard.remove(connection)
    # The attacker edits entry 3 and recomputes every hash from there with plain SHA-256,
    # which used to verify.
    _sql("UPDATE accounts_auditevent SET summary = 'nothing happened' WHERE seq = 3")
    prev = AuditEvent.objects.get(seq=2).hash
    for event in AuditEvent.objects.filter(seq__gte=3).order_by("seq"):
        event.prev_hash = prev
        digest = hashlib.sha256(prev.encode() + b"\n" + audit._canonical(event)).hexdigest()
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
        prev = digest
    AuditHead.objects.filter(pk=1).update(hash=prev)
    problems = audit.verify().problems
    assert {"seq": 3, "problem": "content does not match its hash (edited)"} in problems


def test_a_chain_rehashed_with_the_key_is_caught_by_the_checkpoint(anchor_file: Path) -> None:
    _record(5)
    anchor.write_checkpoint()  # records entry 5, then entry 6 says a checkpoint was made
    dbguard.remove(connection)
    # Even someone holding the key (a rogue administrator) cannot rewrite the past.
    _sql("UPDATE accounts_auditevent SET actor = 'mallory' WHERE seq = 2")
    prev = AuditEvent.objects.get(seq=1).hash
    for event in AuditEvent.objects.filter(seq__gte=2).order_by("seq"):
        digest = audit.compute_hash(prev, event)
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=prev, hash=digest)
        prev = digest
    AuditHead.objects.filter(pk=1).update(hash=prev)
    assert audit.verify().ok
    result = anchor.verify_with_anchor()
    assert not result.ok
    assert "entry 5 differs from the checkpoint" in result.problems[0]["problem"]


def test_a_checkpoint_whose_signature_does_not_hold_is_not_believed(anchor_file: Path) -> None:
    _record(4)
    anchor.write_checkpoint()
    line = json.loads(anchor_file.read_text())
    line["seq"] = 1  # moved back to hide a cut: the signature no longer covers it
    anchor_file.write_text(json.dumps(line) + "\n")
    checkpoint, problems = anchor.latest_checkpoint()
    assert checkpoint is None
    assert problems == [
        f"{anchor_file}, line 1: the signature of the checkpoint does not verify"
        " with the center's key"
    ]
    assert not anchor.verify_with_anchor().ok


def test_the_latest_valid_checkpoint_is_used(anchor_file: Path) -> None:
    _record(2)
    anchor.write_checkpoint()
    _record(2)
    second = anchor.write_checkpoint()
    checkpoint, problems = anchor.latest_checkpoint()
    assert problems == []
    assert checkpoint is not None
    assert checkpoint.seq == second["seq"] == 5
    result = anchor.verify_with_anchor()
    assert result.ok
    assert result.checkpoint == {"seq": 5, "hash": second["hash"], "at": second["at"]}


def test_another_audit_key_is_named_rather_than_every_entry_reported(anchor_file: Path) -> None:
    _record(3)
    anchor.write_checkpoint()
    with override_settings(AUDIT_KEY="another-key-" + "x9Qz" * 10):
        result = anchor.verify_with_anchor()
    assert not result.ok
    assert "is DNSCC_AUDIT_KEY the key the log was written with" in result.problems[0]["problem"]
    assert any("made with another audit key" in p["problem"] for p in result.problems)


def test_the_cli_prints_a_checkpoint_for_an_external_sink(anchor_file: Path) -> None:
    _record(1)
    code, out = _cli("audit", "anchor", "--output", "-")
    assert code == 0
    item = json.loads(out)
    assert item["seq"] == 1
    assert item["signature"].startswith("-----BEGIN PGP SIGNATURE-----")
    assert not anchor_file.exists()


def test_the_cli_verifies_against_a_named_checkpoint_file(tmp_path: Path) -> None:
    _record(2)
    other = tmp_path / "elsewhere.jsonl"
    assert _cli("audit", "anchor", "--output", str(other))[0] == 0
    code, out = _cli("audit", "verify", "--checkpoint", str(other))
    assert code == 0
    assert "matches the checkpoint" in out
    code, _ = _cli("audit", "verify", "--checkpoint", str(tmp_path / "absent"))
    assert code == 65


def test_the_scheduler_writes_checkpoints_periodically(anchor_file: Path) -> None:
    from dnscc.monitoring.services import enqueue_due

    _record(2)
    with override_settings(AUDIT_ANCHOR_INTERVAL_SECONDS=3600):
        assert enqueue_due(tasks.jobs()) == [tasks.ANCHOR_SCHEDULE]
        assert enqueue_due(tasks.jobs()) == []  # not due again for an hour
    checkpoint, _ = anchor.latest_checkpoint()
    assert checkpoint is not None
    assert checkpoint.seq == 2
    with override_settings(AUDIT_ANCHOR_INTERVAL_SECONDS=0):
        assert enqueue_due(tasks.jobs()) == []  # 0 turns it off


def test_a_long_value_is_bounded_and_still_audited() -> None:
    event = audit.record(
        audit.Actor("a" * 400),
        "x" * 100,
        object_type="t" * 100,
        object_id="n" * 150,
        summary="s" * 500,
    )
    event.refresh_from_db()
    assert len(event.actor) == 150
    assert len(event.action) == len(event.object_type) == len(event.object_id) == 64
    assert len(event.summary) == 300
    assert event.data["object_id"] == "n" * 150
    assert audit.verify().ok


def test_production_needs_a_key_to_write_the_log() -> None:
    from dnscc.core.errors import ConfigError

    with override_settings(DEV=False, AUDIT_KEY=""), pytest.raises(ConfigError, match="audit key"):
        audit.record(audit.SYSTEM, "test.nokey")
