from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from dnscc.accounts import anchor, audit, passkeys, services, throttle, twofactor
from dnscc.accounts.models import ApiToken, AuditEvent
from dnscc.core.errors import DnsccError, InputError, Location
from dnscc.core.inputguard import load_json
from dnscc.web.access import role_required


class ThrottledAuthenticationForm(AuthenticationForm):
    """The password step, slowed per account, per client address and for the whole center
    (accounts.throttle). The account is the normalised name authentication looks up, so
    spelling variants share one count. While an account is delayed its owner may unlock it
    at once with a second-factor code (`otp_token`)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your user name and password did not match. Please try again.",
    }

    otp_token = forms.CharField(required=False, max_length=64, strip=True)

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.account_delayed = False
        self.unlocked_by: Any = None

    def _ip(self) -> str:
        return str(self.request.META.get("REMOTE_ADDR", "")) if self.request else ""

    def clean(self) -> dict[str, Any]:
        username = str(self.cleaned_data.get("username") or "")  # stripped, NFKC-normalised
        keys = throttle.Keys.of(username, self._ip())
        wait = throttle.address_wait(keys)
        if wait:
            raise ValidationError(
                f"Too many failed attempts from your address. Try again in {throttle.human(wait)}.",
                code="throttled",
            )
        account_wait = throttle.account_wait(keys) if username else 0.0
        if account_wait:
            self.account_delayed = True
            if not self._unlock(username):
                throttle.failed(keys)
                raise ValidationError(
                    "Too many failed attempts for this account. Try again in "
                    f"{throttle.human(account_wait)}, or give a code from your authenticator "
                    "app (or a recovery code) to unlock it now.",
                    code="throttled",
                )
        try:
            cleaned = super().clean()
        except ValidationError as exc:
            if exc.code == "invalid_login":
                throttle.failed(keys)
            raise
        throttle.succeeded(keys)
        return cleaned

    def _unlock(self, username: str) -> bool:
        """The account's own second factor (with its password, checked next) unlocks it."""
        token = self.cleaned_data.get("otp_token") or ""
        if not token:
            return False
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.check_password(self.cleaned_data.get("password") or ""):
            return False
        self.unlocked_by = twofactor.check(user, token, actor=audit.Actor.of(user), ip=self._ip())
        return self.unlocked_by is not None


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        if form.unlocked_by is not None:
            otp_login(self.request, form.unlocked_by)  # the code given also verifies
        return response


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of logging in: a code from the authenticator app, or a recovery code."""
    if not request.user.is_authenticated:
        return redirect("login")
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    if request.user.is_verified() or not twofactor.has_device(request.user):
        return redirect(next_url)
    error = ""
    if request.method == "POST":
        keys = throttle.Keys.of(request.user.get_username(), request.META.get("REMOTE_ADDR", ""))
        wait = throttle.account_wait(keys)
        if wait:
            error = f"Too many wrong codes. Try again in {throttle.human(wait)}."
        else:
            device = twofactor.check(
                request.user,
                request.POST.get("token", ""),
                actor=audit.Actor.of(request.user),
                ip=request.META.get("REMOTE_ADDR", ""),
            )
            if device is not None:
                otp_login(request, device)
                throttle.succeeded(keys)
                return redirect(next_url)
            throttle.failed(keys)
            error = "That code is not valid. Try again, or use one of your recovery codes."
    return render(
        request,
        "accounts/verify.html",
        {
            "error": error,
            "next": next_url,
            "has_app": twofactor.has_app(request.user),
            "has_passkey": passkeys.has_passkey(request.user),
        },
    )


@role_required()
def security(request: HttpRequest) -> HttpResponse:
    """The account's own security: second factors, recovery codes, password."""
    user = request.user
    actor = audit.Actor.of(user)
    context: dict[str, Any] = {
        "required": twofactor.required(user),
        "codes": request.session.pop("passkey_recovery_codes", None),
        "password_form": PasswordChangeForm(user),
    }
    action = request.POST.get("action", "") if request.method == "POST" else ""
    try:
        if action == "start":
            twofactor.start_totp(user)
        elif action == "confirm":
            context["codes"] = twofactor.confirm_totp(
                user, request.POST.get("token", ""), actor=actor
            )
            # Enrolling proves the factor: this session counts as verified.
            device = twofactor.TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is not None:
                otp_login(request, device)
            messages.success(request, "Authenticator app enrolled. Keep your recovery codes.")
        elif action == "recovery":
            context["codes"] = twofactor.regenerate_recovery_codes(user, actor=actor)
            messages.success(request, "New recovery codes made; the old ones no longer work.")
        elif action == "remove":
            twofactor.remove(user, actor=actor)
            messages.success(
                request,
                "Authenticator app removed."
                if twofactor.has_device(user)
                else "Authenticator app and recovery codes removed.",
            )
        elif action == "remove-passkey":
            name = passkeys.remove(user, _int(request.POST.get("passkey")), actor=actor)
            messages.success(request, f"Passkey {name!r} removed.")
        elif action == "password":
            form = PasswordChangeForm(user, request.POST)
            if form.is_valid():
                form.save()
                update_session_auth_hash(request, form.user)
                audit.record(actor, "auth.password_changed", kind=AuditEvent.AUTH, obj=user)
                messages.success(request, "Password changed.")
                return redirect("security")
            context["password_form"] = form
    except DnsccError as exc:
        messages.error(request, exc.message)
    pending = twofactor.TOTPDevice.objects.filter(user=user, confirmed=False).first()
    context.update(
        has_device=twofactor.has_app(user),
        passkeys=passkeys.passkeys(user),
        pending=twofactor.provisioning(pending)
        if pending and not twofactor.has_app(user)
        else None,
        codes_left=twofactor.recovery_codes_left(user),
        must_enrol=request.GET.get("required") == "1" and not twofactor.has_device(user),
    )
    return render(request, "accounts/security.html", context)


