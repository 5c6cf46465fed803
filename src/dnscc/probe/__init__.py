"""dnscc.probe: an asyncio DNS engine and the checks a DNS-CERT runs. Pure: no Django.

Modules:
    transport  shared UDP sockets, one timeout sweeper, retries, TCP fallback, EDNS/DO,
               per-server token-bucket rate limit; `Transport` is the swappable interface
    wire       reading an SOA serial or NS names straight from the wire (no full parse)
    model      Evidence, Finding, ZoneReport (frozen, JSON-ready)
    profile    severities and thresholds from profile.toml (`load_profile`)
    zone       `probe_zone`: collect what parent and servers say, then run the checks
    checks     the zone checks (pure functions over collected answers)
    resolver   resolver checks: NXDOMAIN rewriting, source port / query id randomness
    sweep      `sweep`: many zones on one transport, reports as they complete
    cli        `dnscc probe zone|sweep|resolver`

Errors: nothing here raises for a misbehaving server (what could not be tested is recorded
in `ZoneReport.untested`). Bad input from a user raises dnscc.core.errors.InputError (a
profile, hints or trust anchor file) or UnavailableError (no hints: the lab is not up).
"""

from dnscc.probe.model import Evidence, Finding, ZoneReport
from dnscc.probe.profile import Profile, load_profile
from dnscc.probe.sweep import sweep, sweep_all
from dnscc.probe.transport import Answer, Transport, TransportConfig, UdpTransport
from dnscc.probe.zone import Baseline, probe_zone, read_hints, read_trust_anchor

__all__ = [
    "Answer",
    "Baseline",
    "Evidence",
    "Finding",
    "Profile",
    "Transport",
    "TransportConfig",
    "UdpTransport",
    "ZoneReport",
    "load_profile",
    "probe_zone",
    "read_hints",
    "read_trust_anchor",
    "sweep",
    "sweep_all",
]
