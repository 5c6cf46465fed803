"""The client's address behind reverse proxies, decided in one place.

Behind a reverse proxy every request comes from the proxy: rate limits per client (the
public report form) would count the whole world as one client, and the audit log would
record the proxy's address. The proxy names the client in ``X-Forwarded-For``, but anyone
can send that header, so it is believed only from the proxies the center is told to trust
(``DNSCC_TRUSTED_PROXIES``), and only as far as the chain of trusted proxies goes: the
address is the right-most one in the header that is not itself a trusted proxy.

    client -> proxy A (trusted) -> proxy B (trusted) -> dnscc
    X-Forwarded-For: <what the client sent>, client, A        peer: B
    => client

A header from an untrusted peer is ignored; a malformed entry stops the walk (the address
is then the last trusted hop's view, never an attacker's text).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

__all__ = ["Network", "client_address", "parse_networks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(items: Iterable[str]) -> list[Network]:
    """Networks from addresses or CIDR prefixes ("10.0.0.5", "2001:db8::/32");
    ValueError naming the bad item."""
    networks: list[Network] = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, trusted: Sequence[Network]
) -> bool:
    return any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str, forwarded_for: str | None, trusted: Sequence[Network]) -> str:
    """The client's address: `peer` itself unless `peer` is a trusted proxy, then the
    right-most address of `forwarded_for` that is not a trusted proxy."""
    current = _address(peer)
    if current is None or not trusted or not forwarded_for or not _trusted(current, trusted):
        return peer
    for hop in reversed(forwarded_for.split(",")):
        address = _address(hop)
        if address is None:
            break  # garbage from further out: keep the last hop a trusted proxy vouched for
        current = address
        if not _trusted(address, trusted):
            break
    return str(current)
