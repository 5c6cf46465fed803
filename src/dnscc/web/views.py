from __future__ import annotations

import logging

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from dnscc.accounts.services import viewer_for
from dnscc.directory import services as directory
from dnscc.web import console
from dnscc.web.access import role_required

log = logging.getLogger(__name__)


@role_required()
def home(request: HttpRequest) -> HttpResponse:
    """Staff land on the duty console; organisations' members on their home page."""
    viewer = viewer_for(request.user)
    if viewer.is_staff:
        return render(
            request,
            "web/console.html",
            {**console.console(viewer), "summary": directory.dashboard_summary(viewer)},
        )
    if not viewer.is_staff and viewer.organization_id:
        from dnscc.web import operator

        return operator.home(request, viewer)  # what the organisation owes, and by when
    context = {"summary": directory.dashboard_summary(viewer)}
    return render(request, "web/home.html", context)


@role_required(staff=True)
@require_GET
def console_lines(request: HttpRequest) -> HttpResponse:
    """The console's lines alone (htmx polls it); the whole page without htmx."""
    viewer = viewer_for(request.user)
    if request.headers.get("HX-Request") != "true":
        return home(request)
    return render(request, "web/_console.html", console.console(viewer))


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness and database reachability for load balancers; reveals nothing else."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        log.exception("health check failed")
        return JsonResponse({"status": "error"}, status=503)
    return JsonResponse({"status": "ok"})


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": text}, status=status)
    else:
        response = render(
            request,
            "web/error.html",
            {"title": title, "text": text, "status": status},
            status=status,
        )
    response.dnscc_page = True  # type: ignore[attr-defined]  # not replaced by ErrorPagesMiddleware
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "Bad request", "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    text = str(exception) if exception and str(exception) else "You may not open this page."
    return _error(request, 403, "Not allowed", text)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Not found", "There is nothing here, or nothing you may see.")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 500, "Something went wrong", "The error was logged. Please try again later."
    )
