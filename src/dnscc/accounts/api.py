from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema, Status

from dnscc.accounts import anchor, services
from dnscc.accounts.models import ApiToken, AuditEvent

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str | None
    organization_id: int | None


class TokenIn(Schema):
    name: str


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


class AuditEventOut(Schema):
    seq: int
    at: datetime
    kind: str
    actor: str
    action: str
    object_type: str
    object_id: str
    summary: str


class VerifyOut(Schema):
    ok: bool
    checked: int
    problems: list[dict[str, object]]
    checkpoint: dict[str, object] | None = None


@router.get("/me", response=MeOut)
def me(request: HttpRequest) -> MeOut:
    """Who you are: user name, role, organisation and desks of the caller."""
    viewer = services.require_role(request.user)
    return MeOut(
        username=request.user.get_username(),
        role=viewer.role.value if viewer.role else None,
        organization_id=viewer.organization_id,
    )


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request: HttpRequest) -> list[ApiToken]:
    """Your API tokens (names, prefixes, last use; never the secret)."""
    services.require_role(request.user)  # deny by default: an account without a role gets nothing
    return list(ApiToken.objects.filter(user=request.user))


@router.post("/tokens", response={201: NewTokenOut})
def create_token(request: HttpRequest, payload: TokenIn) -> Status[dict[str, object]]:
    """Create an API token for yourself; the secret is shown once, in this answer only."""
    services.require_role(request.user)
    token, secret = services.create_token(request.user, payload.name)
    return Status(201, {**TokenOut.from_orm(token).dict(), "token": secret})


@router.delete("/tokens/{token_id}", response=TokenOut)
def revoke_token(request: HttpRequest, token_id: int) -> ApiToken:
    """Revoke one of your API tokens; it stops working at once."""
    services.require_role(request.user)
    return services.revoke_token(request.user, token_id)


@router.get("/audit/events", response=list[AuditEventOut])
def audit_events(request: HttpRequest, after: int = 0, limit: int = 100) -> list[AuditEvent]:
    """Staff: the audit log, newest first, filtered by kind, actor or action."""
    services.require_staff(request.user)
    limit = max(1, min(limit, 1000))
    return list(AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:limit])


@router.get("/audit/verify", response=VerifyOut)
def audit_verify(request: HttpRequest) -> dict[str, object]:
    """Staff: verify the audit log's hash chain; lists every entry that breaks it."""
    services.require_staff(request.user)
    return anchor.verify_with_anchor().as_dict()
