"""A small lab for an exercise and the directory to match it.

An exercise acts on the lab's TLDs and notifies their registries, so the exercise tests and
the headline benchmark (bench/headline.py) both start a lab from a cut-down copy of the
shipped root zone and make a registry per TLD whose name servers are the lab's. This is
that setup, once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dnscc.core.paths import default_root_zone

REGIONS = ["AF", "AP", "EU", "LAC", "NA"]


def subset_root_zone(path: Path, tlds: set[str], *, extra: int = 0) -> Path:
    """Write to `path` the shipped root zone with only its apex, the root servers, `tlds`
    (delegations and glue) and the first `extra` other TLDs of the zone; `path`.

    A lab of a few TLDs starts in seconds, the whole root in minutes.
    """
    text = default_root_zone().read_text(encoding="ascii")
    others: list[str] = []
    if extra:
        for line in text.splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[3] == "NS" and fields[0] != ".":
                tld = fields[0].rstrip(".").lower()
                if tld not in tlds and tld not in others:
                    others.append(tld)
    keep = tlds | set(others[:extra])
    lines = []
    for line in text.splitlines():
        fields = line.split()
        if not fields or line.startswith((";", "$")):
            continue
        owner = fields[0].lower()
        label = owner.rstrip(".").rpartition(".")[2]
        if owner == "." or label in keep or owner.endswith(".root-servers.net."):
            lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="ascii")
    return path


def lab_registries(tlds: list[str], plan: Any, *, email: str, opted_in: set[str]) -> dict[str, Any]:
    """A registry per TLD of the lab's `plan` (regions in turn), the TLD's name servers
    and glue those of the lab, each with a security contact at `email` (with `{tld}` for
    the TLD); the contacts of `opted_in` take part in exercises. TLD -> Organization."""
    from dnscc.directory import lookup
    from dnscc.directory.models import Contact, Organization, Tld

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
            email=email.format(tld=tld),
            exercise_opt_in=tld in opted_in,
        )
        orgs[tld] = org
    lookup.invalidate()
    return orgs
