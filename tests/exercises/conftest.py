"""Exercise fixtures: one lab for the exercise tests (12 of Conficker C's TLDs, each with
only its own name servers, no second-level zones), started once for the session, and a
directory of one registry per TLD. The outbox's sink and settings come from
tests/outreach/conftest.py."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from dnscc.core.dga.conficker_c import TLDS as C_TLDS
from dnscc.core.errors import UnavailableError
from dnscc.core.paths import default_root_zone
from dnscc.exercises.labworld import lab_registries, subset_root_zone
from dnscc.lab.lab import Lab
from tests.outreach.conftest import center_key_file, outbox, smtp_sink  # noqa: F401

LAB_TLDS = 12


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


@pytest.fixture(scope="session")
def exercise_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExerciseLab]:
    if os.environ.get("DNSCC_LAB_SKIP") == "1":
        pytest.skip("DNSCC_LAB_SKIP=1: lab tests skipped")
    tlds = in_bailiwick_tlds(LAB_TLDS)
    base = tmp_path_factory.mktemp("dnscc-exercise-lab")
    zone = subset_root_zone(base / "root.zone", set(tlds))
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
    return lab_registries(tlds, lab.plan(), email="security@nic.{tld}.test", opted_in=opted_in)
