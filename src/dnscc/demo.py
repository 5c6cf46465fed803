"""The demo a newcomer sees after `scripts/run`: the real root zone's 1,438 TLDs with their
inferred operators, root server operators, a few confirmed and vetted registries with
contacts, and one user per role. Idempotent: running it again changes nothing but the
root zone import (which is itself idempotent)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import Account
from dnscc.accounts.services import create_user
from dnscc.core import egress
from dnscc.core.paths import default_root_zone
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.directory.rootzone_import import import_root_zone

ACTOR = audit.Actor("demo")

# Illustrative registries: names are invented, contacts use the reserved example domains.
DEMO_REGISTRIES = [
    # tld, name, time zone, languages, resource constrained, vetting
    (
        "ke",
        "Kenya Network Information Centre (demo)",
        "Africa/Nairobi",
        ["en", "sw"],
        True,
        "vetted",
    ),
    ("sn", "Senegal ccTLD registry (demo)", "Africa/Dakar", ["fr"], True, "unvetted"),
    ("cl", "Chile ccTLD registry (demo)", "America/Santiago", ["es"], False, "trusted"),
    ("fr", "French ccTLD registry (demo)", "Europe/Paris", ["fr", "en"], False, "trusted"),
    ("jp", "Japan ccTLD registry (demo)", "Asia/Tokyo", ["ja", "en"], False, "vetted"),
]


def _password(explicit: str | None) -> str:
    if explicit:
        return explicit
    path = Path(settings.DATA_DIR) / "demo-password"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(12)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def _user(username: str, password: str, **kwargs: Any) -> None:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        create_user(username, password=password, actor=ACTOR, check_password=False, **kwargs)
    elif not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password"])


# Faults the demo lab shows, so that a newcomer sees findings and alerts at once.
DEMO_FAULTS = [
    ("lame", "fr"),
    ("expired-rrsig", "cl"),
    ("hijack", "sn"),
    ("serial-drift", "jp"),
]


def start_demo_lab(*, root_zone: str | None = None) -> dict[str, Any]:
    """Start the full-root lab (idempotent) with the demo's faults. Pure lab calls: the
    sweep that finds them is run by the scheduler of `dnscc serve`."""
    from dnscc.core.errors import ConflictError
    from dnscc.lab import Lab

    lab = Lab()
    lab.up(root_zone=Path(root_zone) if root_zone else None)
    injected = []
    for kind, tld in DEMO_FAULTS:
        try:
            lab.inject(kind, tld=tld)
        except ConflictError as exc:
            if "already injected" not in exc.message:
                raise
            # injected by an earlier run: the lab is already as the demo wants it
        injected.append(f"{kind} on .{tld}")
    return {"lab": str(lab.dir), "faults": injected}


def load_demo(*, root_zone: str | None = None, password: str | None = None) -> dict[str, Any]:
    path = root_zone or str(default_root_zone())
    report = import_root_zone(path, actor=ACTOR)
    from dnscc.demo_directory import load_managers

    managers = load_managers(ACTOR)
    password = _password(password)
    # A data directory holding the demo is loopback-only (dnscc.core.egress) from now on,
    # also in this process, whose rule was read before the demo's marker existed.
    egress.install(egress.from_environment())
    now = timezone.now()
    with transaction.atomic():
        featured = []
        for tld_name, name, tz, langs, constrained, vetting in DEMO_REGISTRIES:
            tld = Tld.objects.filter(name=tld_name).select_related("operator").first()
            if tld is None or tld.operator is None:
                continue
            org = tld.operator
            if org.inferred:
                org.name = name
                org.inferred = False
                org.confirmed_at = now
                org.time_zone, org.languages = tz, langs
                org.resource_constrained = constrained
                if constrained:  # the flag's evidence (directory.constrained)
                    org.constrained_reason = "demo: single-person registry"
                    org.constrained_by, org.constrained_at = ACTOR.name, now
                org.vetting = vetting
                org.vetted_at = now if vetting != "unvetted" else None
                org.save()
                audit.record(ACTOR, "organization.confirm", obj=org, summary=f"demo: {name}")
            featured.append(org)
            if not org.contacts.exists():
                domain = f"nic.{tld_name}.example"
                Contact.objects.create(
                    organization=org,
                    kind=Contact.ROLE,
                    name="Security team",
                    email=f"security@{domain}",
                    is_24x7=True,
                    language=langs[0],
                    verified_at=now - timedelta(days=20),
                )
                Contact.objects.create(
                    organization=org,
                    kind=Contact.PERSON,
                    name="Technical contact",
                    email=f"tech@{domain}",
                    language=langs[0],
                )
                audit.record(ACTOR, "contact.create", obj=org, summary="demo contacts")
        cert, _ = Organization.objects.get_or_create(
            slug="demo-national-cert",
            defaults={
                "name": "Demo National CERT",
                "kind": Organization.CSIRT,
                "region": "AF",
                "country": "KE",
                "time_zone": "Africa/Nairobi",
                "languages": ["en"],
                "vetting": Organization.TRUSTED,
                "vetted_at": now,
            },
        )
        if not cert.contacts.exists():  # so that a coordinator can add it to an incident
            Contact.objects.create(
                organization=cert,
                kind=Contact.ROLE,
                name="Incident desk",
                email="incidents@cert.example",
                is_24x7=True,
                language="en",
                verified_at=now - timedelta(days=20),
            )
        operator_org = featured[0] if featured else cert
    _user("admin", password, role="admin", email="admin@dnscc.example")
    _user(
        "coordinator", password, role="coordinator", email="duty@dnscc.example", desks=["AF", "EU"]
    )
    _user(
        "operator", password, role="operator", email="ops@nic.ke.example", organization=operator_org
    )
    _user("partner", password, role="partner", email="cert@cert.example", organization=cert)
    accounts = Account.objects.filter(
        user__username__in=["admin", "coordinator", "operator", "partner"]
    )
    text = (
        f"demo loaded: {Tld.objects.filter(delegated=True).count()} TLDs, "
        f"{Organization.objects.count()} organizations "
        f"({Organization.objects.filter(inferred=True).count()} inferred operators to confirm)\n"
        f"log in as admin, coordinator, operator or partner with the password: {password}\n"
        + "\n".join(managers)
    )
    return {
        "text": text,
        "password": password,
        "users": sorted(a.user.username for a in accounts),
        "root_zone": report.as_dict() | {"created": len(report.created)},
    }


def run_demo(
    *, lab: bool = False, root_zone: str | None = None, password: str | None = None
) -> dict[str, Any]:
    """Everything `dnscc demo` loads (the browser test of the console loads the same):
    the directory and users, the lab with its faults when `lab`, the coordination work,
    namespace health (recorded without the lab) and the root server information."""
    result = load_demo(root_zone=root_zone, password=password)
    if lab:
        started = start_demo_lab(root_zone=root_zone)
        result["lab"] = started
        result["text"] += (
            f"\nlab: the namespace runs on loopback ({started['lab']}); faults: "
            + ", ".join(started["faults"])
        )
    from dnscc.demo_coordination import load_coordination

    work = [] if lab else _recorded_health()
    work += load_coordination(with_lab=lab)
    from dnscc.demo_rootinfo import load_rootinfo

    work += load_rootinfo(with_lab=lab, password=result["password"])
    result["coordination"] = work
    if work:
        result["text"] += "\n" + "\n".join(work)
    return result


def _recorded_health() -> list[str]:
    from dnscc.monitoring.demo import record_demo_sweep

    return record_demo_sweep()
