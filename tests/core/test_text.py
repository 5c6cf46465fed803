"""The one check of free text: each refusal names its field."""

from __future__ import annotations

import pytest

from dnscc.core.errors import InputError
from dnscc.core.text import check_text


def test_text_is_stripped_and_kept() -> None:
    assert check_text("  Conficker B  ", field="title") == "Conficker B"
    assert check_text(None, field="note") == ""


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (42, {}, "title must be text"),
        ("a\x00b", {}, "title contains a NUL character"),
        ("", {"required": True}, "title is required"),
        ("abcd", {"max_length": 3}, "title has 4 characters, more than 3"),
        ("a\tb", {"one_line": True}, "the title has control characters"),
        ("a\nb", {"one_line": True}, "the title has control characters"),
    ],
)
def test_a_refusal_names_the_field(value: object, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError) as caught:
        check_text(value, field="title", **kwargs)  # type: ignore[arg-type]
    assert caught.value.problem.startswith(message)
    assert caught.value.location is not None
    assert caught.value.location.field == "title"


def test_line_breaks_are_allowed_in_a_multi_line_text() -> None:
    assert check_text("first\nsecond", field="note") == "first\nsecond"
