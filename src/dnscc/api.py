"""The REST API under /api/v1: one Ninja object, each app contributes a router.

Authentication: `Authorization: Bearer <token>` (per-user tokens, stored hashed) or the
portal session (with CSRF for unsafe methods). Errors are JSON with `detail`, and a
DnsccError maps to its HTTP status; no traceback ever reaches a client.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth

from dnscc.accounts.services import authenticate_token
from dnscc.core import inputguard
from dnscc.core.errors import (
    ConflictError,
    DnsccError,
    InputError,
    Location,
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


class CenterSessionAuth(SessionAuth):
    """The portal session. An anonymous caller is told to authenticate (401) before any
    CSRF check: "CSRF check Failed" answered a question nobody asked."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


# Integers beyond 64 bits reach no query (PostgreSQL refuses them: a 500); the schema says so.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _check_ints(value: Any, field: str) -> None:
    """InputError naming the field when a number in `value` is outside 64 bits."""
    stack: list[tuple[str, Any]] = [(field, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if not INT_MIN <= item <= INT_MAX:
                raise InputError(
                    f"{path or 'the number'} is out of range (at most {INT_MAX})",
                    location=Location(field=path or None),
                )
        elif isinstance(item, str):
            digits = item.strip().lstrip("+-")
            if digits.isdigit() and len(digits) > 18 and not INT_MIN <= int(item) <= INT_MAX:
                raise InputError(
                    f"{path} is out of range (at most {INT_MAX})", location=Location(field=path)
                )
        elif isinstance(item, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((path, v) for v in item)


class GuardedParser(Parser):
    """Request bodies and query strings through the one input guard (dnscc.core.inputguard):
    JSON depth, NUL characters, 64-bit integers; each refusal names the field (422)."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = inputguard.load_json(request.body, field="")
        _check_ints(data, "")
        return data  # type: ignore[no-any-return]

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        inputguard.check_params(
            ((k, v) for k, values in data.lists() for v in values if isinstance(v, str)),
            where="form" if data is not request.GET else "query",
        )
        result = super().parse_querydict(data, list_fields, request)
        for key, value in result.items():
            _check_ints(value, key)
        return result


class CenterAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        _bound_integers(schema)
        return schema


def _bound_integers(node: Any) -> None:
    """Every integer in the schema says what the server accepts: 64 bits."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("minimum", INT_MIN)
            node.setdefault("maximum", INT_MAX)
        for value in node.values():
            _bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            _bound_integers(value)


api = CenterAPI(
    title="dnscc API",
    version="1",
    description="DNS security coordination center. Authenticate with `Authorization: Bearer`.",
    urls_namespace="api",
    auth=[TokenAuth(), CenterSessionAuth(csrf=True)],
    # Swagger UI from ninja's own static files (ninja is an installed app), never a CDN:
    # public like the schema it reads (it describes the API and holds no data).
    docs=Swagger(settings={"persistAuthorization": False}),
    docs_url="/docs",
    parser=GuardedParser(),
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
    if isinstance(exc.__cause__, DnsccError):
        # Ninja wraps what the body parser raised as "Cannot parse request body": the guard's
        # own message says what and where.
        return dnscc_error(request, exc.__cause__)
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.exception_handler(MultiPartParserError)
def bad_multipart(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    # e.g. multipart/form-data without a boundary: the client's mistake, not ours.
    return api.create_response(
        request,
        {"detail": f"the multipart body cannot be read: {exc}"[:300]},
        status=400,
    )


@api.exception_handler(Exception)
def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unexpected API error on %s", request.path)
    return api.create_response(request, {"detail": "internal error; it was logged"}, status=500)


def _add_routers() -> None:
    from dnscc.accounts.api import router as accounts
    from dnscc.campaigns.api import router as campaigns
    from dnscc.directory.api import router as directory
    from dnscc.exercises.api import router as exercises
    from dnscc.incidents.api import router as incidents
    from dnscc.incidents.api_desks import router as desks
    from dnscc.incidents.api_reports import router as reports
    from dnscc.metrics.api import router as metrics
    from dnscc.monitoring.api import router as monitoring
    from dnscc.outreach.api import router as outreach
    from dnscc.risk.api import router as risk
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
    api.add_router("/risk/", risk)
    api.add_router("/exercises/", exercises)
    api.add_router("/metrics/", metrics)


_add_routers()
