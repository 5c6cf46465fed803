"""The process helpers the benchmarks use to wait for the lab to go quiet."""

from __future__ import annotations

import subprocess
import sys

from dnscc.lab import procs


def test_an_idle_process_is_idle_at_once_and_a_busy_one_is_waited_for_up_to_the_limit() -> None:
    idle = subprocess.Popen(["sleep", "30"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        assert procs.wait_idle([idle.pid], limit_s=10) < 3
        assert procs.cpu_seconds([busy.pid, 999_999_999]) >= 0  # a gone pid counts nothing
        assert procs.wait_idle([busy.pid], limit_s=2) >= 2
        assert procs.cpu_seconds([busy.pid]) > procs.cpu_seconds([idle.pid])
    finally:
        idle.kill()
        busy.kill()
        idle.wait()
        busy.wait()
