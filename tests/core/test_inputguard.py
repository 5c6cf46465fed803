"""The one input guard: depth and field-size limits, NUL refused with the field named."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnscc.core import inputguard
from dnscc.core.errors import InputError


def test_deeply_nested_json_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(InputError, match="nested deeper than 64 levels") as info:
        inputguard.load_json("[" * 100_000, source="contacts.json")
    assert info.value.exit_code == 65
    with pytest.raises(InputError, match="nested deeper"):
        inputguard.load_json("[" * 70 + "]" * 70)
    assert isinstance(inputguard.load_json("[" * 60 + "]" * 60), list)


def test_json_within_the_depth_limit_is_returned() -> None:
    assert inputguard.load_json('{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}


def test_a_nul_in_json_is_refused_with_its_path() -> None:
    with pytest.raises(InputError, match=r"records\[0\]\.name contains a NUL character"):
        inputguard.load_json('[{"name": "a\\u0000b"}]', field="records")


def test_bad_json_names_the_line() -> None:
    with pytest.raises(InputError) as info:
        inputguard.load_json('{\n"a": }', source="f.json")
    assert info.value.location.line == 2


def test_a_csv_field_over_the_limit_is_an_input_error_with_its_line() -> None:
    text = "name,email\nok,a@example.org\n" + "x" * 140_000 + ",b@example.org\n"
    rows = inputguard.csv_rows(text, source="c.csv")
    assert next(rows) == (1, ["name", "email"])
    assert next(rows) == (2, ["ok", "a@example.org"])
    with pytest.raises(InputError, match="longer than 131072 bytes") as info:
        next(rows)
    assert info.value.location.line == 3


def test_a_nul_in_csv_is_refused_with_line_and_column() -> None:
    with pytest.raises(InputError, match="column 2 contains a NUL") as info:
        list(inputguard.csv_rows("a,b\nc,d\x00e\n"))
    assert info.value.location.line == 2


def test_query_parameters_with_nul_are_named() -> None:
    with pytest.raises(InputError, match="the query parameter 'q' contains a NUL"):
        inputguard.check_params([("state", "sent"), ("q", "a\x00")])


def test_an_excerpt_is_bounded() -> None:
    text = inputguard.excerpt("x" * 5_000_000)
    assert len(text) < 120
    assert "5000000 characters" in text


@given(
    st.recursive(
        st.none() | st.text() | st.integers(), lambda c: st.lists(c) | st.dictionaries(st.text(), c)
    )
)
def test_any_json_value_either_loads_back_or_is_refused_as_input(value: object) -> None:
    import json

    text = json.dumps(value)
    # Anything else than the value itself or an InputError (a RecursionError, a crash) fails.
    with contextlib.suppress(InputError):
        assert inputguard.load_json(text) == value


@given(st.text(max_size=2000))
def test_any_text_is_read_as_csv_or_refused_as_input(text: str) -> None:
    try:
        for line, row in inputguard.csv_rows(text):
            assert line >= 1
            assert all("\x00" not in cell for cell in row)
    except InputError:
        pass
