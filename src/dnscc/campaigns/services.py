"""Campaign services: create, load names, split per registry, deliver slices, record
acknowledgements and outcomes. Verification, escalation, the dashboard and exports are in
campaigns.verification, campaigns.escalation and campaigns.reports.

CONTRACT (signatures fixed; bodies by the services owner). Plain functions taking a Viewer
(who asks; TLP decides) and an audit.Actor (who is recorded). Errors are dnscc.core.errors.

Loading is built for a million names (docs/campaigns.md, "Loading names, slices and
delivery"): the file is streamed through core.namelist (the one normaliser), each name is
given its slice from an in-memory TLD -> operator map (the directory's lookup index), rows
are written in batches with one prepared INSERT (COPY on PostgreSQL) that skips names the
campaign already has, and every counter is recomputed by set-based queries afterwards.
Nothing holds more than one batch of rows; the only thing that grows with the input is the
set of names seen (about 100 bytes a name).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import logging
import operator
import time
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Count, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.campaigns.models import (
    ACTION_CHOICES,
    BLOCK,
    LEGAL_BASIS_CHOICES,
    RELEASE,
    SINKHOLE,
    Campaign,
    NameList,
    Slice,
    SliceManifest,
    Target,
)
from dnscc.core import manifest as manifests
from dnscc.core import namelist
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Viewer, can_see

log = logging.getLogger(__name__)

SLICE_KIND = "campaign_slice"
REMINDER_KIND = "campaign_reminder"
MANIFEST_FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "csv.asc": "application/pgp-signature",
    "json.asc": "application/pgp-signature",
    "sha256": "text/plain; charset=utf-8",
}
BATCH = 10_000
"""Rows per INSERT batch: large enough to amortise the round trip, small enough to bound
memory (a batch of tuples is ~2 MB)."""
MAX_REPORTED_TLDS = 200
"""Unknown TLDs listed in a NameList's report (all are counted)."""
SQLITE_CACHE_KIB = 256 * 1024
"""SQLite page cache while loading names (KiB): the indexes of a million targets fit."""
_CHUNK = 900  # names per `name__in` query: below SQLite's bound on query parameters
_MAX_TRACKED_TLDS = 10_000  # distinct unknown TLDs counted one by one; a junk file has more
DEFAULT_EXPIRY_DAYS = 365
"""A list without an expiry: its action is stated to last a year after the due date (the
end of the campaign sends a release notice anyway)."""


# --- visibility ---------------------------------------------------------------------------


def visible_campaigns(viewer: Viewer) -> Any:
    """QuerySet: staff by TLP; an operator only campaigns where its organisation has a slice."""
    qs = Campaign.objects.select_related("incident")
    if viewer.role is None or viewer.user_id is None:
        return qs.none()
    if viewer.is_staff:
        # can_see for staff: every label but RED, which only its author sees.
        return qs.filter(~Q(tlp=TLP.RED.value) | Q(created_by_id=viewer.user_id))
    if viewer.organization_id is None:
        return qs.none()
    # An operator sees a campaign once its slice was delivered (a draft is the center's).
    ids = Slice.objects.filter(
        organization_id=viewer.organization_id, delivered_at__isnull=False
    ).values("campaign_id")
    return qs.filter(pk__in=ids).exclude(tlp=TLP.RED.value)


def listed_campaigns(viewer: Viewer, *, exercises: bool = False) -> Any:
    """The campaigns a list shows: visible ones, an exercise's only when `exercises` asks
    for them (core.exercise_mark)."""
    qs = visible_campaigns(viewer)
    return qs if exercises else qs.filter(exercise__isnull=True)


def get_campaign(viewer: Viewer, slug: str) -> Campaign:
    """NotFoundError when missing or not visible (no existence leak)."""
    campaign = visible_campaigns(viewer).filter(slug=slug).first()
    if campaign is None:
        raise NotFoundError(f"no campaign {slug!r}")
    return campaign


def _may_see_slice(viewer: Viewer, slice_: Slice) -> bool:
    if viewer.is_staff:
        return True
    return (
        viewer.role is not None
        and viewer.organization_id is not None
        and viewer.organization_id == slice_.organization_id
        and slice_.delivered_at is not None
    )


def get_slice(viewer: Viewer, campaign: Campaign, slice_id: int) -> Slice:
    """Staff: any slice; an operator: only its own organisation's (else NotFoundError)."""
    slice_ = (
        Slice.objects.select_related("organization", "campaign")
        .filter(campaign=campaign, pk=slice_id)
        .first()
    )
    if slice_ is None or not _may_see_slice(viewer, slice_):
        raise NotFoundError(f"no slice {slice_id} in campaign {campaign.slug!r}")
    return slice_


def visible_slices(viewer: Viewer, campaign: Campaign) -> Any:
    """The slices of a campaign the viewer may see (staff: all; an operator: its own)."""
    qs = Slice.objects.filter(campaign=campaign).select_related("organization")
    if viewer.is_staff:
        return qs
    if viewer.organization_id is None:
        return qs.none()
    return qs.filter(organization_id=viewer.organization_id, delivered_at__isnull=False)


def _require_staff(viewer: Viewer, what: str) -> None:
    staff_only(viewer, what)


# --- creation -----------------------------------------------------------------------------


def _slugify_unique(title: str) -> str:
    from django.utils.text import slugify

    base = slugify(title)[:80] or "campaign"
    slug, n = base, 1
    # "new" is the portal's creation page, not a campaign.
    while slug == "new" or Campaign.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_campaign(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    incident_ref: str,
    title: str,
    due_date: date,
    description: str = "",
    sinkhole_ns: list[str] | None = None,
    tlp: str = "AMBER",
    user: Any = None,
) -> Campaign:
    """Staff only; the incident must be visible to the viewer. Timeline of the incident:
    "campaign"."""
    _require_staff(viewer, "create campaigns")
    from dnscc.core.names import normalize_name
    from dnscc.incidents import timeline
    from dnscc.incidents.models import Incident

    incident = Incident.objects.filter(ref=(incident_ref or "").strip()).first()
    if incident is None or not can_see(viewer, incident.labelled()):
        raise NotFoundError(
            f"no incident {incident_ref!r}", hint="give the reference, e.g. DNSCC-2026-0001"
        )
    title = (title or "").strip()
    if not title:
        raise InputError("the title is empty", location=Location(field="title"))
    if len(title) > 300:
        raise InputError(
            "the title is longer than 300 characters", location=Location(field="title")
        )
    _check_one_line(title, "title")
    if not isinstance(due_date, date) or isinstance(due_date, datetime):
        raise InputError(
            "due_date must be a date (YYYY-MM-DD)", location=Location(field="due_date")
        )
    label = TLP.parse(tlp or "AMBER")
    if label is TLP.RED:
        raise InputError(
            "a campaign is delivered to organisations: TLP:RED is not possible",
            location=Location(field="tlp"),
            hint="use AMBER+STRICT",
        )
    sinkhole: list[str] = []
    for value in sinkhole_ns or []:
        try:
            host = normalize_name(value)
        except InputError as exc:
            raise InputError(exc.problem, location=Location(field="sinkhole_ns")) from None
        if host and host not in sinkhole:
            sinkhole.append(host)
    with transaction.atomic():
        campaign = Campaign.objects.create(
            incident=incident,
            slug=_slugify_unique(title),
            title=title,
            description=(description or "").strip(),
            tlp=label.value,
            sinkhole_ns=sinkhole,
            due_date=due_date,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            # A campaign of an exercise's incident is the exercise's (core.exercise_mark).
            exercise=incident.exercise,
        )
        audit.record(
            actor,
            "campaign.create",
            obj=campaign,
            summary=f"campaign {campaign.slug} for {incident.ref}",
            data={"incident": incident.ref, "due_date": due_date.isoformat(), "tlp": label.value},
        )
        timeline.add(
            incident,
            "campaign",
            f"campaign created: {title}",
            actor=actor.name,
            data={"campaign": campaign.slug, "event": "created"},
        )
    return campaign


