"""Anomalies: a robust baseline per letter and series; a flood in one letter opens an alert
to its operator's desk naming the letter and the day; the same flood in four letters opens
one system-wide alert; too little history is said, not judged."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from dnscc.core.errors import InputError
from dnscc.directory.models import Organization, RootServer
from dnscc.monitoring.models import Alert, Finding
from dnscc.rootinfo import anomalies
from dnscc.rootinfo.baseline import Baseline, Rule, judge, load_profile
from dnscc.rootinfo.ingest import ingest
from dnscc.rootinfo.models import Anomaly, IngestRun

QUERIES = Rule(
    "queries", "queries received", columns=("queries_udp4",), threshold=6, min_change=0.5
)


def flood(sample: Path, tmp: Path, letter: str, day: str, factor: int = 10) -> Path:
    """The letter's published traffic-volume file of `day` with its queries multiplied."""
    name = f"{letter}-root-{day.replace('-', '')}-traffic-volume.yaml"
    text = (sample / "2024/06/traffic-volume" / name).read_text()
    flooded = re.sub(
        r"(dns-(?:udp|tcp)-queries-received-ipv[46]: )(\d+)",
        lambda m: f"{m[1]}{int(m[2]) * factor}",
        text,
    )
    path = tmp / name
    path.write_text(flooded)
    return path


@pytest.fixture
def verisign(db: Any) -> Organization:
    org = Organization.objects.create(
        name="Verisign, Inc.", slug="verisign", kind=Organization.ROOT_SERVER_OPERATOR, region="NA"
    )
    for letter in "aj":
        RootServer.objects.create(letter=letter, host=f"{letter}.root-servers.net", operator=org)
    return org


def test_the_real_sample_has_no_anomaly(loaded: IngestRun) -> None:
    assert not Alert.objects.exists()
    assert not Anomaly.objects.exists()


def test_a_flood_in_one_letter_opens_an_alert_naming_the_letter_and_the_day(
    loaded: IngestRun, sample: Path, tmp_path: Path, verisign: Organization
) -> None:
    run = ingest(flood(sample, tmp_path, "a", "2024-06-14"), jobs=1)
    assert run.files_corrected == 1
    alert = Alert.objects.get()
    assert "a-root" in alert.title
    assert "2024-06-14" in alert.title
    assert "Verisign" in alert.title
    assert (alert.organization, alert.desk, alert.severity) == (verisign, "NA", "error")
    assert alert.finding.zone == "a.root-servers.net"
    assert alert.finding.code == "RSSAC002_QUERIES"
    a = Anomaly.objects.get()
    assert (a.letter, a.series, a.day, a.alert) == ("a", "queries", date(2024, 6, 14), alert)
    assert a.value == pytest.approx(10 * a.baseline, rel=0.2)
    assert "13 previous days" in a.method


def test_the_same_flood_in_four_letters_opens_one_system_wide_alert(
    loaded: IngestRun, sample: Path, tmp_path: Path
) -> None:
    for letter in "acfk":
        flood(sample, tmp_path, letter, "2024-06-14")
    ingest(tmp_path, jobs=1)
    alert = Alert.objects.get()
    assert alert.finding.zone == "root-servers.net"
    assert alert.finding.code == "RSSAC002_SYSTEM"
    assert "4 letters anomalous on 2024-06-14" in alert.title
    assert "a, c, f, k" in alert.title
    assert (alert.severity, alert.desk) == ("critical", "")
    assert set(Anomaly.objects.filter(day="2024-06-14").values_list("letter", flat=True)) == {
        "",
        "a",
        "c",
        "f",
        "k",
    }
    system = Anomaly.objects.get(letter="")
    assert system.letters == ["a", "c", "f", "k"]
    assert system.alert == alert


def test_a_flood_that_ends_resolves_its_alert_the_next_day(
    loaded: IngestRun, sample: Path, tmp_path: Path
) -> None:
    ingest(flood(sample, tmp_path, "m", "2024-06-12"), jobs=1)
    result = anomalies.scan(date(2024, 6, 12), date(2024, 6, 14))
    assert result.resolved >= 1
    alert = Alert.objects.get()
    assert alert.state == Alert.RESOLVED
    assert "back within its baseline on 2024-06-13" in alert.resolution
    assert Finding.objects.get().resolved_at is not None


