"""Questionnaires, answers and aggregation with minimum cell sizes."""

from __future__ import annotations

import pytest

from dnscc.core.errors import InputError, ValidationErrors
from dnscc.core.survey import Response, aggregate, check_answers, check_questions

LANGS = ("en", "fr", "es")


def _t(word: str) -> dict[str, str]:
    return {"en": word, "fr": f"{word} (fr)", "es": f"{word} (es)"}


QUESTIONS = [
    {
        "id": "ddos",
        "kind": "choice",
        "text": _t("DDoS seen?"),
        "choices": [{"id": "yes", "text": _t("Yes")}, {"id": "no", "text": _t("No")}],
        "required": True,
    },
    {"id": "ready", "kind": "scale", "text": _t("Readiness"), "min": 1, "max": 5},
    {"id": "notes", "kind": "text", "text": _t("Anything else?")},
]


def test_questions_in_every_language_are_accepted() -> None:
    clean = check_questions(QUESTIONS, languages=LANGS)
    assert [q["id"] for q in clean] == ["ddos", "ready", "notes"]
    assert clean[0]["choices"][1]["text"]["es"] == "No (es)"


def test_a_question_missing_a_language_is_refused_naming_it() -> None:
    broken = [dict(QUESTIONS[1], text={"en": "x", "fr": "y"})]
    with pytest.raises(ValidationErrors) as caught:
        check_questions(broken, languages=LANGS)
    assert caught.value.errors[0].location.field == "questions[0].text.es"


def test_bad_kinds_scales_and_duplicate_ids_are_refused() -> None:
    bad = [
        dict(QUESTIONS[0], choices=[{"id": "yes", "text": _t("Yes")}]),
        {"id": "ready", "kind": "scale", "text": _t("x"), "min": 5, "max": 1},
        {"id": "ready", "kind": "essay", "text": _t("x")},
    ]
    with pytest.raises(ValidationErrors) as caught:
        check_questions(bad, languages=LANGS)
    fields = [e.location.field for e in caught.value.errors]
    assert "questions[0].choices" in fields
    assert "questions[1].min" in fields
    assert "questions[2].id" in fields
    assert "questions[2].kind" in fields


def test_a_question_may_name_only_a_known_threat_event() -> None:
    q = [dict(QUESTIONS[1], event="alien-invasion")]
    with pytest.raises(ValidationErrors, match="unknown threat event"):
        check_questions(q, languages=LANGS, events={"ddos-tld"})


def test_answers_are_checked_against_their_questions() -> None:
    questions = check_questions(QUESTIONS, languages=LANGS)
    assert check_answers(questions, {"ddos": "yes", "ready": "4"}) == {"ddos": "yes", "ready": 4}
    with pytest.raises(ValidationErrors) as caught:
        check_answers(questions, {"ready": 9, "notes": "x" * 5000, "extra": 1})
    fields = {e.location.field for e in caught.value.errors}
    assert fields == {"answers.ddos", "answers.ready", "answers.notes", "answers.extra"}


def _responses(per_region: dict[str, list[str]]) -> list[Response]:
    return [
        Response(groups={"region": region}, answers={"ddos": answer, "notes": "secret text"})
        for region, answers in per_region.items()
        for answer in answers
    ]


def test_cells_smaller_than_the_minimum_are_suppressed_with_a_second_cell() -> None:
    questions = check_questions(QUESTIONS, languages=LANGS)
    responses = _responses(
        {"AF": ["yes"] * 6, "EU": ["no"] * 5 + ["yes"], "AP": ["yes"] * 5, "NA": ["no", "no"]}
    )
    result = aggregate(questions, responses, min_cell=5, by="region")
    ddos = result[0]
    assert ddos["overall"] == {"n": 19, "counts": {"yes": 12, "no": 7}}
    # NA (2) is below 5; alone it would be total minus the others: AP (5), the smallest of
    # the rest, is suppressed too.
    assert ddos["cells"]["NA"] == {"suppressed": True, "n": None}
    assert ddos["cells"]["AP"] == {"suppressed": True, "n": None}
    assert ddos["cells"]["AF"] == {"n": 6, "counts": {"yes": 6, "no": 0}}
    notes = result[2]
    assert notes["overall"] == {"n": 19}  # free text: only how many answered
    assert "secret text" not in repr(result)


def test_a_question_with_too_few_answers_overall_is_suppressed() -> None:
    questions = check_questions(QUESTIONS, languages=LANGS)
    result = aggregate(questions, _responses({"AF": ["yes"] * 3}), min_cell=5)
    assert result[0]["overall"] == {"suppressed": True, "n": None}
    with pytest.raises(InputError):
        aggregate(questions, [], min_cell=0)


def test_scale_answers_give_counts_and_a_mean() -> None:
    questions = check_questions(QUESTIONS, languages=LANGS)
    responses = [Response({"region": "AF"}, {"ddos": "no", "ready": v}) for v in (1, 2, 2, 5)]
    ready = aggregate(questions, responses, min_cell=2)[1]
    assert ready["overall"] == {
        "n": 4,
        "counts": {"1": 1, "2": 2, "3": 0, "4": 0, "5": 1},
        "mean": 2.5,
    }
