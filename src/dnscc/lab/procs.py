"""Starting and stopping the lab's processes, by PID, with their output in log files."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from dnscc.core.errors import UnavailableError

INSTALL_HINT = (
    "install the lab's servers: `apt-get install knot knot-dnssecutils knot-dnsutils unbound` "
    "(Debian/Ubuntu)"
)


def require(*programs: str) -> dict[str, str]:
    """Full paths of the programs, or UnavailableError naming every missing one."""
    found: dict[str, str] = {}
    missing: list[str] = []
    for prog in programs:
        path = shutil.which(prog) or next(
            (p for p in (f"/usr/sbin/{prog}", f"/sbin/{prog}") if os.access(p, os.X_OK)), None
        )
        if path:
            found[prog] = path
        else:
            missing.append(prog)
    if missing:
        raise UnavailableError(f"missing program(s): {', '.join(missing)}", hint=INSTALL_HINT)
    return found


def spawn(argv: list[str], *, log: Path) -> int:
    """Start a long-running process in its own session; its output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the CLI; `down` ends it by PID
            close_fds=True,
        )
    _children.append(proc)
    return proc.pid


# Popen objects we started in this process, kept so that exited children are reaped.
_children: list[subprocess.Popen[bytes]] = []


def _reap() -> None:
    for proc in list(_children):
        if proc.poll() is not None:
            _children.remove(proc)


def alive(pid: int | None) -> bool:
    """Whether `pid` is a live (non-zombie) process."""
    if not pid:
        return False
    _reap()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def stop(pid: int | None, *, expect: str = "", timeout: float = 10.0) -> None:
    """End `pid` (TERM, then KILL) and wait until it is gone.

    `expect` guards against PID reuse: a process whose command line lacks it is left alone.
    """
    if not pid or not alive(pid):
        return
    if expect and expect not in cmdline(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.02)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if alive(pid):
        raise UnavailableError(f"process {pid} does not stop", hint=f"kill -9 {pid}")


def tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join("    " + ln for ln in text.splitlines()[-lines:])


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far; gone ones count nothing."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def wait_idle(pids: list[int], limit_s: float = 30.0) -> float:
    """Wait until the processes are idle (under 0.05 CPU s in a second: Knot keeps signing
    and flushing journals after a reload has returned), at most `limit_s`; seconds waited."""
    t0 = time.monotonic()
    last = cpu_seconds(pids)
    while time.monotonic() - t0 < limit_s:
        time.sleep(1)
        now = cpu_seconds(pids)
        if now - last < 0.05:
            break
        last = now
    return time.monotonic() - t0
