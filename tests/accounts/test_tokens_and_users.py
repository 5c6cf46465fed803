"""API tokens (shown once, stored hashed, revocable) and creating users with roles."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from dnscc import cli
from dnscc.accounts import services
from dnscc.accounts.models import Account, ApiToken, AuditEvent
from dnscc.core.errors import ConflictError, InputError
from dnscc.core.tlp import Role
from tests.conftest import World


def _bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_a_token_is_stored_as_a_digest_not_as_the_secret(world: World) -> None:
    token, secret = services.create_token(world.users["operator"], "script")
    assert secret.startswith(f"dnscc_{token.prefix}_")
    assert token.digest != secret
    assert secret not in token.digest
    assert len(token.digest) == 64
    assert not ApiToken.objects.filter(digest=secret).exists()
    assert AuditEvent.objects.filter(action="token.create", object_id=str(token.pk)).exists()


def test_the_api_shows_a_new_secret_once_and_never_again(world: World) -> None:
    client = world.api("operator")
    response = client.post(
        "/api/v1/tokens", data=json.dumps({"name": "ci"}), content_type="application/json"
    )
    assert response.status_code == 201
    secret = response.json()["token"]
    assert _bearer(secret).get("/api/v1/me").json()["username"] == "op_a"
    listing = client.get("/api/v1/tokens")
    assert listing.status_code == 200
    assert secret not in listing.content.decode()
    assert all("token" not in row for row in listing.json())


def test_the_portal_shows_a_new_secret_once(world: World) -> None:
    client = world.client("operator")
    created = client.post("/account/tokens/", {"name": "laptop"})
    token = ApiToken.objects.get(user=world.users["operator"], name="laptop")
    secret = created.context["new_secret"]
    assert secret in created.content.decode()
    assert secret not in client.get("/account/tokens/").content.decode()
    assert token.prefix in secret


def test_a_token_without_a_name_is_not_created(world: World) -> None:
    before = ApiToken.objects.count()
    response = world.client("operator").post("/account/tokens/", {"name": "  "})
    assert response.status_code == 200
    assert ApiToken.objects.count() == before


def test_a_revoked_token_is_refused(world: World) -> None:
    user = world.users["partner"]
    token, secret = services.create_token(user, "short-lived")
    assert _bearer(secret).get("/api/v1/me").status_code == 200
    services.revoke_token(user, token.pk)
    assert _bearer(secret).get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(token.pk)).exists()


def test_revoking_through_the_api_and_the_portal(world: World) -> None:
    user = world.users["coordinator"]
    first, secret = services.create_token(user, "one")
    second, _ = services.create_token(user, "two")
    response = world.api("coordinator").delete(f"/api/v1/tokens/{first.pk}")
    assert response.status_code == 200
    assert response.json()["revoked_at"]
    assert _bearer(secret).get("/api/v1/me").status_code == 401
    response = world.client("coordinator").post(f"/account/tokens/{second.pk}/revoke")
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.revoked_at is not None


def test_a_wrong_secret_with_a_real_prefix_is_refused(world: World) -> None:
    _, secret = services.create_token(world.users["admin"], "x")
    forged = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    assert services.authenticate_token(forged) is None
    assert services.authenticate_token("not-a-dnscc-token") is None
    assert services.authenticate_token("dnscc_ffffffffffff_nope") is None


def test_using_a_token_updates_last_used_at_at_most_once_a_minute(world: World) -> None:
    user = world.users["operator"]
    token, secret = services.create_token(user, "probe")
    assert token.last_used_at is None
    assert services.authenticate_token(secret) == user
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    services.authenticate_token(secret)
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=5))
    services.authenticate_token(secret)
    token.refresh_from_db()
    assert token.last_used_at > first - timedelta(minutes=5)


def test_the_token_of_an_inactive_user_is_refused(world: World) -> None:
    user = world.users["operator"]
    secret = world.tokens["operator"]
    user.is_active = False
    user.save()
    assert services.authenticate_token(secret) is None
    assert world.api("operator").get("/api/v1/me").status_code == 401


def test_an_account_without_a_role_sees_only_clear(world: World) -> None:
    viewer = services.viewer_for(world.users["norole"])
    assert viewer.role is None
    assert viewer.user_id == world.users["norole"].pk
    assert services.viewer_for(None).user_id is None


def test_viewer_for_reports_role_and_organization(world: World) -> None:
    viewer = services.viewer_for(world.users["operator"])
    assert viewer.role is Role.OPERATOR
    assert viewer.organization_id == world.org_a.pk
    assert services.viewer_for(world.users["coordinator"]).is_staff


# --- creating users ---------------------------------------------------------------------


@pytest.mark.django_db
def test_create_user_refuses_an_unknown_role_naming_the_field() -> None:
    with pytest.raises(InputError) as caught:
        services.create_user("x", role="superuser")
    assert caught.value.location.field == "role"
    assert not get_user_model().objects.filter(username="x").exists()


@pytest.mark.django_db
def test_an_operator_must_belong_to_an_organization() -> None:
    with pytest.raises(InputError) as caught:
        services.create_user("x", role="operator")
    assert caught.value.location.field == "organization"


@pytest.mark.django_db
def test_a_bad_duty_desk_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        services.create_user("x", role="coordinator", desks=["MARS"])
    assert caught.value.location.field == "desks"


@pytest.mark.django_db
def test_a_weak_password_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        services.create_user("x", role="admin", password="password")
    assert caught.value.location.field == "password"


def test_a_username_is_taken_only_once(world: World) -> None:
    with pytest.raises(ConflictError):
        services.create_user("op_a", role="admin")


@pytest.mark.django_db
def test_createuser_cli_creates_the_user_with_its_role_and_audits_it() -> None:
    code, out, _ = _cli("createuser", "carol", "--role", "coordinator", "--desk", "AF")
    assert code == 0
    assert "created carol (coordinator)" in out
    account = Account.objects.get(user__username="carol")
    assert (account.role, account.desks) == ("coordinator", ["AF"])
    assert AuditEvent.objects.filter(action="user.create", actor__startswith="cli:").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "exit_code", "message"),
    [
        (["--role", "root"], 2, "invalid choice"),
        (["--role", "operator"], 65, "must belong to an organisation"),
        (["--role", "operator", "--organization", "nowhere"], 66, "no organization 'nowhere'"),
        (["--role", "coordinator", "--desk", "XX"], 65, "unknown duty desk"),
    ],
)
def test_createuser_cli_reports_bad_input_with_an_exit_code(
    argv: list[str], exit_code: int, message: str
) -> None:
    code, _, err = _cli("createuser", "dave", *argv)
    assert code == exit_code
    assert message in err
    assert "Traceback" not in err
    assert not get_user_model().objects.filter(username="dave").exists()


def test_createuser_cli_refuses_an_existing_username(world: World) -> None:
    code, _, err = _cli("createuser", "op_a", "--role", "admin")
    assert code == 75
    assert "already exists" in err


def test_token_cli_creates_lists_and_revokes(world: World) -> None:
    code, out, _ = _cli("token", "create", "op_a", "--name", "cron", "--json")
    assert code == 0
    created = json.loads(out)
    assert services.authenticate_token(created["token"]) == world.users["operator"]
    code, out, _ = _cli("token", "list", "op_a", "--json")
    assert created["token"] not in out
    assert any(row["name"] == "cron" for row in json.loads(out))
    code, out, _ = _cli("token", "revoke", "op_a", str(created["id"]))
    assert code == 0
    assert services.authenticate_token(created["token"]) is None
    code, _, err = _cli("token", "create", "nobody")
    assert code == 66
    assert "no user 'nobody'" in err


def test_a_token_revoked_long_ago_stays_revoked(world: World) -> None:
    user = world.users["admin"]
    token, secret = services.create_token(user, "old")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now() - timedelta(days=400))
    assert services.authenticate_token(secret) is None
    assert services.revoke_token(user, token.pk).revoked_at < timezone.now() - timedelta(days=1)
