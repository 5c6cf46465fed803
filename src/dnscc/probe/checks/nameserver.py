"""Nameserver: how each name server behaves (Zonemaster's Nameserver module): no open
recursion (NAMESERVER01), EDNS handled (02, 10-13), no open zone transfer (03), AAAA
answered (05), name server names resolve (06), no upward referral (07), query name case
kept and ignored (08, 09), software version not disclosed (15).

NAMESERVER04 (answers from the queried address) is enforced by the transport itself: an
answer from another address is dropped as a possible spoof, so the query times out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dns.edns
import dns.name
import dns.rcode
import dns.rdatatype

from dnscc.probe import wire
from dnscc.probe.checks import Out, authoritative, ev, label, lossy, msg, records_of, summary
from dnscc.probe.model import Evidence
from dnscc.probe.transport import Answer, rcode_text

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected

BADVERS = 16


def _servers(c: Collected) -> list[str]:
    # Only servers that serve the zone: a lame server's behaviour is DELEGATION04's finding,
    # and a lossy one's missing answers DNSCC_LOSSY's.
    return [
        a
        for a in c.host_of
        if a in c.soa and authoritative(c.soa[a]) and msg(c.soa[a]) and not lossy(c, a)
    ]


def _answering(c: Collected) -> list[str]:
    """Servers that answer at all (lame ones included: Zonemaster tests them too)."""
    return [
        a
        for a in c.host_of
        if any(x.get(a) is not None and x[a].ok and msg(x[a]) for x in (c.soa, c.ns))
        and not lossy(c, a)
    ]


def _get(c: Collected, what: str, a: str) -> Answer | None:
    return c.more.get((what, a))


def nameserver01(c: Collected, out: Out) -> None:
    """NAMESERVER01: a name server does not recurse for anyone."""
    for a in _servers(c):
        answer = _get(c, "recursion", a)
        if answer is None or not answer.ok:
            continue
        ra = bool(answer.flags & 0x0080)
        if ra and answer.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and not answer.aa:
            out.add(
                "NAMESERVER01",
                "IS_A_RECURSOR",
                f"{label(c, a)} answers recursive queries for names outside its zones",
                [ev(answer, "authority")],
                server=a,
                args={"ns": label(c, a)},
            )


def _edns(m: wire.Summary | None) -> int:
    """The EDNS version of an answer, -1 without OPT."""
    return m.version if m is not None and m.opt else -1


def _rcode(answer: Answer, m: wire.Summary) -> int:
    """The full rcode: the header's four bits and the OPT's extended eight (RFC 6891)."""
    return (m.ext_rcode << 4) | (answer.rcode & 0xF) if m.opt else answer.rcode


def nameserver02(c: Collected, out: Out) -> None:
    """NAMESERVER02: EDNS0 is supported and answered with EDNS0."""
    for a in _answering(c):
        soa, plain = c.soa.get(a), _get(c, "noedns", a)
        who = label(c, a)
        args = {"ns": who}
        if soa is None:
            continue
        if not soa.ok:
            if plain is not None and plain.ok:
                out.add(
                    "NAMESERVER02",
                    "BREAKS_ON_EDNS",
                    f"{who} answers without EDNS but not with it",
                    [ev(soa), ev(plain)],
                    server=a,
                    args=args,
                )
            continue
        if soa.rcode == dns.rcode.FORMERR:
            out.add(
                "NAMESERVER02",
                "NO_EDNS_SUPPORT",
                f"{who} answers EDNS queries with FORMERR",
                [ev(soa)],
                server=a,
                args=args,
            )
            continue
        if soa.rcode != dns.rcode.NOERROR:
            out.add(
                "NAMESERVER02",
                "NS_ERROR",
                f"{who} answers with {rcode_text(soa.rcode)}",
                [ev(soa)],
                server=a,
                args=args,
            )
            continue
        m = summary(soa)
        if m is None:
            continue
        if _edns(m) < 0:
            out.add(
                "NAMESERVER02",
                "EDNS_RESPONSE_WITHOUT_EDNS",
                f"{who} answers an EDNS query without EDNS",
                [ev(soa)],
                server=a,
                args=args,
            )
        elif _edns(m) != 0:
            out.add(
                "NAMESERVER02",
                "EDNS_VERSION_ERROR",
                f"{who} answers an EDNS0 query with EDNS version {_edns(m)}",
                [ev(soa)],
                server=a,
                args=args,
            )


def nameserver03(c: Collected, out: Out) -> None:
    """NAMESERVER03: a server hands the zone to anyone who asks."""
    for address, a in c.axfr.items():
        if (
            a.ok
            and a.rcode == dns.rcode.NOERROR
            and a.wire is not None
            and a.wire[6:8] != b"\0\0"
            and msg(a) is not None
        ):
            out.add(
                "NAMESERVER03",
                "AXFR_AVAILABLE",
                f"{label(c, address)} allows AXFR of {out.zone}",
                [Evidence.of(a, records=records_of(a, limit=2))],
                server=address,
                args={"ns": label(c, address)},
            )


def nameserver05(c: Collected, out: Out) -> None:
    """NAMESERVER05: AAAA queries are answered (not dropped, no error); judged only at a
    server that answers A queries properly."""
    for a in _answering(c):
        who = label(c, a)
        args = {"ns": who}
        aaaa, plain_a = _get(c, "aaaa", a), _get(c, "a", a)
        if plain_a is None or not plain_a.ok:
            continue
        if plain_a.rcode != dns.rcode.NOERROR:
            out.add(
                "NAMESERVER05",
                "A_UNEXPECTED_RCODE",
                f"{who} answers A with {rcode_text(plain_a.rcode)}",
                [ev(plain_a)],
                server=a,
                args={**args, "rcode": rcode_text(plain_a.rcode)},
            )
            continue
        if aaaa is not None and not aaaa.ok:
            out.add(
                "NAMESERVER05",
                "AAAA_QUERY_DROPPED",
                f"{who} drops AAAA queries",
                [ev(aaaa)],
                server=a,
                args=args,
            )
        elif aaaa is not None and aaaa.rcode != dns.rcode.NOERROR:
            out.add(
                "NAMESERVER05",
                "AAAA_UNEXPECTED_RCODE",
                f"{who} answers AAAA with {rcode_text(aaaa.rcode)}",
                [ev(aaaa)],
                server=a,
                args={**args, "rcode": rcode_text(aaaa.rcode)},
            )


def nameserver06(c: Collected, out: Out) -> None:
    """NAMESERVER06: every name server name resolves to an address."""
    names = list(c.delegation.ns)
    missing = [h for h in names if h not in c.addresses]
    if names and len(missing) == len(names):
        out.add("NAMESERVER06", "NO_RESOLUTION", "no name server name resolves to an address")
    for h in missing:
        res = c.resolutions.get(h)
        out.add(
            "NAMESERVER06",
            "CAN_NOT_BE_RESOLVED",
            f"{h} does not resolve to an address",
            [ev(x) for x in (res.answers if res else [])[:2]],
            args={"nsname": h},
        )


def nameserver07(c: Collected, out: Out) -> None:
    """NAMESERVER07: no referral to the root for a query about the root."""
    if c.zone == dns.name.root:
        return
    for a in _servers(c):
        answer = _get(c, "upward", a)
        m = summary(answer)
        if m is None or answer is None or answer.aa:
            continue
        if m.has(dns.rdatatype.NS, ".", section=2):
            out.add(
                "NAMESERVER07",
                "UPWARD_REFERRAL",
                f"{label(c, a)} refers a query for . upward (to the root)",
                [ev(answer, "authority")],
                server=a,
                args={"ns": label(c, a)},
            )


def nameserver08_09(c: Collected, out: Out) -> None:
    """NAMESERVER08 (the query name's case comes back as sent) and NAMESERVER09 (the
    answer does not depend on the case)."""
    for a in _servers(c):
        answer, plain = _get(c, "case", a), c.soa.get(a)
        who = label(c, a)
        if answer is None or plain is None or not plain.ok:
            continue
        if not answer.ok:
            out.add(
                "NAMESERVER09",
                "CASE_QUERY_NO_ANSWER",
                f"{who} does not answer a query name in mixed case",
                [ev(answer)],
                server=a,
            )
            out.add(
                "NAMESERVER09",
                "CASE_QUERIES_RESULTS_DIFFER",
                f"{who} answers differently depending on the query name's case",
                server=a,
            )
            continue
        sent = c.zone.to_text()
        wire = answer.wire or b""
        got = _question_text(wire)
        if got is not None and got != _mixed(sent) and sent != ".":
            out.add(
                "NAMESERVER08",
                "QNAME_CASE_INSENSITIVE",
                f"{who} does not keep the case of the query name ({got!r})",
                [ev(answer)],
                server=a,
                args={"ns": who},
            )
        if answer.rcode != plain.rcode:
            out.add(
                "NAMESERVER09",
                "CASE_QUERY_DIFFERENT_RC",
                f"{who} answers a mixed-case query with another rcode",
                [ev(answer)],
                server=a,
            )
            out.add(
                "NAMESERVER09",
                "CASE_QUERIES_RESULTS_DIFFER",
                f"{who} answers differently depending on the query name's case",
                server=a,
            )
        elif _rrs(answer) != _rrs(plain):
            out.add(
                "NAMESERVER09",
                "CASE_QUERY_DIFFERENT_ANSWER",
                f"{who} answers a mixed-case query with other records",
                [ev(answer)],
                server=a,
            )
            out.add(
                "NAMESERVER09",
                "CASE_QUERIES_RESULTS_DIFFER",
                f"{who} answers differently depending on the query name's case",
                server=a,
            )


def _mixed(text: str) -> str:
    return "".join(ch.upper() if i % 2 == 0 else ch.lower() for i, ch in enumerate(text))


def _question_text(wire: bytes) -> str | None:
    if len(wire) < 13:
        return None
    labels: list[str] = []
    off = 12
    while off < len(wire):
        n = wire[off]
        if n == 0:
            return ".".join(labels) + "." if labels else "."
        if n & 0xC0:
            return None
        labels.append(wire[off + 1 : off + 1 + n].decode("latin-1"))
        off += 1 + n
    return None


def _rrs(answer: Answer) -> set[tuple[str, int]]:
    """The answer section's (owner, type) pairs, signatures aside (read from the wire)."""
    m = summary(answer)
    if m is None:
        return set()
    return {(o, t) for sec, o, t in m.records if sec == 1 and t != dns.rdatatype.RRSIG}


