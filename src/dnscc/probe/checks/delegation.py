"""Delegation: enough name servers (DELEGATION01), distinct addresses (02), a referral that
fits in a UDP answer (03), authoritative servers (04), no aliases as name servers (05), an
SOA at every server (06), the same NS names in parent and zone (07)."""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from typing import TYPE_CHECKING

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from dnscc.probe import wire
from dnscc.probe.checks import Out, authoritative, ev, few, label, msg, rrset, well_formed
from dnscc.probe.transport import rcode_text

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def child_ns(c: Collected) -> tuple[frozenset[str], list[object]]:
    """The NS names the zone's servers publish (the most common set) and its evidence."""
    sets: dict[frozenset[str], list[object]] = defaultdict(list)
    for a, answer in c.ns.items():
        if authoritative(answer) and authoritative(c.soa.get(a, answer)):
            try:
                found = wire.ns_names(answer.wire or b"")
            except wire.WireError:
                continue
            if found:
                sets[found].append(answer)
    if not sets:
        return frozenset(), []
    names, answers = max(sets.items(), key=lambda kv: len(kv[1]))
    return names, answers


def _addresses(c: Collected, host: str) -> list[str]:
    found = list(c.addresses.get(host, []))
    res = c.resolutions.get(host)
    if res:
        found += res.addresses
    for t in (dns.rdatatype.A, dns.rdatatype.AAAA):
        answer = c.child_addr.get((host, t))
        if answer is not None and answer.ok:
            try:
                found += [a for owner, a in wire.addresses(answer.wire or b"") if owner == host]
            except wire.WireError:
                continue
    return list(dict.fromkeys(found))


def _ipv6_judged(c: Collected) -> bool:
    # A test bed whose root hints have no IPv6 address has no IPv6 to offer (the lab):
    # IPv6 counts are judged only where IPv6 is reachable.
    return not c.testbed or any(net.version == 6 and str(net) != "::1/128" for net in c.testbed)


def delegation01(c: Collected, out: Out) -> None:
    """DELEGATION01: at least two name servers, over both IP versions."""
    need = int(out.profile.threshold("min_ns"))
    del_names = set(c.delegation.ns)
    kids, _ = child_ns(c)
    for where, names, suffix in (("delegation", del_names, "DEL"), ("zone", set(kids), "CHILD")):
        if not names:
            continue
        if len(names) < need:
            out.add(
                "DELEGATION01",
                f"NOT_ENOUGH_NS_{suffix}",
                f"the {where} has {len(names)} name server(s), fewer than {need}",
                args={"count": str(len(names)), "minimum": str(need)},
            )
        for version, tag in ((4, "IPV4"), (6, "IPV6")):
            if version == 6 and not _ipv6_judged(c):
                continue
            with_v = [
                h
                for h in names
                if any(ipaddress.ip_address(a).version == version for a in _addresses(c, h))
            ]
            if not with_v:
                out.add(
                    "DELEGATION01",
                    f"NO_{tag}_NS_{suffix}",
                    f"no name server of the {where} has an IPv{version} address",
                )
            elif len(with_v) < need:
                out.add(
                    "DELEGATION01",
                    f"NOT_ENOUGH_{tag}_NS_{suffix}",
                    f"only {len(with_v)} name server(s) of the {where} have an IPv{version} "
                    f"address: {', '.join(sorted(with_v))}",
                )


def delegation02(c: Collected, out: Out) -> None:
    """DELEGATION02: no two name server names share an address (in the delegation, in
    the zone's NS set, and both together)."""
    kids, answers = child_ns(c)
    ref = [(c.delegation.evidence, "additional")] if c.delegation.evidence else []
    kid = [(answers[0], "answer")] if answers else []
    for names, tag, where, proof in (
        (set(c.delegation.ns), "DEL_NS_SAME_IP", "the delegation", ref),
        (set(kids), "CHILD_NS_SAME_IP", "the zone's NS set", kid),
        (set(c.delegation.ns) | set(kids), "SAME_IP_ADDRESS", "the parent and the zone", ref + kid),
    ):
        by_addr: dict[str, set[str]] = defaultdict(set)
        for host in names:
            for a in _addresses(c, host):
                by_addr[a].add(host)
        for a, hosts in sorted(by_addr.items()):
            if len(hosts) > 1:
                out.add(
                    "DELEGATION02",
                    tag,
                    f"in {where}, name servers {', '.join(sorted(hosts))} share the address {a}",
                    [ev(x, section) for x, section in proof],  # type: ignore[arg-type]
                    server=a,
                    args={"ns_ip": a, "nsname_list": ";".join(sorted(hosts))},
                )


