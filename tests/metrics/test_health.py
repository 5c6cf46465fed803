"""Namespace health per day from sweeps with set findings, checked against values computed
by hand (the TLDs are those of tests/metrics/history.py: ta1 and ta2 in AF, te1 in EU, tp1
in AP, tnone in NA without an operator)."""

from __future__ import annotations

from typing import Any

import pytest

from dnscc.cli import main
from dnscc.metrics import health, periods
from dnscc.monitoring.models import Finding, Sweep
from tests.conftest import World
from tests.metrics import history
from tests.metrics.history import at

PERIOD = periods.parse("2026-09-01..2026-09-05")


def _finding(zone: str, code: str, tag: str, severity: str, seen: str, resolved: str = "") -> None:
    Finding.objects.create(
        zone=zone,
        code=code,
        tag=tag,
        severity=severity,
        message=f"{code} {tag}",
        first_seen=at(seen),
        last_seen=at(resolved or "2026-09-05T23:00"),
        resolved_at=at(resolved) if resolved else None,
    )


@pytest.fixture
def days(db: Any) -> dict[str, Any]:
    history.build()
    # Sweeps finished on the 1st, 2nd, 3rd and 5th: the 4th has no data.
    for day in ("01", "02", "03", "05"):
        Sweep.objects.create(
            started_at=at(f"2026-09-{day}T06:00"),
            finished_at=at(f"2026-09-{day}T06:30"),
            status=Sweep.DONE,
        )
    Sweep.objects.create(started_at=at("2026-09-04T06:00"), status=Sweep.FAILED)
    # ta1 answers nobody from the 2nd 10:00 to the 3rd 01:00 (open on days 2 and 3; 15 h).
    _finding(
        "ta1", "BASIC02", "B02_NO_WORKING_NS", "critical", "2026-09-02T10:00", "2026-09-03T01:00"
    )
    # te1 lame since August (open all along) and, on the 1st only, a lame child (12 h).
    _finding("te1", "DELEGATION04", "IS_NOT_AUTHORITATIVE", "warning", "2026-08-20T00:00")
    _finding(
        "te1", "CONSISTENCY05", "CHILD_ZONE_LAME", "error", "2026-09-01T00:00", "2026-09-01T12:00"
    )
    # tp1: SOA serials differ from the 3rd; an expired signature from the 2nd to the 4th.
    _finding("tp1", "CONSISTENCY01", "MULTIPLE_SOA_SERIALS", "warning", "2026-09-03T00:00")
    _finding("tp1", "DNSSEC04", "RRSIG_EXPIRED", "error", "2026-09-02T00:00", "2026-09-04T12:00")
    # ta2 is not signed (no DS, no DNSKEY).
    _finding("ta2", "DNSSEC07", "NEITHER_DNSKEY_NOR_DS", "notice", "2026-08-01T00:00")
    # ta1: signatures near expiry on the 5th; its delegation changed on the 2nd (1 h).
    _finding("ta1", "DNSCC_SIG_EXPIRY", "DNSCC_SIG_EXPIRY", "warning", "2026-09-05T01:00")
    _finding(
        "ta1", "DNSCC_DELEGATION_CHANGED", "DNSCC_DELEGATION_CHANGED", "warning",
        "2026-09-02T03:00", "2026-09-02T04:00",
    )  # fmt: skip
    # A zone that is not a delegated TLD is not counted.
    _finding("tgone", "BASIC02", "B02_NO_WORKING_NS", "critical", "2026-09-01T00:00")
    return health.health(PERIOD)


def test_every_daily_series_of_the_known_sweeps(days: dict[str, Any]) -> None:
    assert days["days"] == [f"2026-09-0{i}" for i in range(1, 6)]
    assert days["swept"] == [True, True, True, False, True]
    s = days["groups"]["all"]["series"]
    assert days["groups"]["all"]["tlds"] == 5
    assert s["tlds_answering"] == [5, 4, 4, None, 5]
    assert s["lame"] == [1, 1, 1, None, 1]  # te1, counted once on the 1st
    assert s["inconsistent"] == [0, 0, 1, None, 1]
    assert s["signed_share"] == [0.8, 0.8, 0.8, None, 0.8]  # ta2 unsigned: 4 of 5
    assert s["dnssec_failures"] == [0, 1, 1, None, 0]
    assert s["near_expiry"] == [0, 0, 0, None, 1]
    assert s["delegation_changes"] == [0, 1, 0, None, 0]
    # Resolved on the 1st: CHILD_ZONE_LAME after 12 h; the 2nd: the change after 1 h; the 3rd:
    # BASIC02 after 15 h; the 4th (RRSIG, 60 h) has no sweep.
    assert s["mean_hours_to_resolve"] == [12, 1, 15, None, None]


def test_health_per_region_and_operator_group(days: dict[str, Any]) -> None:
    af = days["groups"]["region:AF"]
    assert af["tlds"] == 2
    assert af["series"]["tlds_answering"] == [2, 1, 1, None, 2]
    assert af["series"]["signed_share"] == [0.5, 0.5, 0.5, None, 0.5]
    assert days["groups"]["operator:Org E1"]["series"]["lame"] == [1, 1, 1, None, 1]
    assert days["groups"]["operator:-"]["tlds"] == 1  # tnone
    assert health.group_label("region:AP") == "Asia/Australia/Pacific"


def test_the_summary_averages_the_days_with_data(days: dict[str, Any]) -> None:
    summary = days["groups"]["all"]["summary"]
    assert summary["tlds_answering"] == {"mean": 4.5, "last": 5, "days": 4}
    assert summary["mean_hours_to_resolve"] == {"mean": 28 / 3, "last": 15, "days": 3}


def test_days_without_a_sweep_have_no_data(db: Any) -> None:
    history.build()
    data = health.health(PERIOD)
    assert data["swept"] == [False] * 5
    assert set(data["groups"]["all"]["series"]["lame"]) == {None}
    assert data["groups"]["all"]["summary"]["signed_share"] == {
        "mean": None,
        "last": None,
        "days": 0,
    }


def test_the_health_page_draws_a_plot_per_series_and_tables_per_region_and_operator(
    days: dict[str, Any], world: World
) -> None:
    response = world.client("coordinator").get("/performance/health?period=2026-09-01..2026-09-05")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="health-plot"') == len(health.SERIES)
    assert "4 day(s) with a finished sweep" in html
    assert "Org E1" in html  # per operator group, for staff
    api = world.api("admin").get("/api/v1/metrics/health?period=2026-09-01..2026-09-05").json()
    assert api["groups"]["all"]["series"]["lame"] == [1, 1, 1, None, 1]


def test_the_health_cli_summarises_each_group(days: dict[str, Any], capsys: Any) -> None:
    assert main(["metrics", "health", "--period", "2026-09-01..2026-09-05"]) == 0
    out = capsys.readouterr().out
    assert "namespace health 2026-09-01 to 2026-09-05: 4 of 5 days swept" in out
    assert "TLDs answering" in out
    assert "mean 4.5, last 5" in out


def test_a_period_longer_than_three_years_is_refused(db: Any) -> None:
    from dnscc.core.errors import InputError

    with pytest.raises(InputError, match="at most 1100"):
        health.health(periods.parse("2000-01-01..2026-12-31"))


def test_the_health_page_says_so_for_a_period_too_long(world: World) -> None:
    response = world.client("coordinator").get("/performance/health?period=2000-01-01..2026-12-31")
    assert response.status_code == 422
    assert "at most 1100" in response.content.decode()
