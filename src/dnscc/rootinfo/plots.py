"""The pictures of the root server information pages: the data each plot shows, over a
date range. (The SVG comes from the shared chart module once it is on main; until then the
pages show the same data as tables.)"""

from __future__ import annotations

from datetime import date
from typing import Any

from dnscc.rootinfo.baseline import Rule
from dnscc.rootinfo.models import Anomaly, LetterDay


def system_plots(first: date, last: date) -> dict[str, str]:
    """Name -> SVG of the system-wide plots over the range."""
    return {}


def letter_plots(letter: str, first: date, last: date) -> dict[str, str]:
    return {}


def anomaly_plot(
    letter: str, rule: Rule, first: date, last: date
) -> tuple[str, list[dict[str, Any]]]:
    """(SVG, rows) of a letter's series around an anomaly: each day's value and whether it
    was anomalous."""
    marked = set(
        Anomaly.objects.filter(
            letter=letter, series=rule.name, day__gte=first, day__lte=last
        ).values_list("day", flat=True)
    )
    rows = []
    for r in LetterDay.objects.filter(letter=letter, day__gte=first, day__lte=last).values(
        "day", *rule.fields
    ):
        v = rule.value(r)
        if v is not None:
            rows.append({"day": r["day"], "value": v, "anomalous": r["day"] in marked})
    return "", rows


def system_anomaly_plot(
    letters: list[str], first: date, last: date
) -> tuple[str, list[dict[str, Any]]]:
    marked = set(
        Anomaly.objects.filter(
            letter="", series="system", day__gte=first, day__lte=last
        ).values_list("day", flat=True)
    )
    rows = []
    for r in LetterDay.objects.filter(letter__in=letters, day__gte=first, day__lte=last).values(
        "day", "letter", "queries_udp4", "queries_udp6", "queries_tcp4", "queries_tcp6"
    ):
        v = sum(r[c] or 0 for c in ("queries_udp4", "queries_udp6", "queries_tcp4", "queries_tcp6"))
        rows.append(
            {"day": r["day"], "letter": r["letter"], "value": v, "anomalous": r["day"] in marked}
        )
    return "", rows
