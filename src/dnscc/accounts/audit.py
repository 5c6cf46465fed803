"""The one audit writer, and the chain verifier behind `dnscc audit verify`.

Every change and every disclosure (a page, API answer or export that showed labelled data)
is recorded with `record(...)` inside the same transaction as the change itself, so an
entry exists exactly when the change does. Entries form a keyed hash chain:

    hash(n) = HMAC-SHA-256( key, hash(n-1) || "\\n" || canonical JSON of entry n )

The key (DNSCC_AUDIT_KEY or its _FILE variant) lives outside the database: someone who can
write to the database but does not hold the key cannot recompute the chain after editing,
deleting or rehashing entries. The database refuses UPDATE and DELETE on the log (triggers,
accounts.dbguard), and signed checkpoints written outside the database
(accounts.anchor, `dnscc audit anchor`) catch what the database alone cannot: a cut tail
with the head rewritten, an emptied log, or a chain rehashed by someone holding the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnscc.accounts.models import AuditEvent, AuditHead

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did it: a user (id and name) or the system (a CLI run, a worker)."""

    name: str
    user_id: int | None = None

    @classmethod
    def of(cls, user: Any) -> Actor:
        if user is None or not getattr(user, "is_authenticated", False):
            return SYSTEM
        return cls(name=user.get_username(), user_id=user.pk)


SYSTEM = Actor("system")


def _canonical(event: AuditEvent) -> bytes:
    content = {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "kind": event.kind,
        "actor": event.actor,
        "actor_user_id": event.actor_user_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "summary": event.summary,
        "data": event.data,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


_key_lock = threading.Lock()
_key_cache: dict[str, bytes] = {}


def audit_key() -> bytes:
    """The chain's HMAC key: DNSCC_AUDIT_KEY (or _FILE); in development mode, when unset, a
    random key generated once under the data directory (mode 0600). Production without a
    key is refused at start-up (check dnscc.E005)."""
    configured = str(getattr(settings, "AUDIT_KEY", "") or "")
    if configured:
        return configured.encode()
    from dnscc.core.errors import ConfigError

    if not settings.DEV:
        raise ConfigError(
            "no audit key: the audit log cannot be written",
            hint="set DNSCC_AUDIT_KEY (or DNSCC_AUDIT_KEY_FILE) to at least 32 random "
            "characters, kept outside the database",
        )
    path = Path(settings.DATA_DIR) / "audit-key"
    with _key_lock:
        cached = _key_cache.get(str(path))
        if cached is not None:
            return cached
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first: read theirs
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48) + "\n")
        key = path.read_text().strip().encode()
        _key_cache[str(path)] = key
        return key


def key_id(key: bytes | None = None) -> str:
    """A short public name of the key (which key wrote a chain), not the key itself."""
    return hmac.new(key or audit_key(), b"dnscc audit key id", hashlib.sha256).hexdigest()[:16]


def compute_hash(prev_hash: str, event: AuditEvent, *, key: bytes | None = None) -> str:
    """The entry's keyed hash (HMAC-SHA-256 over the previous hash and its content)."""
    message = prev_hash.encode() + b"\n" + _canonical(event)
    return hmac.new(key or audit_key(), message, hashlib.sha256).hexdigest()


def _bound(value: str, limit: int) -> str:
    # Every audited field is bounded by its column (PostgreSQL refuses longer text, and a
    # refused write would lose the entry): cut, marked with an ellipsis.
    return value if len(value) <= limit else value[: limit - 1] + "…"


def record(
    actor: Actor,
    action: str,
    *,
    kind: str = AuditEvent.CHANGE,
    obj: Any = None,
    object_type: str = "",
    object_id: str | int = "",
    summary: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one entry. Call inside the transaction of the change it records."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    object_id = str(object_id)
    data = dict(data or {})
    if len(object_id) > 64:
        # The full value (itself bounded) stays in the data: "who tried which name".
        data.setdefault("object_id", object_id[:1000])
    # Round-trip through JSON now so the stored data hashes the same when read back.
    clean = json.loads(json.dumps(data, default=str))
    key = audit_key()
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1, seq=0, hash=GENESIS)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            kind=kind,
            actor=_bound(actor.name, 150),
            actor_user_id=actor.user_id,
            action=_bound(action, 64),
            object_type=_bound(object_type, 64),
            object_id=_bound(object_id, 64),
            summary=_bound(summary, 300),
            data=clean,
            prev_hash=head.hash,
        )
        event.hash = compute_hash(head.hash, event, key=key)
        event.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(seq=event.seq, hash=event.hash)
    return event


