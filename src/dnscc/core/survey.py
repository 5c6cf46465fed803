"""Constituent surveys: questionnaires, answers, and aggregation with minimum cell sizes.

A questionnaire is a list of questions, each in every language of the questionnaire:

    {"id": "q1", "kind": "choice", "text": {"en": ..., "fr": ..., "es": ...},
     "choices": [{"id": "yes", "text": {...}}, ...], "required": true, "event": "ddos-tld"}
    {"id": "q2", "kind": "scale", "text": {...}, "min": 1, "max": 5}
    {"id": "q3", "kind": "text", "text": {...}}

Aggregation is for reports shared beyond the center: a cell (a question's answers from one
group, e.g. one region) with fewer respondents than the minimum cell size is suppressed,
and so is the next smallest cell of the same breakdown when only one was (otherwise the
total minus the published cells would give it away: secondary suppression). Free text is
never aggregated into a shared report; only how many answered.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dnscc.core.errors import InputError, Location, ValidationErrors

__all__ = [
    "KINDS",
    "Response",
    "aggregate",
    "check_answers",
    "check_questions",
    "response_rate",
]

KINDS = ("choice", "scale", "text")
TEXT_MAX = 4000
MAX_QUESTIONS = 100


@dataclass(frozen=True)
class Response:
    """One organisation's answers and the groups it falls in (region, kind...)."""

    groups: Mapping[str, str]
    answers: Mapping[str, Any]


def _texts(value: Any, languages: Sequence[str], where: str, errors: list[InputError]) -> None:
    if not isinstance(value, dict):
        errors.append(
            InputError("must give the text in every language", location=Location(field=where))
        )
        return
    for lang in languages:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            errors.append(
                InputError(f"has no text in {lang!r}", location=Location(field=f"{where}.{lang}"))
            )
        elif "\x00" in text or len(text) > 2000:
            errors.append(
                InputError("text too long or with NUL", location=Location(field=f"{where}.{lang}"))
            )


