"""The quarterly transparency report: TLP:CLEAR, public, regional aggregates only.

What it holds (per ICANN region and for all regions): incidents opened, median time to first
notification, median and p90 time to acknowledgement, the share of parties reached and of
resource-constrained parties reached, advisories published, and the namespace's health (mean
over the quarter's swept days of TLDs answering, the DNSSEC-signed share, lame delegations,
DNSSEC failures). No organisation, TLD or incident is named: naming a ccTLD in public can harm
its relations with its government.

Small cells are suppressed: a value computed from fewer than DNSCC_TRANSPARENCY_MIN_CELL
rows (incidents, parties, TLDs) is published as "suppressed", never as a number, and so is
a count below it (a count of 0 is shown: it names nobody).

A coordinator drafts a version (its figures are frozen then); another coordinator publishes
it (the two-person rule, as for advisories: DNSCC_ADVISORY_TWO_PERSON, on unless a one-person
center turns it off). Publishing a quarter again is drafting and publishing a new version;
every published version stays at its own URL.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.regions import Region
from dnscc.core.tlp import Viewer
from dnscc.incidents.models import Incident, Party
from dnscc.metrics import figures, health, periods
from dnscc.metrics.models import TransparencyReport
from dnscc.outreach.models import Advisory

REGIONS = [r.value for r in Region]
SUPPRESSED = "suppressed"


def _staff(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise PermissionDenied("only the center's staff may prepare transparency reports")


def _quarter(text: str) -> periods.Period:
    period = periods.parse(text, field="quarter")
    if period.kind != "quarter":
        raise InputError(
            f"{text!r} is not a quarter", location=Location(field="quarter"), hint="2026-Q3"
        )
    return period


def _cell(value: Any, n: int, min_cell: int) -> Any:
    """`value`, or "suppressed" when it rests on fewer than `min_cell` rows."""
    if n == 0:
        return None  # no data
    return value if n >= min_cell else SUPPRESSED


def _count(n: int, min_cell: int) -> Any:
    return n if n == 0 or n >= min_cell else SUPPRESSED


def compute(period: periods.Period, *, min_cell: int) -> dict[str, Any]:
    """The report's figures for a quarter: per region and all, small cells suppressed."""
    live_incidents = figures.live(
        Incident.objects.filter(created_at__gte=period.start, created_at__lt=period.end),
        Incident,
        include=False,
    )
    per: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for desk, created, notified in live_incidents.values_list(
        "desk", "created_at", "first_notified_at"
    ).order_by():
        for key in ("all", desk or "-"):
            per[key]["incidents"].append(1)
            if notified:
                per[key]["notify"].append((notified - created).total_seconds() / 60)
    parties = figures.live(
        Party.objects.filter(
            incident__created_at__gte=period.start,
            incident__created_at__lt=period.end,
            role="affected",
        ),
        Incident,
        "incident__",
        include=False,
    )
    for region, status, notified, acked, constrained in parties.values_list(
        "organization__region",
        "status",
        "notified_at",
        "acknowledged_at",
        "organization__resource_constrained",
    ).order_by():
        attempted = notified is not None or status in (
            Party.QUEUED,
            Party.UNREACHABLE,
            Party.DELIVERY_FAILED,
        )
        for key in ("all", region or "-"):
            if attempted:
                per[key]["reached"].append(1 if notified else 0)
                if constrained:
                    per[key]["constrained"].append(1 if notified else 0)
            if notified and acked:
                per[key]["ack"].append(max(0.0, (acked - notified).total_seconds() / 60))
    ns = health.health(period, operators=False)["groups"]

    def block(key: str) -> dict[str, Any]:
        d = per.get(key, {})
        notify, ack = d.get("notify", []), d.get("ack", [])
        reached, constrained = d.get("reached", []), d.get("constrained", [])
        g = ns.get("all" if key == "all" else f"region:{key}")
        out = {
            "incidents": _count(len(d.get("incidents", [])), min_cell),
            "median_minutes_to_first_notification": _cell(
                statistics.median(notify) if notify else None, len(notify), min_cell
            ),
            "median_minutes_to_acknowledge": _cell(
                statistics.median(ack) if ack else None, len(ack), min_cell
            ),
            "p90_minutes_to_acknowledge": _cell(figures.p90(ack), len(ack), min_cell),
            "parties_reached_share": _cell(
                sum(reached) / len(reached) if reached else None, len(reached), min_cell
            ),
            "constrained_parties_reached_share": _cell(
                sum(constrained) / len(constrained) if constrained else None,
                len(constrained),
                min_cell,
            ),
        }
        tlds = g["tlds"] if g else 0
        for series in ("tlds_answering", "signed_share", "lame", "dnssec_failures"):
            mean = g["summary"][series]["mean"] if g else None
            out[f"tld_{series}_mean"] = _cell(mean, tlds if mean is not None else 0, min_cell)
        out["tlds"] = _count(tlds, min_cell)
        return out

    advisories = Advisory.objects.filter(
        published_at__gte=period.start, published_at__lt=period.end
    ).count()
    return {
        "title": f"Transparency report {period.label}",
        "tlp": "CLEAR",
        "quarter": period.label,
        "period": period.as_dict(),
        "min_cell": min_cell,
        "advisories_published": advisories,
        "all": block("all"),
        "regions": {r: block(r) for r in REGIONS},
        "exercises": "excluded",
    }


