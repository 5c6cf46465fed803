"""The public report form (anonymous, rate-limited), under /report/.

/report/                        the form (GET) and its submission (POST)
/report/sent/                   "check your mail"
/report/confirm/<token>/        GET shows a Confirm button, POST confirms (mail scanners
                                follow GET links and must not confirm for the reporter)
/report/status/<status_token>/  the report's state and, when refused, the reason
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods

from dnscc.core.errors import InputError, NotFoundError, ValidationErrors
from dnscc.core.taxonomy import DNS_TYPES
from dnscc.core.tlp import TLP
from dnscc.incidents import intake

FIELDS = ("reporter_name", "reporter_email", "title", "description", "dns_type", "scope", "tlp")
HONEYPOT = "website"  # hidden from people by a CSS class; robots fill it in
PUBLIC_TLPS = [t for t in TLP if t is not TLP.RED]


def _client_ip(request: HttpRequest) -> str:
    # The client's address: ClientAddressMiddleware took it from X-Forwarded-For when the
    # peer is a trusted proxy (DNSCC_TRUSTED_PROXIES); gunicorn itself does not.
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _form(
    request: HttpRequest, form: dict[str, Any], errors: list[str], status: int = 200
) -> HttpResponse:
    return render(
        request,
        "incidents/public_form.html",
        {
            "form": form,
            "errors": errors,
            "types": list(DNS_TYPES.values()),
            "tlps": PUBLIC_TLPS,
            "max_bytes": intake.report_max_bytes(),
            "honeypot": HONEYPOT,
        },
        status=status,
    )


def _messages(exc: InputError) -> list[str]:
    errors = exc.errors if isinstance(exc, ValidationErrors) else [exc]
    shown = []
    for e in errors[:20]:
        label = (e.location.field or "").replace("reporter_", "").replace("_", " ")
        shown.append(f"{label}: {e.problem}" if label else e.problem)
    return shown


@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form(request, {"tlp": TLP.AMBER.value, "dns_type": "other"}, [])
    limit = intake.report_max_bytes()
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    # Refuse before reading a body that could not make a report anyway.
    if length > 2 * limit + 8192:
        return render(
            request,
            "incidents/public_error.html",
            {
                "title": "Report too large",
                "text": f"The report is {length} bytes, over the limit of {limit} bytes."
                " Shorten the description; evidence can follow once the report is opened.",
            },
            status=413,
        )
    form = {k: request.POST.get(k, "") for k in FIELDS}
    if request.POST.get(HONEYPOT, ""):
        # A robot: answer as for a person, keep nothing.
        return redirect("report:sent")
    try:
        intake.submit_public_report(form, client_ip=_client_ip(request))
    except intake.RateLimited as exc:
        response = render(
            request,
            "incidents/public_error.html",
            {"title": "Too many reports", "text": exc.message},
            status=429,
        )
        response["Retry-After"] = str(int(exc.retry_after) + 1)
        return response
    except InputError as exc:
        return _form(request, form, _messages(exc))
    return redirect("report:sent")


def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/public_sent.html", {"hours": intake.UNCONFIRMED_HOURS})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        if request.method == "GET":
            report = intake.pending_confirmation(token)
            return render(
                request, "incidents/public_confirm.html", {"report": report, "done": False}
            )
        report = intake.confirm_report(token)
    except NotFoundError:
        raise Http404 from None
    return render(
        request,
        "incidents/public_confirm.html",
        {"report": report, "done": True, "status_path": f"/report/status/{report.status_token}/"},
    )


def status(request: HttpRequest, token: str) -> HttpResponse:
    try:
        report = intake.report_by_status_token(token)
    except NotFoundError:
        raise Http404 from None
    return render(request, "incidents/public_status.html", {"report": report})


app_name = "report"
urlpatterns: list[URLPattern] = [
    path("", report_form, name="form"),
    path("sent/", sent, name="sent"),
    path("confirm/<str:token>/", confirm, name="confirm"),
    path("status/<str:token>/", status, name="status"),
]