def _int(value: Any) -> int:
    """A row id from a form, 0 when it is not one (no overflow reaches the database)."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 19 else 0


def _json_object(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object, through the one input guard (depth, NUL, encoding)."""
    body = load_json(request.body or b"{}", field="body")
    if not isinstance(body, dict):
        raise InputError("send a JSON object", location=Location(field="body"))
    return body


def _json_error(exc: DnsccError) -> JsonResponse:
    return JsonResponse({"detail": exc.message}, status=400)


@require_POST
@role_required()
def passkey_register_options(request: HttpRequest) -> HttpResponse:
    """The first step of registering a passkey (Security page): options for the browser."""
    return HttpResponse(passkeys.registration_options(request), content_type="application/json")


@require_POST
@role_required()
def passkey_register(request: HttpRequest) -> HttpResponse:
    """The second step: the browser's credential. The session counts as verified (the
    passkey was just used), and a first second factor comes with recovery codes."""
    try:
        body = _json_object(request)
        passkey = passkeys.register(
            request, json.dumps(body.get("credential")), str(body.get("name") or "")
        )
    except DnsccError as exc:
        return _json_error(exc)
    otp_login(request, passkey)
    codes = twofactor.recovery_codes_if_none(request.user, actor=audit.Actor.of(request.user))
    if codes:
        request.session["passkey_recovery_codes"] = codes
    messages.success(request, f"Passkey {passkey.name!r} registered.")
    return JsonResponse({"redirect": reverse("security")})


@require_POST
def passkey_verify_options(request: HttpRequest) -> HttpResponse:
    """The login's second step with a passkey: options naming the account's passkeys."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "log in with your password first"}, status=401)
    if not passkeys.has_passkey(request.user):
        return JsonResponse({"detail": "this account has no passkey"}, status=409)
    return HttpResponse(
        passkeys.authentication_options(request, request.user), content_type="application/json"
    )


@require_POST
def passkey_verify(request: HttpRequest) -> HttpResponse:
    """Check the passkey's signature; the session is then verified. Wrong answers count in
    the one login throttle, like wrong codes."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": "log in with your password first"}, status=401)
    ip = request.META.get("REMOTE_ADDR", "")
    keys = throttle.Keys.of(request.user.get_username(), ip)
    wait = throttle.account_wait(keys)
    if wait:
        return JsonResponse(
            {"detail": f"Too many failed attempts. Try again in {throttle.human(wait)}."},
            status=429,
        )
    next_url = request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    try:
        credential = json.dumps(_json_object(request))
        passkey = passkeys.authenticate(request, request.user, credential, ip=ip)
    except DnsccError as exc:
        throttle.failed(keys)
        return _json_error(exc)
    otp_login(request, passkey)
    throttle.succeeded(keys)
    return JsonResponse({"redirect": next_url})


@role_required()  # deny by default: an account without a role manages no tokens
def tokens(request: HttpRequest) -> HttpResponse:
    """A user's own API tokens: create (the secret is shown once) and revoke."""
    context: dict[str, object] = {
        "tokens": ApiToken.objects.filter(user=request.user),
        "new_secret": None,
    }
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name:
            messages.error(request, "Give the token a name (what will use it).")
        else:
            try:
                token, secret = services.create_token(request.user, name)
            except DnsccError as exc:
                messages.error(request, exc.message)
            else:
                context["new_secret"] = secret
                context["new_token"] = token
    return render(request, "accounts/tokens.html", context)


@require_POST
@role_required()
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.revoke_token(request.user, token_id)
    except DnsccError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Token {token.name!r} revoked.")
    return redirect("tokens")


@role_required(staff=True)
def audit_log(request: HttpRequest) -> HttpResponse:
    events = AuditEvent.objects.order_by("-seq")
    kind = request.GET.get("kind", "")
    if kind in {k for k, _ in AuditEvent.KIND_CHOICES}:
        events = events.filter(kind=kind)
    actor = request.GET.get("actor", "").strip()
    if actor:
        events = events.filter(actor=actor)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    result = anchor.verify_with_anchor() if request.GET.get("verify") else None
    return render(
        request,
        "accounts/audit.html",
        {
            "page": page,
            "kind": kind,
            "actor": actor,
            "kinds": AuditEvent.KIND_CHOICES,
            "verify": result,
        },
    )
