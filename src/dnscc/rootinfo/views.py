"""Portal pages of the root server information space: the system at a glance with its
plots over a date range, a page per letter, an anomaly with its series, exports, and the
ingestion of new files (staff)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from dnscc.accounts import audit
from dnscc.core.errors import DnsccError
from dnscc.core.rssac002 import LETTERS
from dnscc.rootinfo import access, figures, plots
from dnscc.rootinfo.anomalies import operator_name, profile
from dnscc.rootinfo.models import Anomaly, DailyFile, IngestRun, LetterDay
from dnscc.web.access import role_required

DEFAULT_DAYS = 90
MAX_EXPORT_DAYS = 3700


def _gate(request: HttpRequest) -> None:
    if not access.may_view(request.viewer):  # type: ignore[attr-defined]
        raise DjangoPermissionDenied(
            "The root server information space is for center staff and root server operators."
        )


def date_range(request: HttpRequest) -> tuple[date, date, list[str]]:
    """The range asked for (?from=&to=), else the last 90 days with data; problems named."""
    problems = []
    known = figures.data_range()
    last = known[1] if known else date.today()
    first = max(known[0], last - timedelta(days=DEFAULT_DAYS - 1)) if known else last
    asked = {}
    for key in ("from", "to"):
        raw = request.GET.get(key, "").strip()
        if raw:
            try:
                asked[key] = date.fromisoformat(raw)
            except ValueError:
                problems.append(f"{key}: {raw!r} is not a date (YYYY-MM-DD)")
    first = asked.get("from", first)
    last = asked.get("to", last)
    if first > last:
        problems.append("from is after to: the two were swapped")
        first, last = last, first
    return first, last, problems


@role_required()
def system(request: HttpRequest) -> HttpResponse:
    _gate(request)
    first, last, problems = date_range(request)
    for p in problems:
        messages.error(request, p)
    latest = figures.latest_per_letter()
    rows = []
    for letter in LETTERS:
        info = latest.get(letter)
        rows.append({"letter": letter, "operator": operator_name(letter), "info": info})
    recent = Anomaly.objects.select_related("alert").order_by("-day", "letter")[:20]
    return render(
        request,
        "rootinfo/system.html",
        {
            "rows": rows,
            "first": first,
            "last": last,
            "plots": {k: mark_safe(v) for k, v in plots.system_plots(first, last).items()},  # noqa: S308 - SVG built by core.charts, text escaped
            "anomalies": recent,
            "run": IngestRun.objects.first(),
            "known": figures.data_range(),
            "tlp": access.RSSAC002_TLP,
            "measurements_tlp": access.MEASUREMENTS_TLP,
            "is_staff": request.viewer.is_staff,  # type: ignore[attr-defined]
        },
    )


@role_required()
def letter(request: HttpRequest, letter: str) -> HttpResponse:
    _gate(request)
    letter = letter.lower()
    if len(letter) != 1 or letter not in LETTERS:
        raise Http404
    first, last, problems = date_range(request)
    for p in problems:
        messages.error(request, p)
    days = list(LetterDay.objects.filter(letter=letter, day__gte=first, day__lte=last))
    latest_files = DailyFile.objects.filter(letter=letter).order_by("metric", "-day").distinct()
    newest: dict[str, DailyFile] = {}
    for f in latest_files:
        newest.setdefault(f.metric, f)
    from dnscc.rootinfo import rssac047

    return render(
        request,
        "rootinfo/letter.html",
        {
            "letter": letter,
            "operator": operator_name(letter),
            "first": first,
            "last": last,
            "days": [
                {
                    "row": d,
                    "queries": figures.total(d, figures.QUERY_COLUMNS),
                    "responses": figures.total(d, figures.RESPONSE_COLUMNS),
                }
                for d in reversed(days)
            ],
            "plots": {k: mark_safe(v) for k, v in plots.letter_plots(letter, first, last).items()},  # noqa: S308 - SVG built by core.charts, text escaped
            "files": sorted(newest.values(), key=lambda f: f.metric),
            "anomalies": Anomaly.objects.filter(letter=letter).order_by("-day")[:50],
            "measured": rssac047.latest_summary(letter),
            "tlp": access.RSSAC002_TLP,
            "measurements_tlp": access.MEASUREMENTS_TLP,
        },
    )


@role_required()
def anomaly(request: HttpRequest, letter: str, series: str, day: str) -> HttpResponse:
    _gate(request)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    who = "" if letter == "system" else letter.lower()
    row = (
        Anomaly.objects.filter(letter=who, series=series, day=when).select_related("alert").first()
    )
    if row is None:
        raise Http404
    prof = profile()
    window = prof.baseline.window_days
    first, last = when - timedelta(days=window), when + timedelta(days=14)
    if who:
        rule = next((r for r in prof.rules if r.name == series), None)
        if rule is None:
            raise Http404
        svg, table = plots.anomaly_plot(who, rule, first, last)
        others: list[Anomaly] = []
    else:
        svg, table = plots.system_anomaly_plot(row.letters, first, last)
        others = list(Anomaly.objects.filter(day=when, letter__in=row.letters))
    return render(
        request,
        "rootinfo/anomaly.html",
        {
            "a": row,
            "letter": who,
            "operator": operator_name(who) if who else "",
            "plot": mark_safe(svg),  # noqa: S308 - SVG built by core.charts, text escaped
            "table": table,
            "others": others,
            "window": window,
        },
    )


@role_required()
def export(request: HttpRequest) -> HttpResponse:
    """The daily figures of the letters over a range, as CSV or JSON (TLP:CLEAR data)."""
    _gate(request)
    first, last, problems = date_range(request)
    if problems:
        return HttpResponse("; ".join(problems), status=400, content_type="text/plain")
    if (last - first).days > MAX_EXPORT_DAYS:
        return HttpResponse(
            f"at most {MAX_EXPORT_DAYS} days per export", status=400, content_type="text/plain"
        )
    fmt = request.GET.get("format", "csv")
    if fmt not in ("csv", "json"):
        return HttpResponse("format: csv or json", status=400, content_type="text/plain")
    wanted = request.GET.get("letter", "").lower()
    rows = export_rows(first, last, letters=wanted or LETTERS)
    audit.disclosed(
        audit.Actor.of(request.user),
        "rootinfo.letterday",
        how="export",
        first=first.isoformat(),
        last=last.isoformat(),
        rows=len(rows),
    )
    name = f"rssac002-{first}-{last}.{fmt}"
    if fmt == "json":
        body = json.dumps({"tlp": access.RSSAC002_TLP.label, "days": rows}, default=str)
        response = HttpResponse(body, content_type="application/json")
    else:
        response = HttpResponse(to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


EXPORT_COLUMNS = [
    "letter",
    "day",
    *figures.QUERY_COLUMNS,
    *figures.RESPONSE_COLUMNS,
    *figures.RCODE_COLUMNS,
    "rcode_total",
    *figures.SOURCE_COLUMNS,
    *figures.LOAD_COLUMNS,
]


def export_rows(first: date, last: date, *, letters: str = LETTERS) -> list[dict[str, Any]]:
    qs = LetterDay.objects.filter(day__gte=first, day__lte=last, letter__in=list(letters))
    return list(qs.order_by("day", "letter").values(*EXPORT_COLUMNS))


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    return out.getvalue()


@require_http_methods(["GET", "POST"])
@role_required(staff=True)
def ingest(request: HttpRequest) -> HttpResponse:
    """Staff: upload a file or tarball, or give an HTTPS URL to fetch (in the background)."""
    if request.method == "POST":
        actor = audit.Actor.of(request.user)
        try:
            if request.FILES.get("file"):
                from dnscc.rootinfo.ingest import ingest_upload

                upload = request.FILES["file"]
                run = ingest_upload(upload.name or "upload", upload, actor=actor)
                messages.success(
                    request,
                    f"{run.files_new} new, {run.files_corrected} corrected, "
                    f"{run.files_unchanged} unchanged, {run.files_rejected} refused.",
                )
            elif request.POST.get("url", "").strip():
                from dnscc.rootinfo.tasks import ingest_url_task

                url = request.POST["url"].strip()
                if not url.startswith("https://"):
                    raise DnsccError("only https:// URLs are fetched")
                ingest_url_task.enqueue(url=url, actor=actor.name)
                messages.success(request, f"Fetching {url} in the background.")
            else:
                messages.error(request, "Choose a file or give an HTTPS URL.")
        except DnsccError as exc:
            messages.error(request, exc.message)
        return redirect("rootinfo:ingest")
    return render(request, "rootinfo/ingest.html", {"runs": IngestRun.objects.all()[:30]})
