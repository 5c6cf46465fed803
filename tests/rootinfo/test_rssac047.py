"""RSSAC047 without the lab: the egress rule, the report's arithmetic on stored rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dnscc.core import egress
from dnscc.core.errors import UnavailableError
from dnscc.probe import rssac047 as probe
from dnscc.rootinfo import rssac047

HINTS = ".  3600000  NS  a.root-servers.net.\na.root-servers.net. 3600000 A 198.41.0.4\n"
ANCHOR = ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"


def test_root_servers_outside_the_egress_rule_are_not_measured(db: Any, tmp_path: Path) -> None:
    hints, anchor = tmp_path / "root.hints", tmp_path / "anchor.ds"
    hints.write_text(HINTS)
    anchor.write_text(ANCHOR)
    with egress.using(egress.parse("loopback")), pytest.raises(UnavailableError, match="not run"):
        rssac047.run_round(hints_path=hints, anchor_path=anchor, reference_path=tmp_path / "none")


def test_the_probe_sends_nothing_outside_the_rule() -> None:
    import asyncio

    import dns.rrset

    anchor = dns.rrset.from_text(".", 86400, "IN", "DS", ANCHOR.split("DS ")[1].strip())
    with egress.using(egress.parse("loopback")):
        r = asyncio.run(probe.measure_letter("a", ["198.41.0.4"], anchor=anchor, timeout=0.5))
    assert r.correct is None
    assert all(not p.ok and "refused" in p.error for p in r.probes)


def _round(at: datetime, serials: dict[str, int | None], ms: float = 10.0) -> None:
    rows = []
    for letter, serial in serials.items():
        ok = serial is not None
        rows.append(
            probe.LetterRound(
                letter,
                (
                    probe.Probe("127.0.0.1", "udp", ok, ms if ok else None, serial),
                    probe.Probe("127.0.0.1", "tcp", ok, 2 * ms if ok else None, serial),
                ),
                True if ok else None,
            )
        )
    rssac047.store_round(rows, at=at)


def test_publication_latency_runs_from_a_serials_first_sighting(db: Any) -> None:
    t0 = datetime(2026, 5, 1, tzinfo=UTC)
    _round(t0, {"a": 1, "b": 1})
    _round(t0 + timedelta(minutes=5), {"a": 2, "b": 1})
    _round(t0 + timedelta(minutes=30), {"a": 2, "b": 2})
    report = rssac047.month_report(datetime(2026, 5, 1, tzinfo=UTC))
    lat = {
        r.who: next(f for f in r.figures if f.name == "median publication latency")
        for r in report.rows
    }
    # Serials 1 (0 min for both) and 2 (a: 0, b: 25 min): medians 0 and 12.5.
    assert lat["a"].value == 0
    assert lat["b"].value == pytest.approx(12.5)
    assert lat["b"].verdict == "pass"
    latency = {
        r.who: next(f for f in r.figures if f.name == "median latency TCP") for r in report.rows
    }
    assert latency["a"].value == 20.0
    assert rssac047.report_csv(report).startswith("month,who,figure")