# --- loading names ------------------------------------------------------------------------


def _check_one_line(value: str, field: str) -> None:
    """A one-line text that goes into the signed manifest: core.manifest refuses control
    characters at delivery, which would be too late."""
    check_text(value, field=field, one_line=True)


def _check_choice(value: str, choices: list[tuple[str, str]], field: str) -> str:
    value = (value or "").strip().lower()
    allowed = [c for c, _ in choices]
    if value not in allowed:
        raise InputError(
            f"unknown {field} {value!r}",
            location=Location(field=field),
            hint=f"use one of: {', '.join(allowed)}",
        )
    return value


def _check_list_fields(action: str, legal_basis: str, legal_reference: str) -> tuple[str, str, str]:
    action = _check_choice(action, ACTION_CHOICES, "action")
    legal_basis = _check_choice(legal_basis, LEGAL_BASIS_CHOICES, "legal_basis")
    reference = (legal_reference or "").strip()
    if not reference:
        raise InputError(
            "the legal reference is empty",
            location=Location(field="legal_reference"),
            hint="name the court order or waiver (its number or title)",
        )
    if len(reference) > 300:
        raise InputError(
            "the legal reference is longer than 300 characters",
            location=Location(field="legal_reference"),
        )
    _check_one_line(reference, "legal_reference")
    return action, legal_basis, reference


def _check_sinkhole(campaign: Campaign, action: str) -> None:
    # Without the sinkhole NS set a sinkhole action can neither be carried out nor verified.
    if action == SINKHOLE and not campaign.sinkhole_ns:
        raise InputError(
            "the campaign has no sinkhole NS set (sinkhole_ns): a sinkhole list cannot be loaded",
            location=Location(field="sinkhole_ns"),
            hint="create the campaign with its sinkhole name servers, or choose another action",
        )


def _check_loadable(viewer: Viewer, campaign: Campaign) -> None:
    _require_staff(viewer, "load names into a campaign")
    if campaign.status in (Campaign.ENDED, Campaign.CANCELLED):
        raise ConflictError(f"the campaign is {campaign.status}: no more names can be added")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def slice_deadline(campaign: Campaign, time_zone: str) -> datetime:
    """The campaign's due date at its due time in the organisation's time zone (UTC when the
    directory has none), as an aware datetime."""
    local = datetime.combine(campaign.due_date, campaign.due_time, tzinfo=_zone(time_zone))
    return local.astimezone(dt.UTC)


class _Hashing:
    """A read-only stream that hashes what goes through it (the list's SHA-256)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.sha = hashlib.sha256()

    def read(self, size: int = -1, /) -> bytes:
        data = self._stream.read(size)
        self.sha.update(data)
        return data


class _LineStream:
    """An iterator of names presented as a byte stream (so generators go through the same
    normaliser and counters as uploads)."""

    def __init__(self, names: Iterator[str]) -> None:
        self._names = names
        self._buffer = b""

    def read(self, size: int = -1, /) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = "\n".join(n for _, n in zip(range(2000), self._names, strict=False))
            if not chunk:
                break
            self._buffer += chunk.encode() + b"\n"
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


class _TargetWriter:
    """Batched INSERTs of Target rows that skip names the campaign already has.

    Columns come from the model (a field added later gets its default), values are
    converted once per load; per row only slice, name and TLD vary. SQLite: one prepared
    INSERT OR IGNORE per batch. PostgreSQL: COPY into a temporary table, then one
    INSERT ... SELECT ... ON CONFLICT DO NOTHING (COPY cannot skip conflicts itself); COPY
    straight into the table when the campaign has no names yet.
    """

    def __init__(self, campaign: Campaign, name_list: NameList, action: str) -> None:
        self.connection = connections[router.db_for_write(Target)]
        fields = [f for f in Target._meta.concrete_fields if not f.primary_key]
        template = Target(campaign=campaign, name_list=name_list, action=action, slice=None)
        conn = self.connection
        self.columns = [f.column for f in fields]
        self.base = [f.get_db_prep_save(f.pre_save(template, True), conn) for f in fields]
        self.i_slice = self.columns.index("slice_id")
        self.i_name = self.columns.index("name")
        self.i_tld = self.columns.index("tld")
        self._by_name = operator.itemgetter(self.i_name)
        self.rows: list[tuple[Any, ...]] = []
        self.vendor = conn.vendor
        quote = conn.ops.quote_name
        self.table = quote(Target._meta.db_table)
        self.column_sql = ", ".join(quote(c) for c in self.columns)
        self.staging = quote("dnscc_target_staging")
        self._staged = False
        self._cache_size: int | None = None
        # Checked inside the load's transaction (SQLite's is IMMEDIATE: no concurrent
        # writer; on PostgreSQL a concurrent first load of the same campaign would fail on
        # the unique constraint and roll back, never duplicate).
        self.direct = not Target.objects.filter(campaign=campaign).exists()

    def add(self, slice_id: int | None, name: str, tld: str) -> None:
        row = self.base.copy()
        row[self.i_slice] = slice_id
        row[self.i_name] = name
        row[self.i_tld] = tld
        self.rows.append(tuple(row))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        rows.sort(key=self._by_name)  # neighbouring keys: fewer index pages touched per batch
        with self.connection.cursor() as cursor:
            if self.vendor == "postgresql":
                self._copy(cursor, rows)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                verb = "INSERT OR IGNORE" if self.vendor == "sqlite" else "INSERT"
                # Identifiers come from the model's _meta; every value is a parameter.
                sql = f"{verb} INTO {self.table} ({self.column_sql}) VALUES ({marks})"
                cursor.executemany(sql, rows)

    def _copy(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        if self.direct:
            # The campaign had no names and the list is deduplicated as it streams: no
            # conflict is possible, so COPY straight into the table (half the writing).
            with raw.copy(f"COPY {self.table} ({self.column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        if not self._staged:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {self.staging} AS"  # noqa: S608
                f" SELECT {self.column_sql} FROM {self.table} WITH NO DATA"
            )
            self._staged = True
        with raw.copy(f"COPY {self.staging} ({self.column_sql}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def start(self) -> None:
        if self.vendor == "sqlite":
            # A million rows land in a table with six indexes: with SQLite's default 2 MiB
            # page cache every insert reads index pages back from the file. A larger cache
            # for this connection while loading (restored after) keeps them in memory.
            with self.connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self._cache_size = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")

    def finish(self) -> None:
        self.flush()
        if self.vendor == "sqlite" and self._cache_size is not None:
            with self.connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self._cache_size)}")
        if self._staged:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {self.table} ({self.column_sql})"  # noqa: S608
                    f" SELECT {self.column_sql} FROM {self.staging}"
                    " ON CONFLICT (campaign_id, name) DO NOTHING"
                )
                cursor.execute(f"DROP TABLE {self.staging}")
            self._staged = False


def _tld_operators() -> dict[str, int | None]:
    """TLD -> operating organisation id (None: delegated, operator unknown), from the
    directory's lookup index (built once, shared with every lookup)."""
    from dnscc.directory import lookup

    index = lookup.get_index()
    return {tld: (refs[0].id if refs else None) for tld, refs in index.tld_orgs.items()}


