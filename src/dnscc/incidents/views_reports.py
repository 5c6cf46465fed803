"""Staff pages of intake: the triage list of reports and one report with its decisions.

/incidents/reports/                  the list (state, desk, source filters; htmx rows)
/incidents/reports/<id>/             one report
/incidents/reports/<id>/<action>     POST open | merge | link | reject
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from dnscc.accounts import audit
from dnscc.accounts.models import REGION_CHOICES, Account
from dnscc.core.errors import DnsccError, NotFoundError, ValidationErrors
from dnscc.core.exercise_mark import wants_exercises
from dnscc.incidents import intake
from dnscc.incidents.models import Report
from dnscc.web.access import role_required

STATES = [("open", "To triage"), *Report.STATE_CHOICES[1:], ("all", "All")]


def _errors(request: HttpRequest, exc: DnsccError) -> None:
    if isinstance(exc, ValidationErrors):
        for e in exc.errors[:20]:
            messages.error(request, str(e))
    else:
        messages.error(request, str(exc))


@role_required(staff=True)
def report_list(request: HttpRequest) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    g = request.GET
    state = g.get("state", "open")
    desk = g.get("desk", "mine")
    account = Account.objects.filter(user_id=viewer.user_id).first()
    my_desks = list(account.desks) if account else []
    chosen = "" if desk in ("all", "") else desk
    show_exercises = wants_exercises(g)
    rows = intake.search_reports(
        viewer, state=state, source=g.get("source", ""), exercises=show_exercises
    )
    if desk == "mine" and my_desks:
        # Reports not routed yet (no rota) reach every desk.
        rows = [r for r in rows if r.desk in (*my_desks, "")]
    elif chosen and chosen != "mine":
        rows = [r for r in rows if r.desk in (chosen, "")]
    audit.disclosed(
        audit.Actor.of(request.user), "incidents.report", ids=[r.pk for r in rows], how="view"
    )
    context = {
        "rows": rows,
        "state": state,
        "desk": desk,
        "source": g.get("source", ""),
        "exercises": show_exercises,
        "states": STATES,
        "desks": REGION_CHOICES,
        "sources": Report.SOURCE_CHOICES,
        "my_desks": my_desks,
    }
    if request.headers.get("HX-Request"):
        return render(request, "incidents/report_rows.html", context)
    return render(request, "incidents/report_list.html", context)


@role_required(staff=True)
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    try:
        report = intake.get_report(viewer, pk)
    except NotFoundError:
        raise Http404 from None
    audit.disclosed(audit.Actor.of(request.user), "incidents.report", ids=[report.pk])
    return render(
        request,
        "incidents/report_page.html",
        {"report": report, "decided": report.state != Report.NEW},
    )


@require_POST
@role_required(staff=True)
def report_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = request.viewer  # type: ignore[attr-defined]
    actor = audit.Actor.of(request.user)
    if action not in ("open", "merge", "link", "reject"):
        raise Http404
    try:
        report = intake.get_report(viewer, pk)
    except NotFoundError:
        raise Http404 from None
    p = request.POST
    try:
        if action == "open":
            data = {k: p.get(k, "") for k in ("impact", "urgency")}
            incident = intake.open_report(viewer, actor, report, data, user=request.user)
            messages.success(request, f"Report opened as {incident.ref}.")
        elif action == "merge":
            incident = intake.merge_report(viewer, actor, report, p.get("ref", ""))
            messages.success(request, f"Report merged into {incident.ref}.")
        elif action == "link":
            incident = intake.link_report(viewer, actor, report, p.get("ref", ""))
            messages.success(request, f"Report linked to {incident.ref}.")
        else:
            intake.reject_report(viewer, actor, report, p.get("reason", ""))
            messages.success(request, "Report rejected; the reporter sees the reason.")
    except NotImplementedError:
        messages.error(request, "This decision is not available yet (incident services).")
    except DnsccError as exc:
        _errors(request, exc)
    return redirect("incidents:report", pk=pk)


patterns: list[URLPattern] = [
    path("reports/", report_list, name="reports"),
    path("reports/<int:pk>/", report_page, name="report"),
    path("reports/<int:pk>/<str:action>", report_action, name="report_action"),
]
