"""The threat catalogue parser: 800-30 vocabulary enforced, every problem located."""

from __future__ import annotations

import pytest

from dnscc.core.errors import InputError, ValidationErrors
from dnscc.core.threats import check_identifier, parse_catalogue

GOOD = """
version = 2
[sources.outsider]
type = "adversarial"
subtype = "individual: outsider"
name = "Outsider"
[events.cache-poisoning]
name = "Cache poisoning"
sources = ["outsider"]
relevance = "confirmed"
incident_types = ["cache-poisoning"]
probe_codes = ["DNSCC_PORT_RANDOMNESS"]
asset_kinds = ["resolver_operator"]
"""
KNOWN = {"incident_types": {"cache-poisoning"}, "probe_codes": {"DNSCC_PORT_RANDOMNESS"}}


def test_a_good_catalogue_parses_with_its_links() -> None:
    cat = parse_catalogue(GOOD, **KNOWN)
    assert cat.version == 2
    event = cat.events["cache-poisoning"]
    assert event.sources == ("outsider",)
    assert event.probe_codes == ("DNSCC_PORT_RANDOMNESS",)
    assert cat.sources["outsider"].type == "adversarial"


def test_every_problem_is_reported_with_its_table_and_field() -> None:
    bad = (
        GOOD.replace('"adversarial"', '"malicious"')
        .replace('"DNSCC_PORT_RANDOMNESS"]', '"NOPE01"]')
        .replace('relevance = "confirmed"', 'relevance = "likely"')
    )
    with pytest.raises(ValidationErrors) as caught:
        parse_catalogue(bad, **KNOWN)
    fields = {e.location.field for e in caught.value.errors}
    assert fields == {
        "sources.outsider.type",
        "events.cache-poisoning.probe_codes",
        "events.cache-poisoning.relevance",
    }


def test_an_event_without_a_known_source_is_refused() -> None:
    text = GOOD.replace('sources = ["outsider"]', 'sources = ["martians"]')
    with pytest.raises(ValidationErrors, match="unknown threat source 'martians'"):
        parse_catalogue(text, **KNOWN)
    # ... unless the source is already stored in the center
    cat = parse_catalogue(text, **KNOWN, known_sources={"martians"})
    assert cat.events["cache-poisoning"].sources == ("martians",)


def test_broken_toml_names_the_file() -> None:
    with pytest.raises(InputError, match=r"extra\.toml"):
        parse_catalogue("[events", file="extra.toml", **KNOWN)


@pytest.mark.parametrize("bad", ["Cache", "a_b", "-x", "x-", "", "é"])
def test_identifiers_are_stable_lower_case_slugs(bad: str) -> None:
    with pytest.raises(InputError):
        check_identifier(bad, field="id")
