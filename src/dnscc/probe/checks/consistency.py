"""Consistency: the zone's servers agree on the SOA serial (CONSISTENCY01), RNAME (02),
timers (03), NS set (04) and MNAME (06); the parent's glue matches the addresses the zone
publishes (05)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import dns.name
import dns.rdatatype

from dnscc.probe import wire
from dnscc.probe.checks import Out, auth_or_nx, authoritative, ev, few, rrset
from dnscc.probe.transport import Answer

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def _soas(c: Collected) -> list[tuple[Answer, Any]]:
    out = []
    for a in sorted(c.soa):
        answer = c.soa[a]
        if authoritative(answer):
            found = rrset(answer, c.zone, dns.rdatatype.SOA)
            if found:
                out.append((answer, found[0]))
    return out


def _differ(
    c: Collected,
    out: Out,
    code: str,
    tag: str,
    what: str,
    key: Callable[[Any], str],
) -> dict[str, list[Answer]]:
    groups: dict[str, list[Answer]] = defaultdict(list)
    for answer, soa in _soas(c):
        groups[key(soa)].append(answer)
    if len(groups) > 1:
        detail = "; ".join(f"{k} at {few(x.server for x in v)}" for k, v in sorted(groups.items()))
        out.add(
            code,
            tag,
            f"{what} differ between servers: {detail}",
            [ev(v[0]) for v in groups.values()],
            args={"count": str(len(groups))},
        )
    return groups


def consistency01(c: Collected, out: Out) -> None:
    """CONSISTENCY01: one SOA serial (read straight from the wire)."""
    serials: dict[int, list[Answer]] = defaultdict(list)
    for a in sorted(c.soa):
        answer = c.soa[a]
        if authoritative(answer):
            try:
                s = wire.soa_serial(answer.wire or b"")
            except wire.WireError:
                continue
            if s is not None:
                serials[s].append(answer)
    if len(serials) > 1:
        detail = "; ".join(f"{s} at {few(x.server for x in v)}" for s, v in sorted(serials.items()))
        proof = [ev(v[0]) for v in serials.values()]
        out.add(
            "CONSISTENCY01",
            "MULTIPLE_SOA_SERIALS",
            f"SOA serials differ: {detail}",
            proof,
            args={"count": str(len(serials))},
        )
        out.add(
            "CONSISTENCY01",
            "SOA_SERIAL_VARIATION",
            f"the serials range from {min(serials)} to {max(serials)}",
            proof,
            args={"serial_min": str(min(serials)), "serial_max": str(max(serials))},
        )


def consistency02(c: Collected, out: Out) -> None:
    """CONSISTENCY02: one SOA RNAME."""
    _differ(
        c,
        out,
        "CONSISTENCY02",
        "MULTIPLE_SOA_RNAMES",
        "SOA RNAMEs",
        lambda s: s.rname.to_text().lower(),
    )


def consistency03(c: Collected, out: Out) -> None:
    """CONSISTENCY03: one set of SOA timers."""
    _differ(
        c,
        out,
        "CONSISTENCY03",
        "MULTIPLE_SOA_TIME_PARAMETER_SET",
        "SOA timers (refresh/retry/expire/minimum)",
        lambda s: f"{s.refresh}/{s.retry}/{s.expire}/{s.minimum}",
    )


def consistency06(c: Collected, out: Out) -> None:
    """CONSISTENCY06: one SOA MNAME."""
    _differ(
        c,
        out,
        "CONSISTENCY06",
        "MULTIPLE_SOA_MNAMES",
        "SOA MNAMEs",
        lambda s: s.mname.to_text().lower(),
    )


def consistency04(c: Collected, out: Out) -> None:
    """CONSISTENCY04: one NS set (read straight from the wire)."""
    sets: dict[frozenset[str], list[Answer]] = defaultdict(list)
    for a in sorted(c.ns):
        answer = c.ns[a]
        if authoritative(answer) and authoritative(c.soa.get(a, answer)):
            try:
                found = wire.ns_names(answer.wire or b"")
            except wire.WireError:
                continue
            if found is not None:
                sets[found].append(answer)
    if len(sets) > 1:
        detail = "; ".join(
            f"{{{few(sorted(k))}}} at {few(x.server for x in v)}" for k, v in sets.items()
        )
        out.add(
            "CONSISTENCY04",
            "MULTIPLE_NS_SET",
            f"NS sets differ between servers: {detail}",
            [ev(v[0]) for v in sets.values()],
            args={"count": str(len(sets))},
        )


def consistency05(c: Collected, out: Out) -> None:
    """CONSISTENCY05: glue addresses against the zone's (in bailiwick) and the resolved
    ones (out of bailiwick). An authoritative NXDOMAIN for a glued name counts as the zone
    saying it has no address."""
    if c.zone == dns.name.root or c.delegation.evidence is None:
        return
    ref = c.delegation.evidence
    asked_hosts = {key[1] for key in c.child_addr_all}
    # The in-bailiwick names of the parent and of the zone (Zonemaster's methods 2 and 3).
    inb = sorted(h for h in asked_hosts if dns.name.from_text(h).is_subdomain(c.zone))
    strict = {(h, a) for h in inb for a in c.delegation.glue.get(h, [])}
    child: set[tuple[str, str]] = set()
    proof = []
    asked = answered = 0
    for h in inb:
        for t in (dns.rdatatype.A, dns.rdatatype.AAAA):
            for key, answer in c.child_addr_all.items():
                if key[1] != h or key[2] != t:
                    continue
                asked += 1
                if not auth_or_nx(answer):
                    continue
                answered += 1
                try:
                    found = [a for owner, a in wire.addresses(answer.wire or b"") if owner == h]
                except wire.WireError:
                    continue
                child |= {(h, a) for a in found}
                if answer not in proof and (found or answer.rcode != 0):
                    proof.append(answer)
    if inb and asked and not answered:
        out.add(
            "CONSISTENCY05",
            "CHILD_ZONE_LAME",
            "no server of the zone answers with authority for its own name servers' addresses",
        )
        return
    mismatch = strict - child if answered else set()
    extra = child - strict if answered else set()
    glue_ev = [ev(ref, "additional")] if mismatch or extra else []
    evidence = glue_ev + [ev(x) for x in proof[:4]] if mismatch or extra else []
    if mismatch:
        out.add(
            "CONSISTENCY05",
            "IN_BAILIWICK_ADDR_MISMATCH",
            f"glue {', '.join(f'{h}/{a}' for h, a in sorted(strict))} differs from the "
            f"zone's {', '.join(f'{h}/{a}' for h, a in sorted(child)) or 'nothing'}",
            evidence,
            args={
                "parent_addresses": ";".join(f"{h}/{a}" for h, a in sorted(strict)),
                "zone_addresses": ";".join(f"{h}/{a}" for h, a in sorted(child)),
            },
        )
    if extra:
        out.add(
            "CONSISTENCY05",
            "EXTRA_ADDRESS_CHILD",
            f"the zone has addresses the parent does not glue: "
            f"{', '.join(f'{h}/{a}' for h, a in sorted(extra))}",
            evidence,
            args={"ns_ip_list": ";".join(f"{h}/{a}" for h, a in sorted(extra))},
        )
    for h in c.delegation.ns:
        if h in inb or not c.delegation.glue.get(h):
            continue
        res = c.resolutions.get(h)
        if res is None or (not res.addresses and not res.nxdomain):
            continue
        glue = set(c.delegation.glue[h])
        if not glue <= set(res.addresses):
            out.add(
                "CONSISTENCY05",
                "OUT_OF_BAILIWICK_ADDR_MISMATCH",
                f"glue for {h} is {', '.join(sorted(glue))}; resolving it gives "
                f"{', '.join(sorted(res.addresses)) or 'nothing'}",
                [ev(ref, "additional")] + [ev(x) for x in res.answers[:2]],
                args={
                    "parent_addresses": ";".join(f"{h}/{a}" for a in sorted(glue)),
                    "zone_addresses": ";".join(f"{h}/{a}" for a in sorted(res.addresses)),
                },
            )


CHECKS = (
    consistency01,
    consistency02,
    consistency03,
    consistency04,
    consistency05,
    consistency06,
)
