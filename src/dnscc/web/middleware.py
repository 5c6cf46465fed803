from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

from dnscc.core.clientaddr import client_address
from dnscc.core.errors import InputError
from dnscc.core.inputguard import check_params

# Only our own origin: htmx and the stylesheet are served from /static/. The OpenAPI docs
# page loads its assets from a CDN, so it is not enabled (the JSON schema is).
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


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
        response.headers.setdefault("Content-Security-Policy", CSP)
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