def _count(counts: dict[str, int], key: str) -> None:
    if key in counts or len(counts) < _MAX_TRACKED_TLDS:
        counts[key] = counts.get(key, 0) + 1
    else:
        counts["(other)"] = counts.get("(other)", 0) + 1


def _top(counts: dict[str, int]) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_REPORTED_TLDS]
    return [{"tld": tld, "names": n} for tld, n in ordered]


def _ingest(
    actor: audit.Actor,
    campaign: Campaign,
    names: namelist.NameList,
    name_list: NameList,
) -> NameList:
    """Assign, insert and count the names of one list (inside the caller's transaction)."""
    operators = _tld_operators()
    slices: dict[int, int] = dict(
        Slice.objects.filter(campaign=campaign).values_list("organization_id", "id")
    )
    zones: dict[int, str] = {}
    new_slice_orgs: list[int] = []
    touched: dict[int, set[str]] = {}
    unknown: dict[str, int] = {}
    no_operator: dict[str, int] = {}
    writer = _TargetWriter(campaign, name_list, name_list.action)
    writer.start()
    started = time.perf_counter()
    add = writer.add
    get_operator = operators.get
    tld_slice: dict[str, int] = {}  # per TLD: its slice id once known (the hot path)
    # A release list ends the action on names the campaign already has: they are kept to
    # switch those targets to "release" after the insert (a release list is small).
    releasing: list[str] | None = [] if name_list.action == RELEASE else None
    for item in names:
        name = item.name
        if releasing is not None:
            releasing.append(name)
        tld = name.rpartition(".")[2]
        slice_id = tld_slice.get(tld)
        if slice_id is None:
            org_id = get_operator(tld, -1)  # -1: the directory does not know the TLD
            if org_id is None or org_id < 0:
                _count(unknown if org_id is not None else no_operator, tld)
                add(None, name, tld)
                continue
            slice_id = slices.get(org_id)
            if slice_id is None:
                if not zones:
                    zones.update(_org_zones({o for o in operators.values() if o is not None}))
                created = Slice.objects.create(
                    campaign=campaign,
                    organization_id=org_id,
                    deadline=slice_deadline(campaign, zones.get(org_id, "")),
                )
                slice_id = slices[org_id] = created.pk
                new_slice_orgs.append(org_id)
            tld_slice[tld] = slice_id
            touched.setdefault(slice_id, set()).add(tld)
        add(slice_id, name, tld)
    writer.flush()
    streamed = time.perf_counter()
    writer.finish()
    merged = time.perf_counter()

    summary = names.summary
    added = Target.objects.filter(name_list=name_list).count()
    unassigned = Target.objects.filter(name_list=name_list, slice__isnull=True).count()
    released, released_slices = _release_existing(campaign, name_list, releasing or [])
    for slice_id in released_slices:
        touched.setdefault(slice_id, set())
    name_list.lines = summary.total_lines
    name_list.added = added
    name_list.duplicates = summary.duplicates + (summary.valid - added - released)
    name_list.invalid = summary.invalid_count
    name_list.unassigned = unassigned
    report = summary.as_dict()
    report.update(
        duplicates_within_list=summary.duplicates,
        duplicates_in_campaign=summary.valid - added,
        non_utf8_examples=[{"file": f, "line": n} for f, n in summary.non_utf8_examples],
        unknown_tlds=_top(unknown),
        unknown_tld_names=sum(unknown.values()),
        tlds_without_operator=_top(no_operator),
        tlds_without_operator_names=sum(no_operator.values()),
        slices_created=len(new_slice_orgs),
        released=released,
    )
    name_list.report = report
    name_list.save()
    _refresh_slices(campaign, touched, changed=released_slices)
    _refresh_campaign(campaign)
    # Where the time went, for the benchmark and for a coordinator wondering why it was slow.
    name_list.report["seconds"] = {
        "read_and_write": round(streamed - started, 2),
        "merge": round(merged - streamed, 2),
        "counters": round(time.perf_counter() - merged, 2),
    }
    NameList.objects.filter(pk=name_list.pk).update(report=name_list.report)
    return name_list


def _release_existing(
    campaign: Campaign, name_list: NameList, names: list[str]
) -> tuple[int, set[int]]:
    """Switch the campaign's targets named by a release list (those it did not add) to the
    release action, under that list (its legal basis and expiry); what the operator
    reported and what DNS showed was about the old action and is cleared. Returns the
    number released and the slices whose manifest changed."""
    released = 0
    slices: set[int] = set()
    for i in range(0, len(names), _CHUNK):
        qs = (
            Target.objects.filter(campaign=campaign, name__in=names[i : i + _CHUNK])
            .exclude(name_list=name_list)
            .exclude(action=RELEASE)
        )
        slices.update(s for s in qs.values_list("slice_id", flat=True).distinct() if s)
        released += qs.update(
            action=RELEASE,
            name_list=name_list,
            outcome="",
            outcome_note="",
            outcome_at=None,
            observed="",
            verified_ok=None,
            verified_at=None,
            mismatch=False,
            evidence="",
        )
    return released, slices


def _org_zones(org_ids: set[int]) -> dict[int, str]:
    from dnscc.directory.models import Organization

    return dict(Organization.objects.filter(pk__in=org_ids).values_list("pk", "time_zone"))