def delegation03(c: Collected, out: Out) -> None:
    """DELEGATION03: the referral fits in a 512-byte answer (longest possible name)."""
    if c.zone == dns.name.root or not c.delegation.ns:
        return
    # The worst case: a query name of 255 octets under the zone.
    labels = list(c.zone.labels)
    room = 255 - len(c.zone.to_wire() or b"")
    long_labels = []
    while room > 1:
        n = min(63, room - 1)
        long_labels.append(b"a" * n)
        room -= n + 1
    qname = dns.name.Name([*long_labels, *labels])
    q = dns.message.make_query(qname, dns.rdatatype.A)
    r = dns.message.make_response(q)
    r.authority.append(dns.rrset.from_text_list(c.zone, 172800, "IN", "NS", list(c.delegation.ns)))
    # The least a usable referral carries: one glue address of each IP version.
    glued = [(h, a) for h, addrs in sorted(c.delegation.glue.items()) for a in addrs]
    for version, rdtype in ((4, "A"), (6, "AAAA")):
        first = next(((h, a) for h, a in glued if ipaddress.ip_address(a).version == version), None)
        if first:
            r.additional.append(dns.rrset.from_text(first[0], 172800, "IN", rdtype, first[1]))
    size = len(r.to_wire())
    limit = int(out.profile.threshold("referral_size"))
    if size > limit:
        out.add(
            "DELEGATION03",
            "REFERRAL_SIZE_TOO_LARGE",
            f"the referral for {out.zone} is {size} bytes, more than {limit}",
            args={"size": str(size)},
        )


def delegation04(c: Collected, out: Out) -> None:
    """DELEGATION04: every name server answers with authority (not lame)."""
    for a in c.host_of:
        soa = c.soa.get(a)
        if soa is None or not soa.ok:
            continue
        if not well_formed(soa):
            c.untested.append(f"{label(c, a)}: garbage answer to SOA")
            continue
        if authoritative(soa):
            continue
        why = f"rcode {rcode_text(soa.rcode)}" if soa.rcode != dns.rcode.NOERROR else "no AA flag"
        out.add(
            "DELEGATION04",
            "IS_NOT_AUTHORITATIVE",
            f"{label(c, a)} is not authoritative for {out.zone} ({why})",
            [ev(soa)],
            server=a,
            args={"ns": label(c, a), "proto": "UDP"},
        )


def delegation05(c: Collected, out: Out) -> None:
    """DELEGATION05: a name server name is not an alias (CNAME), and its address queries
    get a proper answer."""
    for host in c.delegation.ns:
        res = c.resolutions.get(host)
        target = res.cname if res else None
        cited = (res.answers if res else [])[:2]
        if target is None:
            for t in (dns.rdatatype.A, dns.rdatatype.AAAA):
                found = rrset(c.child_addr.get((host, t)), host, dns.rdatatype.CNAME)
                if found:
                    target = found[0].target.to_text()
                    cited = [c.child_addr[(host, t)]]
        if target is not None:
            out.add(
                "DELEGATION05",
                "NS_IS_CNAME",
                f"name server {host} is an alias (CNAME) for {target}",
                [ev(x) for x in cited],
                args={"nsname": host},
            )
    for (a, host, _t), answer in sorted(c.child_addr_all.items()):
        if answer.ok and answer.rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            out.add(
                "DELEGATION05",
                "UNEXPECTED_RCODE",
                f"{label(c, a)} answers the address query for {host} with "
                f"{rcode_text(answer.rcode)}",
                [ev(answer)],
                server=a,
                args={"ns": label(c, a), "rcode": rcode_text(answer.rcode)},
            )


def delegation06(c: Collected, out: Out) -> None:
    """DELEGATION06: every authoritative server has the zone's SOA."""
    for a in c.host_of:
        soa = c.soa.get(a)
        if soa is None or not authoritative(soa) or msg(soa) is None:
            continue
        if rrset(soa, c.zone, dns.rdatatype.SOA) is None:
            out.add(
                "DELEGATION06",
                "SOA_NOT_EXISTS",
                f"{label(c, a)} answers with authority but has no SOA for {out.zone}",
                [ev(soa)],
                server=a,
                args={"ns": label(c, a)},
            )


def delegation07(c: Collected, out: Out) -> None:
    """DELEGATION07: the parent's NS names are the zone's."""
    if c.delegation.evidence is None:
        return
    kids, answers = child_ns(c)
    if not kids:
        return
    parent = frozenset(c.delegation.ns)
    if parent == kids:
        return
    proof = [ev(c.delegation.evidence, "authority"), ev(answers[0])]  # type: ignore[arg-type]
    if not parent & kids:
        out.add(
            "DELEGATION07",
            "TOTAL_NAME_MISMATCH",
            f"no NS name is in both the parent ({few(sorted(parent))}) and the zone "
            f"({few(sorted(kids))})",
            proof,
        )
        return
    if parent - kids:
        out.add(
            "DELEGATION07",
            "EXTRA_NAME_PARENT",
            f"only in the parent's delegation: {', '.join(sorted(parent - kids))}",
            proof,
            args={"extra": ";".join(sorted(parent - kids))},
        )
    if kids - parent:
        out.add(
            "DELEGATION07",
            "EXTRA_NAME_CHILD",
            f"only in the zone's NS set: {', '.join(sorted(kids - parent))}",
            proof,
            args={"extra": ";".join(sorted(kids - parent))},
        )


CHECKS = (
    delegation01,
    delegation02,
    delegation03,
    delegation04,
    delegation05,
    delegation06,
    delegation07,
)
