"""The one name normaliser: canonical A-label form, clear errors, and speed."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dnscc.core.errors import InputError
from dnscc.core.names import (
    is_subdomain,
    labels,
    normalize_ip,
    normalize_name,
    tld_of,
    to_unicode,
)


def test_an_ascii_name_is_lowercased_and_loses_its_trailing_dot() -> None:
    assert normalize_name("  WWW.Example.COM. ") == "www.example.com"


def test_a_unicode_name_becomes_its_a_label() -> None:
    assert normalize_name("BÜCHER.de.") == "xn--bcher-kva.de"


def test_an_idn_tld_becomes_its_a_label() -> None:
    assert normalize_name("пример.рф") == "xn--e1afmkfd.xn--p1ai"


def test_a_fullwidth_dot_separates_labels_after_uts46_mapping() -> None:
    assert normalize_name("\uff21\uff22\uff23\u3002jp") == "abc.jp"


@pytest.mark.parametrize("root", ["", ".", "  .  ", " "])
def test_the_root_normalises_to_the_empty_string(root: str) -> None:
    assert normalize_name(root) == ""


def test_a_valid_a_label_is_kept_as_it_is() -> None:
    assert normalize_name("XN--BCHER-KVA.de") == "xn--bcher-kva.de"


def test_underscore_labels_are_accepted_for_service_names() -> None:
    assert normalize_name("_dmarc.Example.org") == "_dmarc.example.org"


def test_a_label_of_63_octets_and_a_name_of_253_octets_are_accepted() -> None:
    assert normalize_name("a" * 63 + ".com") == "a" * 63 + ".com"
    name = ".".join(["a" * 62] * 4)[: 253 - 4] + ".com"
    assert len(normalize_name(name)) <= 253


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a..b", "label 2 of 'a..b' is empty"),
        (".a", "label 1 of '.a' is empty"),
        ("a.b..", "label 3 of 'a.b..' is empty"),
        ("x" * 64 + ".com", "has 64 octets, more than 63"),
        (".".join(["a" * 60] * 5), "more than 253"),
        ("a b.com", "invalid characters ' '"),
        ("ex@mple.com", "invalid characters '@'"),
        ("xn--zz.com", "label 'xn--zz' of 'xn--zz.com' is not a valid A-label"),
        ("\U0001f4a9.la", "is not a valid IDNA 2008 label"),
        ("bü..de", "is empty"),
    ],
)
def test_a_malformed_name_is_refused_with_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize_name(text)
    assert problem in caught.value.problem
    assert caught.value.location.field == "name"
    assert caught.value.hint


def test_a_non_string_is_refused() -> None:
    with pytest.raises(InputError, match="must be text"):
        normalize_name(42)  # type: ignore[arg-type]


def test_to_unicode_shows_u_labels_for_display() -> None:
    assert to_unicode("xn--bcher-kva.de") == "bücher.de"
    assert to_unicode("example.xn--p1ai") == "example.рф"


def test_to_unicode_returns_undecodable_labels_unchanged() -> None:
    assert to_unicode("xn--zz.com") == "xn--zz.com"
    assert to_unicode("plain.example") == "plain.example"


def test_tld_of_is_the_last_label_and_empty_for_the_root() -> None:
    assert tld_of("www.example.co.uk") == "uk"
    assert tld_of("de") == "de"
    assert tld_of("") == ""


def test_labels_are_leftmost_first_and_empty_for_the_root() -> None:
    assert labels("www.example.com") == ("www", "example", "com")
    assert labels("") == ()


def test_is_subdomain_matches_whole_labels_only() -> None:
    assert is_subdomain("www.example.com", "example.com")
    assert is_subdomain("example.com", "example.com")
    assert not is_subdomain("badexample.com", "example.com")
    assert is_subdomain("anything.at.all", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" 192.0.2.1 ", "192.0.2.1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"),
    ],
)
def test_normalize_ip_returns_the_compressed_form(text: str, expected: str) -> None:
    assert normalize_ip(text) == expected


@pytest.mark.parametrize("text", ["192.0.2.256", "192.0.2.01", "example.com", "", "2001:db8::g"])
def test_normalize_ip_refuses_what_is_not_an_address(text: str) -> None:
    with pytest.raises(InputError) as caught:
        normalize_ip(text)
    assert caught.value.location.field == "ip"


_LABEL_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_äöüéßжπ中"))
_LABEL = st.text(_LABEL_CHARS, min_size=1, max_size=20)
_NAME = st.lists(_LABEL, min_size=1, max_size=5).map(".".join)


def _normal(text: str) -> str:
    try:
        return normalize_name(text)
    except InputError:
        assume(False)
        raise


@settings(max_examples=300, deadline=None)
@given(_NAME)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = _normal(text)
    assert normalize_name(once) == once


@settings(max_examples=300, deadline=None)
@given(_NAME)
def test_a_normalised_name_is_lower_case_ascii(text: str) -> None:
    name = _normal(text)
    assert name.isascii()
    assert name == name.lower()


@settings(max_examples=300, deadline=None)
@given(_NAME)
def test_the_unicode_form_normalises_back_to_the_same_name(text: str) -> None:
    name = _normal(text)
    assert normalize_name(to_unicode(name)) == name