def _refresh_slices(
    campaign: Campaign, touched: dict[int, set[str]], *, changed: set[int] | None = None
) -> None:
    """Names and TLDs of the slices a load touched, by one GROUP BY. A delivered slice
    that gained names (or whose names changed action: `changed`) goes back to pending: its
    manifest changed and must be sent again."""
    if not touched:
        return
    changed = changed or set()
    counts = {
        row["slice_id"]: row
        for row in Target.objects.filter(slice_id__in=list(touched))
        .values("slice_id")
        .annotate(n=Count("id"), reported=Count("id", filter=~Q(outcome="")))
    }
    for slice_ in Slice.objects.filter(pk__in=list(touched)):
        row = counts.get(slice_.pk, {"n": 0, "reported": 0})
        names = row["n"]
        tlds = sorted(set(slice_.tlds) | touched[slice_.pk])
        if names == slice_.names and tlds == slice_.tlds and slice_.pk not in changed:
            continue
        if slice_.state != Slice.PENDING and (names != slice_.names or slice_.pk in changed):
            slice_.state = Slice.PENDING
            slice_.version += 1
        # One UPDATE per slice: bulk_update's CASE over hundreds of slices is slower.
        Slice.objects.filter(pk=slice_.pk).update(
            names=names,
            tlds=tlds,
            state=slice_.state,
            version=slice_.version,
            reported=row["reported"],
        )


def _refresh_campaign(campaign: Campaign) -> None:
    totals = Target.objects.filter(campaign=campaign).aggregate(
        total=Count("id"), unassigned=Count("id", filter=Q(slice__isnull=True))
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        names_total=totals["total"], names_unassigned=totals["unassigned"]
    )
    campaign.names_total = totals["total"]
    campaign.names_unassigned = totals["unassigned"]


def _record_list(actor: audit.Actor, campaign: Campaign, name_list: NameList) -> None:
    from dnscc.incidents import timeline

    summary = (
        f"{name_list.source}: {name_list.added} name(s) added, {name_list.duplicates}"
        f" duplicate(s), {name_list.invalid} invalid, {name_list.unassigned} without operator"
    )
    data = {
        "campaign": campaign.slug,
        "list": name_list.pk,
        "action": name_list.action,
        "added": name_list.added,
        "duplicates": name_list.duplicates,
        "invalid": name_list.invalid,
        "unassigned": name_list.unassigned,
        "sha256": name_list.sha256,
    }
    audit.record(actor, "campaign.names", obj=name_list, summary=summary, data=data)
    timeline.add(campaign.incident_id, "campaign", summary, actor=actor.name, data=data)


def load_names(
    viewer: Viewer,
    actor: audit.Actor,
    campaign: Campaign,
    stream: IO[bytes],
    *,
    filename: str,
    action: str,
    legal_basis: str,
    legal_reference: str,
    expires_at: datetime | None = None,
    encoding: str | None = None,
) -> NameList:
    """Stream a name list (text, CSV, gzip, zip; core.namelist) into the campaign: names
    normalised, invalid lines reported with line numbers (NameList.report), duplicates
    collapsed (within the list and against names already in the campaign), each name
    assigned to the slice of its TLD's operator (created as needed; deadline = due_date at
    due_time in the organisation's time zone), names under TLDs with no known operator kept
    without a slice and reported. Memory bounded; refused above DNSCC_CAMPAIGN_UPLOAD_MAX_BYTES.

    A release list also ends the action on names the campaign already has: those targets
    switch to "release" under the new list (counted in report["released"], not as
    duplicates), their outcome and verification are cleared, and their slices go back to
    pending to be delivered again. A sinkhole list needs the campaign's sinkhole_ns."""
    _check_loadable(viewer, campaign)
    action, legal_basis, legal_reference = _check_list_fields(action, legal_basis, legal_reference)
    _check_sinkhole(campaign, action)
    filename = (filename or "upload").strip()[:255] or "upload"
    limit = settings.CAMPAIGN_UPLOAD_MAX_BYTES
    size = getattr(stream, "size", None)
    if isinstance(size, int) and size > limit:
        raise InputError(
            f"the file is {size:,} bytes, over the limit of {limit:,} bytes"
            " (DNSCC_CAMPAIGN_UPLOAD_MAX_BYTES)",
            location=Location(file=filename, field="file"),
            hint="split the list into smaller files",
        )
    hashing = _Hashing(stream)
    # Lines that are not UTF-8 are refused unless the user names the file's encoding.
    names = namelist.open_names(
        hashing,  # type: ignore[arg-type]
        filename=filename,
        max_bytes=limit,
        encoding=encoding or None,
    )
    with transaction.atomic():
        name_list = NameList.objects.create(
            campaign=campaign,
            kind=NameList.UPLOAD,
            source=filename,
            action=action,
            legal_basis=legal_basis,
            legal_reference=legal_reference,
            expires_at=expires_at,
            created_by=actor.name[:150],
        )
        _ingest(actor, campaign, names, name_list)
        name_list.sha256 = hashing.sha.hexdigest()
        NameList.objects.filter(pk=name_list.pk).update(sha256=name_list.sha256)
        _record_list(actor, campaign, name_list)
    return name_list


def generate_names(
    viewer: Viewer,
    actor: audit.Actor,
    campaign: Campaign,
    *,
    generator: str,
    start: date,
    end: date,
    action: str,
    legal_basis: str,
    legal_reference: str,
    expires_at: datetime | None = None,
) -> NameList:
    """The same as load_names for the names of a DGA generator (core.dga) over a date range."""
    from dnscc.core.dga import get_generator

    _check_loadable(viewer, campaign)
    action, legal_basis, legal_reference = _check_list_fields(action, legal_basis, legal_reference)
    _check_sinkhole(campaign, action)
    gen = get_generator(generator)
    if end < start:
        raise InputError(
            f"the end date {end.isoformat()} is before the start date {start.isoformat()}",
            location=Location(field="end"),
        )
    lazy = (name for _day, name in gen.names_between(start, end))
    source = f"{gen.name} {start.isoformat()}..{end.isoformat()}"
    names = namelist.open_names(
        _LineStream(lazy),  # type: ignore[arg-type]
        filename=source,
        max_bytes=None,  # our own generator's output, bounded by its day limit
    )
    with transaction.atomic():
        name_list = NameList.objects.create(
            campaign=campaign,
            kind=NameList.GENERATOR,
            source=source,
            params={"generator": gen.name, "start": start.isoformat(), "end": end.isoformat()},
            action=action,
            legal_basis=legal_basis,
            legal_reference=legal_reference,
            expires_at=expires_at,
            created_by=actor.name[:150],
        )
        _ingest(actor, campaign, names, name_list)
        _record_list(actor, campaign, name_list)
    return name_list


# --- manifests and delivery -----------------------------------------------------------------


def _slice_lists(slice_: Slice) -> dict[int, NameList]:
    """The name lists with names in this slice (never another registry's), oldest first."""
    return {
        nl.pk: nl
        for nl in NameList.objects.filter(
            pk__in=Target.objects.filter(slice=slice_).values("name_list_id")
        )
        .order_by("created_at", "id")
        .only("id", "action", "legal_basis", "legal_reference", "expires_at", "created_at")
    }


