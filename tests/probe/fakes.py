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
import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.reversename
import dns.rrset
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from dnscc.probe.transport import ERROR, OK, TIMEOUT, Answer, Variant

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
        variant: Variant | None = None,
    ) -> Answer:
        self.queries += 1
        v = variant or Variant()
        name = qname if isinstance(qname, dns.name.Name) else dns.name.from_text(qname)
        q = dns.message.make_query(
            name,
            qtype,
            rdclass=v.qclass,
            use_edns=v.version if v.edns else False,
            want_dnssec=dnssec and v.edns,
            ednsflags=v.z_flags,
            payload=v.size or 1232,
            options=[dns.edns.GenericOption(c, d) for c, d in v.options],
        )
        if not recurse:
            q.flags &= ~dns.flags.RD
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
_RSA: list[rsa.RSAPrivateKey] = []


def _rsa_1024() -> rsa.RSAPrivateKey:
    """A small RSA key (RSASHA1, 1024 bits: what DNSSEC05 and DNSSEC14 warn about)."""
    if not _RSA:
        _RSA.append(rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - weak on purpose
    return _RSA[0]


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
    ds_tag_offset: int = 0  # the DS names a key tag this much off (a key not published)
    ds_published: bool | None = None  # DS at the parent (default: when signed)
    ds_in_referral: bool = True  # False: the referral leaves DS out, a DS query has it
    child_nx: set[str] = field(default_factory=set)  # names the zone says do not exist
    unsigned_types: set[int] = field(default_factory=set)  # RRsets served without RRSIG
    elsewhere: dict[str, str] = field(default_factory=dict)  # other.-names -> IPv4 or IPv6
    cnames: dict[str, str] = field(default_factory=dict)  # other.-names -> alias target
    ptr: dict[str, str] = field(default_factory=dict)  # address -> reverse name (at the root)
    name: str = "test."
    soa: dict[str, str] = field(default_factory=dict)  # server ("*": all) -> SOA rdata text
    soa_count: int = 1  # SOA records in an SOA answer (ZONE10)
    no_soa: set[str] = field(default_factory=set)  # authoritative, but the SOA is missing
    mx: dict[str, list[str]] = field(default_factory=dict)  # server ("*": all) -> MX texts
    txt: dict[str, list[str]] = field(default_factory=dict)  # server ("*": all) -> TXT texts
    nsec3param: str | None = None
    cds: list[str] = field(default_factory=list)  # CDS rdata ("match": the key's own)
    cdnskey: bool = False
    recursor: set[str] = field(default_factory=set)  # answers anything, with RA
    upward: set[str] = field(default_factory=set)  # refers a query for . to the root
    case_lower: set[str] = field(default_factory=set)  # answers with the name lowercased
    case_refuse: set[str] = field(default_factory=set)  # REFUSED for a mixed-case name
    no_opt: set[str] = field(default_factory=set)  # answers EDNS queries without OPT
    edns1_ok: set[str] = field(default_factory=set)  # answers EDNS version 1 like version 0
    echo_option: set[str] = field(default_factory=set)  # echoes unknown EDNS options
    version: str | None = None  # version.bind CH TXT
    ds_digest: int = 2
    key: str = "ecdsa"  # or "rsasha1-1024"
    inception: float = field(default_factory=lambda: time.time() - 86400)
    expiration: float = field(default_factory=lambda: time.time() + 14 * 86400)

    def __post_init__(self) -> None:
        self.zone = dns.name.from_text(self.name)
        self.private = _KEY if self.key == "ecdsa" else _rsa_1024()
        self.dnskey = dns.dnssec.make_dnskey(
            self.private.public_key(),
            dns.dnssec.Algorithm.ECDSAP256SHA256
            if self.key == "ecdsa"
            else dns.dnssec.Algorithm.RSASHA1,
            flags=257,
        )
        self.keys = dns.rrset.from_rdata(self.zone, 3600, self.dnskey)
        self._sigs: dict[str, dns.rrset.RRset] = {}
        self._names: list[dns.name.Name] = []

    def ds(self) -> dns.rrset.RRset:
        d = dns.dnssec.make_ds(
            self.zone, self.dnskey, self.ds_digest, policy=dns.dnssec.allow_all_policy
        )
        if not self.ds_ok:
            d = d.replace(digest=bytes([d.digest[0] ^ 0xFF]) + d.digest[1:])
        if self.ds_tag_offset:
            d = d.replace(key_tag=(d.key_tag + self.ds_tag_offset) % 65536)
        return dns.rrset.from_rdata(self.zone, 86400, d)

    def _sign(self, rrset: dns.rrset.RRset) -> list[dns.rrset.RRset]:
        if not self.signed or rrset.rdtype in self.unsigned_types:
            return [rrset]
        key = rrset.to_text()
        if key not in self._sigs:  # ECDSA signing per answer made big worlds slow
            self._sigs[key] = self._signature(rrset)
        return [rrset, self._sigs[key]]

    def _signature(self, rrset: dns.rrset.RRset) -> dns.rrset.RRset:
        sig = dns.dnssec.sign(
            rrset,
            self.private,
            self.zone,
            self.dnskey,
            inception=int(self.inception),
            expiration=int(self.expiration),
        )
        return dns.rrset.from_rdata(rrset.name, rrset.ttl, sig)

    def transport(self) -> FakeTransport:
        return FakeTransport(self.answer)

    def answer(self, server: str, q: dns.message.Message) -> Reply:
        qname, qtype = q.question[0].name, q.question[0].rdtype
        r = dns.message.make_response(q)
        if server == ROOT:
            return self._root(q, r)
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
            r.answer.append(dns.rrset.from_text(self.zone, 60, "IN", "SOA", self.soa_text(5)))
            return r
        if server in self.lame:
            r.set_rcode(dns.rcode.REFUSED)
            return r
        r = self._behaviour(server, q, r)
        if r.rcode() != dns.rcode.NOERROR or r.answer or r.authority:
            return r
        if qname == dns.name.from_text("version.bind.") and self.version is not None:
            r.answer.append(dns.rrset.from_text(qname, 0, "CH", "TXT", f'"{self.version}"'))
            return r
        if not qname.is_subdomain(self.zone) or q.question[0].rdclass != dns.rdataclass.IN:
            r.set_rcode(dns.rcode.REFUSED)
            return r
        r.flags |= dns.flags.AA
        if qname == self.zone and qtype == dns.rdatatype.SOA and server in self.no_soa:
            pass
        elif qname == self.zone and qtype == dns.rdatatype.SOA:
            text = self.soa.get(server) or self.soa.get("*")
            texts = [text or self.soa_text(self.serial.get(server, 5))]
            soa = dns.rrset.from_text_list(self.zone, 3600, "IN", "SOA", texts)
            r.answer.extend(self._sign(soa))
            for extra in range(1, self.soa_count):  # a second SOA RRset, written as is
                serial = self.serial.get(server, 5) + extra
                r.answer.append(
                    dns.rrset.from_text(self.zone, 3600, "IN", "SOA", self.soa_text(serial))
                )
        elif qname == self.zone and qtype in self._apex(server):
            rdtype, texts = qtype, self._apex(server)[qtype]
            rr = dns.rrset.from_text_list(self.zone, 3600, "IN", rdtype, texts)
            r.answer.extend(self._sign(rr))
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
        elif qname.to_text() in self.child_nx or (
            qname != self.zone and qname.to_text() not in {*self.child_a, *self.parent_ns}
        ):
            r.set_rcode(dns.rcode.NXDOMAIN)
            self._deny(r)
        else:
            self._deny(r)
        return r

    def _root(self, q: dns.message.Message, r: dns.message.Message) -> Reply:
        """The root: authoritative for `other.` (names in `elsewhere`), refers `test.`,
        and says every other name does not exist."""
        qname, qtype = q.question[0].name, q.question[0].rdtype
        with_ds = self.signed if self.ds_published is None else self.ds_published
        for arpa in ("in-addr.arpa.", "ip6.arpa."):
            if qname.is_subdomain(dns.name.from_text(arpa)):
                r.flags |= dns.flags.AA
                found = next(
                    (n for a, n in self.ptr.items() if dns.reversename.from_address(a) == qname),
                    None,
                )
                if found and qtype == dns.rdatatype.PTR:
                    r.answer.append(dns.rrset.from_text(qname, 3600, "IN", "PTR", found))
                elif not found:
                    r.set_rcode(dns.rcode.NXDOMAIN)
                return r
        if qname.is_subdomain(dns.name.from_text("other.")):
            r.flags |= dns.flags.AA
            alias = self.cnames.get(qname.to_text())
            if alias:
                r.answer.append(dns.rrset.from_text(qname, 3600, "IN", "CNAME", alias))
                return r
            address = self.elsewhere.get(qname.to_text())
            want = "AAAA" if address and ":" in address else "A"
            if address and dns.rdatatype.to_text(qtype) == want:
                r.answer.append(dns.rrset.from_text(qname, 3600, "IN", want, address))
            elif not address:
                r.set_rcode(dns.rcode.NXDOMAIN)
            return r
        if not qname.is_subdomain(self.zone):
            r.flags |= dns.flags.AA
            r.set_rcode(dns.rcode.NXDOMAIN)
            r.authority.append(
                dns.rrset.from_text(".", 86400, "IN", "SOA", "a.root. n.root. 1 1800 900 1 1")
            )
            return r
        if qname == self.zone and qtype == dns.rdatatype.DS:
            r.flags |= dns.flags.AA
            if with_ds:
                r.answer.append(self.ds())
            return r
        r.authority.append(dns.rrset.from_text_list(self.zone, 172800, "IN", "NS", self.parent_ns))
        if with_ds and self.ds_in_referral:
            r.authority.append(self.ds())
        for h, a in self.glue.items():
            if h in self.parent_ns:
                r.additional.append(dns.rrset.from_text(h, 172800, "IN", "A", a))
        return r

    def _apex(self, server: str) -> dict[int, list[str]]:
        """The optional apex RRsets this server publishes."""
        out: dict[int, list[str]] = {}
        mx = self.mx.get(server, self.mx.get("*"))
        if mx:
            out[dns.rdatatype.MX] = mx
        txt = self.txt.get(server, self.txt.get("*"))
        if txt:
            out[dns.rdatatype.TXT] = txt
        if self.nsec3param:
            out[dns.rdatatype.NSEC3PARAM] = [self.nsec3param]
        if self.cds:
            own = dns.dnssec.make_ds(self.zone, self.dnskey, 2).to_text()
            out[dns.rdatatype.CDS] = [own if c == "match" else c for c in self.cds]
        if self.cdnskey:
            out[dns.rdatatype.CDNSKEY] = [self.dnskey.to_text()]
        return out

    def _behaviour(
        self, server: str, q: dns.message.Message, r: dns.message.Message
    ) -> dns.message.Message:
        """How this server treats recursion, the root, case and EDNS (Nameserver tests)."""
        qname, qtype = q.question[0].name, q.question[0].rdtype
        if q.edns > 0 and server not in self.edns1_ok:
            r.use_edns(0)  # RFC 6891: an unknown EDNS version gets BADVERS, with EDNS 0
            r.set_rcode(dns.rcode.BADVERS)
            return r
        if server in self.no_opt:
            r.use_edns(False)
        if server in self.echo_option and q.options:
            r.use_edns(0, options=list(q.options))
        text = qname.to_text()
        if text != text.lower():
            if server in self.case_refuse:
                r.set_rcode(dns.rcode.REFUSED)
                return r
            if server in self.case_lower:
                r.question[0].name = dns.name.from_text(text.lower())  # type: ignore[misc]
        if server in self.recursor and not qname.is_subdomain(self.zone):
            r.flags |= dns.flags.RA
            r.set_rcode(dns.rcode.NXDOMAIN)
            return r
        if server in self.upward and qname == dns.name.root and qtype == dns.rdatatype.NS:
            r.authority.append(dns.rrset.from_text(".", 518400, "IN", "NS", "a.root-servers.net."))
        return r

    def soa_text(self, serial: int) -> str:
        return f"ns1.{self.name} hostmaster.{self.name} {serial} 14400 3600 1209600 3600"

    def _deny(self, r: dns.message.Message) -> None:
        """NXDOMAIN or NODATA: the SOA and, when signed, an NSEC chain that covers it."""
        r.authority.extend(
            self._sign(dns.rrset.from_text(self.zone, 3600, "IN", "SOA", self.soa_text(5)))
        )
        if not self.signed:
            return
        qname = r.question[0].name
        if not self._names:
            self._names = sorted({self.zone, *(dns.name.from_text(h) for h in self.child_a)})
        names = self._names
        # The one NSEC whose span holds the name asked (or that owns it: NODATA).
        owner = max((n for n in names if n <= qname), default=names[-1])
        nxt = names[(names.index(owner) + 1) % len(names)]
        types = "SOA NS DNSKEY RRSIG NSEC" if owner == self.zone else "A RRSIG NSEC"
        nsec = dns.rrset.from_text(owner, 3600, "IN", "NSEC", f"{nxt} {types}")
        r.authority.extend(self._sign(nsec))