def nameserver10_11(c: Collected, out: Out) -> None:
    """NAMESERVER10 (EDNS version 1 gets BADVERS) and 11 (unknown options ignored), at the
    servers that serve the zone."""
    for a in _servers(c):
        who = label(c, a)
        args = {"ns": who}
        e1 = _get(c, "edns1", a)
        if e1 is not None:
            m = summary(e1)
            if not e1.ok:
                out.add(
                    "NAMESERVER10",
                    "N10_NO_RESPONSE_EDNS1_QUERY",
                    f"{who} does not answer an EDNS version 1 query",
                    [ev(e1)],
                    server=a,
                    args=args,
                )
            elif m is not None and _rcode(e1, m) != BADVERS:
                out.add(
                    "NAMESERVER10",
                    "N10_UNEXPECTED_RCODE",
                    f"{who} answers EDNS version 1 with rcode {_rcode(e1, m)}, not BADVERS",
                    [ev(e1)],
                    server=a,
                    args=args,
                )
            elif m is not None and (_edns(m) != 0 or any(r[0] == 1 for r in m.records)):
                out.add(
                    "NAMESERVER10",
                    "N10_EDNS_RESPONSE_ERROR",
                    f"{who} answers BADVERS with a wrong OPT or an answer",
                    [ev(e1)],
                    server=a,
                    args=args,
                )
        opt = _get(c, "ednsopt", a)
        if opt is not None:
            m = summary(opt)
            if not opt.ok:
                out.add(
                    "NAMESERVER11",
                    "N11_NO_RESPONSE",
                    f"{who} does not answer a query with an unknown EDNS option",
                    [ev(opt)],
                    server=a,
                    args=args,
                )
            elif m is not None:
                if _edns(m) < 0:
                    out.add(
                        "NAMESERVER11",
                        "N11_NO_EDNS",
                        f"{who} drops EDNS when an unknown option is present",
                        [ev(opt)],
                        server=a,
                        args=args,
                    )
                elif opt.rcode != dns.rcode.NOERROR:
                    out.add(
                        "NAMESERVER11",
                        "N11_UNEXPECTED_RCODE",
                        f"{who} answers an unknown EDNS option with {rcode_text(opt.rcode)}",
                        [ev(opt)],
                        server=a,
                        args=args,
                    )
                else:
                    if 65001 in m.options:
                        out.add(
                            "NAMESERVER11",
                            "N11_RETURNS_UNKNOWN_OPTION_CODE",
                            f"{who} echoes an unknown EDNS option",
                            [ev(opt)],
                            server=a,
                            args=args,
                        )
                    if not opt.aa:
                        out.add(
                            "NAMESERVER11",
                            "N11_UNSET_AA",
                            f"{who} drops AA when an unknown EDNS option is present",
                            [ev(opt)],
                            server=a,
                            args=args,
                        )
                    if not m.has(dns.rdatatype.SOA):
                        out.add(
                            "NAMESERVER11",
                            "N11_UNEXPECTED_ANSWER_SECTION",
                            f"{who} answers without the SOA when an unknown EDNS option is present",
                            [ev(opt)],
                            server=a,
                            args=args,
                        )