def _slice_manifest(slice_: Slice) -> tuple[manifests.Manifest, manifests.CampaignMeta]:
    """The slice's manifest. Its header comes from this slice's own lists only (another
    registry's court order is never named); once delivered, from the header stored at
    delivery, so that a download is byte for byte what was delivered and checksummed. The
    rows are the slice's targets: names added later put the slice back to pending.

    The manifest is built in memory (about 100 bytes a name, twice: CSV and JSON); a slice
    is one registry's share, and the SHA-256 and signature need the whole document anyway.
    """
    campaign = slice_.campaign
    org = slice_.organization
    lists = _slice_lists(slice_)
    default_expiry = campaign.due_date + dt.timedelta(days=DEFAULT_EXPIRY_DAYS)

    def basis(nl: NameList) -> str:
        return f"{nl.legal_basis}: {nl.legal_reference}"

    def expires(nl: NameList) -> date:
        return nl.expires_at.astimezone(dt.UTC).date() if nl.expires_at else default_expiry

    rows = [
        manifests.ManifestRow(
            name=name,
            tld=tld,
            action=action,
            legal_basis=basis(lists[list_id]),
            expires=expires(lists[list_id]),
        )
        for name, tld, action, list_id in Target.objects.filter(slice=slice_)
        .order_by("name")
        .values_list("name", "tld", "action", "name_list_id")
        .iterator(chunk_size=5000)
    ]
    stored = slice_.manifest_meta if slice_.state != Slice.PENDING else None
    if stored:
        meta = manifests.CampaignMeta(
            campaign_id=campaign.slug,
            title=stored["title"],
            organization=stored["organization"],
            tlds=tuple(stored["tlds"]),
            deadline=datetime.fromisoformat(stored["deadline"]),
            timezone=stored["timezone"],
            default_action=stored["default_action"],
            legal_basis=stored["legal_basis"],
            expires=stored["expires"],
        )
    else:
        first = next(iter(lists.values()), None)
        actions = sorted({r.action for r in rows}) or [BLOCK]
        expiries = [expires(nl) for nl in lists.values()]
        meta = manifests.CampaignMeta(
            campaign_id=campaign.slug,
            title=campaign.title,
            organization=org.name,
            tlds=tuple(slice_.tlds),
            deadline=slice_.deadline,
            timezone=str(_zone(org.time_zone)),
            default_action=actions[0],
            legal_basis=basis(first) if first else "other: none",
            expires=max(expiries) if expiries else default_expiry,
        )
    return manifests.build_manifest(meta, rows), meta


def _meta_dict(meta: manifests.CampaignMeta) -> dict[str, Any]:
    """A manifest's header as stored at delivery (Slice.manifest_meta; see _slice_manifest)."""
    expires = meta.expires
    return {
        "title": meta.title,
        "organization": meta.organization,
        "tlds": list(meta.tlds),
        "deadline": meta.deadline.isoformat(),
        "timezone": meta.timezone,
        "default_action": meta.default_action,
        "legal_basis": meta.legal_basis,
        "expires": expires if isinstance(expires, str) else expires.isoformat(),
    }


def _links(slice_: Slice) -> dict[str, str]:
    base = settings.BASE_URL
    path = f"/campaigns/{slice_.campaign.slug}/slices/{slice_.pk}/"
    return {
        "slice_url": f"{base}{path}",
        "manifest_csv_url": f"{base}{path}manifest.csv",
        "manifest_json_url": f"{base}{path}manifest.json",
        "api_manifest_url": f"{base}/api/v1{path.rstrip('/')}/manifest.json",
        "api_outcomes_url": f"{base}/api/v1{path.rstrip('/')}/outcomes",
    }


def _fmt_utc(at: datetime) -> str:
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def _fmt_local(at: datetime, zone: str) -> str:
    tz = _zone(zone)
    return f"{at.astimezone(tz):%Y-%m-%d %H:%M} {tz.key}"


def slice_context(slice_: Slice, built: manifests.Manifest) -> dict[str, Any]:
    """What the campaign_slice message says (also shown on the slice page)."""
    campaign = slice_.campaign
    lists = NameList.objects.filter(
        campaign=campaign, pk__in=Target.objects.filter(slice=slice_).values("name_list_id")
    )
    actions = ", ".join(f"{a} ({n})" for a, n in built.digest.by_action)
    bases = "; ".join(
        sorted({f"{nl.get_legal_basis_display()}: {nl.legal_reference}" for nl in lists})
    )
    return {
        "title": campaign.title,
        "campaign": campaign.slug,
        "incident": campaign.incident.ref,
        "tlp": TLP(campaign.tlp).label,
        "tlds": ", ".join(slice_.tlds),
        "names": built.digest.rows,
        "actions": actions,
        "legal_basis": bases,
        "deadline_utc": _fmt_utc(slice_.deadline),
        "deadline_local": _fmt_local(slice_.deadline, slice_.organization.time_zone),
        "csv_sha256": built.csv_sha256,
        "json_sha256": built.json_sha256,
        "center_fingerprint": _center_fingerprint(),
        **_links(slice_),
    }


def _center_fingerprint() -> str:
    from dnscc.outreach import pgp

    return pgp.center_fingerprint()


def _store_manifest(slice_: Slice, built: manifests.Manifest, now: datetime) -> None:
    """Keep the delivered bytes (gzip), replacing an earlier delivery's: downloads serve
    them (see SliceManifest)."""
    SliceManifest.objects.update_or_create(
        slice=slice_,
        defaults={
            "rows": built.digest.rows,
            "csv_sha256": built.csv_sha256,
            "json_sha256": built.json_sha256,
            "csv_gz": gzip.compress(built.csv, mtime=0),
            "json_gz": gzip.compress(built.json, mtime=0),
            "csv_asc": "",
            "json_asc": "",
            "created_at": now,
        },
    )


def _delivered_manifest(slice_: Slice) -> SliceManifest | None:
    """The stored bytes of the slice's current delivery (None while pending, or for a slice
    delivered before they were kept: those are rebuilt from the stored header)."""
    if slice_.state == Slice.PENDING:
        return None
    # The compressed documents load on first access, one at a time (a sha256 needs neither).
    stored = SliceManifest.objects.filter(slice=slice_).defer("csv_gz", "json_gz").first()
    delivered = (slice_.manifest_sha256 or {}).get("csv")
    if stored is None or stored.csv_sha256 != delivered:
        return None
    return stored


def _stored_signature(stored: SliceManifest, fmt: str, data: bytes) -> str:
    """The detached signature of a stored manifest: made once, on the first request."""
    from dnscc.outreach import pgp

    field = "csv_asc" if fmt == "csv.asc" else "json_asc"
    signature = getattr(stored, field)
    if not signature:
        signature = pgp.sign_detached(data)[0]
        SliceManifest.objects.filter(pk=stored.pk, **{field: ""}).update(**{field: signature})
    return str(signature)


