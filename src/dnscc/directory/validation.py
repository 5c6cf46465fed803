"""Field validation shared by the importers, the API and the portal forms.

Each cleaner takes raw values (strings from CSV, JSON values, form input) and returns clean
Python values, or raises InputError naming the field. Callers add the file and line.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from dnscc.core.errors import InputError, Location
from dnscc.core.inputguard import excerpt
from dnscc.core.openpgp import parse_public_key
from dnscc.core.regions import Region, normalize_country
from dnscc.core.tlp import TLP
from dnscc.core.weburl import check_http_url
from dnscc.directory.models import Contact, Organization

_email = EmailValidator()
_url = URLValidator(schemes=["https", "http"])
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_TRUE = {"1", "true", "yes", "y", "on"}
_FALSE = {"0", "false", "no", "n", "off", ""}


def _err(field: str, message: str, hint: str | None = None) -> InputError:
    return InputError(message, location=Location(field=field), hint=hint)


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def text(value: Any, field: str, *, max_length: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _err(field, f"must be text, not {type(value).__name__}")
    value = value.strip()
    if "\x00" in value:  # PostgreSQL cannot store it (a 500 before)
        raise _err(field, "contains a NUL character", "remove it")
    if required and not value:
        raise _err(field, "is required")
    if len(value) > max_length:
        raise _err(field, f"is longer than {max_length} characters")
    return value


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _err(field, f"{value!r} is not a boolean", "use true/false, yes/no or 1/0")


def email(value: Any, field: str = "email") -> str:
    value = text(value, field, max_length=254)
    if not value:
        return ""
    try:
        _email(value)
    except ValidationError:
        raise _err(field, f"{value!r} is not a valid email address") from None
    return value


def url(value: Any, field: str = "webhook_url") -> str:
    value = text(value, field, max_length=500)
    if not value:
        return ""
    check_http_url(value, field=field, max_length=500)
    try:
        _url(value)
    except ValidationError:
        raise _err(field, f"{excerpt(value)} is not a valid http(s) URL") from None
    return value


def choice(value: Any, field: str, choices: list[tuple[str, str]], default: str) -> str:
    value = text(value, field, max_length=64).lower() or default
    allowed = [c for c, _ in choices]
    if value not in allowed:
        raise _err(field, f"{value!r} is not one of: {', '.join(allowed)}")
    return value


def country(value: Any, field: str = "country") -> str:
    value = text(value, field, max_length=8)
    if not value:
        return ""
    try:
        return normalize_country(value)
    except InputError as exc:
        raise _err(field, exc.problem, exc.hint) from None


def region(value: Any, field: str = "region") -> str:
    value = text(value, field, max_length=8)
    if not value:
        return ""
    try:
        return Region.from_code(value).value
    except InputError as exc:
        raise _err(field, exc.problem, exc.hint) from None


def time_zone(value: Any, field: str = "time_zone") -> str:
    value = text(value, field, max_length=64)
    if value and value not in _time_zones():
        raise _err(field, f"{value!r} is not an IANA time zone", "e.g. Africa/Nairobi, UTC")
    return value


def language(value: Any, field: str = "language") -> str:
    value = text(value, field, max_length=16)
    if value and not _LANGUAGE.match(value):
        raise _err(field, f"{value!r} is not a BCP 47 language tag", "e.g. en, fr, es, pt-BR")
    return value


def languages(value: Any, field: str = "languages") -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    return [language(item, field) for item in items if str(item).strip()]


def tlp(value: Any, field: str = "tlp", default: TLP = TLP.AMBER) -> str:
    value = text(value, field, max_length=32)
    return TLP.parse(value, field=field).value if value else default.value


def pgp(value: Any, field: str = "pgp_key") -> dict[str, Any]:
    """Parsed key fields for a Contact, or {} when no key is given."""
    value = text(value, field, max_length=200_000)
    if not value:
        return {}
    try:
        key = parse_public_key(value)
    except InputError as exc:
        raise _err(field, exc.problem, exc.hint) from None
    if key.revoked:
        # Its owner has declared it must not be used; notices encrypted to it would be lost.
        raise _err(
            field,
            f"key {key.fingerprint} has been revoked by its owner",
            "ask the contact for their current key",
        )
    expires = key.expires.astimezone(UTC) if key.expires else None
    return {
        "pgp_key": value,
        "pgp_fingerprint": key.fingerprint,
        "pgp_algorithm": key.algorithm,
        "pgp_expires": expires,
        "pgp_user_ids": list(key.user_ids),
    }


CONTACT_FIELDS = (
    "name",
    "kind",
    "email",
    "webhook_url",
    "phone",
    "language",
    "is_24x7",
    "pgp_key",
    "tlp",
    "exercise_opt_in",
)
ORGANIZATION_FIELDS = (
    "organization_name",
    "organization_kind",
    "region",
    "country",
    "time_zone",
    "languages",
    "resource_constrained",
    "constrained_reason",
)


def clean_contact(raw: dict[str, Any]) -> dict[str, Any]:
    """Clean contact fields; raises the first InputError found (field named)."""
    data: dict[str, Any] = {
        "name": text(raw.get("name"), "name", max_length=200, required=True),
        "kind": choice(raw.get("kind"), "kind", Contact.KIND_CHOICES, Contact.ROLE),
        "email": email(raw.get("email")),
        "webhook_url": url(raw.get("webhook_url")),
        "phone": text(raw.get("phone"), "phone", max_length=40),
        "language": language(raw.get("language")),
        "is_24x7": boolean(raw.get("is_24x7"), "is_24x7"),
        "tlp": tlp(raw.get("tlp")),
    }
    if not data["email"] and not data["webhook_url"]:
        raise _err("email", "a contact needs an email address or a webhook URL")
    data.update(pgp(raw.get("pgp_key")))
    # Consent to exercise messages (core.exercise_mark): only changed when given, so an
    # import without the column keeps what the contact chose.
    if raw.get("exercise_opt_in") not in (None, ""):
        data["exercise_opt_in"] = boolean(raw.get("exercise_opt_in"), "exercise_opt_in")
    return data


def clean_organization(raw: dict[str, Any], *, prefix: str = "organization_") -> dict[str, Any]:
    """Clean the organisation attributes present in `raw` (absent ones are not returned)."""
    data: dict[str, Any] = {}
    if raw.get(f"{prefix}name") not in (None, ""):
        data["name"] = text(raw[f"{prefix}name"], f"{prefix}name", max_length=200)
    if raw.get(f"{prefix}kind") not in (None, ""):
        data["kind"] = choice(
            raw[f"{prefix}kind"], f"{prefix}kind", Organization.KIND_CHOICES, Organization.OTHER
        )
    cleaners: dict[str, Callable[[Any, str], Any]] = {
        "region": region,
        "country": country,
        "time_zone": time_zone,
        "languages": languages,
        "resource_constrained": boolean,
    }
    for name, cleaner in cleaners.items():
        if raw.get(name) not in (None, ""):
            data[name] = cleaner(raw[name], name)
    return data
