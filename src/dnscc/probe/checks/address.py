"""Address: name server addresses outside private and reserved networks (ADDRESS01), with
reverse DNS (ADDRESS02) that points back to the name server's name (ADDRESS03).

Addresses in the test bed the root hints live in (the lab on loopback) are not judged:
there they are the point, and there is no reverse tree to ask.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

import dns.rcode
import dns.rdatatype
import dns.reversename

from dnscc.probe.checks import Out, ev, label, rrset

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def special(address: str) -> str | None:
    """Why an address cannot serve the public DNS (RFC 6890 special-purpose), or None."""
    ip = ipaddress.ip_address(address)
    for test, why in (
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "not globally routable"),
    ):
        if test:
            return why
    return None


def address01(c: Collected, out: Out) -> None:
    """ADDRESS01: no name server in a private or reserved network."""
    for a in c.host_of:
        if c.in_testbed(a):
            continue
        why = special(a)
        if why:
            out.add(
                "ADDRESS01",
                "NAMESERVER_IP_PRIVATE_NETWORK",
                f"{label(c, a)} is in a {why} network",
                server=a,
                args={"nsname": c.host_of[a], "ns_ip": a},
            )


def address02_03(c: Collected, out: Out) -> None:
    """ADDRESS02 (reverse DNS exists) and ADDRESS03 (it points back to the name)."""
    for a, answer in c.ptr.items():
        who = label(c, a)
        if answer is None or not answer.ok:
            for code in ("ADDRESS02", "ADDRESS03"):
                out.add(
                    code, "NO_RESPONSE_PTR_QUERY", f"no answer to the PTR query for {a}", server=a
                )
            continue
        name = dns.reversename.from_address(a)
        found = rrset(answer, name, dns.rdatatype.PTR)
        if not found or answer.rcode != dns.rcode.NOERROR:
            for code in ("ADDRESS02", "ADDRESS03"):
                out.add(
                    code,
                    "NAMESERVER_IP_WITHOUT_REVERSE",
                    f"{who} has no reverse DNS",
                    [ev(answer, "authority")],
                    server=a,
                    args={"nsname": c.host_of[a], "ns_ip": a},
                )
            continue
        targets = {rd.target.to_text().lower() for rd in found}
        if c.host_of[a] not in targets:
            out.add(
                "ADDRESS03",
                "NAMESERVER_IP_PTR_MISMATCH",
                f"the reverse DNS of {a} is {', '.join(sorted(targets))}, not {c.host_of[a]}",
                [ev(answer)],
                server=a,
                args={"nsname": c.host_of[a], "ns_ip": a, "names": ";".join(sorted(targets))},
            )


CHECKS = (address01, address02_03)