def deliver(
    viewer: Viewer, actor: audit.Actor, campaign: Campaign, *, user: Any = None
) -> dict[str, Any]:
    """Deliver every pending slice through the outbox (kind "campaign_slice", source
    ("campaign_slice", slice.pk)): a manifest (CSV and JSON, checksummed, OpenPGP-signed by
    the center) per slice, with the portal and API download links. Campaign becomes active."""
    from dnscc.incidents import timeline
    from dnscc.outreach import services as outreach

    _require_staff(viewer, "deliver campaigns")
    if campaign.status in (Campaign.ENDED, Campaign.CANCELLED):
        raise ConflictError(f"the campaign is {campaign.status}: nothing can be delivered")
    pending = list(
        Slice.objects.filter(campaign=campaign, state=Slice.PENDING, names__gt=0)
        .select_related("organization", "campaign__incident")
        .order_by("organization__name")
    )
    if not pending:
        raise ConflictError(
            "no slice is waiting for delivery", hint="load names first, or all were delivered"
        )
    now = timezone.now()
    delivered: list[dict[str, Any]] = []
    messages = 0
    unreachable: list[str] = []
    with transaction.atomic():
        for slice_ in pending:
            # A delivery restarts the slice's clock: the deadline from the due date in the
            # organisation's zone, and no escalation rung of an earlier delivery.
            slice_.deadline = slice_deadline(campaign, slice_.organization.time_zone)
            built, meta = _slice_manifest(slice_)
            # Claim the slice (compare-and-set on its state and version) before anything is
            # sent: a double click, or two coordinators, must not notify a registry twice,
            # and a slice that gained names meanwhile waits for the next delivery.
            claimed = Slice.objects.filter(
                pk=slice_.pk, state=Slice.PENDING, version=slice_.version
            ).update(
                state=Slice.QUEUED,
                delivered_at=now,
                accepted_at=None,
                deadline=slice_.deadline,
                manifest_sha256={"csv": built.csv_sha256, "json": built.json_sha256},
                manifest_meta=_meta_dict(meta),
                acknowledged_at=None,
                acknowledged_by="",
                acknowledged_via="",
                escalation_level=0,
                escalated_at=None,
            )
            if claimed != 1:
                continue
            _store_manifest(slice_, built, now)
            queued = outreach.notify(
                viewer,
                actor,
                kind=SLICE_KIND,
                context=slice_context(slice_, built),
                organizations=[slice_.organization],
                tlp=TLP(campaign.tlp),
                source=(SLICE_KIND, str(slice_.pk)),
                user=user,
                exercise=campaign.exercise,
            )
            state = Slice.UNREACHABLE if queued.unreachable else Slice.QUEUED
            if queued.simulated:
                state = Slice.SIMULATED  # an exercise's "would have sent" (not opted in)
            Slice.objects.filter(pk=slice_.pk).update(notice=queued.notice, state=state)
            messages += queued.messages
            unreachable += queued.unreachable
            delivered.append(
                {
                    "slice": slice_.pk,
                    "organization": slice_.organization.slug,
                    "names": built.digest.rows,
                    "messages": queued.messages,
                    "csv_sha256": built.csv_sha256,
                    "json_sha256": built.json_sha256,
                }
            )
        if not delivered:
            raise ConflictError(
                "no slice is waiting for delivery", hint="another delivery took them"
            )
        Campaign.objects.filter(pk=campaign.pk).update(
            status=Campaign.ACTIVE, delivered_at=campaign.delivered_at or now
        )
        result = {
            "campaign": campaign.slug,
            "slices": len(delivered),
            "messages": messages,
            "unreachable": unreachable,
            "delivered": delivered,
        }
        summary = f"{len(delivered)} slice(s) delivered, {messages} message(s) queued"
        audit.record(
            actor,
            "campaign.deliver",
            obj=campaign,
            summary=summary,
            data={k: v for k, v in result.items() if k != "delivered"},
        )
        timeline.add(
            campaign.incident_id,
            "campaign",
            f"{campaign.title}: {summary}",
            actor=actor.name,
            data={"campaign": campaign.slug, "event": "delivered", "slices": len(delivered)},
        )
    campaign.refresh_from_db()
    return result


def manifest(viewer: Viewer, actor: audit.Actor, slice_: Slice, fmt: str) -> tuple[bytes, str]:
    """(content, content type) of a slice's manifest: fmt "csv", "json", "csv.asc",
    "json.asc" or "sha256". Audited as a disclosure."""
    from dnscc.outreach import pgp

    if not _may_see_slice(viewer, slice_):
        raise NotFoundError(f"no slice {slice_.pk}")
    if fmt not in MANIFEST_FORMATS:
        raise InputError(
            f"unknown manifest format {fmt!r}",
            location=Location(field="fmt"),
            hint=f"use one of: {', '.join(MANIFEST_FORMATS)}",
        )
    stem = f"{slice_.campaign.slug}-{slice_.organization.slug}"
    stored = _delivered_manifest(slice_)
    if stored is not None:
        rows = stored.rows
        if fmt == "sha256":
            content = (
                f"{stored.csv_sha256}  {stem}.csv\n{stored.json_sha256}  {stem}.json\n".encode()
            )
        else:
            data = gzip.decompress(stored.csv_gz if fmt.startswith("csv") else stored.json_gz)
            content = data if "." not in fmt else _stored_signature(stored, fmt, data).encode()
    else:
        built, _meta = _slice_manifest(slice_)
        rows = built.digest.rows
        delivered = slice_.manifest_sha256 or {}
        if slice_.state != Slice.PENDING and delivered.get("csv") not in (None, built.csv_sha256):
            # A slice delivered before the bytes were kept, whose rebuild no longer matches
            # (names added or changed put a slice back to pending): say so in the log.
            log.warning(
                "slice %s: the manifest no longer matches the delivered SHA-256 %s",
                slice_.pk,
                delivered.get("csv"),
            )
        if fmt == "csv":
            content = built.csv
        elif fmt == "json":
            content = built.json
        elif fmt == "sha256":
            content = f"{built.csv_sha256}  {stem}.csv\n{built.json_sha256}  {stem}.json\n".encode()
        else:
            content = pgp.sign_detached(built.csv if fmt == "csv.asc" else built.json)[0].encode()
    audit.disclosed(
        actor,
        "campaigns.slice",
        ids=[slice_.pk],
        how="export",
        format=fmt,
        names=rows,
    )
    return content, MANIFEST_FORMATS[fmt]


# --- acknowledgements and outcomes ------------------------------------------------------------


