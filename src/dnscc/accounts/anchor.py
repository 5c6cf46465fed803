"""Signed checkpoints of the audit chain, kept outside the database.

A checkpoint records the chain's last entry (sequence number and keyed hash), the time and
the audit key's id, signed with the center's OpenPGP key. `dnscc audit anchor` appends one
to the anchor file (DNSCC_AUDIT_ANCHOR_FILE; make it append-only, `chattr +a`, or ship it
elsewhere: `dnscc audit anchor --output -` prints the line for a log shipper), and the
scheduler writes one every DNSCC_AUDIT_ANCHOR_INTERVAL_SECONDS. `dnscc audit verify` checks
the log against the latest checkpoint whose signature holds: a tail cut together with its
chain head, an emptied log, or a chain rehashed from some entry on no longer match it.

Each line of the anchor file is one JSON object:

    {"seq": 1234, "hash": "…", "at": "2026-01-01T00:00:00+00:00", "key_id": "…",
     "signer": "<OpenPGP fingerprint>", "signature": "-----BEGIN PGP SIGNATURE-----…"}

The signature covers the canonical JSON of seq, hash, at and key_id. Signing is done by
the center's key, which the outreach app owns: it registers itself here (`set_signer`),
so that accounts, a lower floor, does not import it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent, AuditHead
from dnscc.core.errors import InputError, Location, UnavailableError


@dataclass(frozen=True)
class Signer:
    """How checkpoints are signed and checked: the center's OpenPGP key."""

    sign: Callable[[bytes], str]  # armored detached signature
    verify: Callable[[bytes, str], bool]
    fingerprint: Callable[[], str]


_signer: list[Signer] = []


def set_signer(signer: Signer) -> None:
    """Register the signer (the outreach app does, with the center's key)."""
    _signer[:] = [signer]


def _the_signer() -> Signer:
    if not _signer:
        raise UnavailableError(
            "no OpenPGP signer for audit checkpoints", hint="install the outreach app"
        )
    return _signer[0]


def _signed_part(seq: int, hash_: str, at: str, key_id: str) -> bytes:
    body = {"seq": seq, "hash": hash_, "at": at, "key_id": key_id}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_FILE)


def make_checkpoint() -> dict[str, Any]:
    """A signed checkpoint of the chain as it is now (its head), as one JSON object."""
    head = AuditHead.objects.filter(pk=1).first()
    seq, hash_ = (head.seq, head.hash) if head else (0, audit.GENESIS)
    at = timezone.now().replace(microsecond=0).isoformat()
    key_id = audit.key_id()
    signer = _the_signer()
    return {
        "seq": seq,
        "hash": hash_,
        "at": at,
        "key_id": key_id,
        "signer": signer.fingerprint(),
        "signature": signer.sign(_signed_part(seq, hash_, at, key_id)),
    }


def write_checkpoint(path: Path | None = None, *, stream: Any = None) -> dict[str, Any]:
    """Append a new checkpoint to the anchor file (or write it to `stream`) and record
    that it was made in the log itself."""
    checkpoint = make_checkpoint()
    line = json.dumps(checkpoint, sort_keys=True) + "\n"
    if stream is not None:
        stream.write(line)
        stream.flush()
        where = "standard output" if stream is sys.stdout else "a stream"
    else:
        target = path or anchor_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: each checkpoint is one write at the end (an append-only file allows it).
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line)
        where = str(target)
    audit.record(
        audit.SYSTEM,
        "audit.anchored",
        kind=AuditEvent.SECURITY,
        object_type="accounts.auditevent",
        object_id=str(checkpoint["seq"]),
        summary=f"checkpoint of entry {checkpoint['seq']} written to {where}"[:300],
        data={"seq": checkpoint["seq"], "hash": checkpoint["hash"]},
    )
    return checkpoint


def latest_checkpoint(path: Path | None = None) -> tuple[audit.Checkpoint | None, list[str]]:
    """The latest checkpoint in the anchor file whose signature holds, and the problems
    met on the way (a line that is not a checkpoint, a signature that does not verify).
    (None, []) when there is no anchor file yet."""
    target = path or anchor_path()
    if not target.exists():
        return None, []
    problems: list[str] = []
    signer = _the_signer()
    lines = target.read_text(encoding="utf-8", errors="replace").splitlines()
    for number in range(len(lines), 0, -1):
        text = lines[number - 1].strip()
        if not text:
            continue
        try:
            item = json.loads(text)
            checkpoint = audit.Checkpoint(
                seq=int(item["seq"]),
                hash=str(item["hash"]),
                at=str(item["at"]),
                key_id=str(item.get("key_id", "")),
            )
            signature = str(item["signature"])
        except (ValueError, KeyError, TypeError):
            problems.append(f"{target}, line {number}: not a checkpoint")
            continue
        signed = _signed_part(checkpoint.seq, checkpoint.hash, checkpoint.at, checkpoint.key_id)
        if not signer.verify(signed, signature):
            problems.append(
                f"{target}, line {number}: the signature of the checkpoint does not verify"
                " with the center's key"
            )
            continue
        return checkpoint, problems
    return None, problems


def verify_with_anchor(path: Path | None = None) -> audit.VerifyResult:
    """The chain verified, and checked against the latest valid checkpoint if there is one."""
    checkpoint, file_problems = latest_checkpoint(path)
    result = audit.verify(checkpoint=checkpoint)
    if file_problems:
        result.problems[:0] = [{"seq": None, "problem": p} for p in file_problems]
        result.ok = False
    return result


def read_checkpoint_file(path: str) -> Path:
    """The anchor file a user named, or InputError when it does not exist."""
    target = Path(path)
    if not target.is_file():
        raise InputError(f"no checkpoint file {path!r}", location=Location(file=path))
    return target


__all__ = [
    "Signer",
    "anchor_path",
    "latest_checkpoint",
    "make_checkpoint",
    "read_checkpoint_file",
    "set_signer",
    "verify_with_anchor",
    "write_checkpoint",
]
