"""Account services: viewers and roles, users, API tokens. Views and the CLI call these."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import REGION_CHOICES, Account, ApiToken
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.text import check_text
from dnscc.core.tlp import Labelled, Role, Viewer, can_see

TOKEN_PREFIX = "dnscc_"  # noqa: S105 - a label, not a secret


def viewer_for(user: Any) -> Viewer:
    """The TLP viewer for a Django user; a user without an account role sees only CLEAR."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Viewer()
    account = getattr(user, "_dnscc_account", None)
    if account is None:
        account = Account.objects.filter(user=user).select_related(None).first()
        user._dnscc_account = account or False
    if not account:
        return Viewer(user_id=user.pk)
    return Viewer(user_id=user.pk, role=Role(account.role), organization_id=account.organization_id)


def visible(user: Any, obj: Labelled) -> bool:
    return can_see(viewer_for(user), obj)


def staff_only(viewer: Viewer, what: str = "do this") -> None:
    """The one refusal of a viewer who is not center staff, naming what was refused."""
    if not viewer.is_staff:
        raise PermissionDenied(f"Only center staff (coordinators and admins) may {what}.")


def require_staff(user: Any) -> Viewer:
    viewer = viewer_for(user)
    staff_only(viewer)
    return viewer


def require_role(user: Any) -> Viewer:
    viewer = viewer_for(user)
    if viewer.role is None:
        raise PermissionDenied("Your account has no role in the center yet.")
    return viewer


def require_admin(user: Any) -> Viewer:
    viewer = viewer_for(user)
    if viewer.role is not Role.ADMIN:
        raise PermissionDenied("Only administrators may do this.")
    return viewer


def create_user(
    username: str,
    *,
    role: str,
    email: str = "",
    password: str | None = None,
    organization: Any = None,
    desks: list[str] | None = None,
    actor: audit.Actor = audit.SYSTEM,
    check_password: bool = True,
) -> Any:
    """Create a user with an account role. Raises InputError/ConflictError with the field."""
    try:
        role_value = Role(role)
    except ValueError:
        raise InputError(
            f"unknown role {role!r}",
            location=Location(field="role"),
            hint=f"use one of: {', '.join(r.value for r in Role)}",
        ) from None
    if role_value in (Role.OPERATOR, Role.PARTNER) and organization is None:
        raise InputError(
            f"a {role_value.value} must belong to an organisation",
            location=Location(field="organization"),
            hint="name the organisation (its slug) the user works for",
        )
    valid_desks = {code for code, _ in REGION_CHOICES}
    for desk in desks or []:
        if desk not in valid_desks:
            raise InputError(
                f"unknown duty desk {desk!r}",
                location=Location(field="desks"),
                hint=f"use ICANN region codes: {', '.join(sorted(valid_desks))}",
            )
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise ConflictError(f"user {username!r} already exists")
    if password and check_password:
        try:
            validate_password(password, user_model(username=username, email=email))
        except ValidationError as exc:
            raise InputError(" ".join(exc.messages), location=Location(field="password")) from None
    with transaction.atomic():
        user = user_model.objects.create_user(username=username, email=email, password=password)
        Account.objects.create(
            user=user, role=role_value.value, organization=organization, desks=desks or []
        )
        audit.record(
            actor,
            "user.create",
            obj=user,
            summary=f"created {username} as {role_value.value}",
            data={"role": role_value.value, "organization": getattr(organization, "pk", None)},
        )
    return user


# --- API tokens -------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: Any, name: str, *, actor: audit.Actor | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns (row, secret). The secret is never stored and shown once."""
    name = check_text(name, field="name", max_length=100, one_line=True) or "API token"
    prefix = secrets.token_hex(6)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name[:100], prefix=prefix, digest=_digest(secret)
        )
        audit.record(
            actor or audit.Actor.of(user), "token.create", obj=token, summary=f"token {name!r}"
        )
    return token, secret


def authenticate_token(secret: str) -> Any | None:
    """The active user a token belongs to, or None. Constant-time digest comparison."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    prefix = secret[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.filter(prefix=prefix).select_related("user").first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if not hmac.compare_digest(token.digest, _digest(secret)):
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(user: Any, token_id: int, *, actor: audit.Actor | None = None) -> ApiToken:
    """Revoke one of `user`'s tokens (admins may revoke anyone's through the CLI)."""
    token = ApiToken.objects.filter(pk=token_id, user=user).first()
    if token is None:
        raise NotFoundError(f"no API token {token_id} for {user}")
    if token.revoked_at is None:
        with transaction.atomic():
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            audit.record(actor or audit.Actor.of(user), "token.revoke", obj=token)
    return token
