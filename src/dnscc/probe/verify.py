"""Verifying registry actions by DNS: is each name in the state a campaign asked for?

A campaign asks registries to act on names; `verify_names` asks each name's TLD, at the
TLD's own authoritative servers (never a resolver: a cache would show the past), for the
name's NS set with a non-recursive query, and classifies what the TLD says:

    not_delegated  NXDOMAIN, or NODATA, with AA: the TLD publishes no delegation
    delegated      a referral (NS in the authority section) for the name (or a parent of it
                   below the TLD); the NS set is kept
    sinkholed      delegated to exactly the sinkhole NS set (case and trailing dot ignored)
    error          timeout, SERVFAIL, REFUSED, a lame or malformed answer: unknown, never
                   counted as compliance

and compares it with what the action requires:

    block, suspend, hold   not_delegated
    sinkhole               sinkholed
    transfer               still delegated; what the registrar of last resort did is not
                           visible in DNS, so `ok` is None ("unverifiable") while delegated
    release                anything (the block ends)

Each name's queries go to the TLD's servers in turn (names spread over the servers); a
timeout or an error answer is asked again at the next server of the TLD before giving up.
Every query goes through one `Transport` (the shared-socket `UdpTransport` unless one is
passed), so its per-server rate limit bounds what any TLD server sees.
"""

from __future__ import annotations

import asyncio
import struct
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import dns.name
import dns.rcode
import dns.rdatatype

from dnscc.core.errors import InputError, Location
from dnscc.core.names import normalize_name
from dnscc.probe.transport import Answer, Transport, TransportConfig, UdpTransport, rcode_text
from dnscc.probe.wire import WireError, _name, _skip_name

NOT_DELEGATED = "not_delegated"
DELEGATED = "delegated"
SINKHOLED = "sinkholed"
ERROR = "error"

# action -> the observed states that comply (None: compliance is not visible in DNS)
ACTIONS: dict[str, frozenset[str] | None] = {
    "block": frozenset({NOT_DELEGATED}),
    "suspend": frozenset({NOT_DELEGATED}),
    "hold": frozenset({NOT_DELEGATED}),
    "sinkhole": frozenset({SINKHOLED}),
    "transfer": None,
    "release": frozenset({NOT_DELEGATED, DELEGATED, SINKHOLED}),
}

_NS, _SOA = 2, 6
_NXDOMAIN, _NOERROR = int(dns.rcode.NXDOMAIN), int(dns.rcode.NOERROR)


@dataclass(frozen=True)
class Expectation:
    """One name and the action a registry was asked to take on it.

    `tld` defaults to the name's last label (give it for names registered deeper, e.g.
    under a second-level registry such as co.uk, when the servers map is keyed that way);
    `sinkhole_ns` overrides the campaign-wide sinkhole NS set for this name.
    """

    name: str
    action: str
    tld: str | None = None
    sinkhole_ns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """What the TLD said about one name, and whether that is what the action requires.

    `ok` is True (complies), False (does not), or None (unknown: an error, or an action DNS
    cannot show, such as a transfer). `evidence` is one line per server asked.
    """

    name: str
    action: str
    observed: str  # not_delegated | delegated | sinkholed | error
    ns: tuple[str, ...]
    ok: bool | None
    evidence: str

    @property
    def outcome(self) -> str:
        """compliant | not_compliant | unverifiable | unknown (an error)."""
        if self.ok is True:
            return "compliant"
        if self.ok is False:
            return "not_compliant"
        return "unknown" if self.observed == ERROR else "unverifiable"


def _host(text: str) -> str:
    """A host name as the wire shows it (absolute, lower case, A-labels): core.names'
    normaliser, the one every other part of dnscc uses."""
    return normalize_name(text) + "."