def disclosed(
    actor: Actor, what: str, *, ids: Iterable[Any] = (), how: str = "view", **data: Any
) -> AuditEvent:
    """Record that `actor` was shown (or exported) labelled data: who saw what, and how."""
    id_list = [str(i) for i in ids]
    return record(
        actor,
        f"disclose.{how}",
        kind=AuditEvent.DISCLOSURE,
        object_type=what,
        object_id=id_list[0] if len(id_list) == 1 else "",
        summary=f"{how} {len(id_list)} {what}",
        data={"ids": id_list[:1000], "count": len(id_list), **data},
    )


MAX_PROBLEMS = 1000


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[dict[str, Any]] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None  # the checkpoint the log was checked against

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ok": self.ok, "checked": self.checked, "problems": self.problems}
        if self.checkpoint is not None:
            out["checkpoint"] = self.checkpoint
        return out


@dataclass(frozen=True)
class Checkpoint:
    """A point of the chain recorded outside the database: its last entry then."""

    seq: int
    hash: str
    at: str
    key_id: str


def verify(*, batch: int = 2000, checkpoint: Checkpoint | None = None) -> VerifyResult:
    """Walk the chain in order and report every place where it does not hold; with a
    `checkpoint`, also whether the log still holds the entry it recorded, unchanged."""
    key = audit_key()
    problems: list[dict[str, Any]] = []
    more = 0

    def problem(seq: int, text: str) -> None:
        nonlocal more
        if len(problems) < MAX_PROBLEMS:
            problems.append({"seq": seq, "problem": text})
        else:
            more += 1

    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    edited = 0
    at_checkpoint: str | None = None
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=batch):
        checked += 1
        if event.seq != expected_seq:
            problem(expected_seq, f"entries {expected_seq}..{event.seq - 1} are missing (deleted)")
        if event.prev_hash != prev_hash:
            problem(event.seq, "does not link to the entry before it")
        if compute_hash(event.prev_hash, event, key=key) != event.hash:
            edited += 1
            problem(event.seq, "content does not match its hash (edited)")
        if checkpoint is not None and event.seq == checkpoint.seq:
            at_checkpoint = event.hash
        prev_hash = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    if checked and edited == checked and checked > 1:
        # Not one entry matches: far likelier a wrong key than a rewrite of everything.
        problems[:0] = [
            {
                "seq": 1,
                "problem": "no entry matches its hash with this key: is DNSCC_AUDIT_KEY the "
                f"key the log was written with (key id {key_id(key)})?",
            }
        ]
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        problem(
            head.seq,
            f"the log ends at entry {last_seq} but the chain head says {head.seq}"
            " (entries removed from the end)",
        )
    elif head is None and checked:
        problem(last_seq, "the chain head is missing (removed)")
    if checkpoint is not None:
        _check_against(checkpoint, last_seq, at_checkpoint, key, problem)
    if more:
        problems.append({"seq": None, "problem": f"... and {more} more problems"})
    return VerifyResult(
        ok=not problems,
        checked=checked,
        problems=problems,
        checkpoint=None
        if checkpoint is None
        else {"seq": checkpoint.seq, "hash": checkpoint.hash, "at": checkpoint.at},
    )


def _check_against(
    checkpoint: Checkpoint,
    last_seq: int,
    at_checkpoint: str | None,
    key: bytes,
    problem: Any,
) -> None:
    if checkpoint.key_id and checkpoint.key_id != key_id(key):
        problem(
            checkpoint.seq,
            f"the checkpoint of {checkpoint.at} was made with another audit key "
            f"(key id {checkpoint.key_id}, this one is {key_id(key)})",
        )
    if last_seq < checkpoint.seq:
        what = "the log is empty" if last_seq == 0 else f"the log ends at entry {last_seq}"
        problem(
            checkpoint.seq,
            f"{what} but the checkpoint of {checkpoint.at} recorded entry {checkpoint.seq}"
            " (entries removed from the end)",
        )
    elif at_checkpoint is not None and at_checkpoint != checkpoint.hash:
        problem(
            checkpoint.seq,
            f"entry {checkpoint.seq} differs from the checkpoint of {checkpoint.at}"
            " (the chain was rewritten or rehashed)",
        )
    elif at_checkpoint is None and checkpoint.seq:
        problem(checkpoint.seq, f"entry {checkpoint.seq} of the checkpoint is missing")
