"""Ingestion of RSSAC002 files from a file, a directory tree as the operators publish it
(`YYYY/MM/<metric>/<letter>-root-YYYYMMDD-<metric>.yaml`), a tarball, or an HTTPS URL.

Streamed: files are read one at a time (each bounded by core.rssac002.MAX_FILE_BYTES),
parsed in batches (on several processes when there are many: the parser is pure), and
stored a batch per transaction, so a refused file costs only itself and memory does not
grow with the input. Idempotent: a file whose bytes the center already holds changes
nothing; other bytes for the same letter, metric and day replace the old reading and are
reported as a correction. Every refused file is reported with its file and line.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tarfile
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from multiprocessing import get_context
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core import rssac002 as R
from dnscc.core.errors import InputError, Location, NotFoundError
from dnscc.rootinfo import figures, periods, sizes
from dnscc.rootinfo.models import DailyFile, IngestRun, SizeMonth
from dnscc.rootinfo.prepare import Prepared, prepare_many

BATCH = 500  # files per parse task and per transaction
POOL_FROM = 2_000  # fewer files are parsed in this process: a pool costs a second to start
MAX_LISTED = 500  # problems and corrections kept on the run (the counts are complete)
SUFFIXES = (".yaml", ".yml")


@dataclass
class Tally:
    """What one ingestion did so far (kept on its IngestRun at the end)."""

    new: int = 0
    unchanged: int = 0
    corrected: int = 0
    rejected: int = 0
    notes: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    months: set[tuple[str, date]] = field(default_factory=set)
    days: set[date] = field(default_factory=set)  # days whose figures changed

    def refuse(self, exc: InputError) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(exc.as_dict())


Item = tuple[str, str, bytes | str]  # name for the parser, source shown, bytes or a path


# --- where files come from ----------------------------------------------------------------


def _directory_items(root: Path) -> Iterator[Item]:
    """The YAML files under `root` in a stable order; symbolic links are not followed."""
    for here, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(SUFFIXES):
                path = Path(here) / f
                if path.is_symlink():
                    continue
                yield str(path.relative_to(root)), str(path), str(path)


def _member_problem(member: tarfile.TarInfo) -> str | None:
    name = member.name
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return "path outside the archive's root: refused"
    if not member.isfile():
        kind = "link" if member.issym() or member.islnk() else "special file"
        return f"a {kind}, not a file: refused"
    return None


def _tarball_items(fileobj: IO[bytes], label: str, tally: Tally) -> Iterator[Item]:
    """The YAML members of a tarball, read as a stream (gzip, bzip2, xz or none); members
    with paths outside the archive's root, links and devices are refused and reported."""
    try:
        with tarfile.open(fileobj=fileobj, mode="r|*") as tar:
            for member in tar:
                if not member.name.lower().endswith(SUFFIXES):
                    continue
                why = _member_problem(member)
                if why is not None:
                    tally.refuse(InputError(why, location=Location(file=member.name)))
                    continue
                fh = tar.extractfile(member)
                if fh is None:  # pragma: no cover - isfile() members have data
                    continue
                # Read at most the bound + 1: the parser refuses a larger file by its line.
                data = fh.read(R.MAX_FILE_BYTES + 1)
                yield member.name, f"{label}:{member.name}", data
    except (tarfile.TarError, EOFError, OSError) as exc:
        tally.refuse(
            InputError(
                f"the archive is damaged or not a tarball: {exc}",
                location=Location(file=label),
            )
        )