def _mark_acknowledged(slice_: Slice, *, via: str, by: str, actor: audit.Actor) -> bool:
    from dnscc.incidents import timeline

    now = timezone.now()
    fields = {"acknowledged_at": now, "acknowledged_by": by[:150], "acknowledged_via": via[:16]}
    unacknowledged = Slice.objects.filter(
        pk=slice_.pk, acknowledged_at__isnull=True, delivered_at__isnull=False
    )
    # Compare-and-set on the state: a pending slice (names added since delivery) is not
    # acknowledged (its new names must be delivered first), a complete one stays complete.
    changed = unacknowledged.filter(state__in=Slice.SENT_STATES).update(
        **fields, state=Slice.ACKNOWLEDGED
    ) or unacknowledged.filter(state=Slice.COMPLETE).update(**fields)
    if changed:
        audit.record(
            actor,
            "campaign.slice_acknowledged",
            obj=slice_,
            summary=f"slice of {slice_.organization} acknowledged via {via}",
            data={"campaign": slice_.campaign.slug, "via": via, "by": by},
        )
        timeline.add(
            slice_.campaign.incident_id,
            "campaign",
            f"{slice_.campaign.title}: {slice_.organization} acknowledged its slice ({via})",
            actor=by,
            data={"campaign": slice_.campaign.slug, "slice": slice_.pk, "event": "ack"},
        )
    slice_.refresh_from_db()
    return bool(changed)


def acknowledge_slice(viewer: Viewer, actor: audit.Actor, slice_: Slice, *, via: str) -> Slice:
    """The slice's operator (or staff on its behalf) acknowledges the whole slice."""
    if not _may_see_slice(viewer, slice_):
        raise NotFoundError(f"no slice {slice_.pk}")
    if slice_.delivered_at is None:
        raise ConflictError("the slice has not been delivered yet")
    with transaction.atomic():
        changed = _mark_acknowledged(slice_, via=via, by=actor.name, actor=actor)
        if not changed and slice_.state == Slice.PENDING:
            raise ConflictError(
                "the slice changed since its delivery: new names wait for delivery",
                hint="acknowledge the slice once the new manifest has arrived",
            )
    return slice_


_DELIVERY_STATE = {
    "accepted": Slice.DELIVERED,
    "simulated": Slice.SIMULATED,
    "pending": Slice.QUEUED,
    "failed": Slice.DELIVERY_FAILED,
    "none": Slice.UNREACHABLE,
}


def refresh_delivery(slice_ids: list[int]) -> list[Slice]:
    """Receiver of outreach.signals.delivery_changed for campaign_slice notices: a slice
    is `delivered` (accepted_at) once a message of its current delivery was accepted,
    `delivery_failed` when every one is dead, held or bounced, `queued` while one is on its
    way. Only slices sent and not acknowledged move. The slices changed."""
    from dnscc.incidents import timeline
    from dnscc.outreach import tracking

    changed = []
    for slice_ in Slice.objects.filter(
        pk__in=slice_ids, state__in=Slice.SENT_STATES, notice__isnull=False
    ).select_related("campaign", "organization"):
        delivery = tracking.for_notice(slice_.notice_id, slice_.organization_id)
        new = _DELIVERY_STATE[delivery.outcome]
        if new == slice_.state:
            continue
        fields: dict[str, Any] = {"state": new}
        if new == Slice.DELIVERED and slice_.accepted_at is None:
            fields["accepted_at"] = delivery.first_accepted_at or timezone.now()
        if not Slice.objects.filter(pk=slice_.pk, state=slice_.state).update(**fields):
            continue
        old = slice_.state
        slice_.refresh_from_db()
        timeline.add(
            slice_.campaign.incident_id,
            "campaign",
            f"{slice_.campaign.title}: slice of {slice_.organization} {old} -> {new}"
            f" ({delivery.summary()})",
            actor="outbox",
            data={"campaign": slice_.campaign.slug, "slice": slice_.pk, "event": new},
        )
        changed.append(slice_)
    return changed


def unreachable_slices(viewer: Viewer) -> list[Slice]:
    """Slices of active campaigns that no message reaches (unreachable, delivery failed),
    oldest delivery first: for staff (the duty console); nothing for anyone else."""
    if not viewer.is_staff:
        return []
    return list(
        Slice.objects.filter(
            state__in=Slice.NOT_REACHED,
            campaign__in=visible_campaigns(viewer).filter(
                status=Campaign.ACTIVE, exercise__isnull=True
            ),
        )
        .select_related("campaign", "organization")
        .order_by("delivered_at", "pk")
    )


def slice_deliveries(slices: list[Slice]) -> dict[int, Any]:
    """{slice id: outreach.tracking.Delivery} of each slice's current delivery."""
    from dnscc.outreach import tracking

    found = tracking.by_organization(notice_ids=[s.notice_id for s in slices if s.notice_id])
    return {
        s.pk: found.get((str(s.notice_id), s.organization_id), tracking.Delivery()) for s in slices
    }


def acknowledge_from_message(message: Any, *, via: str, by: str) -> Slice | None:
    """Receiver of outreach.signals.message_acknowledged for campaign_slice messages and
    the reminders of a slice (campaign_reminder, escalation), which carry an ack link too."""
    notice = getattr(message, "notice", None)
    if notice is None or notice.source_type not in (SLICE_KIND, REMINDER_KIND):
        return None
    try:
        slice_id = int(notice.source_id)
    except (TypeError, ValueError):
        return None
    slice_ = Slice.objects.select_related("campaign", "organization").filter(pk=slice_id).first()
    if slice_ is None:
        return None
    if notice.source_type == SLICE_KIND and slice_.notice_id != notice.pk:
        return None  # an earlier delivery's notice: the slice was sent again since
    if notice.source_type == REMINDER_KIND and (
        slice_.delivered_at is None or notice.created_at < slice_.delivered_at
    ):
        return None  # a reminder of an earlier delivery
    _mark_acknowledged(slice_, via=via, by=by, actor=audit.Actor(f"recipient:{by}"[:150]))
    return slice_


def record_outcomes(
    viewer: Viewer, actor: audit.Actor, slice_: Slice, stream: IO[bytes], *, filename: str
) -> dict[str, Any]:
    """An operator's per-name outcomes (CSV: name,outcome[,note]; core.manifest). Names
    outside the slice are rejected with their line numbers; nothing is half-applied: a file
    with errors changes nothing and says every error (ValidationErrors, each with its line)."""
    from dnscc.core.errors import ValidationErrors

    if not _may_see_slice(viewer, slice_):
        raise NotFoundError(f"no slice {slice_.pk}")
    if slice_.delivered_at is None:
        raise ConflictError("the slice has not been delivered yet")
    filename = (filename or "outcomes.csv").strip()[:255] or "outcomes.csv"
    ids = dict(Target.objects.filter(slice=slice_).values_list("name", "id"))
    report = manifests.parse_outcomes(
        stream, filename=filename, allowed=ids, max_bytes=settings.CAMPAIGN_UPLOAD_MAX_BYTES
    )
    if report.error_count:
        exc = ValidationErrors(report.errors)
        exc.error_count = report.error_count  # type: ignore[attr-defined]  # errors is capped
        raise exc
    if not report.outcomes:
        raise InputError("the file holds no outcome", location=Location(file=filename))
    now = timezone.now()
    rows = [
        Target(pk=ids[o.name], outcome=o.outcome, outcome_note=o.note, outcome_at=now)
        for o in report.outcomes
    ]
    with transaction.atomic():
        Target.objects.bulk_update(rows, ["outcome", "outcome_note", "outcome_at"], batch_size=1000)
        reported = Target.objects.filter(slice=slice_).exclude(outcome="").count()
        Slice.objects.filter(pk=slice_.pk).update(reported=reported)
        # A name reported done that DNS already showed not done is a mismatch now, not at
        # the next verification run (the same rule as verification).
        from dnscc.campaigns.reports import record_snapshot
        from dnscc.campaigns.verification import refresh_mismatches

        mismatches = refresh_mismatches(Target.objects.filter(slice=slice_))
        Slice.objects.filter(pk=slice_.pk).update(mismatches=mismatches)
        record_snapshot(slice_.campaign, at=now)
        counts = dict(report.by_outcome())
        audit.record(
            actor,
            "campaign.outcomes",
            obj=slice_,
            summary=f"{len(rows)} outcome(s) from {filename}",
            data={"campaign": slice_.campaign.slug, "file": filename, "by_outcome": counts},
        )
        from dnscc.incidents import timeline

        timeline.add(
            slice_.campaign.incident_id,
            "campaign",
            f"{slice_.campaign.title}: {slice_.organization} reported {len(rows)} outcome(s)",
            actor=actor.name,
            data={"campaign": slice_.campaign.slug, "slice": slice_.pk, "by_outcome": counts},
        )
    slice_.refresh_from_db()
    return {"slice": slice_.pk, "applied": len(rows), "by_outcome": counts, "reported": reported}


