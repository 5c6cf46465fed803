"""Logging in and out is audited, and repeated failures slow a user name down for a while
(tests/accounts/test_login_throttle.py has the details)."""

from __future__ import annotations

import pytest
from django.test import Client

from dnscc.accounts.models import AuditEvent
from tests.conftest import PASSWORD, World


def _login(username: str, password: str) -> Client:
    client = Client()
    client.post("/login/", {"username": username, "password": password})
    return client


def test_a_login_and_a_logout_are_in_the_audit_log(world: World) -> None:
    client = _login("coord1", PASSWORD)
    assert client.get("/").status_code == 200
    client.post("/logout/")
    actions = list(
        AuditEvent.objects.filter(actor="coord1", kind="auth").values_list("action", flat=True)
    )
    assert actions == ["auth.login", "auth.logout"]


def test_a_failed_login_is_recorded_without_the_password(world: World) -> None:
    response = Client().post("/login/", {"username": "coord1", "password": "wrong-guess"})
    assert response.status_code == 200
    assert b"did not match" in response.content
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_id == "coord1"
    assert "wrong-guess" not in str(event.data)


def test_too_many_failures_delay_the_user_name_even_with_the_right_password(
    world: World,
) -> None:
    for _ in range(5):
        Client().post("/login/", {"username": "coord1", "password": "wrong"})
    response = Client().post("/login/", {"username": "coord1", "password": PASSWORD})
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in response.wsgi_request.session
    # Another user name is not affected.
    other = Client()
    other.post("/login/", {"username": "admin1", "password": PASSWORD})
    assert other.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/", "/directory/", "/audit/"])
def test_pages_send_anonymous_visitors_to_the_login_page(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_security_headers_are_set(world: World) -> None:
    response = world.client("coordinator").get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_oversized_upload_is_refused_before_it_is_read(world: World) -> None:
    from django.test import override_settings

    with override_settings(MAX_UPLOAD_BYTES=1024):
        client = world.api("coordinator")
        response = client.post(
            "/api/v1/directory/import/contacts",
            data=b"x" * (200 * 1024),
            content_type="application/octet-stream",
        )
    assert response.status_code == 413
    assert "DNSCC_MAX_UPLOAD_BYTES" in response.json()["detail"]
