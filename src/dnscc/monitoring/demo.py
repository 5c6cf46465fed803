"""Namespace health in the demo without the lab: one sweep, recorded, not probed.

Without the lab the TLD servers are on the Internet, which the demo never queries (one
egress rule, dnscc.core.egress), so no sweep could find anything and the console, the alert
groups and "Open incident" would have nothing to show. This records one sweep (trigger
"demo", its hints say it was recorded) through the same service a real sweep uses
(services.record_zone_report), so alerts open, group and lead to incidents exactly as
they would:

- a critical DNSCC_HIJACK on .cl: the root delegates it to servers disjoint from the
  recorded set. Chile's registry is in the Latin America and Caribbean region, whose desk
  nobody staffs in the demo: from 14:00 to 18:00 UTC, while that desk is on duty, the
  console shows the alert to every coordinator with "nobody staffs it";
- RRSIG_EXPIRED on .ke from each of its four name servers (its signer stopped): four
  alerts of one check and one operator in one sweep, so one group on the Africa desk,
  from which a coordinator opens an incident with .ke in scope. The demo operator is a
  member of Kenya's registry, so it can acknowledge the notice in its portal.

With the lab (`dnscc demo --lab`) the scheduler's sweeps find the lab's faults for real,
and nothing is recorded. Idempotent: once the demo's sweep exists, nothing is made again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from dnscc.directory.models import Tld
from dnscc.monitoring import services
from dnscc.monitoring.models import Sweep

TRIGGER = "demo"
HINTS = "recorded for the demo (no lab: the demo sends no query to the Internet)"
TAKEOVER = ("ns1.takeover-dns.example", "ns2.takeover-dns.example")
# The root server whose referral is the proof (the text of the evidence, never queried).
ROOT = "198.41.0.4"


@dataclass(frozen=True)
class _Finding:
    code: str
    severity: str
    message: str
    server: str | None = None
    evidence: tuple[dict[str, Any], ...] = ()
    tag: str = ""


@dataclass(frozen=True)
class _Report:
    zone: str
    findings: tuple[_Finding, ...]
    untested: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    chain: tuple[Any, ...] = field(default_factory=tuple)


def _proof(query: str, section: str, records: list[str], at: str) -> dict[str, Any]:
    return {
        "query": query,
        "time": at,
        "status": "ok",
        "rcode": "NOERROR",
        "flags": "QR" if section == "authority" else "QR AA",
        "section": section,
        "records": records,
        "ms": 41.0,
        "size": 240,
    }


def _hijack(tld: Tld, at: str) -> _Finding:
    recorded = sorted(tld.ns)
    return _Finding(
        "DNSCC_HIJACK",
        "critical",
        f"delegation moved to {', '.join(TAKEOVER)}, disjoint from the recorded "
        f"{', '.join(recorded)}",
        evidence=(
            _proof(
                f"{tld.name}. NS @{ROOT}",
                "authority",
                [f"{tld.name}.\t172800\tIN\tNS\t{ns}." for ns in TAKEOVER],
                at,
            ),
        ),
        tag="DNSCC_HIJACK",
    )


def _expired(tld: Tld, server: str, at: str, expired: str, incepted: str) -> _Finding:
    rrsig = f"SOA 8 1 86400 {expired} {incepted} 35012 {tld.name}. (signature)"
    return _Finding(
        "RRSIG_EXPIRED",
        "error",
        f"RRSIG with keytag 35012 and covering type(s) SOA has already expired "
        f"(expiration is: {expired})",
        server=server,
        evidence=(
            _proof(
                f"{tld.name}. SOA +dnssec @{server}",
                "answer",
                [f"{tld.name}.\t86400\tIN\tRRSIG\t{rrsig}"],
                at,
            ),
        ),
        tag="RRSIG_EXPIRED",
    )


def record_demo_sweep() -> list[str]:
    """Record the demo's sweep (once); what it did, as lines."""
    if Sweep.objects.filter(trigger=TRIGGER).exists():
        return []
    tlds = {t.name: t for t in Tld.objects.filter(name__in=("cl", "ke"))}
    if set(tlds) != {"cl", "ke"}:
        return []
    now = timezone.now()
    at = now.isoformat(timespec="milliseconds")
    expired = (now - timedelta(days=2)).strftime("%Y%m%d%H%M%S")
    incepted = (now - timedelta(days=16)).strftime("%Y%m%d%H%M%S")
    reports = [
        _Report("cl", (_hijack(tlds["cl"], at),)),
        _Report(
            "ke",
            tuple(_expired(tlds["ke"], ns, at, expired, incepted) for ns in sorted(tlds["ke"].ns)),
        ),
    ]
    with transaction.atomic():
        run = services.start_sweep(trigger=TRIGGER, hints=HINTS, zones_total=len(reports))
        new = sum(services.record_zone_report(run, r, now=now)["new"] for r in reports)
        services.finish_sweep(
            run, zones_done=len(reports), zones_untested=0, queries=0, new=new, resolved=0
        )
    return [
        f"namespace health: a recorded sweep ({new} findings): .cl hijacked (critical, on the"
        f" unstaffed Latin America desk), .ke's signatures expired on {len(tlds['ke'].ns)}"
        " servers (one alert group)"
    ]
