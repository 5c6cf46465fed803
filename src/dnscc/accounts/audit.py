"""The one audit writer, and the chain verifier behind `dnscc audit verify`.

Every change and every disclosure (a page, API answer or export that showed labelled data)
is recorded with `record(...)` inside the same transaction as the change itself, so an
entry exists exactly when the change does. Entries form a hash chain:

    hash(n) = SHA-256( hash(n-1) || "\\n" || canonical JSON of entry n )

so an edited entry, a deleted entry, or a cut tail is detected by `verify()`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

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


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + _canonical(event)).hexdigest()


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
    # Round-trip through JSON now so the stored data hashes the same when read back.
    clean = json.loads(json.dumps(data or {}, default=str))
    with transaction.atomic():
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1, seq=0, hash=GENESIS)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            kind=kind,
            actor=actor.name[:150],
            actor_user_id=actor.user_id,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            summary=summary[:300],
            data=clean,
            prev_hash=head.hash,
        )
        event.hash = compute_hash(head.hash, event)
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


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "problems": self.problems}


def verify(*, batch: int = 2000) -> VerifyResult:
    """Walk the chain in order and report every place where it does not hold."""
    problems: list[dict[str, Any]] = []
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=batch):
        checked += 1
        if event.seq != expected_seq:
            problems.append(
                {
                    "seq": expected_seq,
                    "problem": f"entries {expected_seq}..{event.seq - 1} are missing (deleted)",
                }
            )
        if event.prev_hash != prev_hash:
            problems.append({"seq": event.seq, "problem": "does not link to the entry before it"})
        if compute_hash(event.prev_hash, event) != event.hash:
            problems.append(
                {"seq": event.seq, "problem": "content does not match its hash (edited)"}
            )
        prev_hash = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        problems.append(
            {
                "seq": head.seq,
                "problem": f"the log ends at entry {last_seq} but the chain head says {head.seq}"
                " (entries removed from the end)",
            }
        )
    return VerifyResult(ok=not problems, checked=checked, problems=problems)
