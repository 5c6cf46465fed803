"""Exercise fixtures: one lab for the exercise tests (12 of Conficker C's TLDs, each with
only its own name servers, no second-level zones), started once for the session, and a
directory of one registry per TLD. The outbox's sink and settings come from
tests/outreach/conftest.py."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dnscc.core.dga.conficker_c import TLDS as C_TLDS
from dnscc.core.errors import UnavailableError
from dnscc.core.paths import default_root_zone
from dnscc.lab.lab import Lab
from tests.outreach.conftest import center_key_file, outbox, smtp_sink  # noqa: F401

LAB_TLDS = 12
REGIONS = ["AF", "AP", "EU", "LAC", "NA"]


@dataclass
class ExerciseLab:
    lab: Lab
    tlds: list[str]
    up_seconds: float


def in_bailiwick_tlds(count: int) -> list[str]:
    """The first `count` Conficker C TLDs of the shipped root whose name servers are all
    named under the TLD itself (a lab of a few TLDs then needs no other TLD's glue)."""
    ns: dict[str, list[str]] = {}
    for line in default_root_zone().read_text(encoding="ascii").splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[3] == "NS" and fields[0] != ".":
            ns.setdefault(fields[0].rstrip(".").lower(), []).append(fields[4].lower())
    good = [t for t in C_TLDS if t in ns and all(h.rstrip(".").endswith(f".{t}") for h in ns[t])]
    return good[:count]


def subset_root_zone(path: Path, tlds: list[str]) -> Path:
    """The shipped root zone with only the apex and `tlds` (delegations and glue)."""
    keep = set(tlds)
    lines = []
    for line in default_root_zone().read_text(encoding="ascii").splitlines():
        fields = line.split()
        if not fields or line.startswith((";", "$")):
            continue
        owner = fields[0].lower()
        label = owner.rstrip(".").rpartition(".")[2]
        if owner == "." or label in keep or owner.endswith(".root-servers.net."):
            lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


@pytest.fixture(scope="session")
def exercise_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExerciseLab]:
    if os.environ.get("DNSCC_LAB_SKIP") == "1":
        pytest.skip("DNSCC_LAB_SKIP=1: lab tests skipped")
    tlds = in_bailiwick_tlds(LAB_TLDS)
    base = tmp_path_factory.mktemp("dnscc-exercise-lab")
    zone = subset_root_zone(base / "root.zone", tlds)
    lab = Lab(base / "lab")
    started = time.monotonic()
    try:
        lab.up(root_zone=zone, slds=0, timeout=180)
    except UnavailableError as exc:
        pytest.fail(f"the lab cannot start: {exc}\n(set DNSCC_LAB_SKIP=1 to skip lab tests)")
    try:
        yield ExerciseLab(lab, sorted(lab.plan().tlds), time.monotonic() - started)
    finally:
        lab.down()


def make_registries(tlds: list[str], lab: Lab, *, opted_in: set[str]) -> dict[str, object]:
    """A registry per TLD (regions in turn), each with a contact at the test's mail sink;
    those of `opted_in` take part in exercises."""
    from dnscc.directory import lookup
    from dnscc.directory.models import Contact, Organization, Tld

    plan = lab.plan()
    orgs = {}
    for i, tld in enumerate(tlds):
        org = Organization.objects.create(
            name=f"Registry of .{tld}",
            slug=f"registry-{tld}",
            kind=Organization.TLD_REGISTRY,
            region=REGIONS[i % len(REGIONS)],
        )
        hosts = {h: plan.hosts[h] for h in plan.tlds[tld]}
        Tld.objects.update_or_create(
            name=tld,
            defaults={
                "kind": Tld.CCTLD,
                "operator": org,
                "ns": sorted(hosts),
                "glue": {h: [a] for h, a in hosts.items()},
            },
        )
        Contact.objects.create(
            organization=org,
            name="Security",
            email=f"security@nic.{tld}.test",
            exercise_opt_in=tld in opted_in,
        )
        orgs[tld] = org
    lookup.invalidate()
    return orgs
