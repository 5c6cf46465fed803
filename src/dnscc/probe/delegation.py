"""Finding a zone's delegation: the walk down from the root servers, and name server
addresses (A and AAAA) looked up iteratively from the root.

Every step sends to one parent server and, when that one has not answered within its
retransmission timeout, to the next as well (hedging): a silent parent server costs one
timeout, not a retry chain. A referral without glue is followed by resolving its name
server names. When the referral carries no DS (a parent may leave it out), the DS set is
asked for directly, at the parent's servers, where it is authoritative.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from dnscc.probe.transport import Answer, Transport

A, AAAA, NS, SOA, DS, CNAME = (
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.NS,
    dns.rdatatype.SOA,
    dns.rdatatype.DS,
    dns.rdatatype.CNAME,
)
IN = dns.rdataclass.IN
Servers = Mapping[str, Sequence[str]]  # host name -> addresses

FOUND = "found"
NXDOMAIN = "nxdomain"  # the parent says the name does not exist
NOT_A_ZONE = "not-a-zone"  # the name exists in the parent's zone but is not delegated
NO_PARENT = "no-parent"  # no parent server answered usefully
BROKEN = "broken"  # a referral loop, garbage, too deep


@dataclass
class Delegation:
    """What the parent says about the zone."""

    ns: list[str]  # host names, absolute, lowercase
    glue: dict[str, list[str]]  # host -> addresses from the referral
    ds: dns.rrset.RRset | None
    evidence: Answer | None  # the referral (None for the root, or an undelegated test)
    parent: str = ""  # the parent zone's name
    parent_servers: list[str] = field(default_factory=list)  # addresses asked at the last step
    ds_answer: Answer | None = None  # the direct DS query, when the referral had no DS
    undelegated: bool = False  # given by the user (`--ns`), not found in the parent


@dataclass
class Walk:
    """The outcome of looking for a delegation."""

    outcome: str
    delegation: Delegation | None = None
    parent: str = ""
    evidence: Answer | None = None
    detail: str = ""


def referral(answer: Answer, zone: dns.name.Name) -> tuple[dns.name.Name, Delegation] | None:
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
                ds = msg.get_rrset(msg.authority, rrset.name, IN, DS)
                return rrset.name, Delegation(ns, glue, ds, answer)
    return None


async def hedged(
    transport: Transport,
    servers: Sequence[str],
    qname: dns.name.Name,
    qtype: int,
    *,
    port: int,
    fanout: int = 3,
    dnssec: bool = True,
) -> Answer | None:
    """Ask the first server; when it has not answered within its retransmission timeout,
    ask the next one too, and so on (at most `fanout`). The first answer wins; None when
    no server answered."""
    servers = list(dict.fromkeys(servers))[:fanout]
    rto = getattr(transport, "rto", None)
    tasks: list[asyncio.Task[Answer]] = []
    last: Answer | None = None
    try:
        for i, server in enumerate(servers):
            tasks.append(
                asyncio.ensure_future(
                    transport.query(server, qname, qtype, port=port, dnssec=dnssec)
                )
            )
            wait = rto(server) if rto is not None and i + 1 < len(servers) else None
            pending = {t for t in tasks if not t.done()}
            while pending:
                done, pending = await asyncio.wait(
                    pending, timeout=wait, return_when=asyncio.FIRST_COMPLETED
                )
                if not done:
                    break  # no answer within the timeout: ask the next server too
                for t in done:
                    last = t.result()
                    if last.ok:
                        return last
            # every query so far failed (silent, marked, unreachable): next server at once
        for t in tasks:
            a = await t
            last = a
            if a.ok:
                return a
        return last
    finally:
        for t in tasks:
            if not t.done():
                t.cancel()


async def walk(
    zone: dns.name.Name,
    hints: Servers,
    transport: Transport,
    *,
    port: int = 53,
    max_depth: int = 8,
    ask_ds: bool = True,
) -> Walk:
    """Walk down from the root servers to the referral for `zone`."""
    servers = [a for addrs in hints.values() for a in addrs]
    cut = dns.name.root
    # Spread the sweep's referral queries over the root servers.
    start = hash(zone) % max(len(servers), 1)
    servers = servers[start:] + servers[:start]
    for _ in range(max_depth):
        answer = await hedged(transport, servers, zone, NS, port=port)
        if answer is None or not answer.ok:
            return Walk(
                NO_PARENT,
                parent=cut.to_text(),
                evidence=answer,
                detail=f"no answer from the servers of {cut} ({', '.join(servers[:3])})",
            )
        try:
            if answer.rcode == dns.rcode.NXDOMAIN:
                return Walk(NXDOMAIN, parent=_soa_owner(answer) or cut.to_text(), evidence=answer)
            found = referral(answer, zone)
        except dns.exception.DNSException as exc:
            return Walk(BROKEN, parent=cut.to_text(), evidence=answer, detail=f"garbage: {exc}")
        if found is None:
            if answer.rcode == dns.rcode.NOERROR and answer.aa:
                # The name exists in the parent's zone (NODATA, or data) but no zone is cut.
                return Walk(NOT_A_ZONE, parent=cut.to_text(), evidence=answer)
            return Walk(
                NO_PARENT,
                parent=cut.to_text(),
                evidence=answer,
                detail=f"no referral for {zone} from {answer.server}",
            )
        owner, deleg = found
        deleg.parent = cut.to_text()
        deleg.parent_servers = list(dict.fromkeys(servers))
        if owner == zone:
            if deleg.ds is None and ask_ds:
                await _ask_ds(zone, deleg, answer.server, transport, port=port)
            return Walk(FOUND, deleg, parent=cut.to_text(), evidence=answer)
        if not owner.is_subdomain(cut) or owner == cut:
            return Walk(BROKEN, parent=cut.to_text(), evidence=answer, detail=f"loop at {owner}")
        cut = owner
        servers = [a for addrs in deleg.glue.values() for a in addrs]
        if not servers:
            # A referral without glue: the name servers' names are resolved instead.
            found_addrs = await resolve_many(deleg.ns[:4], hints, transport, port=port)
            servers = [a for addrs in found_addrs.values() for a in addrs]
        if not servers:
            return Walk(
                NO_PARENT,
                parent=cut.to_text(),
                evidence=answer,
                detail=f"the name servers of {owner} have no address",
            )
    return Walk(BROKEN, parent=cut.to_text(), detail=f"more than {max_depth} referrals")


def _soa_owner(answer: Answer) -> str | None:
    msg = answer.message()
    for rrset in msg.authority:
        if rrset.rdtype == SOA:
            return str(rrset.name.to_text())
    return None


async def _ask_ds(
    zone: dns.name.Name, deleg: Delegation, first: str, transport: Transport, *, port: int
) -> None:
    """The DS set straight from the parent's servers (authoritative there)."""
    order = [first, *(s for s in deleg.parent_servers if s != first)]
    answer = await hedged(transport, order, zone, DS, port=port, fanout=2)
    if answer is None or not answer.ok:
        return
    deleg.ds_answer = answer
    try:
        msg = answer.message()
    except dns.exception.DNSException:
        return
    if answer.rcode == dns.rcode.NOERROR:
        deleg.ds = msg.get_rrset(msg.answer, zone, IN, DS)


