from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve

from dnscc.core.clientaddr import client_address
from dnscc.core.errors import InputError
from dnscc.core.inputguard import check_params

log = logging.getLogger("django.request")

# Only our own origin: htmx and the stylesheet are served from /static/.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
# The API docs page (Swagger UI, served from our own static files) sets style attributes
# from its scripts; scripts stay our own origin only.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
DOCS_PATH = "/api/v1/docs"


class ClientAddressMiddleware:
    """Set REMOTE_ADDR to the client's address, once, for everything after it (rate limits,
    the audit log): the peer's own address, or the one a trusted proxy forwarded
    (DNSCC_TRUSTED_PROXIES; dnscc.core.clientaddr). The peer stays in DNSCC_PEER_ADDR."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        peer = str(request.META.get("REMOTE_ADDR") or "")
        request.META["DNSCC_PEER_ADDR"] = peer
        request.META["REMOTE_ADDR"] = client_address(
            peer, request.META.get("HTTP_X_FORWARDED_FOR"), settings.TRUSTED_PROXIES
        )
        return self.get_response(request)


class InputGuardMiddleware:
    """Refuse a portal request whose query string holds a NUL character (400, the parameter
    named): PostgreSQL cannot store or compare one and failed later, as a 500. Forms are
    checked by the services they reach (core.text), which name the field on the form; the
    API checks bodies and queries through its parser (dnscc.api.GuardedParser)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            try:
                check_params((k, v) for k, values in request.GET.lists() for v in values)
            except InputError as exc:
                return HttpResponse(
                    exc.problem, status=400, content_type="text/plain; charset=utf-8"
                )
        return self.get_response(request)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = DOCS_CSP if request.path == DOCS_PATH else CSP
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


_CAMPAIGN_UPLOAD = re.compile(r"^(/api/v1)?/campaigns/[-\w]+/(names|slices/\d+/outcomes)/?$")
_SHARING_IMPORT = re.compile(r"^(/api/v1)?/sharing/imports/(stix|misp)/?$")


class UploadLimitMiddleware:
    """Refuse a request body larger than DNSCC_MAX_UPLOAD_BYTES before reading it.

    Django bounds form fields but streams file uploads to disk whatever their size; the
    import views check the file's size too, this stops an oversized body at the door."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        allowed, setting = settings.MAX_UPLOAD_BYTES, "DNSCC_MAX_UPLOAD_BYTES"
        if _CAMPAIGN_UPLOAD.match(request.path):
            # Campaign name lists are streamed (never held whole): their own, larger limit.
            allowed, setting = settings.CAMPAIGN_UPLOAD_MAX_BYTES, "DNSCC_CAMPAIGN_UPLOAD_MAX_BYTES"
        elif _SHARING_IMPORT.match(request.path):
            # Partner bundles are streamed too (sharing.imports).
            allowed, setting = settings.SHARING_IMPORT_MAX_BYTES, "DNSCC_SHARING_IMPORT_MAX_BYTES"
        limit = allowed + 64 * 1024  # room for the form's other fields
        if length > limit:
            text = f"The request is {length} bytes, over the limit of {allowed} bytes ({setting})."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": text}, status=413)
            return HttpResponse(text, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class ErrorPagesMiddleware:
    """The portal's own 404, 403 and 500 pages in development mode as well.

    In production (DEBUG off) Django renders them through the handlers in dnscc.urls. With
    DEBUG on it shows its technical pages instead: a 404 lists every URL pattern of the
    center, a 500 the settings and the traceback, to anyone who can reach the server
    (an operator trying the demo included). Here the exceptions of views become our
    pages (a 500 is logged with its traceback, as Django would), and the technical 404 of
    a path that resolves to nothing is replaced by ours."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and not _ours(response):
            try:
                resolve(request.path_info)
            except Resolver404:
                from dnscc.web import views

                return views.not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not settings.DEBUG:
            return None  # Django's handlers (dnscc.urls) render the same pages
        from dnscc.web import views

        if isinstance(exception, Http404):
            return views.not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return views.permission_denied(request, exception)
        log.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"request": request},
        )
        return views.server_error(request)


def _ours(response: HttpResponse) -> bool:
    return bool(getattr(response, "dnscc_page", False)) or not response.get(
        "Content-Type", ""
    ).startswith("text/html")