def _is_tarball(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except OSError:
        return False


# --- parsing, possibly on several processes --------------------------------------------------


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    batch: list[Item] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed(items: Iterable[Item], *, jobs: int) -> Iterator[list[Prepared | InputError]]:
    """The parse results batch by batch, in input order. With `jobs` > 1 and enough files,
    batches are parsed on a pool of processes while this one stores the previous ones."""
    stream = iter(items)
    head = list(itertools.islice(stream, POOL_FROM if jobs > 1 else 0))
    if jobs <= 1 or len(head) < POOL_FROM:
        for batch in _batches(itertools.chain(head, stream), BATCH):
            yield prepare_many(batch)
        return
    items = itertools.chain(head, stream)
    # spawn, not fork: a forked child would share this process's database connections.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        pending: deque[Future[list[Prepared | InputError]]] = deque()
        for batch in _batches(items, BATCH):
            pending.append(pool.submit(prepare_many, batch))
            if len(pending) > 2 * jobs:  # bounded read-ahead: memory stays flat
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# --- storing ----------------------------------------------------------------------------------


def _store(docs: list[Prepared], tally: Tally, now: datetime) -> None:
    """Store one batch of files read: new ones inserted, changed ones replaced (a
    correction), the same bytes again skipped; LetterDay columns follow. One transaction,
    a few statements (executemany): the batch's rows are already JSON (prepare.py)."""
    latest: dict[tuple[str, str, date], Prepared] = {}
    for doc in docs:
        key = (doc.letter, doc.metric, doc.day)
        earlier = latest.get(key)
        if earlier is not None and earlier.sha256 != doc.sha256:
            _correction(tally, doc, earlier.source)
        latest[key] = doc
    if not latest:
        return
    days = [k[2] for k in latest]
    metrics = {k[1] for k in latest}
    existing = {
        (letter, metric, day): (pk, sha, source)
        for pk, letter, metric, day, sha, source in DailyFile.objects.filter(
            metric__in=metrics, day__gte=min(days), day__lte=max(days)
        ).values_list("pk", "letter", "metric", "day", "sha256", "source")
    }
    ops = connection.ops
    at = ops.adapt_datetimefield_value(now)
    new: list[tuple[object, ...]] = []
    changed: list[tuple[object, ...]] = []
    stored: list[Prepared] = []
    for key, doc in latest.items():
        tally.notes += doc.notes_count
        old = existing.get(key)
        if old is not None and old[1] == doc.sha256:
            tally.unchanged += 1
            continue
        stored.append(doc)
        if old is None:
            new.append(
                (
                    doc.letter,
                    doc.metric,
                    ops.adapt_datefield_value(doc.day),
                    doc.version,
                    doc.values,
                    doc.extras,
                    doc.notes,
                    doc.sha256,
                    doc.source,
                    at,
                )
            )
        else:
            changed.append(
                (doc.version, doc.values, doc.extras, doc.notes, doc.sha256, doc.source, at, old[0])
            )
            _correction(tally, doc, old[2])
    table = ops.quote_name(DailyFile._meta.db_table)
    values = ops.quote_name("values")
    j = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    with transaction.atomic(), connection.cursor() as cursor:
        if new:
            cursor.executemany(
                f"INSERT INTO {table} (letter, metric, day, version, {values}, extras, notes, "  # noqa: S608 - names from the model, values bound
                f"sha256, source, ingested_at, corrections) "
                f"VALUES (%s, %s, %s, %s, {j}, {j}, {j}, %s, %s, %s, 0)",
                new,
            )
            tally.new += len(new)
        if changed:
            cursor.executemany(
                f"UPDATE {table} SET version = %s, {values} = {j}, extras = {j}, notes = {j}, "  # noqa: S608 - names from the model, values bound
                "sha256 = %s, source = %s, ingested_at = %s, corrections = corrections + 1 "
                "WHERE id = %s",
                changed,
            )
        figures.store_letter_days(cursor, stored)
    for doc in stored:
        if doc.metric == "traffic-sizes" and doc.letter:
            tally.months.add((doc.letter, doc.day.replace(day=1)))
        elif doc.columns is not None:
            tally.days.add(doc.day)


def _correction(tally: Tally, doc: Prepared, replaced: str) -> None:
    tally.corrected += 1
    if len(tally.corrections) < MAX_LISTED:
        tally.corrections.append(
            {
                "letter": doc.letter,
                "metric": doc.metric,
                "day": doc.day.isoformat(),
                "file": doc.source,
                "replaced": replaced,
            }
        )


def _store_months(months: set[tuple[str, date]]) -> None:
    """Recompute the monthly size histograms of the months a run touched, and the sum of
    the letters' of each such month (letter "", what the system-wide plot reads)."""
    for letter, month in sorted(months):
        end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        values = DailyFile.objects.filter(
            letter=letter, metric="traffic-sizes", day__gte=month, day__lt=end
        ).values_list("values", flat=True)
        days = list(values)
        SizeMonth.objects.update_or_create(
            letter=letter,
            month=month,
            defaults={"days": len(days), "histograms": sizes.month_histograms(days)},
        )
    for month in sorted({m for _, m in months}):
        total: dict[str, list[int]] = {}
        count = 0
        for days, hists in (
            SizeMonth.objects.filter(month=month)
            .exclude(letter="")
            .values_list("days", "histograms")
        ):
            count += days
            for name, hist in hists.items():
                total[name] = sizes.add(total.get(name), hist)
        SizeMonth.objects.update_or_create(
            letter="", month=month, defaults={"days": count, "histograms": total}
        )


# --- the entry points ---------------------------------------------------------------------------


def ingest(
    target: str | Path,
    *,
    actor: audit.Actor = audit.SYSTEM,
    jobs: int | None = None,
    ca_file: str | None = None,
    now: datetime | None = None,
    scan: bool = True,
) -> IngestRun:
    """Ingest a file, a directory tree, a tarball or an HTTPS URL; the run, with what it
    kept, replaced and refused. Refused files do not stop the run."""
    text = str(target)
    if text.startswith(("https://", "http://")):
        from dnscc.rootinfo.fetch import download

        with tempfile.TemporaryDirectory(prefix="dnscc-rssac002-") as tmp:
            local = download(text, Path(tmp), ca_file=ca_file)
            kind = "tarball" if _is_tarball(local) else "file"
            return _run(local, text, "url", kind, actor=actor, jobs=jobs, now=now, scan=scan)
    path = Path(target)
    if not path.exists():
        raise NotFoundError(f"no file or directory {text!r}")
    if path.is_dir():
        return _run(
            path, text, "directory", "directory", actor=actor, jobs=jobs, now=now, scan=scan
        )
    kind = "tarball" if _is_tarball(path) else "file"
    return _run(path, text, kind, kind, actor=actor, jobs=jobs, now=now, scan=scan)


def ingest_upload(
    name: str, stream: IO[bytes], *, actor: audit.Actor, now: datetime | None = None
) -> IngestRun:
    """Ingest an uploaded YAML file or tarball (the portal and the API)."""
    with tempfile.TemporaryDirectory(prefix="dnscc-rssac002-") as tmp:
        local = Path(tmp) / (Path(name).name or "upload")
        with local.open("wb") as out:
            while chunk := stream.read(1 << 20):
                out.write(chunk)
        kind = "tarball" if _is_tarball(local) else "file"
        return _run(local, name, "upload", kind, actor=actor, jobs=1, now=now)


def _run(
    path: Path,
    label: str,
    kind: str,
    shape: str,
    *,
    actor: audit.Actor,
    jobs: int | None,
    now: datetime | None,
    scan: bool = True,
) -> IngestRun:
    now = now or timezone.now()
    run = IngestRun.objects.create(source=label[:500], kind=kind, actor=actor.name, started_at=now)
    tally = Tally()
    workers = jobs if jobs is not None else min(4, os.cpu_count() or 1)
    try:
        with contextlib.ExitStack() as stack:
            items: Iterable[Item]
            if shape == "directory":
                items = _directory_items(path)
            elif shape == "tarball":
                items = _tarball_items(stack.enter_context(path.open("rb")), label, tally)
            else:
                items = [(path.name if kind in ("url", "upload") else str(path), label, str(path))]
            for results in _parsed(items, jobs=workers):
                docs: list[Prepared] = []
                for r in results:
                    if isinstance(r, InputError):
                        tally.refuse(r)
                    else:
                        docs.append(r)
                _store(docs, tally, now)
        _store_months(tally.months)
        periods.refresh(tally.days)
        if scan:
            from dnscc.rootinfo.anomalies import scan_recent

            scan_recent(tally.days, now=now)
    except Exception as exc:
        _finish(run, tally, error=f"{type(exc).__name__}: {exc}", actor=actor)
        raise
    return _finish(run, tally, actor=actor)


def _finish(run: IngestRun, tally: Tally, *, actor: audit.Actor, error: str = "") -> IngestRun:
    run.state = IngestRun.FAILED if error else IngestRun.DONE
    run.finished_at = timezone.now()
    run.files_new, run.files_unchanged = tally.new, tally.unchanged
    run.files_corrected, run.files_rejected = tally.corrected, tally.rejected
    run.notes, run.problems, run.corrections = tally.notes, tally.problems, tally.corrections
    run.error = error[:5000]
    with transaction.atomic():
        run.save()
        audit.record(
            actor,
            "rootinfo.ingest",
            obj=run,
            summary=(
                f"RSSAC002 from {run.source[:120]}: {run.files_new} new, "
                f"{run.files_corrected} corrected, {run.files_unchanged} unchanged, "
                f"{run.files_rejected} refused"
            ),
            data={"kind": run.kind, "state": run.state},
        )
    return run
