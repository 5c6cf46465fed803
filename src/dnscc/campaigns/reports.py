"""The campaign dashboard's data and the campaign's exports (report CSV/JSON, RPZ).

Counts are aggregate queries over Target (a million rows for a big campaign), never Python
loops over rows; exports stream: `report_csv`, `report_json` and `rpz_chunks` yield text
chunks and hold one batch of rows at a time.

Coverage counts, per TLD, per region and per organisation: `total` names, `reported` (an
outcome was reported), `acted` (reported done or not registered), `verified` (DNS shows the
action: Target.verified_ok), `bad` (DNS shows otherwise), `mismatch` (reported done, DNS
says not), `unchecked` (not verified yet, or the verification failed).
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

from django.db.models import Count, Q
from django.utils import timezone

from dnscc.campaigns.models import RELEASE, Campaign, Slice, Snapshot, Target
from dnscc.core import csvout
from dnscc.core.rpz import RpzSummary, write_rpz
from dnscc.core.tlp import Viewer, can_see
from dnscc.directory import constrained

REPORT_COLUMNS = (
    "name",
    "tld",
    "organization",
    "action",
    "outcome",
    "observed",
    "verified_ok",
    "mismatch",
    "verified_at",
)
_BATCH = 5000

_COUNTS = {
    "total": Count("pk"),
    "reported": Count("pk", filter=~Q(outcome="")),
    "acted": Count("pk", filter=Q(outcome__in=(Target.DONE, Target.NOT_REGISTERED))),
    "verified": Count("pk", filter=Q(verified_ok=True)),
    "bad": Count("pk", filter=Q(verified_ok=False)),
    "mismatch": Count("pk", filter=Q(mismatch=True)),
}


# A slice reached its registry when a message of its delivery was accepted (accepted_at);
# queued, failed and an exercise's "would have sent" are not reached.
_NOT_REACHED_STATES = (
    Slice.PENDING,
    Slice.QUEUED,
    Slice.UNREACHABLE,
    Slice.DELIVERY_FAILED,
    Slice.SIMULATED,
)


def constrained_reach(campaign_id: int) -> constrained.Reach:
    """How many of the campaign's resource-constrained registries (those with a slice) were
    reached (the relay or webhook accepted their slice's notice, not merely queued) and how
    many acknowledged their slice."""
    return constrained.reach(
        Slice.objects.filter(campaign_id=campaign_id),
        organization="organization",
        # An acknowledgement (on the registry's behalf, after a phone call) proves it too.
        reached=(Q(accepted_at__isnull=False) & ~Q(state__in=_NOT_REACHED_STATES))
        | Q(acknowledged_at__isnull=False),
        acknowledged=Q(acknowledged_at__isnull=False),
        among="the registries of its slices",
    )


RESTRICTED = "restricted organisation"
"""Shown instead of the name of an organisation the viewer may not see (TLP:RED)."""


def hidden_slices(campaign: Campaign, viewer: Viewer | None) -> set[int]:
    """The slices whose organisation `viewer` may not see (core.tlp.can_see); none for no
    viewer (the command line acts as the center itself)."""
    if viewer is None:
        return set()
    return {
        s.pk
        for s in Slice.objects.filter(campaign=campaign).select_related("organization")
        if not can_see(viewer, s.organization.labelled())
    }


def _mask(rows: list[dict[str, Any]], hidden: set[int]) -> None:
    for row in rows:
        if row["slice"] in hidden:
            row.update(organization=RESTRICTED, organization_slug="", region="")


def _rows(qs: Any, key: str) -> list[dict[str, Any]]:
    rows = []
    for row in qs.values(key).annotate(**_COUNTS).order_by(key):
        row["unchecked"] = row["total"] - row["verified"] - row["bad"]
        row["verified_pct"] = round(100 * row["verified"] / row["total"], 1) if row["total"] else 0
        rows.append(row)
    return rows


def coverage(campaign: Campaign, *, viewer: Viewer | None = None) -> dict[str, Any]:
    """Coverage per TLD, per region (Organization.region, "?" when unknown; "" for names
    without an operator) and per organisation (resource-constrained ones flagged), and in total."""
    targets = Target.objects.filter(campaign=campaign)
    per_tld = _rows(targets, "tld")
    # Names with a registry, by its region ("?" where the directory has none), then the
    # names under TLDs with no known operator as a row of their own.
    per_region = [
        {**row, "region": row.pop("slice__organization__region") or "?"}
        for row in _rows(targets.filter(slice__isnull=False), "slice__organization__region")
    ]
    per_region += [
        {**row, "region": ""} for row in _rows(targets.filter(slice__isnull=True), "campaign")
    ]
    for row in per_region:
        row.pop("campaign", None)
    orgs = {s.pk: s for s in Slice.objects.filter(campaign=campaign).select_related("organization")}
    per_org = []
    for row in _rows(targets.filter(slice__isnull=False), "slice"):
        s = orgs[row.pop("slice")]
        per_org.append(
            {
                **row,
                "slice": s.pk,
                "organization": s.organization.name,
                "organization_slug": s.organization.slug,
                "region": s.organization.region,
                "resource_constrained": s.organization.resource_constrained,
                "state": s.state,
                "acknowledged": s.acknowledged_at is not None,
                "escalation_level": s.escalation_level,
                "deadline": s.deadline,
            }
        )
    _mask(per_org, hidden_slices(campaign, viewer))
    per_org.sort(key=lambda r: (r["organization"].lower(), r["slice"]))
    total = targets.aggregate(**_COUNTS)
    total["unchecked"] = total["total"] - total["verified"] - total["bad"]
    return {
        "total": total,
        "per_tld": per_tld,
        "per_region": per_region,
        "per_organization": per_org,
        "resource_constrained": [r for r in per_org if r["resource_constrained"]],
    }


def progress(campaign: Campaign) -> list[dict[str, Any]]:
    """The Snapshot rows, oldest first: the points of the progress plot."""
    return [
        {
            "at": s.at,
            "total": s.total,
            "reported": s.reported,
            "verified_ok": s.verified_ok,
            "acknowledged_slices": s.acknowledged_slices,
            "slices": s.slices,
        }
        for s in Snapshot.objects.filter(campaign=campaign).order_by("at", "pk")
    ]


def record_snapshot(campaign: Campaign, *, at: datetime | None = None) -> Snapshot:
    """Store the campaign's progress now (after a verification run or an outcome upload)."""
    counts = Target.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        reported=Count("pk", filter=~Q(outcome="")),
        verified_ok=Count("pk", filter=Q(verified_ok=True)),
    )
    slices = Slice.objects.filter(campaign=campaign).aggregate(
        slices=Count("pk"), acknowledged_slices=Count("pk", filter=Q(acknowledged_at__isnull=False))
    )
    return Snapshot.objects.create(campaign=campaign, at=at or timezone.now(), **counts, **slices)


