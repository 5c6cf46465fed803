"""Passkeys and security keys (WebAuthn, py_webauthn) as a second factor, beside the
authenticator app (accounts.twofactor). Decision 0014.

Two ceremonies, each in two steps with the challenge kept in the session between them:
registration (`registration_options`, then `register`) from the Security page, and
authentication (`authentication_options`, then `authenticate`) on the login's second step.
The relying party is the portal's own host and origin as the browser sees them (Django has
checked the host against ALLOWED_HOSTS), so a credential made for one deployment is refused
by another. Every enrolment, use, failure and removal is audited like the app's codes.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from dnscc.accounts import audit
from dnscc.accounts.models import AuditEvent, Passkey
from dnscc.core.errors import InputError, Location
from dnscc.core.inputguard import excerpt

RP_NAME = "dnscc"
MAX_PASSKEYS = 10
MAX_NAME = 60
_REGISTER = "passkey_registration_challenge"
_AUTHENTICATE = "passkey_authentication_challenge"


def _rp(request: HttpRequest) -> tuple[str, str]:
    """(relying party id, origin): the host the browser used, without its port."""
    from django.http.request import split_domain_port

    origin = request.build_absolute_uri("/").rstrip("/")
    host, _ = split_domain_port(request.get_host())
    return host, origin


def passkeys(user: Any) -> list[Passkey]:
    return list(Passkey.objects.filter(user=user, confirmed=True))


def has_passkey(user: Any) -> bool:
    return Passkey.objects.filter(user=user, confirmed=True).exists()


def registration_options(request: HttpRequest) -> str:
    """Options for navigator.credentials.create() (JSON); the challenge stays in the session."""
    user = request.user
    rp_id, _ = _rp(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=RP_NAME,
        user_name=user.get_username(),
        user_id=f"dnscc-user-{user.pk}".encode(),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=_bytes(p.credential_id)) for p in passkeys(user)
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[_REGISTER] = bytes_to_base64url(options.challenge)
    return str(options_to_json(options))


def register(request: HttpRequest, credential: str, name: str) -> Passkey:
    """Check the browser's answer to the registration options and keep the credential."""
    user = request.user
    actor = audit.Actor.of(user)
    challenge = request.session.pop(_REGISTER, None)
    if not challenge:
        raise InputError("no passkey registration was started in this session")
    name = " ".join(str(name or "").split())[:MAX_NAME] or "passkey"
    if "\x00" in name:
        raise InputError("name contains a NUL character", location=Location(field="name"))
    if Passkey.objects.filter(user=user).count() >= MAX_PASSKEYS:
        raise InputError(f"at most {MAX_PASSKEYS} passkeys per account")
    rp_id, origin = _rp(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        audit.record(actor, "auth.2fa_enrol_failed", kind=AuditEvent.AUTH, obj=user)
        raise InputError(
            f"the passkey was not accepted: {excerpt(str(exc))}",
            location=Location(field="credential"),
        ) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if Passkey.objects.filter(credential_id=credential_id).exists():
        raise InputError("this passkey is already registered")
    with transaction.atomic():
        passkey = Passkey.objects.create(
            user=user,
            name=name,
            confirmed=True,
            credential_id=credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )
        audit.record(
            actor,
            "auth.2fa_enrolled",
            kind=AuditEvent.AUTH,
            obj=user,
            summary=f"{user.get_username()} registered a passkey ({name})",
            data={"device": "passkey", "name": name},
        )
    return passkey


def authentication_options(request: HttpRequest, user: Any) -> str:
    """Options for navigator.credentials.get() naming the user's passkeys (JSON)."""
    rp_id, _ = _rp(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=_bytes(p.credential_id)) for p in passkeys(user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[_AUTHENTICATE] = bytes_to_base64url(options.challenge)
    return str(options_to_json(options))


def authenticate(request: HttpRequest, user: Any, credential: str, *, ip: str = "") -> Passkey:
    """The user's passkey that signed this session's challenge; InputError (audited as a
    failed second factor) otherwise. The signature counter must move forward when the
    authenticator keeps one, so a cloned key is refused."""
    actor = audit.Actor.of(user)
    challenge = request.session.pop(_AUTHENTICATE, None)
    try:
        if not challenge:
            raise ValueError("no passkey sign-in was started in this session")
        raw_id = str(json.loads(credential).get("id", ""))
        passkey = Passkey.objects.filter(user=user, confirmed=True, credential_id=raw_id).first()
        if passkey is None:
            raise ValueError("this passkey is not one of this account's")
        rp_id, origin = _rp(request)
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=_bytes(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        audit.record(
            actor,
            "auth.2fa_failed",
            kind=AuditEvent.AUTH,
            obj=user,
            data={"ip": ip, "device": "passkey"},
        )
        raise InputError(
            f"the passkey was not accepted: {excerpt(str(exc))}",
            location=Location(field="credential"),
        ) from None
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    audit.record(
        actor,
        "auth.2fa_verified",
        kind=AuditEvent.AUTH,
        obj=user,
        summary=f"second factor: passkey ({passkey.name})",
        data={"ip": ip, "device": "passkey"},
    )
    return passkey


def remove(user: Any, passkey_id: int, *, actor: audit.Actor) -> str:
    """Remove one of the user's own passkeys; returns its name."""
    passkey = Passkey.objects.filter(user=user, pk=passkey_id).first()
    if passkey is None:
        raise InputError("no such passkey on this account", location=Location(field="passkey"))
    with transaction.atomic():
        passkey.delete()
        audit.record(
            actor,
            "auth.2fa_removed",
            kind=AuditEvent.AUTH,
            obj=user,
            summary=f"{user.get_username()} removed the passkey {passkey.name}",
            data={"device": "passkey", "name": passkey.name},
        )
    return passkey.name


def _bytes(text: str) -> bytes:
    from webauthn import base64url_to_bytes

    return base64url_to_bytes(text)
