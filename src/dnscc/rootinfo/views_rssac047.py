"""The center's RSSAC047 measurements: the months measured and a monthly report per letter
and for the system, as HTML and CSV (TLP:GREEN: shared with the root operators)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from dnscc.accounts import audit
from dnscc.core.errors import InputError
from dnscc.rootinfo import access, rssac047
from dnscc.rootinfo.anomalies import operator_name
from dnscc.rootinfo.views import _gate
from dnscc.web.access import role_required


@role_required()
def reports(request: HttpRequest) -> HttpResponse:
    _gate(request)
    return render(
        request,
        "rootinfo/rssac047_list.html",
        {
            "months": rssac047.months(),
            "latest": [
                (letter, operator_name(letter), rssac047.latest_summary(letter))
                for letter in "abcdefghijklm"
            ],
            "tlp": access.MEASUREMENTS_TLP,
            "rsi": rssac047.RSI,
            "rss": rssac047.RSS,
        },
    )


def _report(request: HttpRequest, month: str) -> rssac047.Report:
    _gate(request)
    try:
        start = rssac047.parse_month(month)
    except InputError:
        raise Http404 from None
    report = rssac047.month_report(start)
    if not report.rows:
        raise Http404
    return report


@role_required()
def report(request: HttpRequest, month: str) -> HttpResponse:
    r = _report(request, month)
    return render(
        request,
        "rootinfo/rssac047_report.html",
        {"report": r, "tlp": access.MEASUREMENTS_TLP, "operator": operator_name},
    )


@role_required()
def report_csv(request: HttpRequest, month: str) -> HttpResponse:
    r = _report(request, month)
    audit.disclosed(audit.Actor.of(request.user), "rootinfo.rssac047", ids=[r.label], how="export")
    response = HttpResponse(rssac047.report_csv(r), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="rssac047-{r.label}.csv"'
    return response
