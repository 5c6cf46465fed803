"""The center's own performance over a period: every figure, its computation written down,
overall and per region, incident type, organisation kind and resource-constrained or not.

A figure is one of three kinds:

    duration  minutes between two recorded times, one value per incident (or party, or
              slice); reported as n, median and p90
    share     hits among the rows that count; reported as numerator, denominator, share
    count     rows; reported as count

Statistics (written so that a person can compute them by hand):

    median    the middle value of the sorted values; the mean of the two middle ones when
              n is even (Python's statistics.median)
    p90       the nearest-rank 90th percentile: the value at rank ceil(0.9 * n) of the
              sorted values (n = 10: the 9th; n = 3: the 3rd)
    share     numerator / denominator; None ("no data") when the denominator is 0

A period holds the incidents created in it (their parties with them), the campaigns created
in it (their delivered slices), the advisories first published in it; the contact figures are
a snapshot at the period's end (or now, if sooner).

Rows marked as an exercise (the nullable `exercise` field the exercises app adds to
incidents, campaigns and messages) are left out unless `include_exercises` is asked for;
models without the field have nothing to leave out.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils import timezone

from dnscc.campaigns.models import Campaign, Slice
from dnscc.core.regions import Region
from dnscc.core.taxonomy import DNS_TYPES
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents.models import Incident, Party
from dnscc.metrics.periods import Period
from dnscc.outreach.models import Advisory, Message

DURATION, SHARE, COUNT = "duration", "share", "count"
STATISTICS = {DURATION: ("median", "p90", "n"), SHARE: ("share", "denominator"), COUNT: ("count",)}
DIMENSIONS = ("region", "type", "kind", "constrained")
DIMENSION_LABELS = {
    "region": "Region",
    "type": "Incident type",
    "kind": "Organisation kind",
    "constrained": "Resource-constrained",
}


@dataclass(frozen=True)
class FigureDef:
    key: str
    label: str
    kind: str
    dimensions: tuple[str, ...]
    computation: str


_INCIDENT_DIMS = ("region", "type")
_PARTY_DIMS = ("region", "type", "kind", "constrained")
_ORG_DIMS = ("region", "kind", "constrained")

FIGURES: dict[str, FigureDef] = {
    f.key: f
    for f in (
        FigureDef(
            "time_to_triage",
            "Time to triage",
            DURATION,
            _INCIDENT_DIMS,
            "per incident created in the period and triaged: triaged_at - created_at; "
            "region is the incident's desk",
        ),
        FigureDef(
            "time_to_first_notification",
            "Time to first notification",
            DURATION,
            _INCIDENT_DIMS,
            "per incident created in the period with a message accepted by a relay: "
            "first_notified_at - created_at",
        ),
        FigureDef(
            "time_to_notify",
            "Time to reach each party",
            DURATION,
            _PARTY_DIMS,
            "per affected party of those incidents whose notice a relay accepted: "
            "party.notified_at - incident.created_at; region, kind and constrained are the "
            "party's organisation's",
        ),
        FigureDef(
            "time_to_acknowledge",
            "Time to acknowledgement",
            DURATION,
            _PARTY_DIMS,
            "per affected party that acknowledged: acknowledged_at - notified_at (0 when it "
            "answered before the relay's acceptance was recorded)",
        ),
        FigureDef(
            "time_to_mitigate",
            "Time to mitigation",
            DURATION,
            _INCIDENT_DIMS,
            "per incident mitigated: mitigated_at - triaged_at (the SLA's clock)",
        ),
        FigureDef(
            "parties_reached",
            "Parties reached",
            SHARE,
            _PARTY_DIMS,
            "affected parties a notice was accepted for (notified_at set) among those a "
            "notice was attempted for (notified_at set, or queued, unreachable, delivery "
            "failed)",
        ),
        FigureDef(
            "parties_unreachable",
            "Parties unreachable",
            COUNT,
            _PARTY_DIMS,
            "affected parties now unreachable (no usable contact) or whose delivery failed",
        ),
        FigureDef(
            "campaign_coverage",
            "Campaign coverage",
            SHARE,
            _ORG_DIMS,
            "names verified in DNS among the names of the delivered slices of campaigns "
            "created in the period (sum of verified_ok / sum of names)",
        ),
        FigureDef(
            "time_to_verified_coverage",
            "Time to verified coverage",
            DURATION,
            _ORG_DIMS,
            "per complete slice (every name verified): last_verified_at - delivered_at",
        ),
        FigureDef(
            "advisories_published",
            "Advisories published",
            COUNT,
            (),
            "advisories first published in the period",
        ),
        FigureDef(
            "advisory_reach",
            "Organisations an advisory reached",
            COUNT,
            (),
            "distinct organisations with a message of those advisories accepted by a relay",
        ),
        FigureDef(
            "contacts_verified",
            "Contacts verified",
            COUNT,
            _ORG_DIMS,
            "contacts verified within DNSCC_CONTACT_VERIFY_DAYS before the period's end",
        ),
        FigureDef(
            "contacts_stale",
            "Contacts stale",
            COUNT,
            _ORG_DIMS,
            "contacts verified once, but longer ago than DNSCC_CONTACT_VERIFY_DAYS before "
            "the period's end",
        ),
        FigureDef(
            "tlds_with_verified_contact",
            "TLDs with a verified contact",
            SHARE,
            _ORG_DIMS,
            "delegated TLDs whose operator has a contact verified within "
            "DNSCC_CONTACT_VERIFY_DAYS before the period's end, among delegated TLDs; "
            "region is the TLD's, kind and constrained its operator's",
        ),
    )
}


# -- statistics ------------------------------------------------------------------------------


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _duration_cell(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0, "median": None, "p90": None}
    return {"n": len(values), "median": statistics.median(values), "p90": p90(values)}


def _share_cell(hits: float, total: float) -> dict[str, Any]:
    return {
        "numerator": hits,
        "denominator": total,
        "share": (hits / total) if total else None,
    }


def group_label(dimension: str, group: str) -> str:
    """Readable words for a group of a dimension (region code, type code, ...)."""
    if dimension == "region":
        return Region(group).label if group in {r.value for r in Region} else "No region"
    if dimension == "type":
        return DNS_TYPES[group].label if group in DNS_TYPES else group or "Unknown"
    if dimension == "kind":
        return dict(Organization.KIND_CHOICES).get(group, group or "No organisation")
    if dimension == "constrained":
        return "Resource-constrained" if group == "yes" else "Not resource-constrained"
    return group


# -- the accumulator -------------------------------------------------------------------------


class _Acc:
    """Values per figure, overall and per group of each dimension, gathered in one pass."""

    def __init__(self) -> None:
        self.durations: dict[tuple[str, str, str], list[float]] = defaultdict(list)
        self.shares: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
        self.counts: dict[tuple[str, str, str], int] = defaultdict(int)

    def duration(self, figure: str, groups: Iterable[tuple[str, str]], minutes: float) -> None:
        self.durations[(figure, "", "")].append(minutes)
        for dim, group in groups:
            self.durations[(figure, dim, group)].append(minutes)

    def share(
        self, figure: str, groups: Iterable[tuple[str, str]], hits: float, total: float = 1.0
    ) -> None:
        for key in ((figure, "", ""), *((figure, d, g) for d, g in groups)):
            cell = self.shares[key]
            cell[0] += hits
            cell[1] += total

    def count(self, figure: str, groups: Iterable[tuple[str, str]], n: int = 1) -> None:
        self.counts[(figure, "", "")] += n
        for dim, group in groups:
            self.counts[(figure, dim, group)] += n

    def result(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, fig in FIGURES.items():
            cells: dict[tuple[str, str], dict[str, Any]] = {}
            if fig.kind == DURATION:
                source: dict[Any, Any] = self.durations
                make: Callable[[Any], dict[str, Any]] = _duration_cell
                empty: dict[str, Any] = _duration_cell([])
            elif fig.kind == SHARE:
                source, empty = self.shares, _share_cell(0, 0)

                def make(c: Any) -> dict[str, Any]:
                    return _share_cell(c[0], c[1])
            else:
                source, empty = self.counts, {"count": 0}

                def make(c: Any) -> dict[str, Any]:
                    return {"count": c}

            for (f, dim, group), raw in source.items():
                if f == key:
                    cells[(dim, group)] = make(raw)
            by: dict[str, dict[str, Any]] = {d: {} for d in fig.dimensions}
            for (dim, group), cell in sorted(cells.items()):
                if dim:
                    by[dim][group] = cell
            out[key] = {
                "label": fig.label,
                "kind": fig.kind,
                "unit": "minutes" if fig.kind == DURATION else fig.kind,
                "all": cells.get(("", ""), empty),
                "by": by,
            }
        return out


def _minutes(later: dt.datetime, earlier: dt.datetime) -> float:
    return max(0.0, (later - earlier).total_seconds() / 60)


def live(qs: QuerySet[Any], model: type[Model], path: str = "", *, include: bool) -> QuerySet[Any]:
    """`qs` without the rows marked as an exercise (through `path` to `model`), unless
    `include`. A model without the mark has nothing to leave out."""
    if include or not any(f.name == "exercise" for f in model._meta.get_fields()):
        return qs
    return qs.filter(**{f"{path}exercise__isnull": True})


# -- the figures -----------------------------------------------------------------------------


_REACH_ATTEMPTED = (Party.QUEUED, Party.UNREACHABLE, Party.DELIVERY_FAILED)
_UNREACHED = (Party.UNREACHABLE, Party.DELIVERY_FAILED)


def _yes(flag: bool | None) -> str:
    return "yes" if flag else "no"


def _incidents(acc: _Acc, start: dt.datetime, end: dt.datetime, *, include: bool) -> None:
    qs = live(
        Incident.objects.filter(created_at__gte=start, created_at__lt=end),
        Incident,
        include=include,
    )
    for created, triaged, notified, mitigated, desk, dns_type in qs.values_list(
        "created_at", "triaged_at", "first_notified_at", "mitigated_at", "desk", "dns_type"
    ).order_by():
        groups = (("region", desk), ("type", dns_type))
        if triaged:
            acc.duration("time_to_triage", groups, _minutes(triaged, created))
        if notified:
            acc.duration("time_to_first_notification", groups, _minutes(notified, created))
        if mitigated and triaged:
            acc.duration("time_to_mitigate", groups, _minutes(mitigated, triaged))


def _parties(acc: _Acc, start: dt.datetime, end: dt.datetime, *, include: bool) -> None:
    qs = live(
        Party.objects.filter(
            incident__created_at__gte=start, incident__created_at__lt=end, role="affected"
        ),
        Incident,
        "incident__",
        include=include,
    )
    for created, dns_type, status, notified, acked, region, kind, constrained in qs.values_list(
        "incident__created_at",
        "incident__dns_type",
        "status",
        "notified_at",
        "acknowledged_at",
        "organization__region",
        "organization__kind",
        "organization__resource_constrained",
    ).order_by():
        groups = (
            ("region", region),
            ("type", dns_type),
            ("kind", kind),
            ("constrained", _yes(constrained)),
        )
        if notified:
            acc.duration("time_to_notify", groups, _minutes(notified, created))
            acc.share("parties_reached", groups, 1)
            if acked:
                acc.duration("time_to_acknowledge", groups, _minutes(acked, notified))
        elif status in _REACH_ATTEMPTED:
            acc.share("parties_reached", groups, 0)
        if status in _UNREACHED:
            acc.count("parties_unreachable", groups)


def _campaigns(acc: _Acc, start: dt.datetime, end: dt.datetime, *, include: bool) -> None:
    qs = live(
        Slice.objects.filter(
            campaign__created_at__gte=start,
            campaign__created_at__lt=end,
            delivered_at__isnull=False,
        ),
        Campaign,
        "campaign__",
        include=include,
    )
    for names, ok, state, delivered, verified, region, kind, constrained in qs.values_list(
        "names",
        "verified_ok",
        "state",
        "delivered_at",
        "last_verified_at",
        "organization__region",
        "organization__kind",
        "organization__resource_constrained",
    ).order_by():
        groups = (("region", region), ("kind", kind), ("constrained", _yes(constrained)))
        acc.share("campaign_coverage", groups, ok, names)
        if state == Slice.COMPLETE and verified:
            acc.duration("time_to_verified_coverage", groups, _minutes(verified, delivered))


def _advisories(acc: _Acc, start: dt.datetime, end: dt.datetime, *, include: bool) -> None:
    notices = list(
        Advisory.objects.filter(published_at__gte=start, published_at__lt=end).values_list(
            "notice_id", flat=True
        )
    )
    acc.count("advisories_published", (), len(notices))
    messages = live(
        Message.objects.filter(
            notice_id__in=[n for n in notices if n], accepted_at__isnull=False
        ).exclude(organization=None),
        Message,
        include=include,
    )
    acc.count(
        "advisory_reach", (), messages.values("organization_id").distinct().order_by().count()
    )


def _contacts(acc: _Acc, at: dt.datetime) -> None:
    fresh_since = at - dt.timedelta(days=settings.CONTACT_VERIFY_DAYS)
    fresh_orgs: set[int] = set()
    for org, verified, region, kind, constrained in (
        Contact.objects.filter(verified_at__lt=at)
        .values_list(
            "organization_id",
            "verified_at",
            "organization__region",
            "organization__kind",
            "organization__resource_constrained",
        )
        .order_by()
    ):
        groups = (("region", region), ("kind", kind), ("constrained", _yes(constrained)))
        if verified >= fresh_since:
            fresh_orgs.add(org)
            acc.count("contacts_verified", groups)
        else:
            acc.count("contacts_stale", groups)
    for operator, region, kind, constrained in (
        Tld.objects.filter(delegated=True)
        .values_list("operator_id", "region", "operator__kind", "operator__resource_constrained")
        .order_by()
    ):
        groups = (("region", region), ("kind", kind or ""), ("constrained", _yes(constrained)))
        acc.share("tlds_with_verified_contact", groups, 1 if operator in fresh_orgs else 0)


def performance(
    period: Period, *, include_exercises: bool = False, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Every figure of the center's performance in `period`, overall and per group."""
    acc = _Acc()
    _incidents(acc, period.start, period.end, include=include_exercises)
    _parties(acc, period.start, period.end, include=include_exercises)
    _campaigns(acc, period.start, period.end, include=include_exercises)
    _advisories(acc, period.start, period.end, include=include_exercises)
    _contacts(acc, min(period.end, now or timezone.now()))
    return {
        "period": period.as_dict(),
        "include_exercises": include_exercises,
        "figures": acc.result(),
    }