def _records(buf: bytes) -> tuple[list[tuple[str, str]], bool]:
    """NS records (owner, target) in the answer and authority sections, and whether the
    authority section holds an SOA; read straight from the wire."""
    if len(buf) < 12:
        raise WireError("short header")
    qd, an, ns = struct.unpack_from("!HHH", buf, 4)
    off = 12
    for _ in range(qd):
        off = _skip_name(buf, off) + 4
    found: list[tuple[str, str]] = []
    soa = False
    for i in range(an + ns):
        owner, off = _name(buf, off)
        if off + 10 > len(buf):
            raise WireError("record header runs past the end")
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", buf, off)
        off += 10
        if off + rdlen > len(buf):
            raise WireError("rdata runs past the end")
        if rtype == _NS:
            found.append((owner, _name(buf, off)[0]))
        elif rtype == _SOA and i >= an:
            soa = True
        off += rdlen
    return found, soa


@dataclass(frozen=True)
class _Seen:
    state: str  # not_delegated | delegated | error
    ns: tuple[str, ...]
    text: str
    retry: bool  # an error worth asking another server about


def _classify(answer: Answer, name: str, tld: str) -> _Seen:
    where = f"@{answer.server}"
    if not answer.ok or answer.wire is None:
        why = answer.error or f"timeout ({answer.tries} tries)"
        return _Seen(ERROR, (), f"{where} {why}", True)
    rcode = rcode_text(answer.rcode)
    aa = " aa" if answer.aa else ""
    if answer.rcode == _NXDOMAIN:
        if answer.aa:
            return _Seen(NOT_DELEGATED, (), f"{where} NXDOMAIN aa", False)
        return _Seen(ERROR, (), f"{where} NXDOMAIN without aa (not authoritative)", True)
    if answer.rcode != _NOERROR:
        return _Seen(ERROR, (), f"{where} {rcode}{aa}", True)
    try:
        records, soa = _records(answer.wire)
    except WireError as exc:
        return _Seen(ERROR, (), f"{where} malformed answer ({exc})", True)
    # The deepest zone cut at the name or above it, below the TLD: a referral for the name
    # (or for a registered parent of it, which then decides where the name resolves).
    cut, ns = "", []
    below = f".{tld}."
    for owner, target in records:
        if (owner == name or name.endswith("." + owner)) and owner.endswith(below):
            if len(owner) > len(cut):
                cut, ns = owner, [target]
            elif owner == cut:
                ns.append(target)
    if cut:
        names = tuple(sorted(set(ns)))
        under = "" if cut == name else f" (cut at {cut})"
        return _Seen(DELEGATED, names, f"{where} NOERROR{aa} NS {','.join(names)}{under}", False)
    if answer.aa:
        return _Seen(NOT_DELEGATED, (), f"{where} NOERROR aa no NS{' (SOA)' if soa else ''}", False)
    return _Seen(ERROR, (), f"{where} NOERROR without aa or referral (lame?)", True)


def _judge(action: str, observed: str) -> bool | None:
    if observed == ERROR:
        return None
    wanted = ACTIONS[action]
    if wanted is None:  # transfer: present is all DNS can show
        return None if observed != NOT_DELEGATED else False
    return observed in wanted


