"""A confirmation before anything irreversible (publish, distribute, deliver, end, remove).

The action's form posts as it always did; the view asks `confirmed(request)` and, when the
person has not confirmed yet, answers with `ask(...)`: a page saying what will happen and
what cannot be undone, with a "Yes, ..." button that posts the same fields again plus
`confirm=yes`, and a way back. It works without JavaScript, and a stale or forged post
without `confirm` changes nothing. The API is not asked: a program says what it means.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRM = "confirm"


def confirmed(request: HttpRequest) -> bool:
    """Whether this POST carries the confirmation of the page `ask` showed."""
    return request.POST.get(CONFIRM) == "yes"


def ask(
    request: HttpRequest,
    *,
    title: str,
    text: str,
    button: str,
    back: str,
    facts: Iterable[str] = (),
    danger: bool = True,
) -> HttpResponse:
    """The confirmation page for the request's own POST (its fields carried over)."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        for value in values
        if name not in ("csrfmiddlewaretoken", CONFIRM)
    ]
    return render(
        request,
        "web/confirm.html",
        {
            "title": title,
            "text": text,
            "button": button,
            "back": back,
            "facts": list(facts),
            "fields": fields,
            "action": request.get_full_path(),
            "danger": danger,
        },
    )
