"""Metrics in the demo: the last full quarter of the center's work (incidents across the
regions with their parties reached, acknowledged, unreachable), a daily sweep with a few
findings, and that quarter's transparency report drafted by the coordinator and published
by the administrator (two-person rule). The dashboard then shows a plot per objective.

Idempotent: nothing is made again once the quarter's report exists.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.directory.models import Organization, Tld
from dnscc.incidents.models import Incident, Party
from dnscc.metrics import dashboard, periods, transparency
from dnscc.metrics.models import TransparencyReport
from dnscc.monitoring.models import Finding, Sweep

TITLE = "Demo history"


def last_quarter(now: dt.datetime | None = None) -> periods.Period:
    current = dashboard.current_quarter(now)
    return periods.containing("quarter", (current.start - dt.timedelta(days=1)).date())


def load_metrics_demo(viewer: Any, actor: audit.Actor, user: Any) -> list[str]:
    """The quarter's history and its published report (once); returns what it did."""
    quarter = last_quarter()
    if TransparencyReport.objects.filter(quarter=quarter.label).exists():
        return []
    orgs = list(Organization.objects.exclude(region="").order_by("pk")[:40])
    if not orgs:
        return []
    with transaction.atomic():
        made = _history(quarter, orgs)
        _sweeps(quarter)
    admin = get_user_model().objects.filter(username="admin").first()
    report = transparency.draft(
        viewer, actor, quarter.label, user=user, note="the demo's first report"
    )
    if admin is not None:
        transparency.publish(
            viewer_for(admin), audit.Actor.of(admin), quarter.label, report.version, user=admin
        )
    return [
        f"metrics: {made} incidents of {quarter.label} with their parties; the dashboard at "
        f"/performance/?period={quarter.label}, namespace health at "
        f"/performance/health?period={quarter.label}; the transparency report published at "
        f"/transparency/{quarter.label}/v{report.version}/ (HTML, .json, .pdf)"
    ]


def _history(quarter: periods.Period, orgs: list[Organization]) -> int:
    from dnscc.incidents.services import _next_ref

    rng = random.Random(16)
    span = int((quarter.end - quarter.start).total_seconds())
    regions = ("AF", "AP", "EU", "LAC", "NA")
    types = ("broken-delegation", "dnssec-failure", "domain-hijack", "ddos-dns", "other")
    count = 60
    for i in range(count):
        created = quarter.start + dt.timedelta(seconds=rng.randrange(span - 86400 * 3))
        # Better as the quarter goes on: the plots show the trend.
        pace = 1.6 - i / count
        triaged = created + dt.timedelta(minutes=int(rng.randrange(5, 90) * pace))
        notified = created + dt.timedelta(minutes=int(rng.randrange(3, 40) * pace))
        incident = Incident.objects.create(
            ref=_next_ref(created.year),
            title=f"{TITLE}: {types[i % 5].replace('-', ' ')} {i + 1}",
            dns_type=types[i % 5],
            desk=regions[i % 5],
            status=Incident.CLOSED if i % 4 else Incident.MITIGATED,
            created_at=created,
            triaged_at=triaged,
            first_notified_at=notified,
            mitigated_at=triaged + dt.timedelta(hours=rng.randrange(2, 96)),
            closed_at=triaged + dt.timedelta(days=5) if i % 4 else None,
        )
        for j in range(3):
            org = orgs[(i * 3 + j) % len(orgs)]
            roll = rng.random()
            if roll < 0.06:
                Party.objects.create(
                    incident=incident,
                    organization=org,
                    source=Party.COMPUTED,
                    status=Party.UNREACHABLE,
                )
                continue
            reached = notified + dt.timedelta(minutes=rng.randrange(0, 30))
            acked = reached + dt.timedelta(minutes=int(rng.randrange(20, 2400) * pace))
            Party.objects.create(
                incident=incident,
                organization=org,
                source=Party.COMPUTED,
                status=Party.ACKNOWLEDGED if roll < 0.85 else Party.NOTIFIED,
                notified_at=reached,
                acknowledged_at=acked if roll < 0.85 else None,
            )
    return count


def _sweeps(quarter: periods.Period) -> None:
    """A sweep each day of the quarter, and a few findings that come and go."""
    days = (quarter.end - quarter.start).days
    Sweep.objects.bulk_create(
        Sweep(
            started_at=quarter.start + dt.timedelta(days=d, hours=3),
            finished_at=quarter.start + dt.timedelta(days=d, hours=3, minutes=12),
            status=Sweep.DONE,
            trigger="demo history",
        )
        for d in range(days)
    )
    names = list(Tld.objects.filter(delegated=True).order_by("name").values_list("name", flat=True))
    rng = random.Random(7)
    kinds = (
        ("DELEGATION04", "IS_NOT_AUTHORITATIVE", "warning"),
        ("CONSISTENCY01", "MULTIPLE_SOA_SERIALS", "warning"),
        ("DNSSEC04", "RRSIG_EXPIRED", "error"),
        ("DNSCC_SIG_EXPIRY", "DNSCC_SIG_EXPIRY", "warning"),
    )
    now = timezone.now()
    for i in range(min(40, len(names))):
        code, tag, severity = kinds[i % 4]
        first = quarter.start + dt.timedelta(days=rng.randrange(days - 10), hours=3)
        resolved = first + dt.timedelta(days=rng.randrange(1, 20))
        Finding.objects.create(
            zone=names[(i * 37) % len(names)],
            code=code,
            tag=tag,
            severity=severity,
            server=f"demo-history-{i}",
            message=f"{code} (demo history)",
            first_seen=first,
            last_seen=min(resolved, now),
            resolved_at=min(resolved, now),
        )