@dataclass
class Resolution:
    """Addresses of one host name, and what the lookup met on the way."""

    addresses: list[str] = field(default_factory=list)
    cname: str | None = None  # the name is an alias (DELEGATION05 / NS_IS_CNAME)
    nxdomain: bool = False
    answers: list[Answer] = field(default_factory=list)


async def resolve(
    host: str, hints: Servers, transport: Transport, *, port: int = 53, max_depth: int = 8
) -> Resolution:
    """A and AAAA of a host name: a short iterative lookup from the root (A and AAAA asked
    in parallel at each step). A transport with a `memo` (a sweep's) looks each name up
    once: many zones share their name servers."""
    memo = getattr(transport, "memo", None)
    if memo is None:
        return await _resolve(host, hints, transport, port=port, max_depth=max_depth)
    key = ("resolve", host.lower(), port)
    found = memo.get(key)
    if found is None:
        found = memo[key] = asyncio.ensure_future(
            _resolve(host, hints, transport, port=port, max_depth=max_depth)
        )
    result: Resolution = await asyncio.shield(found)
    return result


async def _resolve(
    host: str, hints: Servers, transport: Transport, *, port: int, max_depth: int
) -> Resolution:
    out = Resolution()
    name = dns.name.from_text(host)
    results = await asyncio.gather(
        *(_lookup(name, t, hints, transport, port=port, max_depth=max_depth) for t in (A, AAAA))
    )
    for addrs, cname, nx, answers in results:
        out.addresses.extend(addrs)
        out.cname = out.cname or cname
        out.nxdomain = out.nxdomain or nx
        out.answers.extend(answers)
    out.addresses = list(dict.fromkeys(out.addresses))
    return out


async def _lookup(
    name: dns.name.Name,
    qtype: int,
    hints: Servers,
    transport: Transport,
    *,
    port: int,
    max_depth: int,
) -> tuple[list[str], str | None, bool, list[Answer]]:
    servers = [a for addrs in hints.values() for a in addrs]
    cname: str | None = None
    seen: list[Answer] = []
    target = name
    for _ in range(max_depth):
        answer = await hedged(transport, servers, target, qtype, port=port)
        if answer is None or not answer.ok:
            return [], cname, False, seen
        seen.append(answer)
        try:
            msg = answer.message()
        except dns.exception.DNSException:
            return [], cname, False, seen
        rrset = msg.get_rrset(msg.answer, target, IN, dns.rdatatype.RdataType.make(qtype))
        if rrset is not None:
            return [rd.address for rd in rrset], cname, False, seen
        alias = msg.get_rrset(msg.answer, target, IN, CNAME)
        if alias is not None:
            cname = cname or alias[0].target.to_text().lower()
            target = alias[0].target
            servers = [a for addrs in hints.values() for a in addrs]
            continue
        if answer.rcode == dns.rcode.NXDOMAIN:
            return [], cname, True, seen
        found = referral(answer, target)
        if found is None or answer.aa:
            return [], cname, False, seen
        servers = [a for addrs in found[1].glue.values() for a in addrs]
        if not servers:
            return [], cname, False, seen
    return [], cname, False, seen


async def resolve_many(
    hosts: Sequence[str], hints: Servers, transport: Transport, *, port: int = 53
) -> dict[str, list[str]]:
    """Addresses of several host names, looked up in parallel."""
    found = await asyncio.gather(*(resolve(h, hints, transport, port=port) for h in hosts))
    return {h: r.addresses for h, r in zip(hosts, found, strict=True)}
