"""The lab's state on disk: one JSON file, a lock, and the machine-wide block registry.

Two labs never share addresses: each claims a /16 block 127.B.0.0/16 by creating
`<registry>/127.B` (O_EXCL) holding its lab directory. A claim whose lab directory no longer
records that block is stale and is taken over. The registry lives in /var/tmp (shared by
every lab on the machine; override with DNSCC_LAB_REGISTRY).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dnscc.core.errors import ConflictError

BLOCKS = range(20, 240)


def registry_dir() -> Path:
    return Path(os.environ.get("DNSCC_LAB_REGISTRY", "/var/tmp/dnscc-lab-blocks"))  # noqa: S108 - shared by design


def load(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Serialise lab commands on one lab directory (two `inject`s at once would race)."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _bindable(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def _claim_is_live(claim: Path, block: int) -> bool:
    try:
        owner = Path(claim.read_text().strip())
        if time.time() - claim.stat().st_mtime < 600:
            return True  # a lab may be starting: its state file is not written yet
    except OSError:
        return False
    data = load(owner / "state.json")
    return bool(data and data.get("plan", {}).get("block") == block)


def claim_block(lab_dir: Path, port: int, *, wanted: int | None = None) -> int:
    """Claim a free 127.B.0.0/16 block for `lab_dir` and return B."""
    reg = registry_dir()
    reg.mkdir(parents=True, exist_ok=True)
    candidates = [wanted] if wanted is not None else list(BLOCKS)
    for block in candidates:
        claim = reg / f"127.{block}"
        with contextlib.suppress(OSError):
            if claim.read_text().strip() == str(lab_dir):
                return block
        if claim.exists():
            if _claim_is_live(claim, block):
                continue
            claim.unlink(missing_ok=True)  # stale: its lab is gone
        probes = [f"127.{block}.0.1", f"127.{block}.0.100", f"127.{block}.1.1"]
        if not all(_bindable(a, port) for a in probes):
            continue  # someone else (not a dnscc lab) uses this block
        try:
            fd = os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(lab_dir))
        return block
    if wanted is not None:
        raise ConflictError(
            f"address block 127.{wanted}.0.0/16 is in use",
            hint="choose another --block, or stop the lab that uses it (`dnscc lab down`)",
        )
    raise ConflictError(
        "no free 127.B.0.0/16 block for a new lab",
        hint=f"stop labs you no longer need; claims are in {reg}",
    )


def release_block(lab_dir: Path, block: int) -> None:
    claim = registry_dir() / f"127.{block}"
    with contextlib.suppress(OSError):
        if claim.read_text().strip() == str(lab_dir):
            claim.unlink()