def value(figure: dict[str, Any], statistic: str, cell: dict[str, Any] | None = None) -> Any:
    """The `statistic` of a figure's cell (its overall cell by default); None is no data."""
    c = figure["all"] if cell is None else cell
    if statistic == "n":
        return c.get("n", 0)
    return c.get(statistic)


def describe_value(kind: str, statistic: str, number: float | None) -> str:
    """A figure's value in words: "no data", "12.5 min", "3.2 h", "97.5 %", "42"."""
    if number is None:
        return "no data"
    if statistic in ("median", "p90"):
        if number < 120:
            return f"{number:g} min" if number == int(number) else f"{number:.1f} min"
        if number < 2880:
            return f"{number / 60:.1f} h"
        return f"{number / 1440:.1f} days"
    if statistic == "share":
        return f"{100 * number:.1f} %"
    return f"{number:g}"


def cell_text(kind: str, cell: dict[str, Any]) -> str:
    """A cell in words: "median 25 min, p90 1.5 h (n=5)", "62.5 % (5 of 8)", "2", or
    "no data"."""
    if kind == DURATION:
        if not cell["n"]:
            return "no data"
        return (
            f"median {describe_value(kind, 'median', cell['median'])}, "
            f"p90 {describe_value(kind, 'p90', cell['p90'])} (n={cell['n']})"
        )
    if kind == SHARE:
        if cell["share"] is None:
            return "no data"
        share = describe_value(kind, "share", cell["share"])
        return f"{share} ({cell['numerator']:g} of {cell['denominator']:g})"
    return str(cell["count"])
