"""The REST API under /api/v1: one Ninja object, each app contributes a router.

Authentication: `Authorization: Bearer <token>` (per-user tokens, stored hashed) or the
portal session (with CSRF for unsafe methods). Errors are JSON with `detail`, and a
DnsccError maps to its HTTP status; no traceback ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from dnscc.accounts.services import authenticate_token
from dnscc.core.errors import (
    ConflictError,
    DnsccError,
    InputError,
    NotFoundError,
    PermissionDenied,
    ValidationErrors,
)

log = logging.getLogger(__name__)


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = authenticate_token(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="dnscc API",
    version="1",
    description="DNS security coordination center. Authenticate with `Authorization: Bearer`.",
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth(csrf=True)],
    docs_url=None,
)

_STATUS = {
    NotFoundError: 404,
    PermissionDenied: 403,
    ConflictError: 409,
    InputError: 422,
}


@api.exception_handler(DnsccError)
def dnscc_error(request: HttpRequest, exc: DnsccError) -> HttpResponse:
    status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
    body: dict[str, Any] = {"detail": exc.message}
    if exc.hint:
        body["hint"] = exc.hint
    if isinstance(exc, ValidationErrors):
        body["errors"] = [e.as_dict() for e in exc.errors]
    elif isinstance(exc, InputError):
        body["errors"] = [exc.as_dict()]
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(request, {"detail": "authentication required"}, status=401)


@api.exception_handler(NinjaValidationError)
def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return api.create_response(
        request, {"detail": "invalid request", "errors": exc.errors}, status=422
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unexpected API error on %s", request.path)
    return api.create_response(request, {"detail": "internal error; it was logged"}, status=500)


def _add_routers() -> None:
    from dnscc.accounts.api import router as accounts
    from dnscc.campaigns.api import router as campaigns
    from dnscc.directory.api import router as directory
    from dnscc.incidents.api import router as incidents
    from dnscc.incidents.api_desks import router as desks
    from dnscc.incidents.api_reports import router as reports
    from dnscc.monitoring.api import router as monitoring
    from dnscc.outreach.api import router as outreach
    from dnscc.rootinfo.api import router as rootinfo
    from dnscc.sharing.api import router as sharing

    api.add_router("/", accounts)
    api.add_router("/directory/", directory)
    api.add_router("/monitoring/", monitoring)
    api.add_router("/rootinfo/", rootinfo)
    api.add_router("/outreach/", outreach)
    api.add_router("/incidents/", incidents)
    api.add_router("/reports/", reports)
    api.add_router("/desks/", desks)
    api.add_router("/campaigns/", campaigns)
    api.add_router("/sharing/", sharing)


_add_routers()
