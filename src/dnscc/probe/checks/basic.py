"""Basic: does the zone exist (BASIC01), does it have a working name server (BASIC02).

"Could not test" about a broken zone is itself a finding: a name the parent says does not
exist, a name that is not delegated, name servers without an address or none answering.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dns.name
import dns.rcode
import dns.rdatatype

from dnscc.probe import delegation as d
from dnscc.probe.checks import Out, authoritative, ev, label, rrset
from dnscc.probe.transport import rcode_text

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def basic01(c: Collected, out: Out) -> None:
    """BASIC01: the parent delegates the zone."""
    w = c.walk
    if w is None or w.outcome == d.FOUND:
        return
    proof = [ev(w.evidence, "authority")] if w.evidence is not None and w.evidence.ok else []
    zone = out.zone
    if w.outcome in (d.NXDOMAIN, d.NOT_A_ZONE):
        superdomain = c.zone.parent().to_text() if c.zone != dns.name.root else "."
        why = "does not exist" if w.outcome == d.NXDOMAIN else "exists but is not delegated"
        out.add(
            "BASIC01",
            "B01_NO_CHILD",
            f"{zone} {why} in its parent {w.parent} (it is not a DNS zone)",
            proof,
            args={"domain_child": zone, "domain_super": superdomain},
        )
    else:
        out.add(
            "BASIC01",
            "B01_PARENT_NOT_FOUND",
            f"the parent zone of {zone} cannot be found: {w.detail}",
            proof,
        )
    out.add(
        "BASIC02",
        "B02_NO_DELEGATION",
        f"there is no delegation (name servers) for {zone}",
        proof,
        args={"domain": zone},
    )


def basic02(c: Collected, out: Out) -> None:
    """BASIC02: at least one name server answers the SOA with authority."""
    if c.walk is not None and c.walk.outcome != d.FOUND:
        return
    zone = out.zone
    if not c.delegation.ns:
        out.add("BASIC02", "B02_NO_DELEGATION", f"there is no delegation for {zone}")
        return
    for a in sorted(c.soa):
        if authoritative(c.soa[a]) and rrset(c.soa[a], c.zone, dns.rdatatype.SOA):
            return
    out.add(
        "BASIC02",
        "B02_NO_WORKING_NS",
        f"no name server of {zone} answers the SOA with authority: the zone is unreachable",
        args={"domain": zone},
    )
    for host in c.delegation.ns:
        if host not in c.addresses and not c.delegation.glue.get(host):
            out.add(
                "BASIC02",
                "B02_NS_NO_IP_ADDR",
                f"name server {host} cannot be resolved into an IP address",
                args={"nsname": host},
            )
    for a in sorted(c.soa):
        answer = c.soa[a]
        who = label(c, a)
        if not answer.ok:
            if answer.status == "timeout":
                out.add(
                    "BASIC02",
                    "B02_NS_NO_RESPONSE",
                    f"{who} does not answer the SOA query",
                    [ev(answer)],
                    server=a,
                    args={"ns": who},
                )
            else:
                out.add(
                    "BASIC02",
                    "B02_NS_BROKEN",
                    f"{who}: broken response to the SOA query ({answer.error})",
                    [ev(answer)],
                    server=a,
                    args={"ns": who},
                )
        elif answer.rcode != dns.rcode.NOERROR:
            rc = rcode_text(answer.rcode) if answer.rcode >= 0 else "?"
            out.add(
                "BASIC02",
                "B02_UNEXPECTED_RCODE",
                f"{who} answers the SOA query with {rc}",
                [ev(answer)],
                server=a,
                args={"ns": who, "rcode": rc},
            )
        elif not answer.aa:
            out.add(
                "BASIC02",
                "B02_NS_NOT_AUTH",
                f"{who} does not answer the SOA query with authority",
                [ev(answer)],
                server=a,
                args={"ns": who},
            )
        else:
            out.add(
                "BASIC02",
                "B02_NS_BROKEN",
                f"{who} answers with authority but without the SOA record of {zone}",
                [ev(answer)],
                server=a,
                args={"ns": who},
            )


CHECKS = (basic01, basic02)
