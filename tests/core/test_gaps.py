"""Gap matrix and the comparison of two assessments."""

from __future__ import annotations

from dnscc.core.assessment import compare
from dnscc.core.gaps import Coverage, gap_matrix

EVENTS = ["ddos-tld", "dnssec-failure"]
REGIONS = ["AF", "EU"]


def test_a_region_nobody_covers_is_a_gap_and_a_global_body_covers_every_region() -> None:
    coverage = [
        Coverage("oarc", "ddos-tld", "*", "detect"),
        Coverage("oarc", "ddos-tld", "*", "coordinate"),
        Coverage("eu-cert", "ddos-tld", "EU", "mitigate"),
        Coverage("eu-cert", "ddos-tld", "EU", "recover"),
        Coverage("eu-cert", "dnssec-failure", "EU", "detect"),
        Coverage("ghost", "no-such-event", "EU", "detect"),
    ]
    m = gap_matrix(EVENTS, REGIONS, coverage)
    assert m["state"] == {
        "ddos-tld": {"AF": "partial", "EU": "covered"},
        "dnssec-failure": {"AF": "uncovered", "EU": "partial"},
    }
    assert m["gaps"] == [{"event": "dnssec-failure", "region": "AF"}]
    assert {"event": "ddos-tld", "region": "AF", "missing": ["mitigate", "recover"]} in m["partial"]
    assert m["cells"]["ddos-tld"]["AF"]["detect"] == ["oarc"]
    assert m["by_region"]["EU"] == {"covered": 1, "partial": 1, "uncovered": 0, "share": 0.5}
    assert m["responders"] == {"eu-cert": 2, "oarc": 2}


def test_the_comparison_lists_risks_up_down_new_retired_and_coverage_changes() -> None:
    before = {
        "risks": [
            {"ref": "R-1", "title": "a", "level": "moderate", "score": 25},
            {"ref": "R-2", "title": "b", "level": "high", "score": 64},
            {"ref": "R-3", "title": "c", "level": "low", "score": 4},
            {"ref": "R-4", "title": "d", "level": "low", "score": 4},
        ],
        "gaps": {"state": {"ddos-tld": {"AF": "uncovered", "EU": "covered"}}},
        "threats": {"events": {"ddos-tld": {"incidents": 2, "findings": 10}}},
    }
    after = {
        "risks": [
            {"ref": "R-1", "title": "a", "level": "high", "score": 40},
            {"ref": "R-2", "title": "b", "level": "high", "score": 40},
            {"ref": "R-3", "title": "c", "level": "low", "score": 4},
            {"ref": "R-5", "title": "e", "level": "very high", "score": 100},
        ],
        "gaps": {"state": {"ddos-tld": {"AF": "partial", "EU": "uncovered"}}},
        "threats": {"events": {"ddos-tld": {"incidents": 5, "findings": 10}}},
    }
    diff = compare(before, after)
    assert [c["ref"] for c in diff["risks"]["up"]] == ["R-1"]
    assert [c["ref"] for c in diff["risks"]["down"]] == ["R-2"]  # same level, lower score
    assert [c["ref"] for c in diff["risks"]["new"]] == ["R-5"]
    assert [c["ref"] for c in diff["risks"]["retired"]] == ["R-4"]
    assert diff["risks"]["unchanged"] == 1
    assert diff["coverage"]["gained"] == [
        {"event": "ddos-tld", "region": "AF", "from": "uncovered", "to": "partial"}
    ]
    assert diff["coverage"]["lost"] == [
        {"event": "ddos-tld", "region": "EU", "from": "covered", "to": "uncovered"}
    ]
    assert diff["threats"] == [
        {"event": "ddos-tld", "changes": {"incidents": {"from": 2, "to": 5}}}
    ]
    assert diff["levels"]["current"]["very high"] == 1


def test_a_baseline_has_every_risk_new() -> None:
    diff = compare(None, {"risks": [{"ref": "R-1", "title": "a", "level": "low", "score": 4}]})
    assert diff["baseline"] is True
    assert [c["ref"] for c in diff["risks"]["new"]] == ["R-1"]
