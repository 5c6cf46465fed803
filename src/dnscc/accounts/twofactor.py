"""Second factors (django-otp): TOTP authenticator apps, one-time recovery codes, and the
rule of who must have one (DNSCC_2FA_ROLES: admins and coordinators by default).

A session is "verified" once a second factor was given in it (django-otp keeps the device
in the session). accounts.middleware.SecondFactorMiddleware sends an unverified session of
an account that has a second factor to the code page, and one of a role that must have
one to the enrolment page; API bearer tokens are not affected (a token is created from a
verified session and can be revoked). Every enrolment, use, failure and removal is in the
audit log.
"""

from __future__ import annotations

from typing import Any

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError

RECOVERY_CODES = 10
AUTHENTICATOR = "authenticator app"
RECOVERY = "recovery codes"


def required(user: Any) -> bool:
    """Whether the user's role must use a second factor (DNSCC_2FA_ROLES)."""
    from dnscc.accounts.services import viewer_for

    role = viewer_for(user).role
    return role is not None and role.value in settings.SECOND_FACTOR_ROLES


def has_device(user: Any) -> bool:
    """True when the user has a confirmed authenticator app or passkey (recovery codes alone
    do not count)."""
    from dnscc.accounts.models import Passkey

    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        or Passkey.objects.filter(user=user, confirmed=True).exists()
    )


def has_app(user: Any) -> bool:
    """True when the user has a confirmed authenticator app (TOTP)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def devices(user: Any) -> list[Any]:
    return list(devices_for_user(user, confirmed=True))


def recovery_codes_left(user: Any) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def start_totp(user: Any) -> TOTPDevice:
    """An unconfirmed authenticator for the user (the one pending, or a new one)."""
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if pending is not None:
        return pending
    if has_app(user):
        raise ConflictError(
            "you already have an authenticator app", hint="remove it first to enrol another"
        )
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR, confirmed=False)


def provisioning(device: TOTPDevice) -> dict[str, str]:
    """What the enrolment page shows: the otpauth:// URI, its QR code (SVG) and the secret
    in base32 for typing in."""
    import base64

    uri = device.config_url
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    svg = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff")
    return {"uri": uri, "secret": secret, "qr_svg": svg}


def confirm_totp(user: Any, token: str, *, actor: audit.Actor) -> list[str]:
    """Confirm the pending authenticator with a code from it; returns new recovery codes."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        raise NotFoundError("no authenticator waiting for confirmation")
    if not device.verify_token(_clean(token)):
        audit.record(actor, "auth.2fa_enrol_failed", kind=AuditEvent.AUTH, obj=user)
        raise InputError(
            "that code is not the one the app shows now",
            location=Location(field="token"),
            hint="type the 6 digits the app shows for dnscc; check the phone's clock",
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _new_recovery_codes(user)
        audit.record(
            actor,
            "auth.2fa_enrolled",
            kind=AuditEvent.AUTH,
            obj=user,
            summary=f"{user.get_username()} enrolled an authenticator app",
            data={"device": "totp"},
        )
    return codes


def recovery_codes_if_none(user: Any, *, actor: audit.Actor) -> list[str] | None:
    """Recovery codes for a user's first second factor (None when some are left)."""
    if recovery_codes_left(user):
        return None
    return regenerate_recovery_codes(user, actor=actor)


def _new_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def regenerate_recovery_codes(user: Any, *, actor: audit.Actor) -> list[str]:
    """New recovery codes (the old ones stop working)."""
    if not has_device(user):
        raise ConflictError("enrol an authenticator app or a passkey first")
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit.record(actor, "auth.2fa_recovery_codes", kind=AuditEvent.AUTH, obj=user)
    return codes


def remove(user: Any, *, actor: audit.Actor) -> None:
    """Remove the user's authenticator app, and the recovery codes unless a passkey is left."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        if not has_device(user):
            StaticDevice.objects.filter(user=user).delete()
        audit.record(
            actor, "auth.2fa_removed", kind=AuditEvent.AUTH, obj=user, data={"device": "totp"}
        )


def summary(user: Any) -> dict[str, Any]:
    """What second factors the user has (for an administrator; no secrets)."""
    from dnscc.accounts.models import Passkey

    return {
        "username": user.get_username(),
        "required": required(user),
        "authenticator_app": has_app(user),
        "passkeys": [
            {"name": p.name, "created_at": p.created_at.isoformat()}
            for p in Passkey.objects.filter(user=user, confirmed=True)
        ],
        "recovery_codes_left": recovery_codes_left(user),
    }


def reset(user: Any, *, actor: audit.Actor, reason: str) -> dict[str, int]:
    """Remove every second factor of a user who lost them (app, passkeys, recovery codes),
    so they enrol again at their next login; the reason is kept in the audit log."""
    from dnscc.accounts.models import Passkey

    reason = " ".join(str(reason or "").split())[:200]
    if not reason:
        raise InputError(
            "say why (e.g. the ticket of the identity check)", location=Location(field="reason")
        )
    with transaction.atomic():
        removed = {
            "authenticator_apps": TOTPDevice.objects.filter(user=user).delete()[0],
            "passkeys": Passkey.objects.filter(user=user).delete()[0],
            "recovery_code_sets": StaticDevice.objects.filter(user=user).count(),
        }
        StaticDevice.objects.filter(user=user).delete()
        audit.record(
            actor,
            "auth.2fa_reset",
            kind=AuditEvent.AUTH,
            obj=user,
            summary=f"second factors of {user.get_username()} reset: {reason}",
            data={**removed, "reason": reason},
        )
    return removed


def _clean(token: str) -> str:
    return "".join(str(token or "").split())[:64]


def check(user: Any, token: str, *, actor: audit.Actor, ip: str = "") -> Any | None:
    """The device that accepts `token` (an authenticator code or an unused recovery code,
    which is then spent), or None; both outcomes are audited."""
    device = match_token(user, _clean(token)) if _clean(token) else None
    if device is None:
        audit.record(actor, "auth.2fa_failed", kind=AuditEvent.AUTH, obj=user, data={"ip": ip})
        return None
    kind = "recovery code" if isinstance(device, StaticDevice) else "authenticator app"
    audit.record(
        actor,
        "auth.2fa_verified",
        kind=AuditEvent.AUTH,
        obj=user,
        summary=f"second factor: {kind}",
        data={"ip": ip, "device": kind},
    )
    return device
