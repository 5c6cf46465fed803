"""A partner's bundle of 100,000 objects is read object by object: memory stays bounded far
below what holding the document would take (measured with tracemalloc).

The objects are domain-name SCOs, the smallest kind the reader turns into observations, so
the run stays short under tracemalloc (5 to 10 s of CPU: tracemalloc slows every
allocation; it lives in tests/core, so only the SQLite run pays it). The
import's time on a 100,000-indicator bundle is the benchmark's (`scripts/bench sharing`)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from dnscc.core import intel, stix
from dnscc.core.tlp import TLP

COUNT = 100_000
BOUND = 4 * 1024 * 1024
"""Peak bytes allowed: the file alone is 10 MB, and json.load of it about 45 MB."""


def _write_bundle(path: Path) -> None:
    """The bundle, written object by object (never whole in memory here either)."""
    amber = stix.MARKINGS[TLP.AMBER]
    ref = amber["id"]
    with path.open("w") as out:
        out.write('{"type":"bundle","id":"' + stix.stix_id("bundle", "big") + '","objects":[')
        out.write(stix.dumps(amber))
        for i in range(COUNT - 1):
            out.write(
                f',{{"type":"domain-name","id":"domain-name--{i:08d}-0000-4000-8000-000000000000",'
                f'"value":"n{i}.r{i % 30}","object_marking_refs":["{ref}"]}}'
            )
        out.write("]}")


def test_a_bundle_of_100000_objects_is_read_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    _write_bundle(path)
    assert path.stat().st_size > 2 * BOUND
    observations = markings = 0
    labels: set[TLP | None] = set()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        with path.open("rb") as stream:
            for record in intel.read_stix(stream, name="big.json"):
                if isinstance(record, intel.Observation):
                    observations += 1
                    labels.add(record.tlp)
                elif isinstance(record, intel.Marking):
                    markings += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (observations, markings) == (COUNT - 1, 1)
    assert labels == {TLP.AMBER}
    assert peak - base < BOUND, f"peak {peak - base:,} bytes"
