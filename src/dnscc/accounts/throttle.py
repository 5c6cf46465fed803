"""Slowing password guessing without handing an attacker a denial of service.

Failed logins are counted per normalised account name (what authentication actually looks
up: ``"victim "``, ``" victim"`` and a full-width ``\\uff56ictim`` are one account), per client
address, and for the whole center, within WINDOW. Past a few free failures each key is
delayed exponentially (1 s, 2 s, 4 s, ...; capped): guessing becomes slow, yet the account
is never locked for long, and its owner unlocks it at once with their second factor (the
login form asks for the code while the account is delayed). When the whole center sees
more than GLOBAL_CEILING failures in a window (a spray from many addresses), every address
is delayed from its first failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dnscc.accounts.models import LoginThrottle

WINDOW = timedelta(minutes=15)
ACCOUNT_FREE, ACCOUNT_CAP = 3, 15 * 60
ADDRESS_FREE, ADDRESS_CAP = 10, 60 * 60
GLOBAL_CEILING = 500


@dataclass(frozen=True)
class Keys:
    account: str
    address: str

    @classmethod
    def of(cls, username: str, address: str) -> Keys:
        return cls(f"account:{username}"[:200], f"address:{address}"[:200])


GLOBAL = "global"


def _row(key: str, now: datetime) -> LoginThrottle | None:
    row = LoginThrottle.objects.filter(key=key).first()
    if row is None or row.first_at < now - WINDOW:
        return None
    return row


def _wait(row: LoginThrottle | None, free: int, cap: int, now: datetime) -> float:
    if row is None or row.failures < max(free, 1):
        return 0.0
    delay = min(float(2 ** min(row.failures - free, 30)), float(cap))
    return max(0.0, (row.last_at + timedelta(seconds=delay) - now).total_seconds())


def account_wait(keys: Keys, *, now: datetime | None = None) -> float:
    """Seconds before the account may try a password again (0: now)."""
    now = now or timezone.now()
    return _wait(_row(keys.account, now), ACCOUNT_FREE, ACCOUNT_CAP, now)


def address_wait(keys: Keys, *, now: datetime | None = None) -> float:
    """Seconds before this client address may try again (0: now)."""
    now = now or timezone.now()
    spray = _row(GLOBAL, now)
    free = 0 if spray is not None and spray.failures >= GLOBAL_CEILING else ADDRESS_FREE
    return _wait(_row(keys.address, now), free, ADDRESS_CAP, now)


def _count(key: str, now: datetime) -> None:
    updated = LoginThrottle.objects.filter(key=key, first_at__gte=now - WINDOW).update(
        failures=F("failures") + 1, last_at=now
    )
    if updated:
        return
    try:
        with transaction.atomic():
            LoginThrottle.objects.update_or_create(
                key=key, defaults={"failures": 1, "first_at": now, "last_at": now}
            )
    except IntegrityError:  # a concurrent first failure: count on the row it made
        LoginThrottle.objects.filter(key=key).update(failures=F("failures") + 1, last_at=now)


def failed(keys: Keys, *, now: datetime | None = None) -> None:
    """Count one failure for the account, the address and the center."""
    now = now or timezone.now()
    for key in (keys.account, keys.address, GLOBAL):
        _count(key, now)


def succeeded(keys: Keys) -> None:
    """The account's count starts again (the address keeps its own)."""
    LoginThrottle.objects.filter(key=keys.account).delete()


def human(seconds: float) -> str:
    seconds = int(seconds + 0.999)
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = (seconds + 59) // 60
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
