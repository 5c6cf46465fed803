"""A sweep finishes whatever the zones and servers do, and reports every zone."""

from __future__ import annotations

import asyncio

import dns.message
import dns.rcode

from dnscc.probe.model import ZoneReport
from dnscc.probe.profile import load_profile
from dnscc.probe.sweep import sweep_all
from dnscc.probe.zone import Baseline

from .fakes import HINTS, NS2, ROOT, FakeTransport, World

PROFILE = load_profile()


def test_a_sweep_over_good_bad_and_broken_zones_reports_each_one() -> None:
    world = World(silent={NS2})
    inner = world.answer

    def answer(server: str, q: dns.message.Message) -> dns.message.Message | bytes | None:
        name = q.question[0].name.to_text()
        if server == ROOT and name.startswith("boom"):
            raise RuntimeError("a bug in a check must not stop the sweep")
        if server == ROOT and name.startswith("nx"):
            r = dns.message.make_response(q)
            r.set_rcode(dns.rcode.NXDOMAIN)
            return r
        return inner(server, q)

    t = FakeTransport(answer)
    progress: list[tuple[int, int]] = []
    zones = ["test.", "bad..name", "nx.", "boom.", "xn--bcher-kva."]
    reports: list[ZoneReport] = asyncio.run(
        sweep_all(
            zones,
            hints=HINTS,
            profile=PROFILE,
            transport=t,
            baselines={"test.": Baseline.of(["ns1.test.", "ns2.test."])},
            progress=lambda done, total, r: progress.append((done, total)),
        )
    )
    by_zone = {r.zone: r for r in reports}
    assert len(reports) == len(zones)
    assert progress[-1] == (len(zones), len(zones))
    assert by_zone["test."].codes == {"CONNECTIVITY01", "CONNECTIVITY02"}
    assert "invalid zone name" in by_zone["bad..name"].untested[0]
    assert by_zone["nx."].tags == {"B01_NO_CHILD", "B02_NO_DELEGATION"}
    assert "probe failed: RuntimeError" in by_zone["boom."].untested[0]
