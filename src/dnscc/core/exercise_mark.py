"""The exercise mark: how anything an exercise causes is told apart from live work.

Every incident, report, campaign, notice, outbox message, finding and alert an exercise
causes carries the exercise's id in a nullable, indexed `exercise` field of its own app
(the apps below the exercises app cannot import it). Live lists and counts leave marked rows
out unless the viewer asks for them ("show exercise data": `?exercises=1` on pages and API
lists, `--exercises` on the CLI). Outbound messages of an exercise say EXERCISE in their
subject and body, so that nobody who reads one can take it for a real incident.

Pure functions, no Django: the text of the mark and the reading of the "show" switch.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "BODY_BANNER",
    "SUBJECT_PREFIX",
    "mark_body",
    "mark_subject",
    "ref_of",
    "wants_exercises",
]

SUBJECT_PREFIX = "[EXERCISE]"
BODY_BANNER = (
    "*** EXERCISE - EXERCISE - EXERCISE ***\n"
    "This message is part of a DNS security exercise ({ref}). It is not a real incident:\n"
    "do not change production systems unless the exercise's instructions say so.\n"
    "*** EXERCISE - EXERCISE - EXERCISE ***"
)
_TRUE = {"1", "true", "yes", "on"}


def ref_of(exercise_id: int) -> str:
    """The exercise's reference as every app writes it (EX-0007): lower apps hold its id."""
    return f"EX-{int(exercise_id):04d}"


def mark_subject(subject: str) -> str:
    """The subject with the EXERCISE prefix (once)."""
    if subject.startswith(SUBJECT_PREFIX):
        return subject
    return f"{SUBJECT_PREFIX} {subject}"


def mark_body(body: str, exercise_id: int) -> str:
    """The body between two EXERCISE banners naming the exercise (once)."""
    banner = BODY_BANNER.format(ref=ref_of(exercise_id))
    if body.startswith(banner):
        return body
    return f"{banner}\n\n{body.rstrip()}\n\n{banner}\n"


def wants_exercises(params: Mapping[str, object] | None) -> bool:
    """Whether a request's parameters ask for exercise data (`exercises=1|true|yes|on`)."""
    if not params:
        return False
    value = params.get("exercises")
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value or "").strip().lower() in _TRUE