def draft(
    viewer: Viewer, actor: audit.Actor, quarter: str, *, user: Any = None, note: str = ""
) -> TransparencyReport:
    """A new draft version of a quarter's report, its figures frozen now."""
    _staff(viewer)
    period = _quarter(quarter)
    min_cell = settings.TRANSPARENCY_MIN_CELL
    data = compute(period, min_cell=min_cell)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                if TransparencyReport.objects.filter(
                    quarter=period.label, status=TransparencyReport.DRAFT
                ).exists():
                    raise ConflictError(
                        f"{period.label} already has a draft in review",
                        hint="publish or discard it first",
                    )
                last = TransparencyReport.objects.filter(quarter=period.label).aggregate(
                    v=Max("version")
                )["v"]
                report = TransparencyReport.objects.create(
                    quarter=period.label,
                    version=(last or 0) + 1,
                    data=data,
                    min_cell=min_cell,
                    note=note,
                    drafted_by=user,
                    drafted_at=timezone.now(),
                )
                audit.record(
                    actor,
                    "metrics.transparency_draft",
                    obj=report,
                    summary=f"{period.label} v{report.version} drafted",
                )
                return report
        except IntegrityError:
            continue  # another coordinator took the number: take the next
    raise ConflictError(f"{period.label}: could not take a version number, try again")


def two_person_rule() -> bool:
    """The advisories' two-person rule applies here too (on unless turned off)."""
    return bool(getattr(settings, "ADVISORY_TWO_PERSON", True))


def publish(
    viewer: Viewer, actor: audit.Actor, quarter: str, version: int, *, user: Any = None
) -> TransparencyReport:
    """Publish a draft (staff, and not the coordinator who drafted it)."""
    _staff(viewer)
    report = get(quarter, version, published_only=False)
    if report.status != TransparencyReport.DRAFT:
        raise ConflictError(
            f"{report.quarter} v{report.version} is already published",
            hint="to publish again, draft a new version",
        )
    if two_person_rule() and (
        user is None or report.drafted_by_id is None or report.drafted_by_id == user.pk
    ):
        raise PermissionDenied(
            f"{report.quarter} v{report.version} was drafted by you: another coordinator "
            "publishes it (two-person rule)",
            hint="ask a colleague to review it; a one-person center sets "
            "DNSCC_ADVISORY_TWO_PERSON=0",
        )
    with transaction.atomic():
        if not TransparencyReport.objects.filter(
            pk=report.pk, status=TransparencyReport.DRAFT
        ).update(
            status=TransparencyReport.PUBLISHED, published_by=user, published_at=timezone.now()
        ):
            raise ConflictError(f"{report.quarter} v{report.version} was published meanwhile")
        audit.record(
            actor,
            "metrics.transparency_publish",
            obj=report,
            summary=f"{report.quarter} v{report.version} published",
        )
    report.refresh_from_db()
    return report


