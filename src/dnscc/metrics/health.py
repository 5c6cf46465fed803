"""Namespace health over time, per day, from the monitoring sweeps' findings: TLDs answering,
lame delegations, inconsistent SOA or NS, the DNSSEC-signed share, DNSSEC failures,
signatures near expiry, delegation changes, and the mean time for a finding to be resolved;
overall, per region and per operator group.

A finding is open from its `first_seen` to its `resolved_at` (or still open); a TLD counts
in a category on a day when one of its findings of that category was open at any moment of
that day. A day without a finished sweep has no data (None), not zeros: nobody looked.

Categories (codes and tags from the probe profile, Zonemaster's where they exist):

    not answering   BASIC02 (no working name server)
    lame            DELEGATION04 (a name server not authoritative), tag CHILD_ZONE_LAME
    inconsistent    CONSISTENCY01-04 (SOA serial, RNAME, timers, NS set differ)
    not signed      tags NEITHER_DNSKEY_NOR_DS, DNSKEY_BUT_NOT_DS (no DS in the parent)
    DNSSEC failure  any DNSSEC* finding at error or critical
    near expiry     DNSCC_SIG_EXPIRY, tag REMAINING_SHORT
    delegation change   DNSCC_DELEGATION_CHANGED findings first seen that day (events)
    time to resolve     mean hours from first_seen to resolved_at of the findings resolved
                        that day (any code)

The TLDs are the delegated TLDs of the directory now (with their region and operator): the
denominator of "answering" and "signed" on every day.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

from django.db.models import Q

from dnscc.core.errors import InputError, Location
from dnscc.directory.models import Tld
from dnscc.metrics.periods import Period
from dnscc.monitoring.models import Finding, Sweep

NOT_ANSWERING, LAME, INCONSISTENT, UNSIGNED, DNSSEC_FAILURE, NEAR_EXPIRY = (
    "not_answering",
    "lame",
    "inconsistent",
    "unsigned",
    "dnssec_failures",
    "near_expiry",
)
CATEGORIES = (NOT_ANSWERING, LAME, INCONSISTENT, UNSIGNED, DNSSEC_FAILURE, NEAR_EXPIRY)
SERIES = (
    "tlds_answering",
    "lame",
    "inconsistent",
    "signed_share",
    "dnssec_failures",
    "near_expiry",
    "delegation_changes",
    "mean_hours_to_resolve",
)
LABELS = {
    "tlds_answering": "TLDs answering",
    "lame": "TLDs with a lame delegation",
    "inconsistent": "TLDs with inconsistent SOA or NS",
    "signed_share": "DNSSEC-signed share",
    "dnssec_failures": "TLDs with a DNSSEC failure",
    "near_expiry": "TLDs with signatures near expiry",
    "delegation_changes": "Delegation changes",
    "mean_hours_to_resolve": "Mean hours to resolve a finding",
}
_CODES = {
    "BASIC02": NOT_ANSWERING,
    "DELEGATION04": LAME,
    "CONSISTENCY01": INCONSISTENT,
    "CONSISTENCY02": INCONSISTENT,
    "CONSISTENCY03": INCONSISTENT,
    "CONSISTENCY04": INCONSISTENT,
    "DNSCC_SIG_EXPIRY": NEAR_EXPIRY,
}
_TAGS = {
    "CHILD_ZONE_LAME": LAME,
    "NEITHER_DNSKEY_NOR_DS": UNSIGNED,
    "DNSKEY_BUT_NOT_DS": UNSIGNED,
    "REMAINING_SHORT": NEAR_EXPIRY,
}
_FAILING = ("error", "critical")
CHANGED = "DNSCC_DELEGATION_CHANGED"
MAX_DAYS = 1100  # three years


def categories(code: str, tag: str, severity: str) -> set[str]:
    """The health categories a finding counts in (none for most findings)."""
    found = set()
    if code in _CODES:
        found.add(_CODES[code])
    if tag in _TAGS:
        found.add(_TAGS[tag])
    if code.startswith("DNSSEC") and severity in _FAILING:
        found.add(DNSSEC_FAILURE)
    return found


def _region_group(region: str) -> str:
    return f"region:{region or '-'}"


def health(period: Period, *, operators: bool = True) -> dict[str, Any]:
    """Every day of `period`: the series overall ("all"), per region ("region:AF") and, with
    `operators`, per operator group ("operator:<name>")."""
    first = period.start.date()
    n = (period.end.date() - first).days
    if n > MAX_DAYS:
        # A day-by-day series is built in memory: bounded, so a typo cannot ask for millennia.
        raise InputError(
            f"the period has {n} days; namespace health covers at most {MAX_DAYS}",
            location=Location(field="period"),
        )
    days = [first + dt.timedelta(i) for i in range(n)]

    swept = [False] * n
    for finished in Sweep.objects.filter(
        status=Sweep.DONE, finished_at__gte=period.start, finished_at__lt=period.end
    ).values_list("finished_at", flat=True):
        swept[(finished.date() - first).days] = True

    zone_groups: dict[str, tuple[str, ...]] = {}
    tlds: dict[str, int] = defaultdict(int)
    for name, region, operator in Tld.objects.filter(delegated=True).values_list(
        "name", "region", "operator__name"
    ):
        groups: tuple[str, ...] = ("all", _region_group(region))
        if operators:
            groups += (f"operator:{operator or '-'}",)
        zone_groups[name] = groups
        for g in groups:
            tlds[g] += 1

    def index(moment: dt.datetime) -> int:
        return (moment.date() - first).days

    # Day intervals per (category, zone), merged, then counted per group with a difference
    # array: the work follows the findings, not findings x days.
    intervals: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    wanted = (
        Q(code__in=list(_CODES))
        | Q(tag__in=list(_TAGS))
        | Q(code__startswith="DNSSEC", severity__in=_FAILING)
    )
    rows = (
        Finding.objects.filter(wanted, first_seen__lt=period.end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=period.start))
        .values_list("zone", "code", "tag", "severity", "first_seen", "resolved_at")
        .order_by()
    )
    for zone, code, tag, severity, seen, resolved in rows:
        if zone not in zone_groups:
            continue
        lo = max(0, index(seen))
        hi = n - 1 if resolved is None else min(n - 1, index(resolved))
        for cat in categories(code, tag, severity):
            intervals[(cat, zone)].append((lo, hi))
    diff: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * (n + 1))
    for (cat, zone), spans in intervals.items():
        spans.sort()
        merged: list[list[int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        for g in zone_groups[zone]:
            d = diff[(g, cat)]
            for lo, hi in merged:
                d[lo] += 1
                d[hi + 1] -= 1

    changes: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    for zone, seen in Finding.objects.filter(
        code=CHANGED, first_seen__gte=period.start, first_seen__lt=period.end
    ).values_list("zone", "first_seen"):
        for g in zone_groups.get(zone, ("all",)):
            changes[g][index(seen)] += 1

    resolve_sum: dict[str, list[float]] = defaultdict(lambda: [0.0] * n)
    resolve_n: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    for zone, seen, resolved in (
        Finding.objects.filter(resolved_at__gte=period.start, resolved_at__lt=period.end)
        .values_list("zone", "first_seen", "resolved_at")
        .order_by()
    ):
        i = index(resolved)
        hours = max(0.0, (resolved - seen).total_seconds() / 3600)
        for g in zone_groups.get(zone, ("all",)):
            resolve_sum[g][i] += hours
            resolve_n[g][i] += 1

    zeros = [0] * n
    out: dict[str, Any] = {}
    for g, total in sorted(tlds.items()):
        counts = {
            cat: list(itertools.accumulate(diff[(g, cat)][:n])) if (g, cat) in diff else zeros
            for cat in CATEGORIES
        }
        sums, ns = resolve_sum.get(g), resolve_n.get(g)
        values: dict[str, list[Any]] = {
            "tlds_answering": [total - x for x in counts[NOT_ANSWERING]],
            "lame": counts[LAME],
            "inconsistent": counts[INCONSISTENT],
            "signed_share": [(total - x) / total for x in counts[UNSIGNED]]
            if total
            else [None] * n,
            "dnssec_failures": counts[DNSSEC_FAILURE],
            "near_expiry": counts[NEAR_EXPIRY],
            "delegation_changes": changes.get(g, zeros),
            "mean_hours_to_resolve": [s / c if c else None for s, c in zip(sums, ns, strict=True)]
            if sums is not None and ns is not None
            else [None] * n,
        }
        # A day without a finished sweep has no data, whatever the findings say.
        series = {
            key: [v if ok else None for v, ok in zip(values[key], swept, strict=True)]
            for key in SERIES
        }
        out[g] = {"tlds": total, "series": series, "summary": _summary(series)}
    return {
        "period": period.as_dict(),
        "days": [d.isoformat() for d in days],
        "swept": swept,
        "groups": out,
    }


def _summary(series: dict[str, list[Any]]) -> dict[str, Any]:
    """Per series: the mean over the days with data and the last day's value (None: no
    data)."""
    out = {}
    for key, values in series.items():
        known = [v for v in values if v is not None]
        out[key] = {
            "mean": sum(known) / len(known) if known else None,
            "last": known[-1] if known else None,
            "days": len(known),
        }
    return out


def group_label(group: str) -> str:
    """Readable words for a group key ("all", "region:AF", "operator:Example")."""
    from dnscc.metrics.figures import group_label as figure_group

    if group == "all":
        return "All TLDs"
    kind, _, value = group.partition(":")
    if kind == "region":
        return figure_group("region", "" if value == "-" else value)
    return "No operator" if value == "-" else value