def _escalations(campaign: Campaign) -> dict[int, dict[str, Any]]:
    """The latest escalation entry per slice (from the incident's timeline)."""
    from dnscc.incidents.models import TimelineEntry

    latest: dict[int, dict[str, Any]] = {}
    entries = TimelineEntry.objects.filter(
        incident_id=campaign.incident_id, kind="escalation"
    ).order_by("at", "pk")
    for entry in entries:
        data = entry.data or {}
        if data.get("campaign") != campaign.slug or not isinstance(data.get("slice"), int):
            continue
        seen = latest.setdefault(data["slice"], {})
        seen.update({"at": entry.at, "summary": entry.summary, "level": data.get("level")})
        if data.get("desk"):
            seen["desk"] = data["desk"]
    return latest


def laggards(
    campaign: Campaign, *, now: datetime | None = None, viewer: Viewer | None = None
) -> list[dict[str, Any]]:
    """Slices past their deadline that are unacknowledged or have names not verified,
    worst first: unacknowledged before acknowledged, then most names not verified, then
    the earliest deadline."""
    now = now or timezone.now()
    late = (
        Slice.objects.filter(campaign=campaign, deadline__lt=now)
        .exclude(state=Slice.PENDING)
        .select_related("organization")
    )
    escalations = _escalations(campaign)
    rows = []
    for s in late:
        missing = s.names - s.verified_ok
        if s.acknowledged_at is not None and missing <= 0:
            continue
        step = escalations.get(s.pk, {})
        rows.append(
            {
                "slice": s.pk,
                "organization": s.organization.name,
                "organization_slug": s.organization.slug,
                "region": s.organization.region,
                "resource_constrained": s.organization.resource_constrained,
                "deadline": s.deadline,
                "hours_late": round((now - s.deadline).total_seconds() / 3600, 1),
                "acknowledged": s.acknowledged_at is not None,
                "names": s.names,
                "reported": s.reported,
                "verified_ok": s.verified_ok,
                "not_verified": missing,
                "mismatches": s.mismatches,
                "escalation_level": s.escalation_level,
                "desk": step.get("desk", ""),
                "escalation": step.get("summary", ""),
            }
        )
    _mask(rows, hidden_slices(campaign, viewer))
    rows.sort(key=lambda r: (r["acknowledged"], -r["not_verified"], r["deadline"], r["slice"]))
    return rows


def dashboard(
    campaign: Campaign, *, now: datetime | None = None, viewer: Viewer | None = None
) -> dict[str, Any]:
    """Everything the dashboard shows: coverage, progress, laggards, the last run. The
    organisations `viewer` may not see are named RESTRICTED."""
    run = campaign.runs.order_by("-started_at", "-pk").first()
    return {
        "campaign": campaign.slug,
        "title": campaign.title,
        "status": campaign.status,
        "names_total": campaign.names_total,
        "names_unassigned": campaign.names_unassigned,
        "coverage": coverage(campaign, viewer=viewer),
        "progress": progress(campaign),
        "laggards": laggards(campaign, now=now, viewer=viewer),
        "last_run": None
        if run is None
        else {
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "names": run.names,
            "ok": run.ok,
            "bad": run.bad,
            "errors": run.errors,
            "queries": run.queries,
            "not_run": run.not_run,
        },
    }


