"""The root server information API: letters at a glance, daily figures, ingestion runs,
anomalies, RSSAC047 reports. Staff and root server operators' members only."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from dnscc.accounts import audit
from dnscc.accounts.services import require_role, require_staff
from dnscc.core.errors import InputError, Location, NotFoundError
from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo import access, figures, rssac047
from dnscc.rootinfo.anomalies import operator_name
from dnscc.rootinfo.models import Anomaly, IngestRun
from dnscc.rootinfo.views import MAX_EXPORT_DAYS, export_rows, to_csv

router = Router(tags=["rootinfo"])


def _viewer(request: HttpRequest) -> Any:
    viewer = require_role(request.user)
    access.require_view(viewer)
    return viewer


class LetterOut(Schema):
    letter: str
    operator: str
    day: date | None
    queries: int | None
    responses: int | None
    rcodes: dict[str, float]
    sources_ipv4: int | None
    sources_ipv6: int | None
    load_time_max: float | None


class RunOut(Schema):
    id: int
    source: str
    kind: str
    state: str
    started_at: Any
    finished_at: Any
    files_new: int
    files_unchanged: int
    files_corrected: int
    files_rejected: int
    problems: list[dict[str, Any]]
    corrections: list[dict[str, Any]]


class AnomalyOut(Schema):
    letter: str
    series: str
    day: date
    value: float
    baseline: float
    score: float
    method: str
    letters: list[str]
    alert_id: int | None


class UrlIn(Schema):
    url: str


@router.get("/letters", response=list[LetterOut])
def letters(request: HttpRequest) -> list[dict[str, Any]]:
    """The root server letters at a glance: operator, latest RSSAC002 day, open anomalies."""
    _viewer(request)
    latest = figures.latest_per_letter()
    out = []
    for letter in LETTERS:
        info = latest.get(letter)
        out.append(
            {
                "letter": letter,
                "operator": operator_name(letter),
                "day": info["day"] if info else None,
                "queries": info["queries"] if info else None,
                "responses": info["responses"] if info else None,
                "rcodes": dict(info["rcodes"]) if info else {},
                "sources_ipv4": (info["sources"] or {}).get("sources_ipv4") if info else None,
                "sources_ipv6": (info["sources"] or {}).get("sources_ipv6") if info else None,
                "load_time_max": (info["load"] or {}).get("load_time_max") if info else None,
            }
        )
    return out


def _range(first: date | None, last: date | None) -> tuple[date, date]:
    known = figures.data_range()
    if known is None and (first is None or last is None):
        raise NotFoundError("no RSSAC002 figures yet")
    first = first or (known[0] if known else date.today())
    last = last or (known[1] if known else date.today())
    if first > last:
        raise InputError("from is after to", location=Location(field="from"))
    if (last - first).days > MAX_EXPORT_DAYS:
        raise InputError(f"at most {MAX_EXPORT_DAYS} days", location=Location(field="to"))
    return first, last


@router.get("/days")
def days(
    request: HttpRequest,
    start: date | None = None,
    end: date | None = None,
    letter: str = "",
    format: str = "json",
) -> Any:
    """The daily figures of the letters (TLP:CLEAR), as JSON or CSV (format=csv)."""
    viewer = _viewer(request)
    first, last = _range(start, end)
    wanted = letter.lower() or LETTERS
    if any(c not in LETTERS for c in wanted):
        raise InputError(f"unknown letter {letter!r}", location=Location(field="letter"))
    rows = export_rows(first, last, letters=wanted)
    audit.disclosed(
        audit.Actor(request.user.get_username(), viewer.user_id),
        "rootinfo.letterday",
        how="api",
        rows=len(rows),
    )
    if format == "csv":
        return HttpResponse(to_csv(rows), content_type="text/csv; charset=utf-8")
    return {"tlp": access.RSSAC002_TLP.label, "days": rows}


@router.get("/runs", response=list[RunOut])
def runs(request: HttpRequest, limit: int = 50) -> list[IngestRun]:
    """Staff: the latest RSSAC002 ingestion runs with what each read, corrected or refused."""
    require_staff(request.user)
    return list(IngestRun.objects.all()[: max(1, min(limit, 500))])


@router.post("/runs", response={201: RunOut, 202: dict[str, Any]})
def ingest(request: HttpRequest, file: UploadedFile | None = File(None)) -> Any:  # noqa: B008
    """Upload a published file or tarball (multipart `file`), or give {"url": "https://..."}
    to be fetched in the background."""
    require_staff(request.user)
    actor = audit.Actor.of(request.user)
    if file is not None:
        from dnscc.rootinfo.ingest import ingest_upload

        return Status(201, ingest_upload(file.name or "upload", file, actor=actor))
    from dnscc.core import inputguard

    body: Any = {}
    if request.content_type == "application/json":
        # A multipart body without a file has been read already (found by the API fuzzer:
        # request.body raised, a 500); only a JSON body names a URL.
        try:
            body = inputguard.load_json(request.body or b"{}")
        except InputError:
            body = {}
    url = str(body.get("url", "")).strip() if isinstance(body, dict) else ""
    if not url.startswith("https://"):
        raise InputError(
            "give a file (multipart) or an https:// URL", location=Location(field="url")
        )
    from dnscc.rootinfo.tasks import ingest_url_task

    result = ingest_url_task.enqueue(url=url, actor=actor.name)
    return Status(202, {"queued": True, "task": str(result.id), "url": url})


@router.get("/anomalies", response=list[AnomalyOut])
def anomalies(request: HttpRequest, limit: int = 100) -> list[dict[str, Any]]:
    """Anomalies found in the letters' daily figures against their baseline, newest first."""
    _viewer(request)
    return [
        {
            "letter": a.letter,
            "series": a.series,
            "day": a.day,
            "value": a.value,
            "baseline": a.baseline,
            "score": a.score,
            "method": a.method,
            "letters": a.letters,
            "alert_id": a.alert_id,
        }
        for a in Anomaly.objects.all()[: max(1, min(limit, 1000))]
    ]


@router.get("/rssac047/{month}")
def rssac047_report(request: HttpRequest, month: str) -> dict[str, Any]:
    """The monthly RSSAC047 report of our measurements (TLP:GREEN)."""
    _viewer(request)
    report = rssac047.month_report(rssac047.parse_month(month))
    if not report.rows:
        raise NotFoundError(f"no measurements in {month}")
    return {
        "tlp": access.MEASUREMENTS_TLP.label,
        "month": report.label,
        "rounds": report.rounds,
        "rows": [
            {
                "who": row.who,
                "rounds": row.rounds,
                "passed": row.passed,
                "figures": [
                    {
                        "name": f.name,
                        "value": f.value,
                        "unit": f.unit,
                        "threshold": f.threshold,
                        "verdict": f.verdict,
                    }
                    for f in row.figures
                ],
            }
            for row in report.rows
        ],
    }


@router.post("/rounds", response={202: dict[str, Any]})
def measure(request: HttpRequest) -> Status[dict[str, Any]]:
    """Staff: queue a round of RSSAC047 measurements of the root servers."""
    require_staff(request.user)
    from dnscc.rootinfo.tasks import measure_task

    result = measure_task.enqueue()
    return Status(202, {"queued": True, "task": str(result.id)})
