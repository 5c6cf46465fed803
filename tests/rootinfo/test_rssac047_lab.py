"""RSSAC047 against the lab's root servers with faults: one letter down (unreachable), one
slow (1.5 s per answer), one serving an old serial (serial-drift, after the others moved
on). The monthly report fails each on the threshold it should fail and passes the rest.

Four real rounds, stamped 25 minutes apart (the schedule's clock, not the wall's): the
drifted letter then lags 100 minutes behind the others, past RSSAC047's 65. About 30 s,
most of it the lab restarting its root instance for each fault (one shared module fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dnscc.rootinfo import rssac047
from dnscc.rootinfo.models import Measurement

pytestmark = [pytest.mark.lab]

DOWN, SLOW, OLD = "b", "c", "d"
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def _round(lab: Any, at: datetime) -> list[Measurement]:
    return rssac047.run_round(
        at=at,
        timeout=3.0,
        hints_path=lab.root_hints,
        anchor_path=lab.trust_anchor,
        reference_path=lab.lab.root_zone_file,
    )


def _verdicts(report: rssac047.Report) -> dict[str, dict[str, str]]:
    return {row.who: {f.name: f.verdict for f in row.figures} for row in report.rows}


def test_a_healthy_round_is_available_fast_and_correct(lab: Any, db: Any) -> None:
    rows = {m.letter: m for m in _round(lab, T0)}
    assert set(rows) == set("abcdefghijklm")
    for m in rows.values():
        assert all(p["ok"] for p in m.results), m.results
        assert {p["transport"] for p in m.results} == {"udp", "tcp"}
        assert m.correct is True, m.correctness
        assert {c["what"].split(" for ")[0] for c in m.correctness} >= {
            "DNSKEY matches the trust anchor and is self-signed",
            "SOA validates",
            "referral",
            "nonexistent TLD is denied",
        }
    assert len({m.serial for m in rows.values()}) == 1


def test_the_report_fails_the_faulted_letters_and_passes_the_healthy_ones(
    lab: Any, db: Any, world: Any
) -> None:
    with (
        lab.fault("unreachable", server=f"{DOWN}.root-servers.net"),
        lab.fault("slow", server=f"{SLOW}.root-servers.net", delay_ms=1500),
        lab.fault("serial-drift", server=f"{OLD}.root-servers.net"),
    ):
        for i in range(4):
            _round(lab, T0 + timedelta(minutes=25 * i))
    report = rssac047.month_report(T0.replace(day=1, hour=0))
    v = _verdicts(report)
    assert report.rounds == 4
    # The letter that is down: no answer at all.
    assert v[DOWN]["availability UDP IPv4"] == "fail"
    assert v[DOWN]["availability TCP IPv4"] == "fail"
    assert v[DOWN]["correctness"] == "not measured"
    # The slow one answers, correctly, but too late.
    assert v[SLOW]["availability UDP IPv4"] == "pass"
    assert v[SLOW]["median latency UDP"] == "fail"
    assert v[SLOW]["median latency TCP"] == "fail"
    assert v[SLOW]["correctness"] == "pass"
    assert v[SLOW]["median publication latency"] == "pass"
    # The one with the old serial answers fast and correctly (its copy is signed and
    # consistent) but never publishes the new serial.
    assert v[OLD]["median latency UDP"] == "pass"
    assert v[OLD]["correctness"] == "pass"
    assert v[OLD]["median publication latency"] == "fail"
    old = next(r for r in report.rows if r.who == OLD)
    lag = next(f for f in old.figures if f.name == "median publication latency")
    assert lag.value is not None
    assert lag.value > 65
    # Every other letter passes every threshold.
    healthy = set("abcdefghijklm") - {DOWN, SLOW, OLD}
    for letter in healthy:
        assert set(v[letter].values()) == {"pass"}, (letter, v[letter])
    # The system as a whole stays available and correct.
    assert v["system"]["availability"] == "pass"
    assert v["system"]["correctness"] == "pass"
    # The same verdicts in the portal and the CSV.
    page = world.client("coordinator").get("/rootinfo/rssac047/2026-11/")
    html = page.content.decode()
    assert f'data-who="{OLD}" data-figure="median publication latency" data-verdict="fail"' in html
    csv_text = world.client("coordinator").get("/rootinfo/rssac047/2026-11/report.csv").content
    assert f"2026-11,{SLOW},median latency UDP,".encode() in csv_text
    assert lab.healthy(lab.tlds[0])
