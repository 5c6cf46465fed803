"""A world with work in it (incidents with parties, notices, alerts from a sweep, a report,
a delivered campaign): what the console, the alert groups and the link walk look at."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.incidents import services as incidents
from dnscc.incidents.models import Incident
from dnscc.monitoring import services as monitoring
from dnscc.monitoring.models import Sweep
from tests.conftest import World


@dataclass(frozen=True)
class Proof:
    qname: str
    qtype: str
    server: str
    rcode: str = "NOERROR"


@dataclass(frozen=True)
class Found:
    code: str
    severity: str
    message: str
    server: str | None = None
    evidence: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ZoneResult:
    zone: str
    findings: tuple[Found, ...] = ()
    untested: tuple[str, ...] = ()
    queries: int = 0
    seconds: float = 0.0
    extra: dict[str, str] = field(default_factory=dict)


def lame(zone: str, server: str = "ns.shared.example", severity: str = "error") -> Found:
    return Found(
        "DELEGATION04",
        severity,
        f"{server} answers for .{zone} without authority",
        server,
        (
            {
                "query": f"{zone}. SOA @192.0.2.53",
                "time": "2026-05-01T10:00:00.000+00:00",
                "status": "ok",
                "rcode": "NOERROR",
                "flags": "QR RD",
                "ms": 2.5,
            },
        ),
    )


def sweep(results: list[ZoneResult]) -> Sweep:
    """One sweep recording each zone's result (alerts open as the real sweep opens them)."""
    run = monitoring.start_sweep(trigger="test", zones_total=len(results))
    for result in results:
        monitoring.record_zone_report(run, result)
    return monitoring.finish_sweep(
        run, zones_done=len(results), zones_untested=0, queries=0, new=0, resolved=0
    )


def incident(world: World, **data: Any) -> Incident:
    user = world.users["coordinator"]
    fields = {
        "title": "Lame delegation of .alpha",
        "dns_type": "broken-delegation",
        "impact": "high",
        "urgency": "medium",
        "tlp": "AMBER",
        "scope": {"tlds": ["alpha"]},
        "desk": "AF",
        **data,
    }
    return incidents.create_incident(viewer_for(user), audit.Actor.of(user), fields, user=user)


def busy(world: World) -> dict[str, Any]:
    """Alerts from one sweep (a shared lame server on both TLDs, a critical hijack), an
    incident whose parties were notified, and a second one not yet notified."""
    found = sweep(
        [
            ZoneResult("alpha", (lame("alpha"), Found("DNSCC_HIJACK", "critical", "NS changed"))),
            ZoneResult("bravo", (lame("bravo"),)),
        ]
    )
    first = incident(world)
    user = world.users["coordinator"]
    incidents.notify_parties(viewer_for(user), audit.Actor.of(user), first, user=user)
    second = incident(world, title="Bravo hijack", scope={"tlds": ["bravo"]}, desk="EU")
    return {"sweep": found, "incidents": [first, second]}
