"""NIST SP 800-30 Rev. 1 scales: the tables checked against the publication cell by cell."""

from __future__ import annotations

import pytest

from dnscc.core.errors import InputError
from dnscc.core.riskscale import (
    LEVELS,
    check_level,
    overall_likelihood,
    risk_level,
    risk_score,
)

# Table I-2 as printed in 800-30 (rows likelihood very high .. very low; columns impact
# very low .. very high), typed in again independently of the module's table.
TABLE_I2 = """
very high | very low | low      | moderate | high     | very high
high      | very low | low      | moderate | high     | very high
moderate  | very low | low      | moderate | moderate | high
low       | very low | low      | low      | low      | moderate
very low  | very low | very low | very low | low      | low
"""

TABLE_G5 = """
very high | low      | moderate | high     | very high | very high
high      | low      | moderate | moderate | high      | very high
moderate  | low      | low      | moderate | moderate  | high
low       | very low | low      | low      | moderate  | moderate
very low  | very low | very low | low      | low       | low
"""


def _rows(table: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("|")] for line in table.strip().splitlines()]


@pytest.mark.parametrize("row", _rows(TABLE_I2))
def test_the_level_of_risk_follows_table_i2(row: list[str]) -> None:
    likelihood, *cells = row
    for impact, expected in zip(LEVELS, cells, strict=True):
        assert risk_level(likelihood, impact) == expected, (likelihood, impact)


@pytest.mark.parametrize("row", _rows(TABLE_G5))
def test_the_overall_likelihood_follows_table_g5(row: list[str]) -> None:
    initiation, *cells = row
    for adverse, expected in zip(LEVELS, cells, strict=True):
        assert overall_likelihood(initiation, adverse) == expected


def test_the_score_is_the_product_of_the_representative_values() -> None:
    assert risk_score("very high", "very high") == 100
    assert risk_score("high", "moderate") == 40
    assert risk_score("low", "high") == 16
    assert risk_score("very low", "very high") == 0


def test_levels_are_read_in_the_ways_people_write_them() -> None:
    assert check_level("Very High", field="impact") == "very high"
    assert check_level("very-low", field="impact") == "very low"
    assert check_level("VH", field="impact") == "very high"
    assert check_level("medium", field="impact") == "moderate"
    assert check_level(85, field="impact") == "high"
    assert check_level("3", field="impact") == "very low"
    assert check_level(20.5, field="impact") == "low"


@pytest.mark.parametrize("bad", ["extreme", "", None, 101, -1, "very very high", True])
def test_a_score_outside_the_scale_is_refused_naming_the_field(bad: object) -> None:
    with pytest.raises(InputError) as caught:
        check_level(bad, field="likelihood")
    assert caught.value.location.field == "likelihood"
