"""Zone file text for the lab: the root, each TLD, each second-level zone.

Zones are written unsigned; Knot signs them. Faults change what is written through `Mods`
(the delegation the root publishes, its DS and glue, the NS set a child publishes);
registrations (names a TLD delegates, see `Lab.register`) are added to the TLD zones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from dnscc.lab.plan import Plan, sld_servers

ROOT_SERIAL = 2026010100
# SOA refresh, retry, expire, minimum: values Zonemaster's default profile accepts
# (ZONE02-06), so that the healthy lab sweeps clean.
SOA_TIMERS = "14400 3600 1209600 3600"


@dataclass
class Mods:
    """How active faults bend the zones away from the healthy layout."""

    root_ns: dict[str, dict[str, str]] = field(default_factory=dict)  # tld -> {host: addr}
    root_ds: dict[str, list[str]] = field(default_factory=dict)  # tld -> DS rdata texts
    glue: dict[str, str | None] = field(default_factory=dict)  # host -> addr (None: omitted)
    child_ns: dict[str, dict[str, str]] = field(default_factory=dict)  # tld -> {host: addr}


def _under(host: str, zone: str) -> bool:
    return host == zone or host.endswith("." + zone)


def root_zone(plan: Plan, ds: dict[str, list[str]], mods: Mods) -> str:
    """The lab root: apex NS with loopback glue, one delegation (NS, DS, glue) per TLD."""
    out = [
        "$TTL 86400",
        f". 86400 IN SOA {plan.root_ns[0]} nstld.verisign-grs.com. {ROOT_SERIAL} {SOA_TIMERS}",
    ]
    for h in plan.root_ns:
        out.append(f". 518400 IN NS {h}")
    for h in plan.root_ns:
        out.append(f"{h} 518400 IN A {plan.hosts[h]}")
    glued: set[str] = set(plan.root_ns)
    for tld, ns in plan.tlds.items():
        servers = mods.root_ns.get(tld) or {h: plan.hosts[h] for h in ns}
        for h in servers:
            out.append(f"{tld}. 172800 IN NS {h}")
        for rdata in mods.root_ds.get(tld, ds.get(f"{tld}.", [])):
            out.append(f"{tld}. 86400 IN DS {rdata}")
        for h, addr in servers.items():
            if h in glued:
                continue
            glued.add(h)
            if h in mods.glue:
                override = mods.glue[h]
                if override is None:
                    continue
                addr = override
            out.append(f"{h} 172800 IN A {addr}")
    return "\n".join(out) + "\n"


def tld_zone(
    plan: Plan,
    tld: str,
    ds: dict[str, list[str]],
    mods: Mods,
    registrations: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """A TLD: SOA, NS, addresses of the name server hosts under it, SLD delegations, and the
    registered names (absolute name -> NS host names; unsigned delegations, no glue)."""
    origin = f"{tld}."
    servers = mods.child_ns.get(tld) or {h: plan.hosts[h] for h in plan.tlds[tld]}
    first = next(iter(servers))
    out = [
        f"$ORIGIN {origin}",
        "$TTL 3600",
        f"@ 3600 IN SOA {first} hostmaster.nic.{origin} 1 {SOA_TIMERS}",
    ]
    for h in servers:
        out.append(f"@ 3600 IN NS {h}")
    # Every lab host name under this TLD gets its address here, so NS names resolve.
    addresses = {h: plan.hosts[h] for h in plan.hosts_by_tld.get(tld, [])}
    addresses.update({h: a for h, a in servers.items() if _under(h, origin)})
    for h, addr in sorted(addresses.items()):
        if h != origin:
            out.append(f"{h} 3600 IN A {addr}")
    out.append(f"nic.{origin} 3600 IN A 127.{plan.block}.254.1")
    for sld in plan.sld_zones.get(tld, []):
        for host, addr in sld_servers(plan, sld).items():
            out.append(f"{sld} 3600 IN NS {host}")
            out.append(f"{host} 3600 IN A {addr}")
        for rdata in ds.get(sld, []):
            out.append(f"{sld} 3600 IN DS {rdata}")
    regs = registrations or {}
    for name in sorted(regs):
        for host in regs[name]:
            out.append(f"{name} 3600 IN NS {host}")
    return "\n".join(out) + "\n"


def sld_zone(plan: Plan, zone: str) -> str:
    """A second-level zone: SOA, NS, glue-like addresses, an apex and a www address."""
    servers = sld_servers(plan, zone)
    first = next(iter(servers))
    www = f"127.{plan.block}.254.1"
    out = [
        f"$ORIGIN {zone}",
        "$TTL 3600",
        f"@ 3600 IN SOA {first} hostmaster.{zone} 1 {SOA_TIMERS}",
    ]
    for host, addr in servers.items():
        out.append(f"@ 3600 IN NS {host}")
        out.append(f"{host} 3600 IN A {addr}")
    # A null MX (RFC 7505): the zone says it takes no mail (ZONE09 wants MX or null MX).
    out += [
        f"@ 3600 IN A {www}",
        f"www 3600 IN A {www}",
        '@ 3600 IN TXT "dnscc lab"',
        "@ 3600 IN MX 0 .",
    ]
    return "\n".join(out) + "\n"


def hijack_zone(tld: str, servers: dict[str, str], target: str) -> str:
    """What a hijacker's servers answer for a TLD: unsigned, every name to `target`."""
    origin = f"{tld}."
    first = next(iter(servers))
    out = [
        f"$ORIGIN {origin}",
        "$TTL 300",
        f"@ 300 IN SOA {first} hostmaster.{origin} 1 1800 900 604800 300",
    ]
    for host, addr in servers.items():
        out.append(f"@ 300 IN NS {host}")
        out.append(f"{host} 300 IN A {addr}")
    out += [f"@ 300 IN A {target}", f"* 300 IN A {target}"]
    return "\n".join(out) + "\n"


def ds_from_dnskeys(zone: str, dnskeys: dns.rrset.RRset) -> list[str]:
    """SHA-256 DS rdata for each key-signing (SEP) key of `zone`."""
    name = dns.name.from_text(zone)
    out = []
    for key in dnskeys:
        if key.flags & 0x0001:  # SEP: a KSK or CSK
            out.append(dns.dnssec.make_ds(name, key, "SHA256").to_text())
    return out


def root_hints(plan: Plan) -> str:
    lines = []
    for h in plan.root_ns:
        lines.append(f".                        3600000      NS    {h}")
        lines.append(f"{h:<24} 3600000      A     {plan.hosts[h]}")
    return "\n".join(lines) + "\n"
