"""Second factors: TOTP and recovery codes (django-otp), required for admins and
coordinators by DNSCC_2FA_ROLES, optional for operators; self-service password change;
everything audited. The suite's settings make second factors optional (so force_login
keeps working elsewhere); these tests switch the production rule on."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp

from dnscc.accounts.models import AuditEvent
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_rule(settings: Any) -> None:
    settings.SECOND_FACTOR_ROLES = ["admin", "coordinator"]


def _login(username: str, password: str = PASSWORD) -> Client:
    client = Client()
    client.post("/login/", {"username": username, "password": password})
    assert "_auth_user_id" in client.session
    return client


def _enrol(client: Client) -> tuple[bytes, list[str]]:
    """Enrol an authenticator as a person would: read the key from the page, compute a code."""
    page = client.post("/account/security/", {"action": "start"}).content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert secret, page
    key = base64.b32decode(secret.group(1) + "=" * (-len(secret.group(1)) % 8))
    page = client.post(
        "/account/security/", {"action": "confirm", "token": f"{totp(key):06d}"}
    ).content.decode()
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", page)
    return key, codes


def test_a_coordinator_without_a_second_factor_is_sent_to_enrol(world: World) -> None:
    client = _login("coord1")
    response = client.get("/directory/")
    assert response.status_code == 302
    assert response["Location"] == "/account/security/?required=1"
    assert b"Your role must use a second factor" in client.get(response["Location"]).content
    # The API in the same session is refused; a bearer token is not affected.
    assert client.get("/api/v1/me").status_code == 403
    assert world.api("coordinator").get("/api/v1/me").status_code == 200


def test_enrolment_gives_recovery_codes_and_verifies_the_session(world: World) -> None:
    client = _login("coord1")
    _key, codes = _enrol(client)
    assert len(codes) == 10
    assert client.get("/directory/").status_code == 200
    actions = set(AuditEvent.objects.filter(kind="auth").values_list("action", flat=True))
    assert "auth.2fa_enrolled" in actions


def test_a_wrong_code_does_not_enrol(world: World) -> None:
    client = _login("coord1")
    client.post("/account/security/", {"action": "start"})
    page = client.post("/account/security/", {"action": "confirm", "token": "000000"})
    assert b"not the one the app shows now" in page.content
    assert client.get("/directory/").status_code == 302


def test_the_next_login_asks_for_the_code_and_accepts_a_recovery_code_once(
    world: World,
) -> None:
    key, codes = _enrol(_login("coord1"))
    client = _login("coord1")
    response = client.get("/directory/")
    assert response["Location"].startswith("/login/verify/")
    assert client.get("/api/v1/me").status_code == 401
    wrong = client.post("/login/verify/", {"token": "123456", "next": "/directory/"})
    assert b"not valid" in wrong.content
    # The enrolment spent this 30-second step's code (no replay): the app's next one.
    ok = client.post(
        "/login/verify/", {"token": f"{totp(key, drift=1):06d}", "next": "/directory/"}
    )
    assert ok["Location"] == "/directory/"
    assert client.get("/directory/").status_code == 200
    assert client.get("/api/v1/me").status_code == 200
    # A recovery code works once.
    for expected in (True, False):
        other = _login("coord1")
        other.post("/login/verify/", {"token": codes[0]})
        assert (other.get("/directory/").status_code == 200) is expected
    assert AuditEvent.objects.filter(action="auth.2fa_failed").count() == 2
    assert AuditEvent.objects.filter(action="auth.2fa_verified").count() == 2


def test_an_operator_may_work_without_one_but_once_enrolled_must_use_it(world: World) -> None:
    client = _login("op_a")
    assert client.get("/incidents/").status_code == 200
    _enrol(client)
    again = _login("op_a")
    assert again.get("/incidents/")["Location"].startswith("/login/verify/")


def test_removing_the_second_factor_is_audited(world: World) -> None:
    client = _login("op_a")
    _enrol(client)
    client.post("/account/security/", {"action": "remove", "confirm": "on"})
    assert AuditEvent.objects.filter(action="auth.2fa_removed").exists()
    assert _login("op_a").get("/incidents/").status_code == 200


def test_a_user_changes_their_own_password(world: World) -> None:
    client = _login("op_a")
    new = "a much longer new passphrase"
    refused = client.post(
        "/account/security/",
        {"action": "password", "old_password": "wrong", "new_password1": new, "new_password2": new},
    )
    assert b"incorrect" in refused.content
    done = client.post(
        "/account/security/",
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": new,
            "new_password2": new,
        },
    )
    assert done.status_code == 302
    assert client.get("/incidents/").status_code == 200  # the session stays valid
    _login("op_a", new)
    assert AuditEvent.objects.filter(action="auth.password_changed").exists()


def test_a_bad_role_list_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import dnscc.settings"],
        env={**__import__("os").environ, "DNSCC_2FA_ROLES": "admin,root"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "DNSCC_2FA_ROLES" in result.stderr
