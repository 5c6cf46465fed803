"""Probing one zone: gather what the parent and the zone's servers say, then judge it.

`probe_zone` finds the delegation (delegation.py), then runs one pipeline per name server
address, all in parallel: SOA, NS and DNSKEY first; a server that answered any of them
then gets the rest of its queries (TCP, zone data, the server behaviour variants, AXFR,
extra probes when it needed retransmissions). A silent server costs one query deadline
and holds nobody else up. The checks (checks/) then judge the collected answers. Nothing
here raises for a misbehaving server: what cannot be tested is recorded in
`ZoneReport.untested`, and what was not run for want of input in `ZoneReport.skipped`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename
import dns.rrset

from dnscc.core.errors import InputError
from dnscc.core.names import normalize_name
from dnscc.probe import checks, wire
from dnscc.probe.delegation import (
    FOUND,
    Delegation,
    Resolution,
    Servers,
    Walk,
    hedged,
    referral,
    resolve,
    walk,
)
from dnscc.probe.model import Evidence, Finding, ZoneReport
from dnscc.probe.profile import Profile
from dnscc.probe.transport import TIMEOUT, Answer, Transport, Variant

A, AAAA, NS, SOA, DNSKEY, DS = (
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.NS,
    dns.rdatatype.SOA,
    dns.rdatatype.DNSKEY,
    dns.rdatatype.DS,
)

# The server behaviour queries (Zonemaster's Nameserver module), by name.
VARIANTS: dict[str, Variant] = {
    "noedns": Variant(edns=False),
    "edns1": Variant(version=1),
    "ednsopt": Variant(options=((65001, b""),)),  # an option code from the experimental range
    "ednsz": Variant(z_flags=0x4000),
    "small": Variant(size=512, tc_fallback=False),
}


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


@dataclass(frozen=True)
class Undelegated:
    """An undelegated test (as registries run Zonemaster before a delegation): the name
    servers (name -> addresses, empty to look them up) and DS records (rdata text) the
    zone is to get."""

    ns: Mapping[str, Sequence[str]]
    ds: Sequence[str] = ()


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
    child_addr_all: dict[tuple[str, str, int], Answer] = field(default_factory=dict)
    axfr: dict[str, Answer] = field(default_factory=dict)
    loss_probes: dict[str, list[Answer]] = field(default_factory=dict)  # address -> answers
    host_of: dict[str, str] = field(default_factory=dict)  # address -> host
    more: dict[tuple[str, str], Answer] = field(default_factory=dict)  # (what, address)
    resolutions: dict[str, Resolution] = field(default_factory=dict)  # host -> lookup
    ptr: dict[str, Answer | None] = field(default_factory=dict)  # address -> PTR answer
    mname: dict[str, Answer] = field(default_factory=dict)  # MNAME address -> SOA answer
    mname_resolution: Resolution | None = None
    untested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    baseline: Baseline | None = None
    walk: Walk | None = None
    testbed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    nxname: dns.name.Name | None = None
    now: float = 0.0

    def in_testbed(self, address: str) -> bool:
        """Whether an address is in the test bed the root hints live in (see testbed())."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.testbed)


# Special-purpose networks a test bed may live in (RFC 6890 registries): when the root
# hints themselves point into one of them, the namespace under test is a lab there, and
# name server addresses in the same network are not "private" findings (ADDRESS01), have
# no reverse tree to check (ADDRESS02/03) and no AS or prefix spread to judge.
_TESTBED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "fc00::/7",
        "100.64.0.0/10",
    )
)


def testbed(hints: Servers) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """The special-purpose networks that hold the root hints' addresses (none for the
    real root)."""
    found = []
    for addrs in hints.values():
        for a in addrs:
            try:
                ip = ipaddress.ip_address(a)
            except ValueError:
                continue
            for net in _TESTBED_NETWORKS:
                if ip in net and net not in found:
                    found.append(net)
    return tuple(found)


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


async def find_delegation(
    zone: dns.name.Name,
    hints: Servers,
    transport: Transport,
    *,
    port: int = 53,
    untested: list[str],
    max_depth: int = 8,
) -> Delegation | None:
    """Walk down from the root servers to the referral for `zone` (None, with the reason
    appended to `untested`, when there is none)."""
    found = await walk(zone, hints, transport, port=port, max_depth=max_depth, ask_ds=False)
    if found.outcome != FOUND:
        untested.append(f"{zone}: {found.outcome} {found.detail}".rstrip())
    return found.delegation


