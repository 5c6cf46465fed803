"""A sweep against root servers outside the egress rule sends nothing and is recorded as not
run, with the reason, on the health page and in `dnscc monitor sweep`."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnscc.monitoring.models import Sweep
from dnscc.monitoring.runner import run_sweep
from tests.conftest import World

pytestmark = pytest.mark.django_db

REAL_HINTS = """\
.                        3600000      NS    A.ROOT-SERVERS.NET.
A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4
A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30
"""


def test_a_sweep_whose_root_servers_are_all_outside_the_rule_is_not_run(
    world: World, tmp_path: Path
) -> None:
    hints = tmp_path / "named.root"
    hints.write_text(REAL_HINTS, encoding="ascii")

    sweep = run_sweep(trigger="test", hints_path=hints)

    assert sweep.status == Sweep.NOT_RUN
    assert sweep.queries == 0
    assert sweep.zones_done == 0
    assert "not run: the root servers" in sweep.error
    assert "198.41.0.4" in sweep.error
    assert "DNSCC_PROBE_NETWORKS=loopback" in sweep.error
    page = world.client("coordinator").get("/health/")
    assert page.status_code == 200
    assert "not run: the root servers" in page.content.decode()
