"""Probing one zone: gather what the parent and the zone's servers say, then judge it.

`probe_zone` first collects (the delegation from the parent, then SOA, NS and DNSKEY from
every server, glue addresses from the zone, AXFR attempts) with all queries in flight at
once, then runs the checks in `checks` over the collected answers. Nothing here raises for
a misbehaving server: what cannot be tested is recorded in `ZoneReport.untested`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from dnscc.core.errors import InputError
from dnscc.core.names import normalize_name
from dnscc.probe import checks
from dnscc.probe.model import Evidence, Finding, ZoneReport
from dnscc.probe.profile import Profile
from dnscc.probe.transport import Answer, Transport

A, AAAA, NS, SOA, DNSKEY, DS = (
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.NS,
    dns.rdatatype.SOA,
    dns.rdatatype.DNSKEY,
    dns.rdatatype.DS,
)

Servers = Mapping[str, Sequence[str]]  # host name -> addresses


@dataclass(frozen=True)
class Baseline:
    """What the directory records for a zone: its NS names and, optionally, glue."""

    ns: frozenset[str]
    glue: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, ns: Sequence[str], glue: Mapping[str, Sequence[str]] | None = None) -> Baseline:
        def norm(h: str) -> str:
            return h.lower().rstrip(".") + "."

        return cls(
            frozenset(norm(h) for h in ns),
            {norm(h): frozenset(a) for h, a in (glue or {}).items()},
        )


@dataclass
class Delegation:
    """What the parent says about the zone."""

    ns: list[str]  # host names, absolute, lowercase
    glue: dict[str, list[str]]  # host -> addresses from the referral
    ds: dns.rrset.RRset | None
    evidence: Answer | None  # the referral (None for the root: the hints are the parent)


@dataclass
class Collected:
    """Everything gathered about one zone: the input of the checks."""

    zone: dns.name.Name
    delegation: Delegation
    addresses: dict[str, list[str]]  # host -> addresses tested
    soa: dict[str, Answer] = field(default_factory=dict)  # address -> answer
    ns: dict[str, Answer] = field(default_factory=dict)
    dnskey: dict[str, Answer] = field(default_factory=dict)
    child_addr: dict[tuple[str, int], Answer] = field(default_factory=dict)  # (host, type)
    axfr: dict[str, Answer] = field(default_factory=dict)
    loss_probes: dict[str, list[Answer]] = field(default_factory=dict)  # address -> answers
    host_of: dict[str, str] = field(default_factory=dict)  # address -> host
    untested: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    now: float = 0.0


def read_hints(path: str) -> dict[str, list[str]]:
    """Root hints (named.root format): NS host names with their A/AAAA addresses."""
    servers: dict[str, list[str]] = {}
    with open(path, encoding="ascii") as fh:
        for raw in fh:
            line = raw.split(";", 1)[0].split()
            if len(line) >= 4 and line[-2].upper() in ("A", "AAAA"):
                servers.setdefault(line[0].lower().rstrip(".") + ".", []).append(line[-1])
            elif len(line) >= 4 and line[-2].upper() == "NS":
                servers.setdefault(line[-1].lower().rstrip(".") + ".", [])
    if not any(servers.values()):
        raise InputError(f"no root server addresses in hints file {path}")
    return servers


def read_trust_anchor(path: str) -> dns.rrset.RRset:
    """A trust anchor file of DS records in zone-file form (`. IN DS ...`)."""
    rdatas = []
    with open(path, encoding="ascii") as fh:
        for raw in fh:
            f = raw.split(";", 1)[0].split()
            if "DS" in f:
                i = f.index("DS")
                rdatas.append(" ".join(f[i + 1 :]))
    if not rdatas:
        raise InputError(f"no DS record in trust anchor file {path}")
    return dns.rrset.from_text_list(".", 86400, "IN", "DS", rdatas)


def _name(text: str | dns.name.Name) -> dns.name.Name:
    if isinstance(text, dns.name.Name):
        return text
    if text.strip() in (".", ""):
        return dns.name.root
    return dns.name.from_text(normalize_name(text) + ".")


def _referral(answer: Answer, zone: dns.name.Name) -> tuple[dns.name.Name, Delegation] | None:
    """The zone cut a referral (or authoritative NS answer) points at, with its data."""
    msg = answer.message()
    for section in (msg.authority, msg.answer):
        for rrset in section:
            if rrset.rdtype == NS and zone.is_subdomain(rrset.name):
                ns = sorted({rd.target.to_text().lower() for rd in rrset})
                glue: dict[str, list[str]] = {}
                for add in msg.additional:
                    if add.rdtype in (A, AAAA):
                        host = add.name.to_text().lower()
                        if host in ns:
                            glue.setdefault(host, []).extend(rd.address for rd in add)
                ds = msg.get_rrset(msg.authority, rrset.name, dns.rdataclass.IN, DS)
                return rrset.name, Delegation(ns, glue, ds, answer)
    return None


async def find_delegation(
    zone: dns.name.Name,
    hints: Servers,
    transport: Transport,
    *,
    port: int = 53,
    untested: list[str],
    max_depth: int = 8,
) -> Delegation | None:
    """Walk down from the root servers to the referral for `zone` (iterative, glue only)."""
    servers = [a for addrs in hints.values() for a in addrs]
    cut = dns.name.root
    # Spread the sweep's referral queries over the root servers.
    start = hash(zone) % max(len(servers), 1)
    servers = servers[start:] + servers[:start]
    for _ in range(max_depth):
        answer = None
        for address in servers[:3]:
            answer = await transport.query(address, zone, NS, port=port)
            if answer.ok:
                break
        if answer is None or not answer.ok:
            untested.append(f"parent of {zone}: no answer from {', '.join(servers[:3])}")
            return None
        try:
            if answer.rcode == dns.rcode.NXDOMAIN:
                untested.append(f"{zone} does not exist (NXDOMAIN from {answer.server})")
                return None
            found = _referral(answer, zone)
        except dns.exception.DNSException as exc:
            untested.append(f"parent of {zone}: garbage answer from {answer.server}: {exc}")
            return None
        if found is None:
            untested.append(f"parent of {zone}: no referral from {answer.server}")
            return None
        owner, deleg = found
        if owner == zone:
            return deleg
        if not owner.is_subdomain(cut) or owner == cut:
            untested.append(f"parent of {zone}: referral loop at {owner} from {answer.server}")
            return None
        cut = owner
        servers = [a for addrs in deleg.glue.values() for a in addrs]
        if not servers:
            untested.append(f"parent of {zone}: no glue for {owner} (only glue is followed)")
            return None
    untested.append(f"parent of {zone}: more than {max_depth} referrals")
    return None


async def collect(
    zone: dns.name.Name,
    *,
    hints: Servers,
    transport: Transport,
    profile: Profile,
    trust_anchor: dns.rrset.RRset | None = None,
    baseline: Baseline | None = None,
    port: int = 53,
    axfr: bool = True,
) -> Collected:
    untested: list[str] = []
    if zone == dns.name.root:
        ns = sorted(hints)
        deleg = Delegation(ns, {h: list(a) for h, a in hints.items() if a}, trust_anchor, None)
        if trust_anchor is None:
            untested.append("DNSSEC chain to the root: no trust anchor given")
    else:
        found = await find_delegation(zone, hints, transport, port=port, untested=untested)
        if found is None:
            return Collected(
                zone,
                Delegation([], {}, None, None),
                {},
                untested=untested,
                baseline=baseline,
                now=time.time(),
            )
        deleg = found
    c = Collected(zone, deleg, {}, untested=untested, baseline=baseline, now=time.time())
    max_ns = int(profile.threshold("max_ns"))
    hosts = deleg.ns
    if len(hosts) > max_ns:
        untested.append(f"{len(hosts) - max_ns} of {len(hosts)} name servers not tested (max_ns)")
        hosts = hosts[:max_ns]
    for host in hosts:
        addrs = deleg.glue.get(host, [])
        if not addrs:
            # Out-of-bailiwick names without glue: resolve them from the root, bounded.
            addrs = await _resolve_host(host, hints, transport, port=port)
        if addrs:
            c.addresses[host] = list(dict.fromkeys(addrs))
            for a in c.addresses[host]:
                c.host_of.setdefault(a, host)
        else:
            untested.append(f"{host}: no address (no glue and not resolvable)")

    addresses = list(c.host_of)
    jobs: list[asyncio.Future[Answer]] = []
    kinds: list[tuple[str, str]] = []
    for a in addresses:
        for what, qtype in (("soa", SOA), ("ns", NS), ("dnskey", DNSKEY)):
            jobs.append(asyncio.ensure_future(transport.query(a, zone, qtype, port=port)))
            kinds.append((what, a))
        if axfr:
            jobs.append(asyncio.ensure_future(transport.axfr(a, zone.to_text(), port=port)))
            kinds.append(("axfr", a))
    for (what, a), ans in zip(kinds, await asyncio.gather(*jobs), strict=True):
        getattr(c, what)[a] = ans
    # The zone's own addresses for its in-bailiwick name servers (compared with glue).
    good = [a for a in addresses if checks.authoritative(c.soa[a])]
    inb = [
        h for h in deleg.ns if dns.name.from_text(h).is_subdomain(zone) and zone != dns.name.root
    ]
    if good and inb:
        pairs = [(h, t) for h in inb for t in (A, AAAA)]
        # Spread over the authoritative servers: each one gets a few more samples for the
        # loss measurement, and no single server carries the whole glue check.
        answers = await asyncio.gather(
            *(
                transport.query(good[i % len(good)], h, t, port=port)
                for i, (h, t) in enumerate(pairs)
            )
        )
        c.child_addr = dict(zip(pairs, answers, strict=True))
    elif inb:
        untested.append("glue against the zone's addresses: no authoritative server answered")
    # A server that needed any retransmission gets extra SOA queries, so that the loss rate
    # is judged on enough samples (healthy servers cost nothing extra).
    extra = int(profile.threshold("loss_probes"))
    seen: dict[str, list[Answer]] = {a: [c.soa[a], c.ns[a], c.dnskey[a]] for a in addresses}
    for ans in c.child_addr.values():
        seen[ans.server].append(ans)
    suspects = [
        a
        for a, xs in seen.items()
        if any(not x.ok or x.answered_try > 0 for x in xs) and any(x.ok for x in xs)
    ]
    if extra and suspects:
        probes = await asyncio.gather(
            *(
                transport.query(a, zone, SOA, port=port, dnssec=False)
                for a in suspects
                for _ in range(extra)
            )
        )
        for i, a in enumerate(suspects):
            c.loss_probes[a] = list(probes[i * extra : (i + 1) * extra])
    return c


async def _resolve_host(host: str, hints: Servers, transport: Transport, *, port: int) -> list[str]:
    """Addresses of an out-of-bailiwick name server: a short iterative lookup."""
    name = dns.name.from_text(host)
    servers = [a for addrs in hints.values() for a in addrs][:3]
    for _ in range(8):
        answer = None
        for address in servers:
            answer = await transport.query(address, name, A, port=port)
            if answer.ok:
                break
        if answer is None or not answer.ok:
            return []
        try:
            msg = answer.message()
        except dns.exception.DNSException:
            return []
        rrset = msg.get_rrset(msg.answer, name, dns.rdataclass.IN, A)
        if rrset is not None:
            return [rd.address for rd in rrset]
        found = _referral(answer, name)
        if found is None or answer.aa:
            return []
        servers = [a for addrs in found[1].glue.values() for a in addrs][:3]
        if not servers:
            return []
    return []


class _Counting:
    """Counts one zone's queries when many zones share a transport."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.queries = 0

    async def query(
        self,
        server: str,
        qname: str | dns.name.Name,
        qtype: int,
        *,
        port: int = 53,
        dnssec: bool = True,
        recurse: bool = False,
        tcp: bool = False,
    ) -> Answer:
        self.queries += 1
        return await self.inner.query(
            server, qname, qtype, port=port, dnssec=dnssec, recurse=recurse, tcp=tcp
        )

    async def axfr(self, server: str, zone: str, *, port: int = 53) -> Answer:
        self.queries += 1
        return await self.inner.axfr(server, zone, port=port)