def _undelegated(zone: dns.name.Name, u: Undelegated) -> Delegation:
    ns = sorted({h.lower().rstrip(".") + "." for h in u.ns})
    glue = {h.lower().rstrip(".") + ".": list(addrs) for h, addrs in u.ns.items() if list(addrs)}
    ds = dns.rrset.from_text_list(zone, 86400, "IN", "DS", list(u.ds)) if u.ds else None
    return Delegation(ns, glue, ds, None, undelegated=True)


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
    undelegated: Undelegated | None = None,
) -> Collected:
    """Gather what the parent and every name server of `zone` say (all in parallel)."""
    untested: list[str] = []
    now = time.time()
    tb = testbed(hints)
    found: Walk | None = None
    if undelegated is not None:
        deleg = _undelegated(zone, undelegated)
    elif zone == dns.name.root:
        ns = sorted(hints)
        deleg = Delegation(ns, {h: list(a) for h, a in hints.items() if a}, trust_anchor, None)
    else:
        found = await walk(zone, hints, transport, port=port)
        if found.delegation is None:
            return Collected(
                zone,
                Delegation([], {}, None, None, parent=found.parent),
                {},
                untested=untested,
                baseline=baseline,
                walk=found,
                testbed=tb,
                now=now,
            )
        deleg = found.delegation
    c = Collected(
        zone, deleg, {}, untested=untested, baseline=baseline, walk=found, testbed=tb, now=now
    )
    c.nxname = dns.name.from_text(f"dnscc-{secrets.token_hex(4)}", zone)
    max_ns = int(profile.threshold("max_ns"))
    hosts = deleg.ns
    if len(hosts) > max_ns:
        untested.append(f"{len(hosts) - max_ns} of {len(hosts)} name servers not tested (max_ns)")
        hosts = hosts[:max_ns]

    # Every name server name is looked up (A and AAAA), in parallel: out-of-bailiwick names
    # for their addresses, glued ones too, to compare with the glue (CONSISTENCY05) and to
    # see aliases (DELEGATION05). In-bailiwick names with glue are asked of the zone itself.
    lookups = [h for h in hosts if not _in_zone(h, zone) or not deleg.glue.get(h)]
    results = await asyncio.gather(*(resolve(h, hints, transport, port=port) for h in lookups))
    c.resolutions = dict(zip(lookups, results, strict=True))
    for host in hosts:
        addrs = deleg.glue.get(host) or c.resolutions.get(host, Resolution()).addresses
        if addrs:
            c.addresses[host] = list(dict.fromkeys(addrs))
            for a in c.addresses[host]:
                c.host_of.setdefault(a, host)
        else:
            untested.append(f"{host}: no address (no glue and not resolvable)")

    first_soa = _FirstSoa(len(c.host_of))
    inb = [h for h in deleg.ns if _in_zone(h, zone) and zone != dns.name.root]
    # Each in-bailiwick name's addresses are asked at four of the zone's servers (all of
    # them when fewer): enough to tell a lame child from one server's bad data, without
    # servers x names queries for a zone with many servers.
    servers = list(c.host_of)
    assign: dict[str, list[str]] = {a: [] for a in servers}
    for i, host in enumerate(inb):
        for k in range(min(4, len(servers))):
            assign[servers[(i + k) % len(servers)]].append(host)
    tasks = [
        _server(
            c,
            a,
            transport=transport,
            profile=profile,
            port=port,
            axfr=axfr,
            inb=assign[a],
            first_soa=first_soa,
        )
        for a in c.host_of
    ]
    tasks.append(_zone_wide(c, hints, transport=transport, port=port, first_soa=first_soa))
    await asyncio.gather(*tasks)
    return c


def _in_zone(host: str, zone: dns.name.Name) -> bool:
    return dns.name.from_text(host).is_subdomain(zone)


