"""Resolver checks: NXDOMAIN rewriting, and source port / query id randomness.

Randomness is graded with DNS-OARC porttest's bands on the standard deviation of the
values seen: GREAT at or above 3980, GOOD at or above 296, POOR below (thresholds in the
profile). To see what a resolver sends upstream we need to observe its outgoing queries:
`LoopbackCapture` watches the loopback interface with an AF_PACKET socket (Linux, root),
which suits the lab, where every authoritative server is on 127.0.0.0/8. Any other
`Observer` (for example an authoritative server under our control) can be passed instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
import statistics
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import dns.rcode
import dns.rdatatype

from dnscc.probe.model import Evidence, Finding, records_of
from dnscc.probe.profile import Profile
from dnscc.probe.transport import Answer, Transport

ETH_P_ALL = 0x0003


def grade(stdev: float, profile: Profile) -> str:
    """porttest's bands: GREAT, GOOD or POOR."""
    if stdev >= profile.threshold("porttest_great"):
        return "GREAT"
    if stdev >= profile.threshold("porttest_good"):
        return "GOOD"
    return "POOR"


@dataclass
class Observed:
    """Upstream queries seen from one source address: (source port, query id) pairs."""

    queries: list[tuple[int, int]] = field(default_factory=list)


class Observer(Protocol):
    def observe(self, source: str) -> contextlib.AbstractContextManager[Observed]: ...


class LoopbackCapture:
    """Observe DNS queries sent from `source` over loopback (AF_PACKET; needs root)."""

    def __init__(self, *, dport: int = 53, settle: float = 0.2) -> None:
        self.dport = dport
        self.settle = settle

    @contextlib.contextmanager
    def observe(self, source: str) -> Iterator[Observed]:
        seen = Observed()
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind(("lo", 0))
        sock.settimeout(0.05)
        stop = threading.Event()
        src = socket.inet_aton(source)

        def run() -> None:
            while not stop.is_set():
                try:
                    frame, meta = sock.recvfrom(65535)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if meta[2] == socket.PACKET_OUTGOING:  # lo shows each packet twice
                    continue
                ip = frame[14:]
                if len(ip) < 30 or ip[0] >> 4 != 4 or ip[9] != 17 or ip[12:16] != src:
                    continue
                ihl = (ip[0] & 0x0F) * 4
                sport, dport = struct.unpack("!HH", ip[ihl : ihl + 4])
                if dport == self.dport and len(ip) >= ihl + 10:
                    (qid,) = struct.unpack("!H", ip[ihl + 8 : ihl + 10])
                    seen.queries.append((sport, qid))

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        try:
            yield seen
            stop.wait(self.settle)
        finally:
            stop.set()
            thread.join(2)
            sock.close()


def _name(label: str, under: str) -> str:
    return f"{label}.{under.strip('.')}." if under.strip(".") else f"{label}."


async def check_nxdomain_rewrite(
    resolver: str,
    *,
    transport: Transport,
    profile: Profile,
    under: str = "",
    port: int = 53,
) -> tuple[list[Finding], list[str]]:
    """Ask for random names that cannot exist; an answer instead of NXDOMAIN is rewriting."""
    n = int(profile.threshold("resolver_nxdomain_probes"))
    names = [_name(f"dnscc-nx-{secrets.token_hex(8)}", under) for _ in range(n)]
    answers = await asyncio.gather(
        *(
            transport.query(resolver, q, dns.rdatatype.A, port=port, recurse=True, dnssec=False)
            for q in names
        )
    )
    ok = [a for a in answers if a.ok]
    if not ok:
        return [], [f"resolver {resolver}: no answer to NXDOMAIN probes"]
    rewritten = [
        a
        for a in ok
        if a.rcode == dns.rcode.NOERROR and a.wire is not None and a.wire[6:8] != b"\0\0"
    ]
    if rewritten:
        return [
            Finding(
                "DNSCC_NXDOMAIN_REWRITE",
                profile.severity("DNSCC_NXDOMAIN_REWRITE"),
                ".",
                resolver,
                f"resolver {resolver} answered {len(rewritten)} of {len(ok)} nonexistent names "
                "with data instead of NXDOMAIN",
                tuple(Evidence.of(a, records=records_of(a)) for a in rewritten[:3]),
            )
        ], []
    return [], []


async def check_randomness(
    resolver: str,
    *,
    transport: Transport,
    profile: Profile,
    observer: Observer | None = None,
    outgoing: str | None = None,
    under: str,
    port: int = 53,
) -> tuple[list[Finding], list[str]]:
    """Send the resolver cache-missing queries under `under` and grade the source ports and
    query ids it uses upstream (as seen by `observer`, from address `outgoing`)."""
    observer = observer or LoopbackCapture()
    source = outgoing or resolver
    n = int(profile.threshold("porttest_samples"))
    try:
        ctx = observer.observe(source)
        with ctx as seen:
            answers: list[Answer] = []
            for _ in range(n):  # one at a time: each miss is one upstream query
                answers.append(
                    await transport.query(
                        resolver,
                        _name(f"dnscc-pt-{secrets.token_hex(6)}", under),
                        dns.rdatatype.A,
                        port=port,
                        recurse=True,
                        dnssec=False,
                    )
                )
    except (PermissionError, OSError) as exc:
        return [], [f"resolver {resolver}: cannot observe its queries ({exc})"]
    values = seen.queries
    if len(values) < 5:
        return [], [f"resolver {resolver}: saw only {len(values)} upstream queries"]
    findings: list[Finding] = []
    ev = tuple(Evidence.of(a) for a in answers[:2])
    for code, what, idx in (
        ("DNSCC_PORT_RANDOMNESS", "source ports", 0),
        ("DNSCC_TXID_RANDOMNESS", "query ids", 1),
    ):
        series = [v[idx] for v in values]
        sd = statistics.pstdev(series)
        g = grade(sd, profile)
        if g == "GREAT":
            continue
        sev = profile.severity(code) if g == "POOR" else "notice"
        sample = ", ".join(str(x) for x in series[:8])
        findings.append(
            Finding(
                code,
                sev,
                ".",
                resolver,
                f"resolver {resolver}: {what} are {g} (porttest): standard deviation {sd:.0f} over "
                f"{len(series)} queries, {len(set(series))} distinct; first: {sample}",
                ev,
            )
        )
    return findings, []
