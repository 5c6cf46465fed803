"""Infer groups of TLDs that probably share an operator, from a root zone alone.

The root zone names no operators, but a registry or its back-end provider serves its TLDs
from the same name servers. Steps (measured on the real root zone, serial 2026082201):

1. Servers. Each NS host is a node; hosts whose glue addresses fall in the same IPv4 /24 or
   IPv6 /48 are one server (union-find). An earlier rule was "share any address", but the data
   says otherwise: Identity Digital, Nominet and GoDaddy Registry give every TLD its own
   addresses inside the same anycast prefixes (v0n0.nic.bike on 65.22.24.44, the next TLD
   on 65.22.24.45), so exact addresses left 907 of 1,438 TLDs alone. `prefix_v4=32,
   prefix_v6=128` restores the exact-address rule.
2. Shared services. A server used by 3 or more TLDs, including ccTLDs of at least two
   countries, whose TLDs have little else in common (more distinct other servers than TLDs
   using it, ratio >= 0.9) is a shared secondary service: PCH, Netnod, LACTLD, RIPE NCC's
   and APNIC's ccTLD secondaries, one national registry helping a neighbour. A back-end
   platform looks different: its TLDs share nearly all their servers (ratio about 0.1).
   Shared services never count as evidence on their own.
3. Links. Two TLDs are linked when their server sets are identical (and not made of shared
   services only), or when they share at least 2 servers, the shared servers are at least
   half of the LARGER set, and at least one shared server is not a shared service. (The
   first design said half of the smaller set; on the real zone that let TLDs in migration between
   two back-ends bridge both portfolios, e.g. CentralNic and Tucows into one 175-TLD group.
   Half of the larger set stops that.)
4. Groups are the transitive closure of the links (union-find). TLDs with identical server
   sets are collapsed first, and shared servers are counted through an inverted index
   server -> server sets, never by comparing all pairs.

Known limits: a small secondary service used by exactly two ccTLDs is not recognised as a
service (on the real zone, .bt and .cm are linked through ITU's ns.itu.ch plus two services);
a registry whose hosts sit only in prefixes it shares with others (.ac, .io, .sh) falls
apart into single-TLD groups. The first is a wrong link a human must undo; the second,
more groups for a human to merge.

A group is a hint for a human, not a fact: it may be a back-end platform serving several
registries (Nominet's platform serves .uk, Amazon's and Microsoft's TLDs), and one registry
may run TLDs on separate platforms (Identity Digital shows as several groups).

Keys: `key` is "g-" + the group's lexicographically smallest TLD: deterministic for one
zone, but it changes when that TLD leaves the group. An importer should carry identities
over with `carry_over_keys` (largest member overlap) and use the key only to name a new group.

Names: "Registry of .de (inferred)" for one TLD; for more, the registrable domain (last two
labels, three under a two-letter TLD whose second level is generic, e.g. co.uk) used by at
least half of the member TLDs' name servers: "Operator of nic.fr name servers (18 TLDs,
inferred)"; otherwise the first TLDs: "Operator of .aaa, .aarp, .abb and 5 more (inferred)".
"""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from dnscc.core.errors import InputError
from dnscc.core.names import to_unicode
from dnscc.core.regions import Region, TldKind
from dnscc.core.rootzone import RootZone, TldDelegation

__all__ = [
    "OperatorGroup",
    "carry_over_keys",
    "group_operators",
    "registrable_domain",
]

MIN_SHARED_SERVERS = 2
MIN_CONFIRMING_SERVERS = 1
SERVICE_MIN_TLDS = 3
SERVICE_DISPERSION = 0.9
GENERIC_SECOND_LEVEL = frozenset(
    {"ac", "co", "com", "edu", "gov", "govt", "mil", "ne", "net", "or", "org"}
)


