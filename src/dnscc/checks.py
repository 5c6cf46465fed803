"""System checks with stable ids for dangerous configurations (run by `dnscc check` and
before `dnscc serve` starts). Each id is documented in docs/configuration.md and tested."""

from __future__ import annotations

import math
import os
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

DEV_KEY = "dnscc-development-only-not-secret"
# A secret must be long and look random: "a" * 32 is 32 characters and no secret at all.
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 100


def secret_weakness(value: str) -> str | None:
    """Why `value` is not a usable secret (too short, too little entropy), or None.

    The entropy is estimated from the value's own character frequencies (length times the
    Shannon entropy per character): a random 32-character URL-safe token scores about 150
    bits, a repeated character 0, an English phrase well under 100 per 32 characters."""
    if len(value) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    counts: dict[str, int] = {}
    for char in value:
        counts[char] = counts.get(char, 0) + 1
    total = len(value)
    bits = -sum(n * math.log2(n / total) for n in counts.values())
    if bits < MIN_SECRET_BITS:
        return f"too predictable (about {bits:.0f} bits of entropy, {MIN_SECRET_BITS} needed)"
    return None


def _secret_key() -> str:
    try:
        return str(settings.SECRET_KEY)
    except ImproperlyConfigured:  # Django refuses to hand out an empty key
        return ""


@register(Tags.security, deploy=False)
def check_production(app_configs: object = None, **kwargs: object) -> list[Error | Warning]:
    problems: list[Error | Warning] = []
    if settings.DEV:
        return problems
    key = _secret_key()
    weakness = "missing" if not key else secret_weakness(key)
    if key == DEV_KEY:
        weakness = "the development key"
    if weakness:
        problems.append(
            Error(
                f"No usable secret key in production mode ({weakness}).",
                hint="Set DNSCC_SECRET_KEY (or DNSCC_SECRET_KEY_FILE) to at least 32 random "
                "characters, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`,"
                " or set DNSCC_DEV=1 for development.",
                id="dnscc.E001",
            )
        )
    audit_key = str(getattr(settings, "AUDIT_KEY", "") or "")
    audit_weakness = "missing" if not audit_key else secret_weakness(audit_key)
    if audit_weakness:
        problems.append(
            Error(
                f"No usable audit key in production mode ({audit_weakness}).",
                hint="Set DNSCC_AUDIT_KEY (or DNSCC_AUDIT_KEY_FILE) to at least 32 random "
                "characters, kept outside the database and apart from its backups: the audit "
                "log's hash chain is keyed with it (docs/security.md).",
                id="dnscc.E005",
            )
        )
    if not settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "No allowed hosts in production mode.",
                hint="Set DNSCC_ALLOWED_HOSTS to the host names the center is served under, "
                "comma-separated (e.g. dnscc.example.org).",
                id="dnscc.E002",
            )
        )
    elif "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "DNSCC_ALLOWED_HOSTS contains '*', which accepts any Host header.",
                hint="List the real host names instead.",
                id="dnscc.E003",
            )
        )
    if not settings.HTTPS:
        problems.append(
            Warning(
                "DNSCC_HTTPS is off in production: session and CSRF cookies travel in clear.",
                hint="Serve the center over HTTPS and leave DNSCC_HTTPS at its default.",
                id="dnscc.W001",
            )
        )
    return problems


@register(Tags.security)
def check_two_person_rule(app_configs: object = None, **kwargs: object) -> list[Warning]:
    """One person alone can write and publish an advisory when the rule is off."""
    if settings.ADVISORY_TWO_PERSON:
        return []
    return [
        Warning(
            "DNSCC_ADVISORY_TWO_PERSON is off: one person can write, approve and publish an"
            " advisory alone.",
            hint="Leave it on wherever two coordinators can review each other's advisories;"
            " turn it off only in a one-person center.",
            id="dnscc.W002",
        )
    ]


@register(Tags.database)
def check_data_dir(app_configs: object = None, **kwargs: object) -> list[Error]:
    """The embedded database needs a writable data directory (PostgreSQL does not)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if not engine.endswith("sqlite3"):
        return []
    return data_dir_problems(settings.DATA_DIR)


def data_dir_problems(directory: Path) -> list[Error]:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        return [
            Error(
                f"The data directory {directory} cannot be created: {exc.strerror}.",
                hint="Set DNSCC_DATA_DIR to a writable directory.",
                id="dnscc.E004",
            )
        ]
    if not os.access(directory, os.W_OK):
        return [
            Error(
                f"The data directory {directory} is not writable.",
                hint="Set DNSCC_DATA_DIR to a writable directory.",
                id="dnscc.E004",
            )
        ]
    return []