# -- exports ----------------------------------------------------------------------------


def _report_rows(
    campaign: Campaign, slice_: Slice | None = None, *, viewer: Viewer | None = None
) -> Iterator[tuple[Any, ...]]:
    orgs = dict(Slice.objects.filter(campaign=campaign).values_list("pk", "organization__name"))
    orgs.update(dict.fromkeys(hidden_slices(campaign, viewer), RESTRICTED))
    targets = Target.objects.filter(campaign=campaign)
    if slice_ is not None:
        targets = targets.filter(slice=slice_)
    rows = targets.order_by("pk").values_list(
        "name",
        "tld",
        "slice_id",
        "action",
        "outcome",
        "observed",
        "verified_ok",
        "mismatch",
        "verified_at",
    )
    for name, tld, slice_id, action, outcome, observed, ok, mismatch, at in rows.iterator(
        chunk_size=_BATCH
    ):
        yield (
            name,
            tld,
            orgs.get(slice_id, ""),
            action,
            outcome,
            observed,
            ok,
            mismatch,
            at,
        )


def report_csv(campaign: Campaign, *, viewer: Viewer | None = None) -> Iterator[str]:
    """The campaign report as CSV text chunks (header, then one row per name)."""
    buffer = io.StringIO()
    writer = csvout.writer(buffer)
    writer.writeheader(REPORT_COLUMNS)
    rows = _report_rows(campaign, viewer=viewer)
    for n, (name, tld, org, action, outcome, observed, ok, mismatch, at) in enumerate(rows, 1):
        writer.writerow(
            (
                name,
                tld,
                org,
                action,
                outcome,
                observed,
                "" if ok is None else ("true" if ok else "false"),
                "true" if mismatch else "false",
                at.isoformat() if at else "",
            )
        )
        if n % _BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def report_items(
    campaign: Campaign, slice_: Slice | None = None, *, viewer: Viewer | None = None
) -> Iterator[dict[str, Any]]:
    """The report's rows as dicts (the JSON report's `names`)."""
    for row in _report_rows(campaign, slice_, viewer=viewer):
        item = dict(zip(REPORT_COLUMNS, row, strict=True))
        item["verified_at"] = item["verified_at"].isoformat() if item["verified_at"] else None
        yield item


def report_json(campaign: Campaign, *, viewer: Viewer | None = None) -> Iterator[str]:
    """The campaign report as JSON text chunks: {"campaign", "incident", "generated_at",
    "columns", "names": [{name, tld, organization, ...}, ...]}."""
    head = {
        "campaign": campaign.slug,
        "title": campaign.title,
        "incident": campaign.incident.ref,
        "tlp": campaign.tlp,
        "generated_at": timezone.now().isoformat(),
        "columns": list(REPORT_COLUMNS),
    }
    yield json.dumps(head)[:-1] + ', "names": ['
    parts: list[str] = []
    first = True
    for item in report_items(campaign, viewer=viewer):
        parts.append(("" if first else ",") + json.dumps(item))
        first = False
        if len(parts) >= _BATCH:
            yield "".join(parts)
            parts.clear()
    yield "".join(parts) + "]}\n"


def rpz_origin(campaign: Campaign) -> str:
    return f"{campaign.slug}.rpz.dnscc"


def write_campaign_rpz(campaign: Campaign, out: TextIO) -> RpzSummary:
    """The campaign's names (all but those of release actions) as an RPZ answering
    NXDOMAIN, through core.rpz."""
    names = (
        Target.objects.filter(campaign=campaign)
        .exclude(action=RELEASE)
        .order_by("pk")
        .values_list("name", flat=True)
        .iterator(chunk_size=_BATCH * 4)
    )
    return write_rpz(
        names,
        out,
        origin=rpz_origin(campaign),
        serial=int(timezone.now().timestamp()) & 0xFFFFFFFF,
        comment=f"dnscc campaign {campaign.slug} (incident {campaign.incident.ref}),"
        f" TLP:{campaign.tlp}",
    )


def rpz_chunks(campaign: Campaign, *, chunk: int = 1 << 16) -> Iterator[str]:
    """The RPZ as text chunks: written to a spooled temporary file (memory up to 8 MB,
    disk beyond), then read back, so that a million names never sit in memory."""
    with tempfile.SpooledTemporaryFile(max_size=8 << 20, mode="w+", encoding="utf-8") as out:
        write_campaign_rpz(campaign, out)  # type: ignore[arg-type]  # a text file all the same
        out.seek(0)
        while True:
            data = out.read(chunk)
            if not data:
                break
            yield data