def test_with_less_than_seven_days_of_history_a_day_is_not_judged(
    loaded: IngestRun, sample: Path, tmp_path: Path
) -> None:
    ingest(flood(sample, tmp_path, "b", "2024-06-05"), jobs=1)
    assert not Alert.objects.exists()
    result = anomalies.scan(date(2024, 6, 5), date(2024, 6, 5))
    assert result.judged == 0
    assert result.not_judged > 0
    history = {date(2024, 6, d): 100.0 for d in range(1, 5)}
    j = judge(history, date(2024, 6, 5), 1000.0, QUERIES, Baseline())
    assert not j.anomalous
    assert j.method == "not judged: 4 day(s) of history, 7 needed"


def test_the_alert_page_plots_the_series_with_the_anomalous_day_marked(
    loaded: IngestRun, sample: Path, tmp_path: Path, world: Any
) -> None:
    ingest(flood(sample, tmp_path, "a", "2024-06-14"), jobs=1)
    alerts = world.client("coordinator").get("/health/alerts/?desk=all")
    assert b"/rootinfo/anomaly/a/queries/2024-06-14/" in alerts.content
    page = world.client("coordinator").get("/rootinfo/anomaly/a/queries/2024-06-14/")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.count("<strong>anomalous</strong>") == 1
    assert "2024-06-13" in text


# --- the baseline, on its own ----------------------------------------------------------------


def test_the_baseline_is_the_median_and_its_spread_the_scaled_mad() -> None:
    start = date(2024, 1, 1)
    history = {start + timedelta(days=i): v for i, v in enumerate([10, 12, 11, 13, 9, 10, 12, 11])}
    j = judge(history, start + timedelta(days=8), 30.0, QUERIES, Baseline())
    assert j.baseline == 11.0
    assert j.spread == pytest.approx(1.4826 * 1.0)
    assert j.anomalous
    calm = judge(history, start + timedelta(days=8), 14.0, QUERIES, Baseline())
    assert not calm.anomalous


def test_one_outlier_in_the_window_does_not_move_the_baseline() -> None:
    start = date(2024, 1, 1)
    values = [100.0] * 20
    values[5] = 10_000.0  # an earlier flood
    history = {start + timedelta(days=i): v for i, v in enumerate(values)}
    j = judge(history, start + timedelta(days=20), 100.0, QUERIES, Baseline())
    assert j.baseline == 100.0
    assert not j.anomalous


def test_a_weekly_rhythm_makes_the_baseline_weekday_aware() -> None:
    start = date(2024, 1, 1)  # a Monday
    history = {
        start + timedelta(days=i): (50.0 if (start + timedelta(days=i)).weekday() >= 5 else 100.0)
        for i in range(28)
    }
    saturday = start + timedelta(days=33)
    assert saturday.weekday() == 5
    # 100 on a Saturday is twice the Saturdays' 50: an anomaly only weekday-aware.
    rule = Rule("q", "q", columns=("x",), threshold=4, min_change=0.5)
    j = judge(history, saturday, 100.0, rule, Baseline())
    assert "Saturdays" in j.method
    assert j.baseline == 50.0
    assert j.anomalous
    monday = judge(history, start + timedelta(days=35), 100.0, rule, Baseline())
    assert not monday.anomalous


def test_the_shipped_profile_reads_and_a_bad_one_is_refused_naming_the_key(tmp_path: Path) -> None:
    profile = load_profile()
    assert {r.name for r in profile.rules} >= {"queries", "sources", "load_time"}
    assert (profile.baseline.window_days, profile.baseline.min_days) == (28, 7)
    bad = tmp_path / "profile.toml"
    bad.write_text('[series.x]\ncolumns = ["queries_udp4"]\ndirection = "sideways"\n')
    with pytest.raises(InputError) as info:
        load_profile(bad)
    assert info.value.location.field == "series.x.direction"
    bad.write_text('[series.x]\ncolumns = ["no_such_column"]\n')
    with pytest.raises(InputError, match="unknown columns"):
        load_profile(bad)
