"""Connectivity: SOA and NS over UDP (CONNECTIVITY01) and TCP (CONNECTIVITY02) at every
name server, and the spread of their addresses over networks (CONNECTIVITY04, by a fixed
prefix length from the profile: an offline monitor has no routing table to ask).
CONNECTIVITY03 (AS spread) needs an AS lookup service on the Internet: not applicable.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import TYPE_CHECKING

import dns.rcode
import dns.rdatatype

from dnscc.probe import wire
from dnscc.probe.checks import Out, ev, label, lossy
from dnscc.probe.transport import Answer, rcode_text

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def _judge(
    c: Collected, out: Out, a: str, answer: Answer | None, qtype: int, code: str, suffix: str
) -> None:
    """One query's outcome as CN01/CN02 tags (UDP or TCP)."""
    what = "SOA" if qtype == dns.rdatatype.SOA else "NS"
    tag = f"{'CN01' if code == 'CONNECTIVITY01' else 'CN02'}_%s_{suffix}"
    who = label(c, a)
    if answer is None:
        return
    if not answer.ok:
        if lossy(c, a):
            return
        out.add(
            code,
            tag % f"NO_RESPONSE_{what}_QUERY",
            f"{who} does not answer the {what} query over {suffix}",
            [ev(answer)],
            server=a,
            args={"ns": who},
        )
        return
    try:
        records = wire.answer_records(answer.wire or b"")
    except wire.WireError:
        c.untested.append(f"{who}: garbage answer to {what} over {suffix}")
        return
    if answer.rcode != dns.rcode.NOERROR:
        rc = rcode_text(answer.rcode)
        out.add(
            code,
            tag % f"UNEXPECTED_RCODE_{what}_QUERY",
            f"{who} answers the {what} query over {suffix} with {rc}",
            [ev(answer)],
            server=a,
            args={"ns": who, "rcode": rc},
        )
        return
    if not answer.aa:
        out.add(
            code,
            tag % f"{what}_RECORD_NOT_AA",
            f"{who} answers the {what} query over {suffix} without authority",
            [ev(answer)],
            server=a,
            args={"ns": who},
        )
        return
    found = [owner for owner, t in records if t == qtype]
    if not found:
        out.add(
            code,
            tag % f"MISSING_{what}_RECORD",
            f"{who} answers the {what} query over {suffix} without the {what} record",
            [ev(answer)],
            server=a,
            args={"ns": who},
        )
    elif c.zone.to_text().lower() not in found:
        out.add(
            code,
            tag % f"WRONG_{what}_RECORD",
            f"{who} answers the {what} query over {suffix} with a record of another owner",
            [ev(answer)],
            server=a,
            args={"ns": who},
        )


def _transport(c: Collected, out: Out, *, tcp: bool) -> None:
    code = "CONNECTIVITY02" if tcp else "CONNECTIVITY01"
    suffix = "TCP" if tcp else "UDP"
    for a in c.host_of:
        if tcp:
            soa, ns = c.more.get(("tcp_soa", a)), c.more.get(("tcp_ns", a))
        else:
            soa, ns = c.soa.get(a), c.ns.get(a)
        if soa is None and ns is None:
            continue
        if soa is not None and ns is not None and not soa.ok and not ns.ok:
            who = label(c, a)
            out.add(
                code,
                f"{'CN02' if tcp else 'CN01'}_NO_RESPONSE_{suffix}",
                f"{who} does not answer over {suffix}",
                [ev(soa)],
                server=a,
                args={"ns": who},
            )
            continue
        _judge(c, out, a, soa, dns.rdatatype.SOA, code, suffix)
        _judge(c, out, a, ns, dns.rdatatype.NS, code, suffix)


def connectivity01(c: Collected, out: Out) -> None:
    """CONNECTIVITY01: SOA and NS answered with authority over UDP."""
    _transport(c, out, tcp=False)


def connectivity02(c: Collected, out: Out) -> None:
    """CONNECTIVITY02: SOA and NS answered with authority over TCP."""
    _transport(c, out, tcp=True)


def connectivity04(c: Collected, out: Out) -> None:
    """CONNECTIVITY04: the name servers are not all in one network (fixed prefix length)."""
    for version, length, tag in (
        (4, int(out.profile.threshold("prefix_v4")), "IPV4"),
        (6, int(out.profile.threshold("prefix_v6")), "IPV6"),
    ):
        nets: dict[str, list[str]] = defaultdict(list)
        for a in c.host_of:
            if c.in_testbed(a):
                continue
            ip = ipaddress.ip_address(a)
            if ip.version == version:
                nets[str(ipaddress.ip_network(f"{a}/{length}", strict=False))].append(a)
        if not nets:
            continue
        if len(nets) == 1:
            ((net, addrs),) = nets.items()
            out.add(
                "CONNECTIVITY04",
                f"CN04_{tag}_SINGLE_PREFIX",
                f"every IPv{version} name server address is in {net}",
                args={"ip_prefix": net},
            )
            continue
        for net, addrs in sorted(nets.items()):
            if len(addrs) > 1:
                out.add(
                    "CONNECTIVITY04",
                    f"CN04_{tag}_SAME_PREFIX",
                    f"{len(addrs)} name server addresses share {net}: {', '.join(addrs)}",
                    args={"ip_prefix": net, "ns_list": ";".join(addrs)},
                )


CHECKS = (connectivity01, connectivity02, connectivity04)
