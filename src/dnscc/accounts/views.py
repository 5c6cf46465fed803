from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dnscc.accounts import anchor, services
from dnscc.accounts.models import ApiToken, AuditEvent
from dnscc.core.errors import DnsccError
from dnscc.web.access import role_required

MAX_FAILED_LOGINS = 10
LOCKOUT = timedelta(minutes=15)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuse a user name after MAX_FAILED_LOGINS failures in LOCKOUT, counted from the
    audit log so that every web process sees the same count."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your user name and password did not match. Please try again.",
    }

    def clean(self) -> dict[str, object]:
        username = (self.data.get("username") or "")[:150]
        recent = AuditEvent.objects.filter(
            action="auth.login_failed", object_id=username, at__gte=timezone.now() - LOCKOUT
        ).count()
        if username and recent >= MAX_FAILED_LOGINS:
            raise ValidationError(
                "Too many failed attempts for this user name. Try again in 15 minutes.",
                code="throttled",
            )
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm


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