@dataclass(frozen=True, slots=True)
class OperatorGroup:
    """TLDs that probably share an operator, with why we think so."""

    key: str
    name: str
    tlds: tuple[str, ...]
    ns_domains: tuple[str, ...]  # registrable domains of the name servers, most used first
    shared_servers: tuple[str, ...]  # one host name per server shared by members
    evidence: str
    country: str | None = None
    region: Region | None = None

    def __post_init__(self) -> None:
        if not self.tlds:
            raise InputError("an operator group has at least one TLD")
        if self.key != f"g-{min(self.tlds)}":
            raise InputError(f"group key {self.key!r} is not g-<smallest TLD>")

    @property
    def size(self) -> int:
        return len(self.tlds)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self.parent
        root = parent.setdefault(item, item)
        while parent[root] != root:
            root = parent[root]
        while item != root:  # path compression, iteratively: chains can be long
            parent[item], item = root, parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # Smaller string wins: deterministic roots whatever the order of unions.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def registrable_domain(host: str) -> str:
    """The domain a host name is registered under, by a simple heuristic (no public suffix
    list): the last two labels, or three when the TLD is two letters and the second level
    is generic (co.uk, com.au, ne.jp, or.kr)."""
    parts = host.split(".")
    if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in GENERIC_SECOND_LEVEL:
        return ".".join(parts[-3:])
    return ".".join(parts[-2:])


@lru_cache(maxsize=65536)
def _network(address: str, prefix_v4: int, prefix_v6: int) -> str:
    """The network prefix of an address (from the parser: canonical text), as text."""
    if ":" in address:
        if prefix_v6 == 48:
            # Cheap path for canonical RFC 5952 text: the first three groups.
            head = address.split("::", 1)[0]
            groups = ([*head.split(":")] if head else []) + ["0", "0", "0"]
            return ":".join(groups[:3]) + "::/48"
        return str(ipaddress.IPv6Network(f"{address}/{prefix_v6}", strict=False))
    if prefix_v4 == 24:
        return address.rpartition(".")[0] + ".0/24"
    return str(ipaddress.IPv4Network(f"{address}/{prefix_v4}", strict=False))


def _servers(zone: RootZone, prefix_v4: int = 24, prefix_v6: int = 48) -> dict[str, str]:
    """host -> server id (the smallest host name sharing a network prefix with it)."""
    hosts = _UnionFind()
    first_host: dict[str, str] = {}
    for tld in zone.tlds.values():
        for host in tld.ns:
            hosts.find(host)
            for address in tld.glue.get(host, ()):
                seen = first_host.setdefault(_network(address, prefix_v4, prefix_v6), host)
                if seen != host:
                    hosts.union(seen, host)
    return {host: hosts.find(host) for host in hosts.parent}


def _display(tld: str) -> str:
    shown = to_unicode(tld)
    return f".{shown} ({tld})" if shown != tld else f".{tld}"


def _describe(
    members: list[str],
    tlds: Mapping[str, TldDelegation],
    server_of: Mapping[str, str],
    services: frozenset[str],
) -> tuple[str, tuple[str, ...], tuple[str, ...], str]:
    domain_users: dict[str, set[str]] = defaultdict(set)
    server_members: dict[str, set[str]] = defaultdict(set)
    for tld in members:
        for host in tlds[tld].ns:
            domain_users[registrable_domain(host)].add(tld)
            server_members[server_of[host]].add(tld)
    ranked = sorted(domain_users, key=lambda d: (-len(domain_users[d]), d))
    shared = sorted(
        (s for s, m in server_members.items() if len(m) > 1 and s not in services),
        key=lambda s: (-len(server_members[s]), s),
    )
    first = members[0]
    if len(members) == 1:
        name = f"Registry of {_display(first)} (inferred)"
        evidence = "no other TLD shares enough of its name servers"
        return name, tuple(ranked), tuple(shared), evidence
    top = ranked[0]
    if len(domain_users[top]) * 2 >= len(members):
        name = f"Operator of {to_unicode(top)} name servers ({len(members)} TLDs, inferred)"
    else:
        shown = ", ".join(_display(t) for t in members[:3])
        more = f" and {len(members) - 3} more" if len(members) > 3 else ""
        name = f"Operator of {shown}{more} (inferred)"
    listed = ", ".join(shared[:5]) + (f" and {len(shared) - 5} more" if len(shared) > 5 else "")
    evidence = (
        f"{len(members)} TLDs linked by shared name servers {listed or '(identical sets)'};"
        f" hosts in one /24 or /48 count as one server"
    )
    return name, tuple(ranked), tuple(shared), evidence


def _shared_services(
    tlds: Mapping[str, TldDelegation], sets: Mapping[str, frozenset[str]]
) -> frozenset[str]:
    users: dict[str, list[str]] = defaultdict(list)
    for name, servers in sets.items():
        for server in servers:
            users[server].append(name)
    services = set()
    for server, names in users.items():
        if len(names) < SERVICE_MIN_TLDS:
            continue
        countries = {
            tlds[n].country for n in names if tlds[n].kind in (TldKind.CCTLD, TldKind.IDN_CCTLD)
        }
        if len(countries) < 2:
            continue
        others = set().union(*(sets[n] for n in names))
        others.discard(server)
        if len(others) >= SERVICE_DISPERSION * len(names):
            services.add(server)
    return frozenset(services)