async def _server(
    c: Collected,
    a: str,
    *,
    transport: Transport,
    profile: Profile,
    port: int,
    axfr: bool,
    inb: list[str],
    first_soa: _FirstSoa,
) -> None:
    """One name server's pipeline: the basic queries, then (if it answers) the rest."""
    zone = c.zone
    # TCP goes with the first queries: a server silent over UDP is still asked over TCP
    # (CONNECTIVITY02) without waiting for the UDP timeout first.
    soa, ns, dnskey, tcp_soa, tcp_ns = await asyncio.gather(
        transport.query(a, zone, SOA, port=port),
        transport.query(a, zone, NS, port=port),
        transport.query(a, zone, DNSKEY, port=port),
        transport.query(a, zone, SOA, port=port, tcp=True),
        transport.query(a, zone, NS, port=port, tcp=True),
    )
    c.soa[a], c.ns[a], c.dnskey[a] = soa, ns, dnskey
    if any(x.ok for x in (soa, ns)) and TIMEOUT in (tcp_soa.status, tcp_ns.status):
        # The server answers over UDP: a TCP timeout may be a full accept queue on a busy
        # server, so TCP gets a second chance before CONNECTIVITY02 is told.
        tcp_soa, tcp_ns = await asyncio.gather(
            *(
                transport.query(a, zone, qt, port=port, tcp=True)
                if x.status == TIMEOUT
                else _ready(x)
                for x, qt in ((tcp_soa, SOA), (tcp_ns, NS))
            )
        )
    c.more[("tcp_soa", a)], c.more[("tcp_ns", a)] = tcp_soa, tcp_ns
    first_soa.done(checks.authoritative(soa))
    if not any(x.ok for x in (soa, ns, dnskey)):
        return
    jobs: dict[str, asyncio.Future[Answer]] = {}

    def ask(what: str, qname: dns.name.Name | str, qtype: int, **kw: object) -> None:
        jobs[what] = asyncio.ensure_future(transport.query(a, qname, qtype, port=port, **kw))  # type: ignore[arg-type]

    for what, qtype in (
        ("mx", dns.rdatatype.MX),
        ("txt", dns.rdatatype.TXT),
        ("cds", dns.rdatatype.CDS),
        ("cdnskey", dns.rdatatype.CDNSKEY),
        ("nsec3param", dns.rdatatype.NSEC3PARAM),
        ("aaaa", AAAA),
        ("a", A),
    ):
        ask(what, zone, qtype)
    assert c.nxname is not None
    ask("nx", c.nxname, A)
    for what, variant in VARIANTS.items():
        ask(what, zone, DNSKEY if what == "small" else SOA, variant=variant)
    ask("recursion", dns.name.from_text(f"dnscc-{secrets.token_hex(4)}.invalid."), A, recurse=True)
    ask("upward", dns.name.root, NS, dnssec=False)
    ask("case", _mixed_case(zone), SOA, variant=Variant(keep_case=True))
    ask("version", "version.bind.", dns.rdatatype.TXT, dnssec=False, variant=Variant(qclass=3))
    # Names only the zone lists (not the parent) are asked here too (CONSISTENCY05).
    try:
        listed = wire.ns_names(ns.wire or b"") or frozenset()
    except wire.WireError:
        listed = frozenset()
    extra = sorted(h for h in listed if _in_zone(h, zone) and h not in c.delegation.ns)
    for host in [*inb, *extra[:8]]:
        for t in (A, AAAA):
            ask(f"addr {t} {host}", host, t)
    axfr_job = asyncio.ensure_future(transport.axfr(a, zone.to_text(), port=port)) if axfr else None
    answers = await asyncio.gather(*jobs.values())
    for what, answer in zip(jobs, answers, strict=True):
        if what.startswith("addr "):
            _, qt, host = what.split(" ", 2)
            key = (host, int(qt))
            c.child_addr_all[(a, host, int(qt))] = answer
            if answer.ok and (key not in c.child_addr or checks.authoritative(answer)):
                c.child_addr.setdefault(key, answer)
                if checks.authoritative(answer):
                    c.child_addr[key] = answer
        else:
            c.more[(what, a)] = answer
    if axfr_job is not None:
        c.axfr[a] = await axfr_job
    # A server that needed any retransmission gets extra SOA queries, so that its loss
    # rate is judged on enough samples (healthy servers cost nothing extra).
    probes = int(profile.threshold("loss_probes"))
    seen = [soa, ns, dnskey, *(x for x in answers if x.server == a)]
    if probes and any(not x.ok or x.answered_try > 0 for x in seen):
        c.loss_probes[a] = list(
            await asyncio.gather(
                *(transport.query(a, zone, SOA, port=port, dnssec=False) for _ in range(probes))
            )
        )


