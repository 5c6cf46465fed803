from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

# Only our own origin: htmx and the stylesheet are served from /static/. The OpenAPI docs
# page loads its assets from a CDN, so it is not enabled (the JSON schema is).
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


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
