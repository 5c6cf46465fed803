"""Shared makers of the risk tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.tlp import Role, Viewer
from dnscc.directory.models import Contact, Organization
from dnscc.risk import surveys

STAFF = Viewer(user_id=None, role=Role.COORDINATOR)
ACTOR = audit.Actor("test")


def t(word: str) -> dict[str, str]:
    return {"en": word, "fr": f"{word} (fr)", "es": f"{word} (es)"}


QUESTIONS = [
    {
        "id": "ddos",
        "kind": "choice",
        "text": t("Did a DDoS reach your name servers this year?"),
        "choices": [{"id": "yes", "text": t("Yes")}, {"id": "no", "text": t("No")}],
        "required": True,
        "event": "ddos-tld",
    },
    {
        "id": "readiness",
        "kind": "scale",
        "text": t("How ready are you for a key rollover?"),
        "min": 1,
        "max": 5,
    },
    {"id": "helper", "kind": "text", "text": t("Who helps you respond today?")},
]


def questionnaire(key: str = "annual-survey") -> Any:
    return surveys.create_questionnaire(
        STAFF, ACTOR, key=key, title=t("Annual DNS risk survey"), questions=QUESTIONS
    )


def operators(
    n: int,
    *,
    regions: tuple[str, ...] = ("AF", "EU", "LAC"),
    languages: tuple[str, ...] = ("en", "fr", "es"),
) -> list[Organization]:
    """n registries with one contact each, spread over regions and languages."""
    orgs = []
    for i in range(n):
        org = Organization.objects.create(
            name=f"Registry {i:02d}",
            slug=f"registry-{i:02d}",
            kind=Organization.TLD_REGISTRY,
            region=regions[i % len(regions)],
            languages=[languages[i % len(languages)]],
        )
        Contact.objects.create(
            organization=org, name="Security", email=f"sec@registry{i:02d}.example"
        )
        orgs.append(org)
    return orgs


def send(key: str = "annual-survey", *, days: int = 14, **audience: Any) -> Any:
    rnd, _ = surveys.send_round(
        STAFF,
        ACTOR,
        questionnaire=key,
        title="Risk survey 2026",
        audience={"kinds": ["tld_registry"], **audience},
        closes_at=timezone.now() + dt.timedelta(days=days),
        min_cell=3,
    )
    return rnd