async def _ready(answer: Answer) -> Answer:
    return answer


def _mixed_case(zone: dns.name.Name) -> dns.name.Name:
    """The zone name with its letters in alternating case (0x20), never all lowercase."""
    text = zone.to_text()
    if text == ".":
        return zone
    out = "".join(ch.upper() if i % 2 == 0 else ch.lower() for i, ch in enumerate(text))
    return dns.name.from_text(out)


class _FirstSoa:
    """Set when a server has answered the SOA with authority, or every server has failed
    to: what the zone-wide lookups wait for (never a fixed timeout)."""

    def __init__(self, servers: int) -> None:
        self.event = asyncio.Event()
        self.left = servers
        if servers == 0:
            self.event.set()

    def done(self, good: bool) -> None:
        self.left -= 1
        if good or self.left <= 0:
            self.event.set()


async def _zone_wide(
    c: Collected, hints: Servers, *, transport: Transport, port: int, first_soa: _FirstSoa
) -> None:
    """Lookups about the zone as a whole: reverse DNS of its servers' addresses, and the
    SOA MNAME (once any server has answered the SOA)."""
    outside = [a for a in c.host_of if not c.in_testbed(a)]
    ptrs = await asyncio.gather(*(_ptr(a, hints, transport, port=port) for a in outside))
    c.ptr = dict(zip(outside, ptrs, strict=True))
    await first_soa.event.wait()
    mname = checks.soa_of(c)
    if mname is None or mname.mname == dns.name.root:
        return
    host = mname.mname.to_text().lower()
    addrs = c.addresses.get(host)
    if not addrs:
        res = c.resolutions.get(host) or await resolve(host, hints, transport, port=port)
        c.mname_resolution = res
        addrs = res.addresses
    else:
        c.mname_resolution = Resolution(addresses=list(addrs))
    found = await asyncio.gather(*(transport.query(a, c.zone, SOA, port=port) for a in addrs[:4]))
    c.mname = dict(zip(addrs[:4], found, strict=True))


async def _ptr(address: str, hints: Servers, transport: Transport, *, port: int) -> Answer | None:
    """The PTR answer for an address, looked up iteratively from the root."""
    name = dns.reversename.from_address(address)
    servers = [x for addrs in hints.values() for x in addrs]
    for _ in range(12):
        answer = await hedged(transport, servers, name, dns.rdatatype.PTR, port=port)
        if answer is None or not answer.ok:
            return answer
        try:
            found = referral(answer, name)
        except dns.exception.DNSException:
            return answer
        if answer.aa or found is None or answer.rcode != dns.rcode.NOERROR:
            return answer
        servers = [x for addrs in found[1].glue.values() for x in addrs]
        if not servers:
            return answer
    return None


class _Counting:
    """Counts one zone's queries when many zones share a transport."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.queries = 0
        self.rto = getattr(inner, "rto", None)
        self.memo = getattr(inner, "memo", None)

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
        variant: Variant | None = None,
    ) -> Answer:
        self.queries += 1
        return await self.inner.query(
            server,
            qname,
            qtype,
            port=port,
            dnssec=dnssec,
            recurse=recurse,
            tcp=tcp,
            variant=variant,
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
    undelegated: Undelegated | None = None,
) -> ZoneReport:
    """Probe one zone from the root hints down (or, for an undelegated test, at the given
    name servers) and return its report. Never raises for bad servers; a bad zone name
    gives a report whose `untested` says why."""
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
        undelegated=undelegated,
    )
    findings: list[Finding] = await checks.run_all_async(c, profile)
    return ZoneReport(
        zone=name.to_text(),
        findings=tuple(findings),
        untested=tuple(c.untested),
        queries=counted.queries,
        seconds=time.monotonic() - started,
        servers=tuple(f"{c.host_of[a]}={a}" for a in c.host_of),
        skipped=tuple(c.skipped),
        chain=tuple(checks.dnssec_chain(c)),
    )


__all__ = [
    "Baseline",
    "Collected",
    "Delegation",
    "Evidence",
    "Undelegated",
    "probe_zone",
    "read_hints",
]