def check_questions(
    questions: Any, *, languages: Sequence[str], events: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The questions, checked: ids unique, kinds known, every text in every language, scales
    with min < max, choices with ids; `event` (when given) a known threat event. Raises
    ValidationErrors naming each problem by question and field."""
    if not isinstance(questions, list) or not questions:
        raise InputError(
            "a questionnaire needs at least one question", location=Location(field="questions")
        )
    if len(questions) > MAX_QUESTIONS:
        raise InputError(
            f"{len(questions)} questions, more than {MAX_QUESTIONS}",
            location=Location(field="questions"),
        )
    if "en" not in languages:
        raise InputError(
            "English is required (the fallback language)", location=Location(field="languages")
        )
    known_events = set(events)
    errors: list[InputError] = []
    seen: set[str] = set()
    clean: list[dict[str, Any]] = []
    for index, q in enumerate(questions):
        where = f"questions[{index}]"
        if not isinstance(q, dict):
            errors.append(InputError("must be an object", location=Location(field=where)))
            continue
        qid = str(q.get("id", "")).strip()
        if not qid or not qid.replace("-", "").replace("_", "").isalnum() or len(qid) > 32:
            errors.append(InputError(f"bad id {qid!r}", location=Location(field=f"{where}.id")))
        elif qid in seen:
            errors.append(
                InputError(f"id {qid!r} used twice", location=Location(field=f"{where}.id"))
            )
        seen.add(qid)
        kind = q.get("kind")
        if kind not in KINDS:
            errors.append(
                InputError(
                    f"kind {kind!r} is not one of {', '.join(KINDS)}",
                    location=Location(field=f"{where}.kind"),
                )
            )
        _texts(q.get("text"), languages, f"{where}.text", errors)
        item: dict[str, Any] = {
            "id": qid,
            "kind": kind,
            "text": {lang: str((q.get("text") or {}).get(lang, "")).strip() for lang in languages}
            if isinstance(q.get("text"), dict)
            else {},
            "required": bool(q.get("required", False)),
        }
        if kind == "choice":
            choices = q.get("choices")
            if not isinstance(choices, list) or len(choices) < 2:
                errors.append(
                    InputError(
                        "needs at least two choices", location=Location(field=f"{where}.choices")
                    )
                )
                choices = []
            ids: set[str] = set()
            item["choices"] = []
            for ci, choice in enumerate(choices):
                cwhere = f"{where}.choices[{ci}]"
                cid = str((choice or {}).get("id", "")).strip() if isinstance(choice, dict) else ""
                if not cid or cid in ids or len(cid) > 32:
                    errors.append(
                        InputError(
                            f"bad or repeated choice id {cid!r}", location=Location(field=cwhere)
                        )
                    )
                ids.add(cid)
                _texts(
                    (choice or {}).get("text") if isinstance(choice, dict) else None,
                    languages,
                    f"{cwhere}.text",
                    errors,
                )
                if isinstance(choice, dict) and isinstance(choice.get("text"), dict):
                    item["choices"].append(
                        {
                            "id": cid,
                            "text": {
                                lang: str(choice["text"].get(lang, "")).strip()
                                for lang in languages
                            },
                        }
                    )
        elif kind == "scale":
            low, high = q.get("min", 1), q.get("max", 5)
            if (
                not (isinstance(low, int) and isinstance(high, int))
                or low >= high
                or high - low > 10
            ):
                errors.append(
                    InputError(
                        "a scale needs integers min < max (at most 11 points)",
                        location=Location(field=f"{where}.min"),
                    )
                )
            item["min"], item["max"] = low, high
        event = q.get("event")
        if event:
            if known_events and event not in known_events:
                errors.append(
                    InputError(
                        f"unknown threat event {event!r}", location=Location(field=f"{where}.event")
                    )
                )
            item["event"] = event
        clean.append(item)
    if errors:
        raise ValidationErrors(errors)
    return clean


def check_answers(questions: Sequence[Mapping[str, Any]], answers: Any) -> dict[str, Any]:
    """One respondent's answers checked against the questions: a choice among the choices,
    an integer on the scale, text of bounded length; required questions answered; no
    answer to a question that does not exist. Raises ValidationErrors."""
    if not isinstance(answers, Mapping):
        raise InputError(
            "answers must be an object of question id to answer", location=Location(field="answers")
        )
    errors: list[InputError] = []
    by_id = {q["id"]: q for q in questions}
    for key in answers:
        if key not in by_id:
            errors.append(
                InputError(f"no question {key!r}", location=Location(field=f"answers.{key}"))
            )
    clean: dict[str, Any] = {}
    for q in questions:
        qid = q["id"]
        value = answers.get(qid)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if q.get("required"):
                errors.append(
                    InputError("an answer is required", location=Location(field=f"answers.{qid}"))
                )
            continue
        where = Location(field=f"answers.{qid}")
        if q["kind"] == "choice":
            ids = [c["id"] for c in q["choices"]]
            if value not in ids:
                errors.append(
                    InputError(f"{value!r} is not one of {', '.join(ids)}", location=where)
                )
                continue
        elif q["kind"] == "scale":
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors.append(InputError(f"{value!r} is not a whole number", location=where))
                continue
            if isinstance(value, bool) or not q["min"] <= number <= q["max"]:
                errors.append(
                    InputError(
                        f"{value!r} is outside the scale {q['min']}-{q['max']}", location=where
                    )
                )
                continue
            value = number
        else:
            if not isinstance(value, str) or "\x00" in value or len(value) > TEXT_MAX:
                errors.append(
                    InputError(f"must be text of at most {TEXT_MAX} characters", location=where)
                )
                continue
        clean[qid] = value
    if errors:
        raise ValidationErrors(errors)
    return clean


def _summary(q: Mapping[str, Any], values: list[Any]) -> dict[str, Any]:
    if q["kind"] == "choice":
        counts = Counter(values)
        return {"counts": {c["id"]: counts.get(c["id"], 0) for c in q["choices"]}}
    if q["kind"] == "scale":
        counts = Counter(values)
        mean = sum(values) / len(values) if values else None
        return {
            "counts": {str(v): counts.get(v, 0) for v in range(q["min"], q["max"] + 1)},
            "mean": round(mean, 2) if mean is not None else None,
        }
    return {}


def aggregate(
    questions: Sequence[Mapping[str, Any]],
    responses: Sequence[Response],
    *,
    min_cell: int,
    by: str | None = None,
) -> list[dict[str, Any]]:
    """Per question: respondents `n` and the distribution (choice counts; scale counts and
    mean; for text, only `n`), overall and per value of group `by`, with every cell of fewer
    than `min_cell` respondents suppressed (and the secondary suppression described above).
    A suppressed cell says so and holds no figure but "fewer than min_cell"."""
    if min_cell < 1:
        raise InputError(
            "the minimum cell size must be at least 1", location=Location(field="min_cell")
        )
    result = []
    for q in questions:
        qid = q["id"]
        answered = [r for r in responses if qid in r.answers]
        overall: dict[str, Any] = {"n": len(answered)}
        if len(answered) < min_cell:
            overall = {"suppressed": True, "n": None}
        else:
            overall.update(_summary(q, [r.answers[qid] for r in answered]))
        item: dict[str, Any] = {"id": qid, "kind": q["kind"], "overall": overall}
        if by:
            groups: dict[str, list[Any]] = {}
            for r in answered:
                groups.setdefault(r.groups.get(by, "") or "unknown", []).append(r.answers[qid])
            small = {g for g, vals in groups.items() if len(vals) < min_cell}
            if len(small) == 1 and len(groups) > 1 and not overall.get("suppressed"):
                rest = sorted((len(v), g) for g, v in groups.items() if g not in small)
                small.add(rest[0][1])
            cells: dict[str, dict[str, Any]] = {}
            for g in sorted(groups):
                if g in small:
                    cells[g] = {"suppressed": True, "n": None}
                else:
                    cells[g] = {"n": len(groups[g]), **_summary(q, groups[g])}
            item["by"] = by
            item["cells"] = cells
        result.append(item)
    return result


def response_rate(invited: int, responded: int) -> float | None:
    """Share of invited organisations that answered (None when nobody was invited)."""
    if invited <= 0:
        return None
    return round(responded / invited, 4)