def nameserver12_13(c: Collected, out: Out) -> None:
    """NAMESERVER12 (unknown EDNS flags ignored) and NAMESERVER13 (a truncated answer keeps
    its OPT record), at every server that answers."""
    for a in _answering(c):
        who = label(c, a)
        args = {"ns": who}
        for what, code in (("ednsz", "NAMESERVER12"), ("small", "NAMESERVER13")):
            answer = _get(c, what, a)
            if answer is None or not answer.ok:
                continue
            m = summary(answer)
            if answer.rcode == dns.rcode.FORMERR or (m is not None and _edns(m) < 0):
                if code == "NAMESERVER13" and answer.tc:
                    out.add(
                        code,
                        "MISSING_OPT_IN_TRUNCATED",
                        f"{who} sends a truncated answer without its OPT record",
                        [ev(answer)],
                        server=a,
                        args=args,
                    )
                else:
                    out.add(
                        code,
                        "NO_EDNS_SUPPORT",
                        f"{who} does not answer with EDNS",
                        [ev(answer)],
                        server=a,
                        args=args,
                    )
            elif answer.rcode != dns.rcode.NOERROR:
                out.add(
                    code,
                    "NS_ERROR",
                    f"{who} answers with {rcode_text(answer.rcode)}",
                    [ev(answer)],
                    server=a,
                    args=args,
                )


def nameserver15(c: Collected, out: Out) -> None:
    """NAMESERVER15: the server does not say which software (version) it runs."""
    for a in _servers(c):
        answer = _get(c, "version", a)
        m = msg(answer)
        if m is None or answer is None or answer.rcode != dns.rcode.NOERROR:
            continue
        texts = [
            b"".join(rd.strings).decode("utf-8", "replace")
            for r in m.answer
            if r.rdtype == dns.rdatatype.TXT
            for rd in r
        ]
        texts = [t for t in texts if t.strip()]
        if texts:
            out.add(
                "NAMESERVER15",
                "N15_SOFTWARE_VERSION",
                f"{label(c, a)} discloses its software version: {texts[0][:80]!r}",
                [ev(answer)],
                server=a,
                args={"ns": label(c, a), "string": texts[0][:80], "query_name": "version.bind"},
            )


CHECKS = (
    nameserver01,
    nameserver02,
    nameserver03,
    nameserver05,
    nameserver06,
    nameserver07,
    nameserver08_09,
    nameserver10_11,
    nameserver12_13,
    nameserver15,
)
