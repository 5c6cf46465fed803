"""Every figure and objective verdict of a known history (tests/metrics/history.py), checked
against values computed by hand. The arithmetic is written beside each assertion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import checks as django_checks

from dnscc.metrics import checks, figures, objectives, periods
from tests.metrics import history

Q3 = periods.parse("2026-Q3")
NOW = history.at("2026-12-01T00:00")


@pytest.fixture
def perf(db: Any, settings: Any) -> dict[str, Any]:
    settings.CONTACT_VERIFY_DAYS = 180
    history.build()
    return figures.performance(Q3, now=NOW)


def fig(perf: dict[str, Any], key: str) -> dict[str, Any]:
    return perf["figures"][key]  # type: ignore[no-any-return]


def test_time_to_triage_is_the_median_and_nearest_rank_p90_of_the_quarters_incidents(
    perf: dict[str, Any],
) -> None:
    f = fig(perf, "time_to_triage")
    # T-1 10, T-2 30, T-3 60 min; T-5 not triaged, T-4 before the quarter.
    assert f["all"] == {"n": 3, "median": 30, "p90": 60}
    # AF: [10, 30] -> median 20, p90 rank ceil(1.8) = 2 -> 30. EU: [60].
    assert f["by"]["region"]["AF"] == {"n": 2, "median": 20, "p90": 30}
    assert f["by"]["region"]["EU"] == {"n": 1, "median": 60, "p90": 60}
    assert f["by"]["type"]["dnssec-failure"] == {"n": 2, "median": 45, "p90": 60}


def test_first_notification_mitigation_and_reach_times_follow_the_recorded_times(
    perf: dict[str, Any],
) -> None:
    assert fig(perf, "time_to_first_notification")["all"] == {"n": 3, "median": 10, "p90": 90}
    # T-1 mitigated at +140, triaged at +10.
    assert fig(perf, "time_to_mitigate")["all"] == {"n": 1, "median": 130, "p90": 130}
    reach = fig(perf, "time_to_notify")
    # Affected parties accepted: 5, 25, 30 (T-1), 10 (T-2), 90 (T-3); the expert is left out.
    # median 25, p90 rank ceil(4.5) = 5 -> 90.
    assert reach["all"] == {"n": 5, "median": 25, "p90": 90}
    # Resource-constrained: A1 at 5 and 10 -> median 7.5, p90 rank 2 -> 10.
    assert reach["by"]["constrained"]["yes"] == {"n": 2, "median": 7.5, "p90": 10}
    assert reach["by"]["kind"]["registrar"] == {"n": 1, "median": 25, "p90": 25}


def test_time_to_acknowledge_counts_from_the_relays_acceptance_per_region(
    perf: dict[str, Any],
) -> None:
    f = fig(perf, "time_to_acknowledge")
    # 100, 300, 2000, 60 -> sorted 60 100 300 2000: median 200, p90 rank 4 -> 2000.
    assert f["all"] == {"n": 4, "median": 200, "p90": 2000}
    # AF: 100 300 2000 -> median 300, p90 rank ceil(2.7) = 3 -> 2000.
    assert f["by"]["region"]["AF"] == {"n": 3, "median": 300, "p90": 2000}
    assert f["by"]["region"]["EU"] == {"n": 1, "median": 60, "p90": 60}
    assert "AP" not in f["by"]["region"]  # nobody in AP acknowledged: no cell, not a zero


def test_parties_reached_means_accepted_by_a_relay_among_those_a_notice_was_attempted_for(
    perf: dict[str, Any],
) -> None:
    f = fig(perf, "parties_reached")
    # Reached 5; attempted and not reached: P1 unreachable, P1 delivery failed, A2 queued.
    # E1 not contacted in T-5 is not counted.
    assert f["all"] == {"numerator": 5, "denominator": 8, "share": 0.625}
    assert f["by"]["constrained"]["yes"]["share"] == 0.5  # A1 twice reached, P1 twice not
    assert f["by"]["region"]["AF"]["share"] == 0.75  # A1, A2, A1 reached; A2 queued
    assert f["by"]["region"]["AP"] == {"numerator": 0, "denominator": 2, "share": 0.0}
    unreachable = fig(perf, "parties_unreachable")
    assert unreachable["all"] == {"count": 2}
    assert unreachable["by"]["region"] == {"AP": {"count": 2}}


def test_campaign_coverage_counts_the_delivered_slices_names_verified(
    perf: dict[str, Any],
) -> None:
    # A1 10 of 10, E1 15 of 30; P1's slice never delivered: 25 / 40.
    assert fig(perf, "campaign_coverage")["all"]["share"] == 0.625
    assert fig(perf, "campaign_coverage")["by"]["region"]["EU"]["share"] == 0.5
    assert fig(perf, "time_to_verified_coverage")["all"] == {"n": 1, "median": 1440, "p90": 1440}


def test_advisories_published_in_the_quarter_and_the_organisations_they_reached(
    perf: dict[str, Any],
) -> None:
    assert fig(perf, "advisories_published")["all"] == {"count": 1}
    assert fig(perf, "advisory_reach")["all"] == {"count": 2}  # A1 (twice) and A2; E1 dead


def test_contacts_are_judged_at_the_quarters_end(perf: dict[str, Any]) -> None:
    # Fresh since 2026-04-04: A1 and P1; stale: A2; E1 never verified; P1's late contact
    # was verified after the quarter.
    assert fig(perf, "contacts_verified")["all"] == {"count": 2}
    assert fig(perf, "contacts_stale")["all"] == {"count": 1}
    tlds = fig(perf, "tlds_with_verified_contact")
    # Delegated: ta1 (A1 fresh), ta2, te1, tp1 (P1 fresh), tnone: 2 / 5.
    assert tlds["all"] == {"numerator": 2, "denominator": 5, "share": 0.4}
    assert tlds["by"]["region"]["AF"]["share"] == 0.5
    assert tlds["by"]["region"]["NA"]["share"] == 0.0


def test_every_objective_verdict_of_the_known_history(perf: dict[str, Any]) -> None:
    verdicts = {v["key"]: v for v in objectives.evaluate(perf)}
    assert {k: (v["verdict"], v["value"]) for k, v in verdicts.items()} == {
        "first-notification": ("met", 10),  # median 10 <= 15
        "acknowledgement-by-region": ("missed", 2000),  # AF's p90 2000 > 1440
        "parties-reached": ("missed", 0.625),
        "tlds-with-verified-contact": ("missed", 0.4),
        "constrained-reached": ("missed", 0.5),
    }
    groups = {g["group"]: g["verdict"] for g in verdicts["acknowledgement-by-region"]["groups"]}
    assert groups == {"AF": "missed", "EU": "met"}
    assert verdicts["first-notification"]["display"] == "10 min"
    assert verdicts["parties-reached"]["display"] == "62.5 %"


def test_a_period_without_data_says_no_data_and_divides_by_nothing(db: Any) -> None:
    perf = figures.performance(periods.parse("2025-Q1"), now=NOW)
    for key, f in perf["figures"].items():
        cell = f["all"]
        assert cell.get("median", cell.get("share", cell.get("count"))) in (None, 0), key
    assert fig(perf, "parties_reached")["all"] == {
        "numerator": 0,
        "denominator": 0,
        "share": None,
    }
    assert {v["verdict"] for v in objectives.evaluate(perf)} == {"no data"}
    assert {v["display"] for v in objectives.evaluate(perf)} == {"no data"}


def test_an_objective_naming_an_unknown_figure_is_refused_by_a_system_check(
    settings: Any, tmp_path: Path
) -> None:
    profile = tmp_path / "objectives.toml"
    profile.write_text(
        '[[objective]]\nkey = "x"\ntitle = "x"\nfigure = "time_to_nowhere"\n'
        'statistic = "median"\nop = "<="\ntarget = 1\n',
        encoding="utf-8",
    )
    settings.METRICS_OBJECTIVES = str(profile)
    errors = checks.objectives_profile()
    assert [e.id for e in errors] == ["metrics.E001"]
    assert "unknown figure 'time_to_nowhere'" in errors[0].msg
    assert "metrics.E001" in {e.id for e in django_checks.run_checks()}


def test_a_statistic_or_dimension_the_figure_lacks_is_refused_too(tmp_path: Path) -> None:
    data = {
        "objective": [
            {
                "key": "a",
                "title": "a",
                "figure": "parties_reached",
                "statistic": "median",
                "op": "<=",
                "target": 1,
            },
            {
                "key": "b",
                "title": "b",
                "figure": "time_to_triage",
                "statistic": "p90",
                "op": "~",
                "target": 1,
                "per": "kind",
            },
        ]
    }
    found = objectives.problems(data)
    assert any("has no statistic 'median'" in p for p in found)
    assert any("unknown comparison '~'" in p for p in found)
    assert any("not broken down by kind" in p for p in found)


def test_the_shipped_profile_is_valid() -> None:
    assert checks.objectives_profile() == []
    assert len(objectives.load(objectives.DEFAULT_PATH)) >= 5


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026-Q4", "2026-Q4", "2026-10-01", "2027-01-01"),
        ("2026-12", "2026-12", "2026-12-01", "2027-01-01"),
        ("2026-W01", "2026-W01", "2025-12-29", "2026-01-05"),
        ("2026-07-01..2026-07-31", "2026-07-01 to 2026-07-31", "2026-07-01", "2026-08-01"),
    ],
)
def test_periods_are_half_open_utc_ranges(text: str, label: str, start: str, end: str) -> None:
    p = periods.parse(text)
    assert (p.label, p.start.date().isoformat(), p.end.date().isoformat()) == (label, start, end)


def test_a_quarter_splits_into_its_months() -> None:
    assert [p.label for p in periods.split(Q3, "month")] == ["2026-07", "2026-08", "2026-09"]


@pytest.mark.parametrize("text", ["2026-Q5", "2026-13", "2026-W54", "last year", ""])
def test_a_period_that_is_not_one_is_refused_with_the_forms_it_takes(text: str) -> None:
    from dnscc.core.errors import InputError

    with pytest.raises(InputError, match="is not a period"):
        periods.parse(text)


def test_exercise_incidents_are_left_out_unless_asked_for(db: Any, settings: Any) -> None:
    from dnscc.incidents.models import Incident

    settings.CONTACT_VERIFY_DAYS = 180
    history.build()
    Incident.objects.filter(ref="DNSCC-2026-9001").update(exercise=1)  # T-1: an exercise
    live = figures.performance(Q3, now=NOW)
    # Without T-1: triage 30, 60; its three affected parties leave the reach figure too.
    assert live["figures"]["time_to_triage"]["all"] == {"n": 2, "median": 45, "p90": 60}
    assert live["figures"]["parties_reached"]["all"]["denominator"] == 5
    both = figures.performance(Q3, include_exercises=True, now=NOW)
    assert both["figures"]["time_to_triage"]["all"]["n"] == 3
    assert both["include_exercises"] is True
