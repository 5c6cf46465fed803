"""The one place a fake goes: a scripted transport, and a small signed world behind it.

`World` is a root server delegating `test.` to two servers, with a signed zone whose every
property a test can bend (serials, NS sets, glue, signatures, silence, lameness, garbage).
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dns.dnssec
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec

from dnscc.probe.transport import ERROR, OK, TIMEOUT, Answer

ROOT = "127.9.0.1"
NS1, NS2 = "127.9.1.1", "127.9.1.2"
HINTS = {"a.root-servers.net.": [ROOT]}
Reply = dns.message.Message | bytes | None


class FakeTransport:
    """Answers from a handler instead of the network; counts what it is asked."""

    def __init__(self, handler: Callable[[str, dns.message.Message], Reply]) -> None:
        self.handler = handler
        self.queries = 0
        self.asked: list[tuple[str, str, int]] = []

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
        q = dns.message.make_query(qname, qtype, want_dnssec=dnssec)
        self.asked.append((server, q.question[0].name.to_text(), qtype))
        reply = self.handler(server, q)
        name = q.question[0].name.to_text()
        if reply is None:
            return Answer(server, port, name, qtype, status=TIMEOUT, tries=3, sent_at=time.time())
        wire = reply if isinstance(reply, bytes) else reply.to_wire(max_size=65535)
        return Answer(
            server, port, name, qtype, status=OK, wire=wire, sent_at=time.time(), elapsed=0.001
        )

    async def axfr(self, server: str, zone: str, *, port: int = 53) -> Answer:
        self.queries += 1
        q = dns.message.make_query(zone, dns.rdatatype.AXFR)
        reply = self.handler(server, q)
        if reply is None:
            return Answer(server, port, zone, dns.rdatatype.AXFR, status=ERROR, error="refused")
        wire = reply if isinstance(reply, bytes) else reply.to_wire(max_size=65535)
        return Answer(server, port, zone, dns.rdatatype.AXFR, status=OK, wire=wire, tcp=True)


_KEY = ec.generate_private_key(ec.SECP256R1())


@dataclass
class World:
    serial: dict[str, int] = field(default_factory=lambda: {NS1: 5, NS2: 5})
    parent_ns: list[str] = field(default_factory=lambda: ["ns1.test.", "ns2.test."])
    child_ns: dict[str, list[str]] = field(default_factory=dict)  # server -> NS names
    glue: dict[str, str] = field(default_factory=lambda: {"ns1.test.": NS1, "ns2.test.": NS2})
    child_a: dict[str, str] = field(default_factory=lambda: {"ns1.test.": NS1, "ns2.test.": NS2})
    silent: set[str] = field(default_factory=set)
    lame: set[str] = field(default_factory=set)
    garbage: set[str] = field(default_factory=set)
    open_axfr: bool = False
    signed: bool = True
    ds_ok: bool = True
    inception: float = field(default_factory=lambda: time.time() - 86400)
    expiration: float = field(default_factory=lambda: time.time() + 14 * 86400)

    def __post_init__(self) -> None:
        self.zone = dns.name.from_text("test.")
        self.dnskey = dns.dnssec.make_dnskey(
            _KEY.public_key(), dns.dnssec.Algorithm.ECDSAP256SHA256, flags=257
        )
        self.keys = dns.rrset.from_rdata(self.zone, 3600, self.dnskey)

    def ds(self) -> dns.rrset.RRset:
        d = dns.dnssec.make_ds(self.zone, self.dnskey, "SHA256")
        if not self.ds_ok:
            d = d.replace(digest=bytes([d.digest[0] ^ 0xFF]) + d.digest[1:])
        return dns.rrset.from_rdata(self.zone, 86400, d)

    def _sign(self, rrset: dns.rrset.RRset) -> list[dns.rrset.RRset]:
        if not self.signed:
            return [rrset]
        sig = dns.dnssec.sign(
            rrset,
            _KEY,
            self.zone,
            self.dnskey,
            inception=int(self.inception),
            expiration=int(self.expiration),
        )
        return [rrset, dns.rrset.from_rdata(rrset.name, rrset.ttl, sig)]

    def transport(self) -> FakeTransport:
        return FakeTransport(self.answer)

    def answer(self, server: str, q: dns.message.Message) -> Reply:
        qname, qtype = q.question[0].name, q.question[0].rdtype
        r = dns.message.make_response(q)
        if server == ROOT:
            r.authority.append(
                dns.rrset.from_text_list(self.zone, 172800, "IN", "NS", self.parent_ns)
            )
            if self.signed:
                r.authority.append(self.ds())
            for h, a in self.glue.items():
                if h in self.parent_ns:
                    r.additional.append(dns.rrset.from_text(h, 172800, "IN", "A", a))
            return r
        if server in self.silent:
            return None
        if server in self.garbage:
            return (
                struct.pack("!H", q.id) + b"\x84\x00\x00\x01\x00\x05\x00\x00\x00\x00" + b"\xff" * 9
            )
        if qtype == dns.rdatatype.AXFR:
            if not self.open_axfr:
                r.set_rcode(dns.rcode.REFUSED)
                return r
            r.answer.append(
                dns.rrset.from_text(self.zone, 60, "IN", "SOA", "ns1.test. h.test. 5 1 1 1 1")
            )
            return r
        if server in self.lame:
            r.set_rcode(dns.rcode.REFUSED)
            return r
        r.flags |= dns.flags.AA
        if qname == self.zone and qtype == dns.rdatatype.SOA:
            soa = dns.rrset.from_text(
                self.zone,
                3600,
                "IN",
                "SOA",
                f"ns1.test. h.test. {self.serial.get(server, 5)} 1 1 1 1",
            )
            r.answer.extend(self._sign(soa))
        elif qname == self.zone and qtype == dns.rdatatype.NS:
            ns = self.child_ns.get(server, self.parent_ns)
            r.answer.extend(self._sign(dns.rrset.from_text_list(self.zone, 3600, "IN", "NS", ns)))
        elif qname == self.zone and qtype == dns.rdatatype.DNSKEY:
            if self.signed:
                r.answer.extend(self._sign(self.keys))
        elif qtype == dns.rdatatype.A and qname.to_text() in self.child_a:
            r.answer.append(
                dns.rrset.from_text(qname, 3600, "IN", "A", self.child_a[qname.to_text()])
            )
        return r
