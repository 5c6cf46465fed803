"""An asyncio DNS transport built for throughput and politeness.

Design (the costs measured in the design guide, section 7, are a timer per query and full
parsing of every answer; both are designed out here):

- a few shared UDP sockets (one `DatagramProtocol` each) carry every query;
- in-flight queries live in one dict keyed by (server, port, query id), with random ids;
  an answer is matched on address, id and question, and anything else is dropped and
  counted (`stats.mismatched`, `stats.garbage`);
- ONE sweeper task expires queries from a heap of deadlines and retransmits with backoff
  (each try gets a fresh id; an answer to any earlier try is still accepted, so a slow
  server is told apart from a lossy one by which try was answered);
- TC=1 falls back to TCP; EDNS0 with the DO bit and a buffer size on every query;
- a per-server rate limit (GCRA, i.e. a token bucket) that no query, retry or TCP
  fallback bypasses, and a bound on queries in flight;
- answers are returned as raw wire plus a light header parse; `Answer.message()` does the
  full dnspython parse only when a check needs it.

`Transport` is the swappable interface: checks take any object with `query` and `axfr`
(unit tests pass a scripted fake; integration tests the real `UdpTransport`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import heapq
import ipaddress
import itertools
import os
import socket
import struct
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype

from dnscc.core import egress
from dnscc.core.ratelimit import TokenBucket

OK = "ok"
TIMEOUT = "timeout"
ERROR = "error"

_FLAG_QR = 0x8000
_FLAG_AA = 0x0400
_FLAG_TC = 0x0200
_FLAG_RD = 0x0100
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)


def type_text(qtype: int) -> str:
    return dns.rdatatype.to_text(dns.rdatatype.RdataType.make(qtype))


def rcode_text(rcode: int) -> str:
    return dns.rcode.to_text(dns.rcode.Rcode.make(rcode))


@functools.lru_cache(maxsize=65536)
def canonical_address(address: str) -> str:
    """An IP address in its one canonical text form (RFC 5952 for IPv6).

    Replies are matched to queries by address: a hints file may write an IPv6 address in a
    form the kernel never reports (`fda1:b2:c3:0:127:1:0:1` is reported as
    `fda1:b2:c3::127:1:0:1`), so both sides are compared in this form. Raises ValueError
    for something that is not an IP address.
    """
    return ipaddress.ip_address(address.split("%", 1)[0]).compressed


def wire_of(name: dns.name.Name) -> bytes:
    """Uncompressed, lowercased wire form of a name."""
    wire = name.canonicalize().to_wire()
    assert wire is not None  # to_wire without a file always returns bytes
    return wire


@dataclass(frozen=True)
class Variant:
    """A query that differs from the default one, for the server behaviour checks
    (Zonemaster's Nameserver module): EDNS off or with another version, Z flags, options
    or buffer size; the name sent with its case kept (for the 0x20 checks)."""

    edns: bool = True
    version: int = 0
    z_flags: int = 0  # the EDNS flags besides DO (RFC 6891: must be ignored by servers)
    options: tuple[tuple[int, bytes], ...] = ()
    size: int | None = None  # UDP payload size (None: the transport's)
    keep_case: bool = False
    qclass: int = 1  # 3 (CH) for version.bind
    tc_fallback: bool = True  # False: return a truncated answer as it came

    def opt(self, default_size: int, dnssec: bool) -> bytes:
        """The OPT pseudo-record of this variant (empty without EDNS)."""
        if not self.edns:
            return b""
        flags = (0x8000 if dnssec else 0) | (self.z_flags & 0x7FFF)
        rdata = b"".join(struct.pack("!HH", c, len(v)) + v for c, v in self.options)
        size = default_size if self.size is None else self.size
        return (
            b"\x00" + struct.pack("!HHBBHH", 41, size, 0, self.version, flags, len(rdata)) + rdata
        )


class Answer:
    """The outcome of one query: raw wire and a light header parse (no full parse)."""

    __slots__ = (
        "_message",
        "answered_try",
        "elapsed",
        "error",
        "flags",
        "port",
        "qname",
        "qtype",
        "rcode",
        "rtt",
        "sent_at",
        "server",
        "status",
        "tcp",
        "tries",
        "wire",
    )

    def __init__(
        self,
        server: str,
        port: int,
        qname: str,
        qtype: int,
        *,
        status: str,
        wire: bytes | None = None,
        tries: int = 1,
        answered_try: int = 0,
        tcp: bool = False,
        elapsed: float = 0.0,
        rtt: float | None = None,
        sent_at: float = 0.0,
        error: str | None = None,
    ) -> None:
        self.server = server
        self.port = port
        self.qname = qname
        self.qtype = qtype
        self.status = status
        self.wire = wire
        self.tries = tries
        self.answered_try = answered_try
        self.tcp = tcp
        self.elapsed = elapsed  # from the first try to the answer
        self.rtt = elapsed if rtt is None else rtt  # from the answered try to the answer
        self.sent_at = sent_at
        self.error = error
        self._message: dns.message.Message | None = None
        if wire is not None and len(wire) >= 12:
            flags = (wire[2] << 8) | wire[3]
            self.flags = flags
            self.rcode = flags & 0x000F
        else:
            self.flags = 0
            self.rcode = -1

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def aa(self) -> bool:
        return bool(self.flags & _FLAG_AA)

    @property
    def tc(self) -> bool:
        return bool(self.flags & _FLAG_TC)

    def message(self) -> dns.message.Message:
        """The full dnspython parse, done once and only on demand.

        Raises `dns.exception.DNSException` when the server sent something that has a valid
        header and question but is garbage past them.
        """
        if self._message is None:
            if self.wire is None:
                raise dns.exception.DNSException(f"no answer ({self.status})")  # type: ignore[no-untyped-call]
            self._message = _parse(self.wire)
        return self._message

    def __repr__(self) -> str:
        return (
            f"Answer({self.server} {self.qname} {type_text(self.qtype)} "
            f"{self.status} rcode={self.rcode} tries={self.tries})"
        )


_PARSED: collections.OrderedDict[bytes, dns.message.Message] = collections.OrderedDict()
_PARSED_MAX = 4096


def _parse(wire: bytes) -> dns.message.Message:
    """A full parse, shared by identical answers: the servers of a zone mostly send the same
    bytes but for the query id, and full parsing is the probe's main cost. The parsed
    message is read-only by convention (its id is the first answer's)."""
    key = wire[2:]
    found = _PARSED.get(key)
    if found is not None:
        _PARSED.move_to_end(key)
        return found
    parsed = dns.message.from_wire(wire, ignore_trailing=True)
    _PARSED[key] = parsed
    if len(_PARSED) > _PARSED_MAX:
        _PARSED.popitem(last=False)
    return parsed


@runtime_checkable
class Transport(Protocol):
    """What checks need from a transport: the one place a fake goes."""

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
    ) -> Answer: ...

    async def axfr(self, server: str, zone: str, *, port: int = 53) -> Answer: ...

    @property
    def queries(self) -> int: ...


@dataclass
class Stats:
    """Counters; `sent` counts datagrams and TCP exchanges, retries included."""

    queries: int = 0
    sent: int = 0
    answered: int = 0
    timeouts: int = 0
    retries: int = 0
    tcp_fallbacks: int = 0
    mismatched: int = 0
    garbage: int = 0
    rate_waits: int = 0
    send_errors: int = 0
    marked_dead: int = 0  # servers marked as not answering
    skipped_dead: int = 0  # queries not sent to a server so marked
    refused: int = 0  # destinations outside the egress rule: nothing sent


@dataclass
class RateLimiter:
    """Per-server rate limit: a token bucket checked at the moment of sending.

    `take` either takes a token and returns 0, or returns how long to wait before asking
    again. Because the check happens when the datagram leaves (not when it was scheduled),
    a busy event loop that wakes many waiters at once cannot burst past the limit: toward
    one server, any window of length W holds at most `burst + W * qps` sends.
    `qps=None` means no limit.
    """

    qps: float | None
    burst: int = 1
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def take(self, server: str, now: float) -> float:
        if self.qps is None:
            return 0.0
        bucket = self._buckets.get(server)
        if bucket is None:
            bucket = self._buckets[server] = TokenBucket(self.qps, self.burst, now=now)
        return bucket.take(now)


@dataclass(frozen=True)
class TransportConfig:
    """Timing and limits; the profile's [transport] table fills one.

    Without `timeout_floor` the retransmission timeout is fixed (`timeout`, times `backoff`
    per retry). With it, each server gets its own timeout from its observed round trips
    (RFC 6298: srtt + 4 * rttvar, between `timeout_floor` and `timeout_ceiling`; `timeout`
    until the first sample). `deadline` bounds the whole wait for one query (all tries):
    a silent server costs exactly that. `dead_seconds` > 0 marks a server that timed out
    without ever having answered: for that long, queries to it fail at once instead of
    each waiting out its own deadline.
    """

    timeout: float = 0.8  # first try; each retry waits `backoff` times longer
    tries: int = 3
    backoff: float = 2.0
    tcp_timeout: float = 3.0
    timeout_floor: float | None = None
    timeout_ceiling: float = 1.0
    deadline: float | None = None
    dead_seconds: float = 0.0
    qps_per_server: float | None = 50.0
    burst: int = 10
    max_in_flight: int = 2000
    edns_size: int = 1232
    sockets: int = 2
    tick: float = 0.02  # the sweeper's period: timeouts are late by at most this


class _Slots:
    """A bound on queries in flight. asyncio.Semaphore wakes its waiters by scanning its
    whole queue on every release: with thousands of queries waiting in a sweep that scan was
    a tenth of the sweep's time. Here a release hands its slot to the first live waiter."""

    def __init__(self, n: int) -> None:
        self.free = n
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def __aenter__(self) -> None:
        if self.free > 0 and not self.waiters:
            self.free -= 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release()  # the slot was handed over as we were cancelled: pass it on
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self.free += 1


class _Pending:
    __slots__ = (
        "body",
        "deadline",
        "expires",
        "flags",
        "fut",
        "keys",
        "port",
        "qlen",
        "server",
        "starts",
        "try_no",
        "walls",
    )

    def __init__(self, server: str, port: int, body: bytes, qlen: int, flags: int) -> None:
        self.server = server
        self.port = port
        self.body = body  # question + OPT: everything after the header
        self.qlen = qlen  # length of the question (name + type + class)
        self.flags = flags
        self.keys: list[tuple[str, int, int]] = []
        self.starts: list[float] = []
        self.walls: list[float] = []  # wall-clock send times (kernel timestamps are wall)
        self.try_no = 0
        self.deadline = 0.0
        self.expires = 0.0  # loop time after which no answer is awaited (0: last try's)
        self.fut: asyncio.Future[tuple[bytes, int, float]] = (
            asyncio.get_running_loop().create_future()
        )


class UdpTransport:
    """The real transport. Use as `async with UdpTransport(config) as t: await t.query(...)`.

    Every destination passes the egress rule first (dnscc.core.egress, DNSCC_PROBE_NETWORKS;
    `policy` defaults to the process's): a server outside it gets no packet, and its
    Answer is an ERROR that says so."""

    def __init__(
        self, config: TransportConfig | None = None, *, policy: egress.Policy | None = None
    ) -> None:
        self.config = config or TransportConfig()
        self.policy = policy or egress.current()
        self.stats = Stats()
        self.limiter = RateLimiter(self.config.qps_per_server, self.config.burst)
        self._inflight: dict[tuple[str, int, int], _Pending] = {}
        self._heap: list[tuple[float, int, _Pending, int]] = []
        self._seq = itertools.count()
        self._udp: dict[int, list[socket.socket]] = {}
        self._qcache: dict[tuple[str | dns.name.Name, int], tuple[str, bytes]] = {}
        self._ids: list[int] = []
        self._rr = 0
        self._sweeper: asyncio.Task[None] | None = None
        self._sem: _Slots | None = None
        self.memo: dict[object, object] = {}  # what a sweep learns once (name server lookups)
        self._closed = False
        # Rate-limited sends leave at once (the limit is checked at the moment of sending).
        self._batch = self.config.qps_per_server is None
        self._outbox: list[tuple[socket.socket, bytes, tuple[str, int]]] = []
        self._opt = b"\x00" + struct.pack("!HHIH", 41, self.config.edns_size, 0, 0)
        self._opt_do = b"\x00" + struct.pack("!HHIH", 41, self.config.edns_size, 0x8000, 0)
        self._srtt: dict[str, float] = {}
        self._rttvar: dict[str, float] = {}
        self._answered_by: set[str] = set()  # servers that answered at least once
        self._dead: dict[str, tuple[float, float]] = {}  # server -> (until, wall time marked)

    # -- lifecycle -------------------------------------------------------------------------
    async def __aenter__(self) -> UdpTransport:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._sweeper is None:
            self._sem = _Slots(self.config.max_in_flight)
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def close(self) -> None:
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for p in list(self._inflight.values()):
            if not p.fut.done():
                p.fut.cancel()
        self._inflight.clear()
        loop = asyncio.get_running_loop()
        for socks in self._udp.values():
            for sock in socks:
                loop.remove_reader(sock.fileno())
                sock.close()
        self._udp.clear()

    @property
    def queries(self) -> int:
        return self.stats.queries

    def _sockets(self, family: int) -> list[socket.socket]:
        found = self._udp.get(family)
        if found is None:
            # Plain non-blocking sockets with a reader that drains every queued datagram per
            # wake-up: far fewer event-loop turns than one datagram_received per wake-up.
            loop = asyncio.get_running_loop()
            found = []
            for _ in range(max(1, self.config.sockets)):
                sock = socket.socket(family, socket.SOCK_DGRAM)
                # A large receive buffer: answers wait there while the loop is busy judging
                # zones. SO_RCVBUFFORCE passes the system's cap where we may (root, as in
                # the lab); SO_RCVBUF asks for what the cap allows.
                try:
                    sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, 8 << 20)
                except OSError:
                    with contextlib.suppress(OSError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
                sock.bind(("::", 0) if family == socket.AF_INET6 else ("0.0.0.0", 0))  # noqa: S104
                with contextlib.suppress(OSError, AttributeError):
                    # Kernel arrival times: RTTs stay true when the event loop is busy.
                    sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
                sock.setblocking(False)
                loop.add_reader(sock.fileno(), self._drain, sock)
                found.append(sock)
            self._udp[family] = found
        return found

    def _drain(self, sock: socket.socket, limit: int = 256) -> None:
        received = self._received
        for _ in range(limit):
            try:
                data, anc, _flags, addr = sock.recvmsg(65535, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # e.g. an ICMP error queued on the socket: not tied to a query
            when = None
            for level, kind, blob in anc:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(blob) >= 16:
                    sec, nsec = struct.unpack("qq", blob[:16])
                    when = sec + nsec / 1e9
            received(data, addr, when if when is not None else time.time())

    def _qid(self) -> int:
        # Query ids from the OS's CSPRNG, drawn in batches (one syscall per 512 ids).
        if not self._ids:
            raw = os.urandom(1024)
            self._ids = list(struct.unpack("!512H", raw))
        return self._ids.pop()

    def _question(self, qname: str | dns.name.Name, qtype: int) -> tuple[str, bytes]:
        key = (qname, qtype)
        found = self._qcache.get(key)
        if found is None:
            name = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(qname)
            found = (name.to_text(), wire_of(name) + struct.pack("!HH", qtype, 1))
            if len(self._qcache) > 50_000:
                self._qcache.clear()
            self._qcache[key] = found
        return found

    # -- queries ---------------------------------------------------------------------------
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
        """One query; never raises for network trouble (the status says what happened)."""
        if self._sweeper is None:
            await self.start()
        assert self._sem is not None
        qtext, question = self._question(qname, qtype)
        refused = self.policy.refusal(server)
        if refused:
            self.stats.refused += 1
            return Answer(server, port, qtext, qtype, status=ERROR, error=refused)
        opt = self._opt_do if dnssec else self._opt
        if variant is not None:
            opt = variant.opt(self.config.edns_size, dnssec)
            if variant.keep_case or variant.qclass != 1:
                name = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(qname)
                raw = name.to_wire() if variant.keep_case else wire_of(name)
                assert raw is not None
                question = raw + struct.pack("!HH", qtype, variant.qclass)
        flags = _FLAG_RD if recurse else 0
        self.stats.queries += 1
        wall = time.time()
        try:
            server = canonical_address(server)
        except ValueError:
            return Answer(
                server,
                port,
                qtext,
                qtype,
                status=ERROR,
                error=f"not an IP address: {server!r}",
                sent_at=wall,
            )
        dead = self.dead_note(server)
        if dead is not None:
            self.stats.skipped_dead += 1
            return Answer(
                server, port, qtext, qtype, status=TIMEOUT, tries=0, error=dead, sent_at=wall
            )
        async with self._sem:
            if tcp:
                return await self._tcp_answer(
                    server, port, qtext, qtype, question + opt, flags, wall, 1, len(question)
                )
            pending = _Pending(server, port, question + opt, len(question), flags)
            family = socket.AF_INET6 if ":" in server else socket.AF_INET
            try:
                udp = self._sockets(family)
            except OSError as exc:
                return Answer(
                    server, port, qtext, qtype, status=ERROR, error=str(exc), sent_at=wall
                )
            await self._limit(server)
            self._send(pending, udp)
            try:
                wire, answered_try, received_at = await pending.fut
            except TimeoutError:
                self.stats.timeouts += 1
                self._timed_out(server)
                return Answer(
                    server,
                    port,
                    qtext,
                    qtype,
                    status=TIMEOUT,
                    tries=pending.try_no + 1,
                    elapsed=time.time() - pending.walls[0],
                    sent_at=wall,
                )
            finally:
                for key in pending.keys:
                    self._inflight.pop(key, None)
            self.stats.answered += 1
            self._observe(server, received_at - pending.walls[answered_try])
            if wire[2] & 0x02 and (variant is None or variant.tc_fallback):
                # TC: the whole answer did not fit; ask again over TCP
                self.stats.tcp_fallbacks += 1
                return await self._tcp_answer(
                    server,
                    port,
                    qtext,
                    qtype,
                    question + opt,
                    flags,
                    wall,
                    pending.try_no + 2,
                    len(question),
                )
            return Answer(
                server,
                port,
                qtext,
                qtype,
                status=OK,
                wire=wire,
                tries=pending.try_no + 1,
                answered_try=answered_try,
                elapsed=max(0.0, received_at - pending.walls[0]),
                rtt=max(0.0, received_at - pending.walls[answered_try]),
                sent_at=wall,
            )

    # -- adaptive timeouts, servers marked as not answering ---------------------------------
    def rto(self, server: str) -> float:
        """The retransmission timeout for `server` now (see TransportConfig)."""
        cfg = self.config
        srtt = self._srtt.get(server)
        if cfg.timeout_floor is None or srtt is None:
            return cfg.timeout
        return min(cfg.timeout_ceiling, max(cfg.timeout_floor, srtt + 4 * self._rttvar[server]))

    def _observe(self, server: str, rtt: float) -> None:
        # RFC 6298 section 2; samples are unambiguous because every try has its own id.
        rtt = max(rtt, 0.0)
        self._answered_by.add(server)
        srtt = self._srtt.get(server)
        if srtt is None:
            self._srtt[server], self._rttvar[server] = rtt, rtt / 2
        else:
            self._rttvar[server] = 0.75 * self._rttvar[server] + 0.25 * abs(srtt - rtt)
            self._srtt[server] = 0.875 * srtt + 0.125 * rtt

    def _timed_out(self, server: str) -> None:
        # A server that never answered and now let a whole query expire is marked: the
        # zone's other queries to it end at once (one timeout, not a retry chain each). A
        # server that did answer is lossy or slow, not gone: it is never marked.
        if self.config.dead_seconds > 0 and server not in self._answered_by:
            if server not in self._dead:
                self.stats.marked_dead += 1
            self._dead[server] = (time.monotonic() + self.config.dead_seconds, time.time())

    def dead_note(self, server: str) -> str | None:
        """Why queries to `server` are not sent now, or None when they are."""
        found = self._dead.get(server)
        if found is None:
            return None
        until, since = found
        if time.monotonic() >= until:
            del self._dead[server]
            return None
        when = time.strftime("%H:%M:%S", time.gmtime(since))
        return f"not sent: the server did not answer a query at {when} UTC (marked unresponsive)"

    async def _limit(self, server: str) -> None:
        delay = self.limiter.take(server, time.monotonic())
        while delay > 0:
            self.stats.rate_waits += 1
            await asyncio.sleep(delay)
            delay = self.limiter.take(server, time.monotonic())

    def _send(self, p: _Pending, udp: list[socket.socket] | None = None) -> None:
        if p.fut.done():
            return
        while True:
            qid = self._qid()
            key = (p.server, p.port, qid)
            if key not in self._inflight:
                break
        self._inflight[key] = p
        p.keys.append(key)
        loop = asyncio.get_running_loop()
        now = loop.time()
        p.starts.append(now)
        p.walls.append(time.time())
        timeout = self.rto(p.server) * (self.config.backoff ** (len(p.starts) - 1))
        if self.config.deadline is not None:
            if not p.expires:
                p.expires = now + self.config.deadline
            if self.config.timeout_floor is not None:
                timeout = min(timeout, self.config.timeout_ceiling)
            if p.try_no + 1 >= self.config.tries or now + timeout > p.expires:
                timeout = max(0.0, p.expires - now)  # the last try waits out the deadline
        p.deadline = now + timeout
        heapq.heappush(self._heap, (p.deadline, next(self._seq), p, p.try_no))
        if udp is None:
            family = socket.AF_INET6 if ":" in p.server else socket.AF_INET
            udp = self._udp[family]
        self._rr = (self._rr + 1) % len(udp)
        header = struct.pack("!HHHHHH", qid, p.flags, 1, 0, 0, 1 if p.body[p.qlen :] else 0)
        self.stats.sent += 1
        if self._batch:
            # Without a rate limit, datagrams leave in bursts at the end of the loop turn:
            # a server woken once serves the whole burst, where one wake-up per datagram
            # made each sendto cost ten times more (measured on loopback against Knot).
            self._outbox.append((udp[self._rr], header + p.body, (p.server, p.port)))
            if len(self._outbox) == 1:
                loop.call_soon(self._flush)
            return
        try:
            udp[self._rr].sendto(header + p.body, (p.server, p.port))
        except OSError:
            self.stats.send_errors += 1  # e.g. a full send buffer: the retry covers it

    def _flush(self) -> None:
        out, self._outbox = self._outbox, []
        for sock, wire, addr in out:
            try:
                sock.sendto(wire, addr)
            except OSError:
                self.stats.send_errors += 1

    def _resend(self, p: _Pending) -> None:
        """A retransmission, under the same rate limit (waiting by a timer, not a task)."""
        if p.fut.done():
            return
        delay = self.limiter.take(p.server, time.monotonic())
        if delay > 0:
            self.stats.rate_waits += 1
            # Keep the query alive while it waits for its turn.
            p.deadline = asyncio.get_running_loop().time() + delay + self.config.timeout
            asyncio.get_running_loop().call_later(delay, self._resend, p)
        else:
            self._send(p)

    def _received(self, data: bytes, addr: tuple[str | int, ...], when: float) -> None:
        if len(data) < 12 or not data[2] & 0x80:
            self.stats.garbage += 1
            return
        try:
            source = canonical_address(str(addr[0]))
        except ValueError:
            self.stats.garbage += 1
            return
        key = (source, int(addr[1]), (data[0] << 8) | data[1])
        p = self._inflight.get(key)
        if p is None:
            self.stats.mismatched += 1
            return
        # The question must be ours (names compared without case: RFC 4343, 0x20 mixing).
        end = 12 + p.qlen
        if (
            data[4:6] != b"\x00\x01"
            or data[12 : end - 4].lower() != p.body[: p.qlen - 4].lower()
            or data[end - 4 : end] != p.body[p.qlen - 4 : p.qlen]
        ):
            self.stats.mismatched += 1
            return
        if not p.fut.done():
            try_no = p.keys.index(key)
            p.fut.set_result((data, try_no, when))

    async def _sweep(self) -> None:
        """The one timer: expire or retransmit every query whose deadline has passed."""
        loop = asyncio.get_running_loop()
        heap = self._heap
        while True:
            await asyncio.sleep(self.config.tick)
            now = loop.time()
            if heap and heap[0][0] <= now:
                # Answers may be waiting in a socket while the loop was busy: take them first
                # so that none is counted as a timeout.
                for socks in self._udp.values():
                    for sock in socks:
                        self._drain(sock, 1_000_000)
            while heap and heap[0][0] <= now:
                _, _, p, try_no = heapq.heappop(heap)
                if p.fut.done() or p.try_no != try_no:
                    continue
                if p.try_no + 1 < self.config.tries and (not p.expires or now < p.expires):
                    p.try_no += 1
                    self.stats.retries += 1
                    self._resend(p)
                else:
                    p.fut.set_exception(TimeoutError())

    async def _tcp_exchange(
        self, server: str, port: int, wire: bytes, first_only: bool = True
    ) -> bytes:
        await self._limit(server)
        self.stats.sent += 1
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(server, port), self.config.tcp_timeout
        )
        try:
            writer.write(struct.pack("!H", len(wire)) + wire)
            await writer.drain()
            head = await asyncio.wait_for(reader.readexactly(2), self.config.tcp_timeout)
            (length,) = struct.unpack("!H", head)
            return await asyncio.wait_for(reader.readexactly(length), self.config.tcp_timeout)
        finally:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def _tcp_answer(
        self,
        server: str,
        port: int,
        qtext: str,
        qtype: int,
        body: bytes,
        flags: int,
        wall: float,
        tries: int,
        qlen: int,
    ) -> Answer:
        loop = asyncio.get_running_loop()
        start = loop.time()
        qid = self._qid()
        wire = struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 1 if len(body) > qlen else 0) + body
        try:
            data = await self._tcp_exchange(server, port, wire)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            status = TIMEOUT if isinstance(exc, TimeoutError) else ERROR
            return Answer(
                server,
                port,
                qtext,
                qtype,
                status=status,
                tcp=True,
                tries=tries,
                error=f"tcp: {exc!r}",
                sent_at=wall,
                elapsed=loop.time() - start,
            )
        if len(data) < 12 or (data[0] << 8 | data[1]) != qid:
            self.stats.mismatched += 1
            return Answer(
                server,
                port,
                qtext,
                qtype,
                status=ERROR,
                tcp=True,
                tries=tries,
                error="tcp: answer with another id",
                sent_at=wall,
            )
        return Answer(
            server,
            port,
            qtext,
            qtype,
            status=OK,
            wire=data,
            tcp=True,
            tries=tries,
            sent_at=wall,
            elapsed=loop.time() - start,
        )

    async def axfr(self, server: str, zone: str, *, port: int = 53) -> Answer:
        """Ask for a zone transfer and read only the first message (enough to tell REFUSED
        from an open transfer, without pulling the whole zone)."""
        name = dns.name.from_text(zone)
        refused = self.policy.refusal(server)
        if refused:
            self.stats.refused += 1
            return Answer(
                server, port, name.to_text(), dns.rdatatype.AXFR, status=ERROR, error=refused
            )
        self.stats.queries += 1
        body = wire_of(name) + struct.pack("!HH", dns.rdatatype.AXFR, 1)
        wall = time.time()
        with contextlib.suppress(ValueError):
            server = canonical_address(server)
        dead = self.dead_note(server)
        if dead is not None:
            self.stats.skipped_dead += 1
            return Answer(
                server, port, name.to_text(), dns.rdatatype.AXFR, status=TIMEOUT, error=dead
            )
        loop = asyncio.get_running_loop()
        start = loop.time()
        qid = self._qid()
        wire = struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + body
        try:
            data = await self._tcp_exchange(server, port, wire)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
            status = TIMEOUT if isinstance(exc, TimeoutError) else ERROR
            return Answer(
                server,
                port,
                name.to_text(),
                dns.rdatatype.AXFR,
                status=status,
                tcp=True,
                error=f"tcp: {exc!r}",
                sent_at=wall,
            )
        return Answer(
            server,
            port,
            name.to_text(),
            dns.rdatatype.AXFR,
            status=OK,
            wire=data,
            tcp=True,
            sent_at=wall,
            elapsed=loop.time() - start,
        )


async def query_many(
    transport: Transport,
    items: Iterable[tuple[str, str | dns.name.Name, int]],
    *,
    port: int = 53,
    dnssec: bool = True,
) -> list[Answer]:
    """Run many (server, qname, qtype) queries concurrently; answers in input order."""
    return list(
        await asyncio.gather(
            *(transport.query(s, n, t, port=port, dnssec=dnssec) for s, n, t in items)
        )
    )
