"""Domain generation algorithms, checked against output published by others."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from dnscc.core.dga import GENERATORS, Generator, get_generator
from dnscc.core.errors import InputError, NotFoundError
from dnscc.core.names import normalize_name

FIXTURES = Path(__file__).parent / "fixtures" / "dga"


def _published(filename: str) -> list[str]:
    lines = (FIXTURES / filename).read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def test_conficker_b_matches_the_published_downatool2_names_for_2020_01_01() -> None:
    published = _published("conficker-b-downatool2-2020-01-01.txt")
    assert get_generator("conficker-b").generate(datetime.date(2020, 1, 1)) == published[:250]


def test_conficker_b_matches_565_published_names_over_three_days() -> None:
    published = _published("conficker-b-downatool2-2020-01-01.txt")
    generator = get_generator("conficker-b")
    names = [
        name
        for _day, name in generator.names_between(
            datetime.date(2020, 1, 1), datetime.date(2020, 1, 3)
        )
    ]
    assert len(published) == 565
    assert names[:565] == published


def test_conficker_b_makes_250_normalised_names_a_day_under_its_8_tlds() -> None:
    generator = get_generator("conficker-b")
    names = generator.generate(datetime.date(2009, 4, 1))
    assert len(names) == generator.names_per_day == 250
    assert all(normalize_name(name) == name for name in names)
    assert {name.rpartition(".")[2] for name in names} <= set(generator.tlds)
    assert all(5 <= len(name.partition(".")[0]) <= 11 for name in names)


def test_each_day_has_different_names() -> None:
    generator = get_generator("conficker-b")
    one = generator.generate(datetime.date(2009, 4, 1))
    two = generator.generate(datetime.date(2009, 4, 2))
    assert not set(one) & set(two)


def test_names_between_includes_both_ends_and_tags_each_name_with_its_day() -> None:
    generator = get_generator("conficker-b")
    days = {
        day
        for day, _ in generator.names_between(datetime.date(2020, 1, 1), datetime.date(2020, 1, 2))
    }
    assert days == {datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)}


def test_names_between_refuses_an_end_before_the_start() -> None:
    generator = get_generator("conficker-b")
    with pytest.raises(InputError, match="before the start"):
        list(generator.names_between(datetime.date(2020, 1, 2), datetime.date(2020, 1, 1)))


def test_an_unknown_generator_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(NotFoundError, match="known: conficker-b"):
        get_generator("conficker-z")


def test_every_registered_generator_cites_its_sources() -> None:
    for key, generator in GENERATORS.items():
        assert isinstance(generator, Generator)
        assert generator.name == key
        assert generator.source.startswith("https://")
        assert generator.sample_source.startswith("https://")
        assert generator.description
        assert generator.tlds