def discard(viewer: Viewer, actor: audit.Actor, quarter: str, version: int) -> None:
    """Delete a draft (a published version is never deleted)."""
    _staff(viewer)
    report = get(quarter, version, published_only=False)
    if report.status != TransparencyReport.DRAFT:
        raise ConflictError("a published version stays available; draft a new one instead")
    with transaction.atomic():
        audit.record(
            actor,
            "metrics.transparency_discard",
            obj=report,
            summary=f"{report.quarter} v{report.version} discarded",
        )
        report.delete()


def get(
    quarter: str, version: int | None = None, *, published_only: bool = True
) -> TransparencyReport:
    """A version of a quarter's report (the latest published when `version` is None)."""
    qs = TransparencyReport.objects.filter(quarter=quarter.upper())
    if published_only:
        qs = qs.filter(status=TransparencyReport.PUBLISHED)
    report = qs.filter(version=version).first() if version else qs.order_by("-version").first()
    if report is None:
        raise NotFoundError(
            f"no {'published ' if published_only else ''}transparency report {quarter}"
            + (f" v{version}" if version else "")
        )
    return report


def published() -> list[TransparencyReport]:
    return list(
        TransparencyReport.objects.filter(status=TransparencyReport.PUBLISHED).order_by(
            "-quarter", "-version"
        )
    )


def describe(report: TransparencyReport) -> dict[str, Any]:
    return {
        "quarter": report.quarter,
        "version": report.version,
        "status": report.status,
        "drafted_at": report.drafted_at.isoformat(),
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "note": report.note,
        "data": report.data,
    }


def public_json(report: TransparencyReport) -> dict[str, Any]:
    """What the public JSON holds: the figures and the version, no staff names."""
    return {
        **report.data,
        "version": report.version,
        "published_at": report.published_at.isoformat() if report.published_at else None,
        "note": report.note,
    }


ROWS = (
    ("incidents", "Incidents opened", "count"),
    ("median_minutes_to_first_notification", "Median time to first notification", "minutes"),
    ("median_minutes_to_acknowledge", "Median time to acknowledgement", "minutes"),
    ("p90_minutes_to_acknowledge", "90th percentile time to acknowledgement", "minutes"),
    ("parties_reached_share", "Parties reached (a message accepted)", "share"),
    ("constrained_parties_reached_share", "Resource-constrained parties reached", "share"),
    ("tlds", "TLDs watched", "count"),
    ("tld_tlds_answering_mean", "TLDs answering (daily mean)", "number"),
    ("tld_signed_share_mean", "DNSSEC-signed share (daily mean)", "share"),
    ("tld_lame_mean", "TLDs with a lame delegation (daily mean)", "number"),
    ("tld_dnssec_failures_mean", "TLDs with a DNSSEC failure (daily mean)", "number"),
)


def _show(value: Any, unit: str, min_cell: int) -> str:
    if value is None:
        return "no data"
    if value == SUPPRESSED:
        return f"fewer than {min_cell}"
    if unit == "minutes":
        return figures.describe_value(figures.DURATION, "median", float(value))
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "number":
        return f"{value:.1f}"
    return str(value)


def html(report: TransparencyReport) -> str:
    """The report as a self-contained HTML document (inline CSS: the PDF is made from it)."""
    d = report.data
    columns = [("all", "All regions")] + [(r, Region(r).label) for r in REGIONS]
    rows = [
        {
            "label": label,
            "cells": [
                _show(
                    (d["all"] if key == "all" else d["regions"][key]).get(field),
                    unit,
                    d["min_cell"],
                )
                for key, _ in columns
            ],
        }
        for field, label, unit in ROWS
    ]
    return render_to_string(
        "metrics/transparency_report.html",
        {"report": report, "d": d, "columns": [c[1] for c in columns], "rows": rows},
    )


def pdf(report: TransparencyReport) -> bytes:
    from dnscc.core.pdf import html_to_pdf

    return html_to_pdf(html(report), title=report.data["title"])
