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
    with pytest.raises(NotFoundError, match="known: conficker-b, conficker-c"):
        get_generator("conficker-z")


def test_every_registered_generator_cites_its_sources() -> None:
    for key, generator in GENERATORS.items():
        assert isinstance(generator, Generator)
        assert generator.name == key
        assert generator.source.startswith("https://")
        # A published sample where one exists; Conficker C has none (its module says so).
        assert generator.sample_source.startswith("https://") or generator.name == "conficker-c"
        assert generator.description
        assert generator.tlds


# Conficker C: no published list or reference implementation was found (see the module),
# so these check what the public descriptions state.


def test_conficker_c_makes_50000_names_a_day_of_4_to_9_lower_case_letters() -> None:
    generator = get_generator("conficker-c")
    names = generator.generate(datetime.date(2009, 4, 1))
    assert len(names) == generator.names_per_day == 50_000
    labels = [name.partition(".")[0] for name in names]
    assert all(4 <= len(label) <= 9 for label in labels)
    assert all(label.isascii() and label.isalpha() and label.islower() for label in labels)
    assert {len(label) for label in labels} == set(range(4, 10))
    assert all(normalize_name(name) == name for name in names)


def test_conficker_c_spreads_its_names_over_110_cctlds_of_the_root_zone() -> None:
    from dnscc.core.rootzone import parse_root_zone

    generator = get_generator("conficker-c")
    assert len(set(generator.tlds)) == len(generator.tlds) == 110
    assert all(len(tld) == 2 for tld in generator.tlds)
    root = Path(__file__).parents[2] / "src" / "dnscc" / "data" / "root.zone"
    delegated = set(parse_root_zone(root).tlds)
    assert set(generator.tlds) <= delegated
    used = {name.rpartition(".")[2] for name in generator.generate(datetime.date(2009, 4, 1))}
    assert used == set(generator.tlds)  # 50,000 names reach every one of the 110


def test_conficker_c_is_deterministic_per_date_and_differs_from_day_to_day_and_from_b() -> None:
    generator = get_generator("conficker-c")
    day = datetime.date(2009, 4, 1)
    one = generator.generate(day)
    assert one == get_generator("conficker-c").generate(day)
    assert not set(one) & set(generator.generate(datetime.date(2009, 4, 2)))
    assert not set(one) & set(get_generator("conficker-b").generate(day))


def test_conficker_c_some_names_are_the_first_names_of_the_day() -> None:
    generator = get_generator("conficker-c")
    day = datetime.date(2009, 4, 1)
    assert generator.generate_some(day, 500) == generator.generate(day)[:500]
