"""Issue 18, defect 1: the lockout counted the raw submitted name while authentication used
the normalised one, had no limit per client address, and let anyone lock any account for
15 minutes. Now failures are counted per normalised account, per address and for the whole
center, each with an exponential delay, and the account's own second factor unlocks it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from dnscc.accounts import audit, throttle, twofactor
from dnscc.accounts.models import LoginThrottle
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def _post(username: str, password: str, ip: str = "198.51.100.1", **extra: str) -> Any:
    client = Client(REMOTE_ADDR=ip)
    response = client.post("/login/", {"username": username, "password": password, **extra})
    return client, response


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("variant", ["coord1 ", " coord1", "\uff43oord1"])
def test_spelling_variants_share_the_account_count(world: World, variant: str) -> None:
    for n in range(10):
        _post("coord1", "wrong", ip=f"198.51.100.{n}")
    client, response = _post(variant, PASSWORD, ip="203.0.113.50")
    assert not _logged_in(client)  # before the fix each variant logged straight in
    assert b"Too many failed attempts for this account" in response.content


def test_the_delay_grows_exponentially_and_expires(world: World) -> None:
    keys = throttle.Keys.of("coord1", "198.51.100.1")
    now = timezone.now()
    for _ in range(throttle.ACCOUNT_FREE):
        throttle.failed(keys, now=now)
    assert throttle.account_wait(keys, now=now) == pytest.approx(1.0)
    throttle.failed(keys, now=now)
    assert throttle.account_wait(keys, now=now) == pytest.approx(2.0)
    for _ in range(20):
        throttle.failed(keys, now=now)
    assert throttle.account_wait(keys, now=now) == throttle.ACCOUNT_CAP
    later = now + throttle.WINDOW + timedelta(seconds=1)
    assert throttle.account_wait(keys, now=later) == 0.0


def test_one_address_is_slowed_across_accounts(world: World) -> None:
    for n in range(throttle.ADDRESS_FREE):
        _post(f"nobody{n}", "wrong", ip="192.0.2.99")
    client, response = _post("admin1", PASSWORD, ip="192.0.2.99")
    assert not _logged_in(client)
    assert b"Too many failed attempts from your address" in response.content
    other, _ = _post("admin1", PASSWORD, ip="192.0.2.100")
    assert _logged_in(other)


def test_a_spray_from_many_addresses_slows_each_from_its_first_failure(world: World) -> None:
    now = timezone.now()
    LoginThrottle.objects.create(
        key=throttle.GLOBAL, failures=throttle.GLOBAL_CEILING, first_at=now, last_at=now
    )
    keys = throttle.Keys.of("x", "203.0.113.7")
    throttle.failed(keys, now=now)
    assert throttle.address_wait(keys, now=now) > 0


def test_the_owner_unlocks_a_delayed_account_with_the_second_factor(world: World) -> None:
    user = world.users["coordinator"]
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    for n in range(8):  # an attacker keeps the account delayed
        _post("coord1", "wrong", ip=f"198.51.100.{n}")
    client, response = _post("coord1", PASSWORD, ip="203.0.113.5")
    assert not _logged_in(client)
    assert b"authenticator" in response.content
    code = f"{totp(device.bin_key):06d}"
    client, _ = _post("coord1", PASSWORD, ip="203.0.113.5", otp_token=code)
    assert _logged_in(client)
    assert client.get("/").status_code == 200  # verified by the code: no second prompt
    wrong, _ = _post("coord1", "wrong", ip="203.0.113.6", otp_token=code)
    assert not _logged_in(wrong)


def test_a_success_resets_the_account_count(world: World) -> None:
    for _ in range(2):
        _post("coord1", "wrong")
    client, _ = _post("coord1", PASSWORD)
    assert _logged_in(client)
    assert not LoginThrottle.objects.filter(key="account:coord1").exists()


def test_a_failed_login_with_a_150_character_name_is_audited(world: World) -> None:
    _, response = _post("u" * 150, "wrong")
    assert response.status_code == 200
    event = audit.AuditEvent.objects.filter(action="auth.login_failed").latest("seq")
    assert len(event.object_id) == 64
    assert event.data["object_id"] == "u" * 150


def test_twofactor_check_is_audited(world: World) -> None:
    user = world.users["operator"]
    assert twofactor.check(user, "123456", actor=audit.Actor.of(user)) is None
    assert audit.AuditEvent.objects.filter(action="auth.2fa_failed").exists()
