"""Countries, ICANN regions and TLD classification, checked against the real root zone."""

from __future__ import annotations

from functools import cache

import idna
import pytest

from dnscc.core.errors import InputError, NotFoundError
from dnscc.core.paths import default_root_zone
from dnscc.core.regions import (
    CCTLD_EXCEPTIONS,
    COUNTRIES,
    IDN_CCTLDS,
    IDN_GTLDS,
    UNCERTAIN_REGIONS,
    Country,
    Region,
    TldKind,
    classify_tld,
    country,
    country_of_cctld,
    normalize_country,
    region_of_country,
    valid_country,
)


@cache
def _root_zone_tlds() -> frozenset[str]:
    """TLD names of the real root zone, read directly so that this test needs no parser."""
    tlds = set()
    with default_root_zone().open(encoding="utf-8") as zone:
        for line in zone:
            fields = line.split()
            if len(fields) >= 5 and fields[3] == "NS" and fields[0] != ".":
                tlds.add(fields[0].rstrip(".").lower())
    return frozenset(tlds)


def test_every_assigned_iso_code_is_in_the_table() -> None:
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isupper() for code in COUNTRIES)


def test_every_country_has_a_name_and_a_region() -> None:
    for code, found in COUNTRIES.items():
        assert found.code == code
        assert found.name
        assert isinstance(found.region, Region)


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("RE", Region.EUROPE),  # Réunion follows France
        ("GP", Region.EUROPE),
        ("NC", Region.EUROPE),
        ("AW", Region.EUROPE),  # Aruba follows the Netherlands
        ("KY", Region.EUROPE),  # Cayman Islands follow the United Kingdom
        ("BM", Region.EUROPE),
        ("GL", Region.EUROPE),  # Greenland follows Denmark
        ("PR", Region.NORTH_AMERICA),  # Puerto Rico follows the United States
        ("GU", Region.NORTH_AMERICA),
        ("AS", Region.NORTH_AMERICA),
        ("CX", Region.ASIA_PACIFIC),  # Christmas Island follows Australia
        ("CK", Region.ASIA_PACIFIC),
        ("HK", Region.ASIA_PACIFIC),
    ],
)
def test_a_territory_goes_with_its_mother_countrys_region(code: str, region: Region) -> None:
    assert region_of_country(code) is region


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("DE", Region.EUROPE),
        ("RU", Region.EUROPE),
        ("EG", Region.AFRICA),
        ("SA", Region.ASIA_PACIFIC),
        ("AU", Region.ASIA_PACIFIC),
        ("MX", Region.LATIN_AMERICA_CARIBBEAN),
        ("JM", Region.LATIN_AMERICA_CARIBBEAN),
        ("US", Region.NORTH_AMERICA),
        ("CA", Region.NORTH_AMERICA),
    ],
)
def test_a_country_is_in_its_un_macro_region(code: str, region: Region) -> None:
    assert region_of_country(code) is region


def test_north_america_is_canada_the_united_states_and_us_territories() -> None:
    north = {c for c, found in COUNTRIES.items() if found.region is Region.NORTH_AMERICA}
    assert north == {"CA", "US", "AS", "GU", "MP", "PR", "VI", "UM"}


def test_the_uncertain_assignments_are_listed_codes() -> None:
    assert COUNTRIES.keys() >= UNCERTAIN_REGIONS


def test_region_codes_and_labels_are_icanns() -> None:
    assert [r.value for r in Region] == ["AF", "AP", "EU", "LAC", "NA"]
    assert Region.ASIA_PACIFIC.label == "Asia/Australia/Pacific"
    assert Region.from_code(" lac ") is Region.LATIN_AMERICA_CARIBBEAN


def test_an_unknown_region_code_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        Region.from_code("XX")
    assert caught.value.location.field == "region"


def test_valid_country_accepts_any_case_and_refuses_unassigned_codes() -> None:
    assert valid_country("de")
    assert valid_country("GB")
    assert not valid_country("UK")
    assert not valid_country("EU")
    assert not valid_country("XK")


