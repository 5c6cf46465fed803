"""The threat survey: range, severity and frequency of each threat event, computed from the
center's own records over a period (the ccNSO's "survey of the range, severity and
frequency of current and potential threats", seed 003).

Evidence is matched to threat events through the catalogue: an incident by its type, a
monitoring finding by its code, a campaign by its incident's type. One record may
evidence several events (a DNSSEC code evidences "dnssec-failure" only; CONNECTIVITY01
evidences DDoS and operational failure alike): each event counts it.

    incidents   created in the period: count, severity distribution, parties, regions
                (of the parties, else of the owning desk), median hours to mitigation
    findings    open at some time in the period: count, zones, mean days open (to the
                period's end when still open), per code and per region (of the zone's TLD)
    campaigns   created in the period: count, names, TLDs, share of names verified

Set-based: the findings table (a million rows) is only ever read grouped, never row by row.
This module reads the incidents', monitoring's and campaigns' tables without writing them.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Q, Sum

from dnscc.core.errors import InputError, Location
from dnscc.risk import catalogue

SEVERITIES = ("low", "medium", "high", "critical")
GLOBAL = "global"  # the root zone and records of no region


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise InputError(
            f"the period ends ({end}) before it starts ({start})", location=Location(field="end")
        )
    if (end - start).days > 3660:
        raise InputError("a period of at most ten years", location=Location(field="start"))
    utc = dt.UTC
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=utc),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=utc),
    )


def months(start: dt.date, end: dt.date) -> list[str]:
    """Every month of the period, as YYYY-MM."""
    labels = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def _month(value: Any) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def threat_survey(start: dt.date, end: dt.date) -> dict[str, Any]:
    """The survey of the period [start, end] (whole days, UTC)."""
    from dnscc.campaigns.models import Campaign, Slice
    from dnscc.directory.models import Tld
    from dnscc.incidents.models import Incident, Party
    from dnscc.monitoring.models import Finding

    since, until = _bounds(start, end)
    index = catalogue.event_index()
    events = {e.key: e.name for e in catalogue.events()}
    labels = months(start, end)
    position = {m: i for i, m in enumerate(labels)}

    def blank() -> dict[str, Any]:
        return {
            "incidents": 0,
            "severity": dict.fromkeys(SEVERITIES, 0),
            "parties": 0,
            "regions": Counter(),
            "mitigation_hours": [],
            "findings": 0,
            "finding_zones": 0,
            "finding_days_total": 0.0,
            "codes": Counter(),
            "campaigns": 0,
            "campaign_names": 0,
            "campaign_tlds": set(),
            "campaign_verified": 0,
            "frequency": [0] * len(labels),
        }

    per: dict[str, dict[str, Any]] = {key: blank() for key in events}
    by_region: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    severity_all: Counter[str] = Counter()

    # --- incidents ------------------------------------------------------------------------
    incidents = list(
        # Live incidents only: an exercise's are not threats seen (core.exercise_mark).
        Incident.objects.filter(
            created_at__gte=since, created_at__lt=until, exercise__isnull=True
        ).values_list("id", "dns_type", "severity", "desk", "created_at", "mitigated_at")
    )
    ids = [row[0] for row in incidents]
    party_regions: dict[int, set[str]] = defaultdict(set)
    party_counts: Counter[int] = Counter()
    if ids:
        parties = Party.objects.filter(
            incident__created_at__gte=since, incident__created_at__lt=until
        )
        for incident_id, region in parties.values_list("incident_id", "organization__region"):
            party_counts[incident_id] += 1
            party_regions[incident_id].add(region or GLOBAL)
    for incident_id, dns_type, severity, desk, created_at, mitigated_at in incidents:
        severity_all[severity] += 1
        regions = party_regions.get(incident_id) or {desk or GLOBAL}
        for key in index["types"].get(dns_type, []):
            if key not in per:
                continue
            row = per[key]
            row["incidents"] += 1
            row["severity"][severity] = row["severity"].get(severity, 0) + 1
            row["parties"] += party_counts.get(incident_id, 0)
            for region in regions:
                row["regions"][region] += 1
                by_region[region][key]["incidents"] += 1
            if mitigated_at is not None:
                row["mitigation_hours"].append((mitigated_at - created_at).total_seconds() / 3600)
            m = _month(created_at)
            if m in position:
                row["frequency"][position[m]] += 1

    # --- findings (grouped in the database) ------------------------------------------------
    codes = set(index["codes"])
    open_in_period = Q(first_seen__lt=until) & (
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=since)
    )
    findings = Finding.objects.filter(open_in_period, code__in=codes, exercise__isnull=True)
    zone_region = dict(Tld.objects.values_list("name", "region"))
    # One scan: per code and zone, how many and how long open within the period.
    grouped = findings.values("code", "zone").annotate(
        n=Count("id"), open_seconds=Sum(_clipped_seconds(since, until))
    )
    zones_per_code: dict[str, set[str]] = defaultdict(set)
    finding_total = 0
    for row in grouped:
        code, zone, n = row["code"], row["zone"], row["n"]
        finding_total += n
        region = (zone_region.get(zone) or GLOBAL) if zone else GLOBAL
        for key in index["codes"].get(code, []):
            if key not in per:
                continue
            per[key]["findings"] += n
            per[key]["codes"][code] += n
            per[key]["finding_days_total"] += max(0.0, float(row["open_seconds"] or 0)) / 86400
            by_region[region][key]["findings"] += n
        zones_per_code[code].add(zone)
    # Zones per event are a union over its codes: a zone with two of them counts once.
    zones_per_event: dict[str, set[str]] = defaultdict(set)
    for code, zones in zones_per_code.items():
        for key in index["codes"].get(code, []):
            if key in per:
                zones_per_event[key] |= zones
    for key, zones in zones_per_event.items():
        per[key]["finding_zones"] = len(zones)
    monthly = (
        Finding.objects.filter(
            code__in=codes, first_seen__gte=since, first_seen__lt=until, exercise__isnull=True
        )
        .annotate(month=_month_of("first_seen"))
        .values("code", "month")
        .annotate(n=Count("id"))
    )
    for row in monthly:
        m = row["month"]
        if m not in position:
            continue
        for key in index["codes"].get(row["code"], []):
            if key in per:
                per[key]["frequency"][position[m]] += row["n"]

    # --- campaigns ---------------------------------------------------------------------------
    campaigns = list(
        Campaign.objects.filter(
            created_at__gte=since, created_at__lt=until, exercise__isnull=True
        ).values_list("id", "incident__dns_type", "names_total")
    )
    if campaigns:
        slices = Slice.objects.filter(campaign_id__in=[c[0] for c in campaigns])
        tlds_of: dict[int, set[str]] = defaultdict(set)
        for campaign_id, tlds in slices.values_list("campaign_id", "tlds"):
            tlds_of[campaign_id].update(tlds or [])
        verified = dict(
            slices.values("campaign_id")
            .annotate(ok=Sum("verified_ok"))
            .values_list("campaign_id", "ok")
        )
        for campaign_id, dns_type, names in campaigns:
            for key in index["types"].get(dns_type, []):
                if key not in per:
                    continue
                row = per[key]
                row["campaigns"] += 1
                row["campaign_names"] += names
                row["campaign_tlds"].update(tlds_of.get(campaign_id, set()))
                row["campaign_verified"] += verified.get(campaign_id) or 0

    result_events: dict[str, Any] = {}
    for key, row in per.items():
        hours = row.pop("mitigation_hours")
        days = row.pop("finding_days_total")
        tlds = row.pop("campaign_tlds")
        verified_names = row.pop("campaign_verified")
        result_events[key] = {
            "name": events[key],
            **row,
            "regions": dict(sorted(row["regions"].items())),
            "codes": dict(sorted(row["codes"].items())),
            "median_hours_to_mitigate": round(statistics.median(hours), 1) if hours else None,
            "mean_days_open": round(days / row["findings"], 2) if row["findings"] else None,
            "campaign_tlds": len(tlds),
            "campaign_verified_share": (
                round(verified_names / row["campaign_names"], 4) if row["campaign_names"] else None
            ),
        }
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "months": labels,
        "events": result_events,
        "by_region": {
            region: {key: dict(counts) for key, counts in sorted(evs.items())}
            for region, evs in sorted(by_region.items())
        },
        "severity": {s: severity_all.get(s, 0) for s in SEVERITIES},
        "totals": {
            "incidents": len(incidents),
            "findings": finding_total,
            "campaigns": len(campaigns),
        },
    }


def _clipped_seconds(since: dt.datetime, until: dt.datetime) -> Any:
    """Seconds a finding was open within [since, until): min(resolved, until) - max(first
    seen, since), in the database's own arithmetic (a plain function of columns, so that
    the grouped query sums it in one scan)."""
    from django.db import connection
    from django.db.models import FloatField
    from django.db.models.expressions import RawSQL

    table = '"monitoring_finding"'
    if connection.vendor == "postgresql":
        sql = (
            f'EXTRACT(EPOCH FROM LEAST(COALESCE({table}."resolved_at", %s), %s))'
            f' - EXTRACT(EPOCH FROM GREATEST({table}."first_seen", %s))'
        )
        params: tuple[Any, ...] = (until, until, since)
    else:  # SQLite keeps datetimes as UTC text; strftime('%s') reads them to the second.
        sql = (
            f"MIN(COALESCE(CAST(strftime('%%s', {table}.\"resolved_at\") AS INTEGER), %s), %s)"
            f" - MAX(CAST(strftime('%%s', {table}.\"first_seen\") AS INTEGER), %s)"
        )
        params = (int(until.timestamp()), int(until.timestamp()), int(since.timestamp()))
    return RawSQL(sql, params, output_field=FloatField())  # noqa: S611 - no user input


def _month_of(field: str) -> Any:
    """YYYY-MM of a datetime column (UTC), computed by the database without a Python
    function per row (Django's TruncMonth is one on SQLite: seconds on a million rows)."""
    from django.db import connection
    from django.db.models import CharField
    from django.db.models.expressions import RawSQL

    column = {"first_seen": '"monitoring_finding"."first_seen"'}[field]
    if connection.vendor == "postgresql":
        sql = f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM')"
    else:
        sql = f"substr({column}, 1, 7)"
    return RawSQL(sql, (), output_field=CharField())  # noqa: S611 - no user input