async def verify_names(
    items: Sequence[Expectation],
    *,
    servers: Mapping[str, Sequence[str]],
    sinkhole_ns: Sequence[str] = (),
    rate: float | None = 20.0,
    transport: Transport | None = None,
    timeout: float = 1.0,
    retries: int = 1,
    servers_per_name: int = 3,
    concurrency: int = 500,
    port: int = 53,
) -> list[Verdict]:
    """Verify each expectation against its TLD's authoritative servers; verdicts in input
    order.

    `servers` maps a TLD (no dot) to its servers' IP addresses. `rate` is queries per second
    per server, `timeout` the first try's wait and `retries` the retransmissions to one
    server (both for the `UdpTransport` made here; a `transport` passed in brings its own
    limits). A name whose server times out or fails is asked at up to `servers_per_name`
    servers of its TLD. A name whose TLD has no servers gets an error verdict.

    Raises InputError for an unknown action, a malformed name, or a sinkhole action with no
    sinkhole NS set.
    """
    default_sink = frozenset(_host(h) for h in sinkhole_ns)
    jobs: list[tuple[int, str, str, str, frozenset[str]]] = []
    for i, e in enumerate(items):
        if e.action not in ACTIONS:
            raise InputError(
                f"unknown action {e.action!r} for {e.name}",
                location=Location(field="action"),
                hint=f"one of: {', '.join(ACTIONS)}",
            )
        name = normalize_name(e.name) + "."
        tld = (e.tld or name.rstrip(".").rsplit(".", 1)[-1]).strip(".").lower()
        if not name.endswith(f".{tld}."):
            raise InputError(
                f"{name} is not under .{tld}",
                location=Location(field="name"),
                hint="give the TLD the name is registered in, or leave tld unset",
            )
        sink = frozenset(_host(h) for h in e.sinkhole_ns) if e.sinkhole_ns else default_sink
        if e.action == "sinkhole" and not sink:
            raise InputError(
                f"{name}: a sinkhole action needs the sinkhole NS set",
                location=Location(field="sinkhole_ns"),
                hint="pass sinkhole_ns=[...] (the campaign's sinkhole name servers)",
            )
        jobs.append((i, name, tld, e.action, sink))

    out: list[Verdict | None] = [None] * len(items)
    by_tld: dict[str, deque[tuple[int, str, str, str, frozenset[str]]]] = {}
    for job in jobs:
        tld = job[2]
        if not servers.get(tld):
            out[job[0]] = Verdict(
                job[1], job[3], ERROR, (), None, f"no authoritative servers known for .{tld}"
            )
            continue
        by_tld.setdefault(tld, deque()).append(job)
    # Interleave the TLDs so that the queries in flight are spread over every server; in
    # TLD order, the first thousand would all wait on one TLD's rate limit.
    order: list[tuple[int, str, str, str, frozenset[str]]] = []
    queues = list(by_tld.values())
    while queues:
        order.extend(q.popleft() for q in queues)
        queues = [q for q in queues if q]
    turn: dict[str, int] = dict.fromkeys(by_tld, 0)

    addresses = {tld: list(servers[tld]) for tld in by_tld}

    async def check(t: Transport, job: tuple[int, str, str, str, frozenset[str]]) -> None:
        i, name, tld, action, sink = job
        addrs = addresses[tld]
        start = turn[tld]
        turn[tld] = start + 1
        # The name is normalised (lowercase A-labels): build it from its labels, which is
        # much cheaper than having the transport parse its text.
        qname = dns.name.Name([label.encode() for label in name.split(".")])
        notes: list[str] = []
        seen = None
        for k in range(max(1, min(servers_per_name, len(addrs)))):
            server = addrs[(start + k) % len(addrs)]
            answer = await t.query(server, qname, dns.rdatatype.NS, port=port, dnssec=False)
            seen = _classify(answer, name, tld)
            notes.append(seen.text)
            if not seen.retry:
                break
        assert seen is not None
        observed = seen.state
        if observed == DELEGATED and sink and frozenset(seen.ns) == sink:
            observed = SINKHOLED
        out[i] = Verdict(
            name,
            action,
            observed,
            seen.ns,
            _judge(action, observed),
            f"{name} NS " + "; ".join(notes),
        )

    async def run(t: Transport) -> None:
        todo = iter(order)

        async def worker() -> None:
            for job in todo:
                await check(t, job)

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(order))))))

    if order:
        if transport is not None:
            await run(transport)
        else:
            config = TransportConfig(
                timeout=timeout,
                tries=retries + 1,
                qps_per_server=rate,
                burst=max(1, min(10, int(rate or 10))),
                max_in_flight=max(1, concurrency),
            )
            async with UdpTransport(config) as udp:
                await run(udp)
    return [v for v in out if v is not None]