def group_operators(
    zone: RootZone, *, prefix_v4: int = 24, prefix_v6: int = 48
) -> tuple[OperatorGroup, ...]:
    """Operator groups of a root zone, largest first (then by key)."""
    server_of = _servers(zone, prefix_v4, prefix_v6)
    tlds = zone.tlds
    sets = {name: frozenset(server_of[h] for h in tld.ns) for name, tld in tlds.items()}
    services = _shared_services(tlds, sets)
    # TLDs with identical server sets are linked at once and compared once.
    by_signature: dict[frozenset[str], list[str]] = defaultdict(list)
    for name in sorted(sets):
        by_signature[sets[name]].append(name)
    signatures = list(by_signature)
    groups = _UnionFind()
    for signature, names in by_signature.items():
        # Identical sets made only of shared services (PCH plus two other anycast
        # secondaries, say) say nothing about who runs the TLDs.
        if signature - services:
            for twin in names:
                groups.union(names[0], twin)
    index: dict[str, list[int]] = defaultdict(list)
    for number, signature in enumerate(signatures):
        for server in signature:
            index[server].append(number)
    for number, signature in enumerate(signatures):
        shared: Counter[int] = Counter()
        confirmed: Counter[int] = Counter()
        for server in signature:
            is_service = server in services
            for other in index[server]:
                if other > number:
                    shared[other] += 1
                    if not is_service:
                        confirmed[other] += 1
        for other, count in shared.items():
            larger = max(len(signature), len(signatures[other]))
            if (
                count >= MIN_SHARED_SERVERS
                and count * 2 >= larger
                and confirmed[other] >= MIN_CONFIRMING_SERVERS
            ):
                groups.union(by_signature[signature][0], by_signature[signatures[other]][0])
    members_of: dict[str, list[str]] = defaultdict(list)
    for name in sorted(tlds):
        members_of[groups.find(name)].append(name)
    result = []
    for members in members_of.values():
        name, ns_domains, shared_servers, evidence = _describe(members, tlds, server_of, services)
        country, region = _agreement(tlds[t] for t in members)
        result.append(
            OperatorGroup(
                key=f"g-{members[0]}",
                name=name,
                tlds=tuple(members),
                ns_domains=ns_domains,
                shared_servers=shared_servers,
                evidence=evidence,
                country=country,
                region=region,
            )
        )
    result.sort(key=lambda g: (-g.size, g.key))
    return tuple(result)


def _agreement(members: Iterable[TldDelegation]) -> tuple[str | None, Region | None]:
    """Country and region when all country-code members agree and are at least a third of
    the group (one ccTLD on a 28-TLD gTLD platform says nothing about the platform)."""
    listed = list(members)
    cc = [t for t in listed if t.kind in (TldKind.CCTLD, TldKind.IDN_CCTLD)]
    if not cc or len(cc) * 3 < len(listed):
        return None, None
    countries = {t.country for t in cc}
    regions = {t.region for t in cc}
    country = countries.pop() if len(countries) == 1 else None
    region = regions.pop() if len(regions) == 1 else None
    return country, region


def carry_over_keys(
    previous: Mapping[str, Iterable[str]], groups: Iterable[OperatorGroup]
) -> dict[str, str]:
    """Map each new group's key to the previous group key it continues, by largest overlap
    of member TLDs (one-to-one; ties go to the smaller key). Groups without a match are
    left out: they are new."""
    old = {key: frozenset(members) for key, members in previous.items()}
    owner = {tld: key for key, members in old.items() for tld in members}
    candidates: list[tuple[int, str, str]] = []
    for group in groups:
        overlap = Counter(owner[t] for t in group.tlds if t in owner)
        candidates.extend((-count, group.key, key) for key, count in overlap.items())
    candidates.sort()
    taken_new: set[str] = set()
    taken_old: set[str] = set()
    result: dict[str, str] = {}
    for _count, new_key, old_key in candidates:
        if new_key in taken_new or old_key in taken_old:
            continue
        result[new_key] = old_key
        taken_new.add(new_key)
        taken_old.add(old_key)
    return result
