"""The second factor, enforced for every portal page and session API call in one place."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect

from dnscc.accounts import twofactor

# What an unverified session may still reach: logging in and out, the code page, static
# files; and, for an account that has no second factor yet, the enrolment page.
ALWAYS = ("/login/", "/logout/", "/static/", "/report/", "/.well-known/")
ENROL = "/account/security/"


class SecondFactorMiddleware:
    """After django-otp's OTPMiddleware: a logged-in session that is not verified goes to
    the code page when the account has an authenticator, or to enrolment when its role must
    have one (DNSCC_2FA_ROLES). Session calls to the API get 401/403 JSON instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or request.path.startswith(ALWAYS)
        ):
            return self.get_response(request)
        api = request.path.startswith("/api/")
        if api and "HTTP_AUTHORIZATION" in request.META:
            return self.get_response(request)  # a bearer token authenticates this call
        if twofactor.has_device(user):
            if api:
                return JsonResponse(
                    {"detail": "second factor required: give your code at /login/verify/"},
                    status=401,
                )
            return redirect(f"/login/verify/?{urlencode({'next': request.get_full_path()})}")
        if twofactor.required(user) and not request.path.startswith(ENROL):
            if api:
                return JsonResponse(
                    {"detail": "your role needs a second factor: enrol at /account/security/"},
                    status=403,
                )
            return redirect(f"{ENROL}?required=1")
        return self.get_response(request)
