"""Authentication events go to the audit log: logins, logouts and failed attempts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent


def _ip(request: Any) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(
        audit.Actor.of(user),
        "auth.login",
        kind=AuditEvent.AUTH,
        obj=user,
        data={"ip": _ip(request)},
    )


def logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(audit.Actor.of(user), "auth.logout", kind=AuditEvent.AUTH, obj=user)


def login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    audit.record(
        audit.Actor(f"anonymous@{_ip(request)}" if request is not None else "anonymous"),
        "auth.login_failed",
        kind=AuditEvent.AUTH,
        object_type="auth.user",
        object_id=username,
        data={"ip": _ip(request)},
    )


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="dnscc-audit-login")
    user_logged_out.connect(logged_out, dispatch_uid="dnscc-audit-logout")
    user_login_failed.connect(login_failed, dispatch_uid="dnscc-audit-login-failed")