def test_normalize_country_returns_upper_case_or_names_the_field() -> None:
    assert normalize_country(" fr ") == "FR"
    with pytest.raises(InputError) as caught:
        normalize_country("UK")
    assert caught.value.location.field == "country"
    assert "GB" in (caught.value.hint or "")


def test_an_unknown_country_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        country("ZZ")


def test_a_country_code_must_be_two_upper_case_letters() -> None:
    with pytest.raises(InputError):
        Country("deu", "Germany", Region.EUROPE)


@pytest.mark.parametrize(
    ("tld", "kind", "code", "region"),
    [
        ("de", TldKind.CCTLD, "DE", Region.EUROPE),
        ("uk", TldKind.CCTLD, "GB", Region.EUROPE),
        ("ac", TldKind.CCTLD, "SH", Region.EUROPE),
        ("eu", TldKind.CCTLD, None, Region.EUROPE),
        ("su", TldKind.CCTLD, "RU", Region.EUROPE),
        ("re", TldKind.CCTLD, "RE", Region.EUROPE),
        ("xn--p1ai", TldKind.IDN_CCTLD, "RU", Region.EUROPE),
        ("xn--fiqs8s", TldKind.IDN_CCTLD, "CN", Region.ASIA_PACIFIC),
        ("xn--qxa6a", TldKind.IDN_CCTLD, None, Region.EUROPE),
        ("xn--wgbh1c", TldKind.IDN_CCTLD, "EG", Region.AFRICA),
        ("com", TldKind.GTLD, None, None),
        ("xn--p1acf", TldKind.GTLD, None, None),
        ("arpa", TldKind.INFRASTRUCTURE, None, None),
    ],
)
def test_a_tld_is_classified_with_its_country_and_region(
    tld: str, kind: TldKind, code: str | None, region: Region | None
) -> None:
    found = classify_tld(tld)
    assert (found.kind, found.country, found.region, found.known) == (kind, code, region, True)


def test_an_idn_tld_in_neither_table_is_a_gtld_marked_unknown() -> None:
    found = classify_tld("xn--unknown-tld-abc")
    assert found.kind is TldKind.GTLD
    assert not found.known


def test_country_of_cctld_handles_the_exceptions() -> None:
    assert country_of_cctld("UK") == "GB"
    assert country_of_cctld("eu") is None
    assert country_of_cctld("xn--j6w193g") == "HK"
    assert country_of_cctld("com") is None


def test_the_idn_tables_hold_decodable_a_labels_and_do_not_overlap() -> None:
    assert not IDN_GTLDS & IDN_CCTLDS.keys()
    for label in [*IDN_CCTLDS, *IDN_GTLDS]:
        assert idna.decode(label)
    assert all(code is None or code in COUNTRIES for code in IDN_CCTLDS.values())


def test_every_idn_tld_of_the_real_root_zone_is_classified_explicitly() -> None:
    idn = {tld for tld in _root_zone_tlds() if tld.startswith("xn--")}
    assert len(idn) == 151
    assert idn == IDN_CCTLDS.keys() | IDN_GTLDS
    assert len(IDN_CCTLDS) == 61


def test_every_two_letter_tld_of_the_real_root_zone_has_a_country_except_eu() -> None:
    two = {tld for tld in _root_zone_tlds() if len(tld) == 2}
    assert len(two) == 248
    without = {tld for tld in two if country_of_cctld(tld) is None}
    assert without == {"eu"}
    not_iso = {tld for tld in two if tld.upper() not in COUNTRIES}
    assert not_iso == set(CCTLD_EXCEPTIONS)


def test_iso_codes_without_a_cctld_are_the_known_unused_ones() -> None:
    two = {tld.upper() for tld in _root_zone_tlds() if len(tld) == 2}
    assert set(COUNTRIES) - two == {"BL", "BQ", "EH", "MF", "UM"}
