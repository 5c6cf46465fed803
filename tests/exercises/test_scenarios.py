"""Scenario and plan files: the shipped library passes its own checks, and a bad file is
refused with an error naming its line (no lab needed: the file's own checks)."""

from __future__ import annotations

import pytest

from dnscc.core.errors import InputError, ValidationErrors
from dnscc.exercises import scenario as sc
from dnscc.exercises import services

pytestmark = pytest.mark.django_db

GOOD = """\
[scenario]
id = "drill"
version = 1
title = "A drill"
summary = "A short drill."
dns_type = "other"
threat_events = ["malicious-registrations"]

[[injects]]
at = "T+0"
kind = "note"
title = "Start"
text = "The drill begins."

[[injects]]
at = "T+2m"
kind = "note"
title = "Later"
text = "Two minutes in."
"""


def _errors(text: str, **kwargs: object) -> list[str]:
    with pytest.raises(ValidationErrors) as caught:
        sc.load_scenario(text, file="drill.toml", **kwargs)  # type: ignore[arg-type]
    return [f"{e.location.line}: {e.problem}" for e in caught.value.errors]


def test_every_shipped_scenario_and_plan_passes_its_checks_and_links_the_risk_catalogue() -> None:
    found = services.library()
    assert {s["id"] for s in found} >= {
        "conficker-c",
        "kaminsky-cache-poisoning",
        "registry-compromise",
        "ddos-tld",
        "dnssec-rollover",
        "resolver-rewriting",
        "registry-failure",
    }
    events = services.threat_event_ids()
    for entry in found:
        assert entry["threat_events"], entry["id"]
        assert set(entry["threat_events"]) <= events, entry["id"]
        assert entry["has_plan"], entry["id"]
        services.scenario(entry["id"])  # checked against the catalogue too
        plan = services.current_plan(entry["id"])
        assert plan is not None
        assert plan.version == 1


def test_a_good_file_gives_its_injects_in_scenario_seconds_with_their_lines() -> None:
    data = sc.load_scenario(GOOD, file="drill.toml")
    assert [(i["at_seconds"], i["line"]) for i in data["injects"]] == [(0.0, 9), (120.0, 15)]


def test_an_unknown_inject_type_is_refused_naming_its_line() -> None:
    text = GOOD.replace('kind = "note"\ntitle = "Later"', 'kind = "launch_missiles"\ntitle = "L"')
    problems = _errors(text)
    assert problems == ["17: unknown inject type 'launch_missiles'"]


def test_a_time_going_backwards_is_refused_naming_its_line() -> None:
    text = GOOD.replace('at = "T+2m"', 'at = "T+0"').replace(
        'at = "T+0"\nkind = "note"\ntitle = "Start"', 'at = "T+5m"\nkind = "note"\ntitle = "Start"'
    )
    problems = _errors(text)
    assert problems == ["16: the time goes backwards: T+0s after T+300s"]


def test_a_time_that_is_not_one_and_a_reference_that_names_no_tld_are_refused() -> None:
    text = GOOD.replace('at = "T+2m"', 'at = "soon"\ntld = "not a tld!"')
    problems = _errors(text)
    assert any(p.startswith("16:") and "soon" in p for p in problems), problems


def test_an_unknown_threat_event_is_refused_when_the_catalogue_is_given() -> None:
    problems = _errors(GOOD, threat_events={"ddos-tld"})
    assert problems == ["7: unknown threat event 'malicious-registrations'"]


def test_operator_shares_that_do_not_add_up_to_one_are_refused() -> None:
    text = GOOD + "\n[operators]\ncomply = 0.5\nsilent = 0.2\n"
    problems = _errors(text)
    assert any("add up to 0.7" in p for p in problems), problems


def test_a_file_that_is_not_toml_is_refused_naming_the_line() -> None:
    with pytest.raises(InputError, match="not valid TOML") as caught:
        sc.load_scenario(GOOD + "\n[[injects]\n", file="drill.toml")
    assert caught.value.location is not None
    assert caught.value.location.line == 21
