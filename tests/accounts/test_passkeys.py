"""Passkeys (WebAuthn) as a second factor, against a small software authenticator (an
ECDSA P-256 key and the CBOR structures a security key returns, "none" attestation), so the
server's real checks run: challenge, origin, relying party, signature, signature counter.
The browser ceremony itself is in tests/browser/test_passkey.py."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from dnscc.accounts.models import AuditEvent, Passkey
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"  # Django's test client


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftKey:
    """A security key in software: one credential, a counter, no attestation."""

    def __init__(self, rp_id: str = "testserver", origin: str = ORIGIN) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.counter = 0
        self.rp_id = rp_id
        self.origin = origin

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        ).encode()

    def _auth_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.counter) + attested

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = self._auth_data(0x45, attested + cose)  # UP, UV, attested data
        obj = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": _b64(self.credential_id),
            "rawId": _b64(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": _b64(self._client_data("webauthn.create", options["challenge"])),
                "attestationObject": _b64(obj),
            },
        }

    def get(self, options: dict[str, Any]) -> dict[str, Any]:
        self.counter += 1
        client_data = self._client_data("webauthn.get", options["challenge"])
        auth_data = self._auth_data(0x05)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": _b64(self.credential_id),
            "rawId": _b64(self.credential_id),
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": _b64(client_data),
                "authenticatorData": _b64(auth_data),
                "signature": _b64(signature),
            },
        }


def _post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _register(client: Client, key: SoftKey, name: str = "laptop") -> Any:
    options = _post(client, "/account/security/passkey/options").json()
    return _post(
        client, "/account/security/passkey", {"credential": key.create(options), "name": name}
    )


def _password_login(username: str) -> Client:
    client = Client()
    client.post("/login/", {"username": username, "password": PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def _use(client: Client, key: SoftKey) -> Any:
    options = _post(client, "/login/verify/passkey/options").json()
    return _post(client, "/login/verify/passkey?next=/directory/", key.get(options))


@pytest.fixture
def required(settings: Any) -> None:
    settings.SECOND_FACTOR_ROLES = ["admin", "coordinator"]


def test_a_coordinator_registers_a_passkey_and_then_must_use_it(
    world: World, required: None
) -> None:
    client = _password_login("coord1")
    assert client.get("/directory/").url == "/account/security/?required=1"
    key = SoftKey()
    answer = _register(client, key)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {"redirect": "/account/security/"}
    page = client.get("/account/security/").content.decode()
    assert page.count("<li><code>") == 10  # recovery codes with the first second factor
    assert client.get("/directory/").status_code == 200  # registering verified the session

    again = _password_login("coord1")
    assert again.get("/directory/").url.startswith("/login/verify/")
    answer = _use(again, key)
    assert answer.json() == {"redirect": "/directory/"}
    assert again.get("/directory/").status_code == 200
    assert Passkey.objects.get().sign_count == 1
    assert AuditEvent.objects.filter(action="auth.2fa_verified", data__device="passkey").exists()


def test_a_passkey_answer_for_another_origin_is_refused_and_audited(world: World) -> None:
    client = _password_login("op_a")
    _register(client, SoftKey())
    other = SoftKey(origin="https://phishing.example")
    answer = _register(client, other)
    assert answer.status_code == 400
    assert "not accepted" in answer.json()["detail"]
    assert Passkey.objects.count() == 1
    assert AuditEvent.objects.filter(action="auth.2fa_enrol_failed").exists()


def test_a_cloned_key_whose_counter_goes_back_is_refused(world: World) -> None:
    key = SoftKey()
    _register(_password_login("op_a"), key)
    assert _use(_password_login("op_a"), key).status_code == 200
    assert _use(_password_login("op_a"), key).status_code == 200
    key.counter = 0  # a copy of the key that has not seen the last uses
    client = _password_login("op_a")
    answer = _use(client, key)
    assert answer.status_code == 400
    assert client.get("/account/security/").url.startswith("/login/verify/")
    failure = AuditEvent.objects.filter(action="auth.2fa_failed").latest("seq")
    assert failure.data["device"] == "passkey"


def test_a_signature_over_another_challenge_is_refused(world: World) -> None:
    key = SoftKey()
    _register(_password_login("op_a"), key)
    client = _password_login("op_a")
    _post(client, "/login/verify/passkey/options")
    stale = key.get({"challenge": _b64(b"an old challenge")})
    answer = _post(client, "/login/verify/passkey", stale)
    assert answer.status_code == 400
    # The challenge is spent by any answer: the right one cannot be sent after a wrong one.
    answer = _post(client, "/login/verify/passkey", key.get({"challenge": "x"}))
    assert "no passkey sign-in was started" in answer.json()["detail"]


def test_another_accounts_passkey_does_not_verify_this_one(world: World) -> None:
    theirs = SoftKey()
    _register(_password_login("op_b"), theirs)
    _register(_password_login("op_a"), SoftKey())
    client = _password_login("op_a")
    options = _post(client, "/login/verify/passkey/options").json()
    answer = _post(client, "/login/verify/passkey", theirs.get(options))
    assert answer.status_code == 400
    assert "not one of this account's" in answer.json()["detail"]


def test_bad_input_is_a_clear_400_and_registers_nothing(world: World) -> None:
    client = _password_login("op_a")
    answer = _post(client, "/account/security/passkey", {"credential": {}, "name": "x"})
    assert answer.status_code == 400
    assert answer.json()["detail"] == "no passkey registration was started in this session"
    _post(client, "/account/security/passkey/options")
    answer = _post(client, "/account/security/passkey", {"credential": {"id": "%%"}})
    assert answer.status_code == 400
    answer = client.post("/account/security/passkey", "[1", content_type="application/json")
    assert "not valid JSON" in answer.json()["detail"]
    answer = client.post(
        "/account/security/passkey", "[" * 100_000, content_type="application/json"
    )
    assert "nested deeper" in answer.json()["detail"]
    answer = client.post("/login/verify/passkey", b"\xff{", content_type="application/json")
    assert answer.status_code == 400
    assert not Passkey.objects.exists()
    assert _post(client, "/login/verify/passkey/options").status_code == 409


def test_removing_a_passkey_is_confirmed_audited_and_keeps_nothing(world: World) -> None:
    client = _password_login("op_a")
    _register(client, SoftKey(), name="old key")
    passkey = Passkey.objects.get()
    client.post("/account/security/", {"action": "remove-passkey", "passkey": passkey.pk})
    assert not Passkey.objects.exists()
    removed = AuditEvent.objects.filter(action="auth.2fa_removed").latest("seq")
    assert removed.data == {"device": "passkey", "name": "old key"}
    # Someone else's passkey is not theirs to remove.
    _register(_password_login("op_b"), SoftKey())
    theirs = Passkey.objects.get()
    client.post("/account/security/", {"action": "remove-passkey", "passkey": theirs.pk})
    assert Passkey.objects.filter(pk=theirs.pk).exists()


def test_an_administrator_resets_a_lost_second_factor_from_the_cli(
    world: World, required: None
) -> None:
    import contextlib
    import io

    from dnscc import cli

    def run(*argv: str) -> tuple[int, str]:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli.main(list(argv))
        return code, out.getvalue() + err.getvalue()

    client = _password_login("coord1")
    _register(client, SoftKey(), name="lost phone")
    code, text = run("secondfactor", "show", "coord1")
    assert code == 0
    assert "passkeys 1, recovery codes left 10" in text
    code, text = run("secondfactor", "reset", "coord1", "--reason", "ticket 42")
    assert code == 2  # without --yes nothing happens
    assert Passkey.objects.exists()
    code, text = run("secondfactor", "reset", "coord1", "--reason", "ticket 42", "--yes")
    assert code == 0, text
    assert not Passkey.objects.exists()
    event = AuditEvent.objects.filter(action="auth.2fa_reset").latest("seq")
    assert event.data["reason"] == "ticket 42"
    assert event.data["passkeys"] == 1
    # At the next login the role asks for a second factor again.
    assert _password_login("coord1").get("/directory/").url == "/account/security/?required=1"