async def probe_zone(
    zone: str | dns.name.Name,
    *,
    hints: Servers,
    profile: Profile,
    transport: Transport,
    baseline: Baseline | None = None,
    trust_anchor: dns.rrset.RRset | None = None,
    port: int = 53,
    axfr: bool = True,
) -> ZoneReport:
    """Probe one zone from the root hints down and return its report (never raises for
    bad servers; a bad zone name gives a report whose `untested` says why)."""
    started = time.monotonic()
    counted = _Counting(transport)
    try:
        name = _name(zone)
    except (InputError, dns.exception.DNSException, UnicodeError) as exc:
        text = zone if isinstance(zone, str) else zone.to_text()
        return ZoneReport(text, (), (f"invalid zone name {text!r}: {exc}",), 0, 0.0)
    c = await collect(
        name,
        hints=hints,
        transport=counted,
        profile=profile,
        trust_anchor=trust_anchor,
        baseline=baseline,
        port=port,
        axfr=axfr,
    )
    findings: list[Finding] = []
    if c.delegation.ns:
        findings = checks.run_all(c, profile)
    return ZoneReport(
        zone=name.to_text(),
        findings=tuple(findings),
        untested=tuple(c.untested),
        queries=counted.queries,
        seconds=time.monotonic() - started,
        servers=tuple(f"{c.host_of[a]}={a}" for a in c.host_of),
    )


__all__ = ["Baseline", "Collected", "Delegation", "Evidence", "probe_zone", "read_hints"]