def outcomes_from_json(items: list[dict[str, Any]]) -> io.BytesIO:
    """A JSON list [{name, outcome, note}] as the CSV record_outcomes reads (one parser)."""
    import csv

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["name", "outcome", "note"])
    for item in items:
        # One line per outcome: a line break (or other control character) in a JSON string
        # would split the CSV line; it becomes a space.
        writer.writerow(
            [
                _one_line(str(item.get("name", ""))),
                _one_line(str(item.get("outcome", ""))),
                _one_line(str(item.get("note") or "")),
            ]
        )
    return io.BytesIO(text.getvalue().encode("utf-8"))


def _one_line(text: str) -> str:
    return "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in text)


def end_campaign(viewer: Viewer, actor: audit.Actor, campaign: Campaign) -> Campaign:
    """End the campaign: block actions get a release notice through the outbox."""
    from dnscc.incidents import timeline
    from dnscc.outreach import services as outreach

    _require_staff(viewer, "end campaigns")
    if campaign.status in (Campaign.ENDED, Campaign.CANCELLED):
        raise ConflictError(f"the campaign is already {campaign.status}")
    now = timezone.now()
    with transaction.atomic():
        # Claim the end (compare-and-set on the status) before any notice: two coordinators
        # ending at once send the release notices once.
        claimed = Campaign.objects.filter(
            pk=campaign.pk, status__in=(Campaign.DRAFT, Campaign.ACTIVE)
        ).update(status=Campaign.ENDED, ended_at=now)
        if claimed != 1:
            raise ConflictError("the campaign was ended or cancelled meanwhile")
        released = 0
        blocked = (
            Slice.objects.filter(
                campaign=campaign, delivered_at__isnull=False, targets__action=BLOCK
            )
            .distinct()
            .select_related("organization")
        )
        for slice_ in blocked:
            count = Target.objects.filter(slice=slice_, action=BLOCK).count()
            outreach.notify(
                viewer,
                actor,
                kind="notice",
                context={
                    "title": f"{campaign.title}: end of the campaign, release the blocks",
                    "text": (
                        f"The campaign {campaign.slug} has ended. The {count} name(s) of your"
                        f" slice blocked from registration ({', '.join(slice_.tlds)}) may be"
                        f" released. The slice: {_links(slice_)['slice_url']}"
                    ),
                    "tlp": TLP(campaign.tlp).label,
                },
                organizations=[slice_.organization],
                tlp=TLP(campaign.tlp),
                source=("campaign_release", str(slice_.pk)),
                requires_ack=False,
                exercise=campaign.exercise,
            )
            released += 1
        audit.record(
            actor,
            "campaign.end",
            obj=campaign,
            summary=f"campaign {campaign.slug} ended; {released} release notice(s)",
            data={"released": released},
        )
        timeline.add(
            campaign.incident_id,
            "campaign",
            f"{campaign.title}: campaign ended, {released} release notice(s)",
            actor=actor.name,
            data={"campaign": campaign.slug, "event": "ended"},
        )
    campaign.refresh_from_db()
    return campaign


def name_list_report(name_list: NameList) -> dict[str, Any]:
    """The import report of a list as shown to staff (invalid lines with their numbers)."""
    report = dict(name_list.report or {})
    return {
        "id": name_list.pk,
        "source": name_list.source,
        "kind": name_list.kind,
        "sha256": name_list.sha256,
        "action": name_list.action,
        "legal_basis": name_list.legal_basis,
        "legal_reference": name_list.legal_reference,
        "expires_at": name_list.expires_at,
        "lines": name_list.lines,
        "added": name_list.added,
        "duplicates": name_list.duplicates,
        "invalid": name_list.invalid,
        "unassigned": name_list.unassigned,
        "invalid_lines": report.get("invalid", []),
        "non_utf8_lines": report.get("non_utf8_lines", 0),
        "unknown_tlds": report.get("unknown_tlds", []),
        "tlds_without_operator": report.get("tlds_without_operator", []),
        "created_at": name_list.created_at,
    }


def campaigns_naming(names: Any) -> list[dict[str, Any]]:
    """Campaigns (not RED) that name any of `names` (a list, or a values() query of names),
    with how many of them: partner intelligence matched against the center's campaigns."""
    rows = (
        Target.objects.filter(name__in=names)
        .exclude(campaign__tlp=TLP.RED.value)
        .values("campaign__slug", "campaign__title")
        .annotate(n=Count("id"))
        .order_by("-n")[:50]
    )
    return [
        {"slug": r["campaign__slug"], "title": r["campaign__title"], "names": r["n"]} for r in rows
    ]


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, default=str).encode()


def local_deadline(slice_: Slice) -> str:
    """The slice's deadline in its organisation's time zone (UTC when it has none)."""
    return _fmt_local(slice_.deadline, slice_.organization.time_zone)


def manifest_filename(slice_: Slice, fmt: str) -> str:
    """A download name: campaign-organisation.csv (slugs only: safe in a header)."""
    ext = "sha256sums" if fmt == "sha256" else fmt
    return f"{slice_.campaign.slug}-{slice_.organization.slug}.{ext}"


def outcomes_json_body(body: bytes) -> list[dict[str, Any]]:
    """The JSON list [{"name", "outcome", "note"}] of an API request, or InputError."""
    try:
        items = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InputError(
            "the body is neither a CSV upload nor a JSON list",
            location=Location(field="body"),
            hint='send a multipart "file", or JSON [{"name": ..., "outcome": ..., "note": ...}]',
        ) from None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InputError(
            "the JSON body must be a list of objects with name, outcome and note",
            location=Location(field="body"),
        )
    return items
