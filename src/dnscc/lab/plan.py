"""The lab's plan: which TLDs, which name servers, which loopback address each one gets,
and which Knot instance serves which zone.

Pure: reads the root zone file and returns a `Plan`; starts nothing.

Address plan inside the lab's block 127.B.0.0/16 (B chosen per lab, see state.py):

    127.B.0.1-13        root servers (names from the root zone apex: a..m.root-servers.net)
    127.B.0.100         resolver "healthy" (Unbound), never faulted
    127.B.0.101-102     resolvers "r1", "r2" (Unbound; resolver faults apply to these)
    127.B.0.151-152     where r1/r2 move when a proxy fronts them (NXDOMAIN rewriting)
    127.B.0.200-219     one admin address per Knot instance (dnsperf, proxies, AXFR source)
    127.B.0.250         the lab's tools address: the only source allowed to AXFR
    127.B.1.1-...       one address per TLD name server host name (5,914 for the full root)
    127.B.200.J/1-2     second-level zone servers of SLD instance J (ns1/ns2.<sld>.<tld>)
    127.B.251.N         hijacker name servers (fault "hijack")
    127.B.252.1         where a wildcarding resolver points NXDOMAIN names
    127.B.253.N         wrong-glue targets: nothing listens there
    127.B.254.1         address of www.<sld>.<tld> (data only; nothing listens)
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import dns.name

from dnscc.core.errors import InputError, Location

# TLDs picked first for `--tlds N`: ccTLDs with in-bailiwick, unshared name servers (so a
# server fault on one does not spill into another), then well-known gTLDs.
PREFERRED_TLDS = ("nl", "se", "dk", "ch", "xyz", "io", "fr", "org", "com", "net", "de", "jp")

# Second-level labels; `slds` per TLD takes the first N. None is a real TLD label.
SLD_LABELS = (
    "example",
    "shop",
    "bank",
    "news",
    "mail",
    "cloud",
    "school",
    "health",
    "travel",
    "music",
    "games",
    "sport",
    "press",
    "radio",
    "forum",
    "market",
)

RESOLVERS = ("healthy", "r1", "r2")
MAX_SLD_INSTANCES = 2


@dataclass(frozen=True)
class RootData:
    """What the lab keeps from a root zone file."""

    apex_ns: tuple[str, ...]
    delegations: dict[str, tuple[str, ...]]  # tld label -> NS host names (absolute, lowercase)


@dataclass
class Instance:
    """One Knot process: its role, admin address, listen addresses and zones."""

    name: str
    role: str  # root | tld | sld | fault
    admin: str
    addresses: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)  # absolute zone names ("." for the root)


@dataclass
class Plan:
    """Everything `up` needs to lay the lab out; JSON-serialisable through `as_dict`."""

    block: int
    port: int
    slds: int
    root_ns: list[str]
    tlds: dict[str, list[str]]  # tld label -> NS host names
    hosts: dict[str, str]  # NS host name -> loopback address
    instances: dict[str, Instance]
    sld_zones: dict[str, list[str]]  # tld label -> SLD zone names (absolute)
    resolvers: dict[str, str]  # name -> address

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Plan:
        raw = dict(data)
        instances = {
            k: Instance(**v)
            for k, v in raw.pop("instances").items()  # type: ignore[attr-defined]
        }
        return cls(instances=instances, **raw)  # type: ignore[arg-type]

    # -- lookups ---------------------------------------------------------------------------
    def ip(self, last: int, third: int = 0) -> str:
        return f"127.{self.block}.{third}.{last}"

    @property
    def tools_address(self) -> str:
        return self.ip(250)

    def instance_of_address(self, address: str) -> Instance:
        for inst in self.instances.values():
            if address in inst.addresses:
                return inst
        raise KeyError(address)

    def instance_of_zone(self, zone: str) -> Instance:
        return self._zone_owner[zone]

    @functools.cached_property
    def _zone_owner(self) -> dict[str, Instance]:
        return {z: inst for inst in self.instances.values() for z in inst.zones}

    @functools.cached_property
    def hosts_by_tld(self) -> dict[str, list[str]]:
        """Name server host names grouped by the TLD they are named under."""
        out: dict[str, list[str]] = defaultdict(list)
        for h in self.hosts:
            out[h.rstrip(".").rsplit(".", 1)[-1]].append(h)
        return dict(out)

    def zones_of_host(self, host: str) -> list[str]:
        """The zones whose NS set names `host` (the root counts as ".")."""
        zones = ["."] if host in self.root_ns else []
        zones += [f"{tld}." for tld, ns in self.tlds.items() if host in ns]
        return zones


def read_root_zone(path: Path) -> RootData:
    """Read apex NS and TLD delegations from a root zone file in presentation format.

    A line-level reader rather than a full zone parser: the root zone file is one RR per
    line, and this keeps `up` fast (22,000 lines in ~0.1 s) while still reporting the exact
    line of anything malformed.
    """
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise InputError(
            "root zone file not found",
            location=Location(file=str(path)),
            hint="pass --root-zone FILE, or --tlds N with the shipped root zone present",
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(
            f"cannot read root zone file: {exc}",
            location=Location(file=str(path)),
            hint="pass a root zone in DNS presentation format (e.g. from IANA)",
        ) from None
    apex: list[str] = []
    deleg: dict[str, list[str]] = defaultdict(list)
    saw_soa = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("$"):
            continue
        fields = line.split()

        def bad(problem: str, fld: str | None = None, lineno: int = lineno) -> InputError:
            return InputError(
                problem,
                location=Location(file=str(path), line=lineno, field=fld),
                hint="repair or re-download the root zone file (one RR per line: "
                "NAME TTL CLASS TYPE RDATA)",
            )

        if len(fields) < 5:
            raise bad(f"expected NAME TTL CLASS TYPE RDATA, got {line[:60]!r}")
        name, ttl, klass, rtype = fields[0], fields[1], fields[2].upper(), fields[3].upper()
        if not ttl.isdigit():
            raise bad(f"TTL is not a number: {ttl!r}", "ttl")
        if klass != "IN":
            raise bad(f"class must be IN, got {klass!r}", "class")
        try:
            owner = dns.name.from_text(name)
        except dns.exception.DNSException as exc:
            raise bad(f"bad owner name {name!r}: {exc}", "name") from None
        if rtype == "SOA":
            saw_soa = True
        elif rtype == "NS":
            try:
                target = dns.name.from_text(fields[4]).to_text().lower()
            except dns.exception.DNSException as exc:
                raise bad(f"bad NS target {fields[4]!r}: {exc}", "rdata") from None
            if owner == dns.name.root:
                apex.append(target)
            elif len(owner) == 2:
                deleg[owner.to_text().lower().rstrip(".")].append(target)
            else:
                raise bad(f"NS below a TLD in a root zone: {name}", "name")
        elif rtype == "A":
            try:
                ipaddress.IPv4Address(fields[4])
            except ValueError:
                raise bad(f"bad IPv4 address {fields[4]!r}", "rdata") from None
    if not saw_soa:
        raise InputError(
            "no SOA record: this is not a zone file",
            location=Location(file=str(path)),
            hint="pass the root zone file (e.g. root.zone from IANA)",
        )
    if not deleg:
        raise InputError(
            "no TLD delegations (NS records) found",
            location=Location(file=str(path)),
            hint="pass the root zone file (e.g. root.zone from IANA)",
        )
    apex_ns = tuple(sorted(set(apex))) or tuple(f"{c}.root-servers.net." for c in "abcdefghijklm")
    return RootData(
        apex_ns=apex_ns[:13],
        delegations={k: tuple(sorted(set(v))) for k, v in sorted(deleg.items())},
    )


def choose_tlds(root: RootData, count: int | None) -> list[str]:
    """All TLDs, or `count` of them: the preferred ones first, then alphabetical."""
    all_tlds = list(root.delegations)
    if count is None or count >= len(all_tlds):
        return all_tlds
    first = [t for t in PREFERRED_TLDS if t in root.delegations]
    rest = [t for t in all_tlds if t not in first]
    return (first + rest)[:count]


def make_plan(
    root: RootData,
    tlds: list[str],
    *,
    block: int,
    port: int,
    slds: int,
    tld_instances: int | None = None,
) -> Plan:
    """Lay out addresses and instances.

    TLDs that share a name server host must be served by the same Knot instance (a host is
    one address, an address belongs to one process), so TLDs are grouped by shared hosts
    (union-find) and the groups spread over the TLD instances, biggest first.
    """
    if slds > len(SLD_LABELS):
        raise InputError(
            f"at most {len(SLD_LABELS)} second-level zones per TLD", hint="lower --slds"
        )

    def ip(third: int, last: int) -> str:
        return f"127.{block}.{third}.{last}"

    tld_ns = {t: list(root.delegations[t]) for t in tlds}
    root_ns = list(root.apex_ns)
    hosts: dict[str, str] = {h: ip(0, i + 1) for i, h in enumerate(root_ns)}
    n = 0
    for t in tlds:
        for h in tld_ns[t]:
            if h not in hosts:
                hosts[h] = ip(1 + n // 254, 1 + n % 254)
                n += 1
    if n > 254 * 199:
        raise InputError("too many name server hosts for one lab block", hint="use --tlds N")

    # union-find over TLDs sharing hosts
    parent = {t: t for t in tlds}

    def find(t: str) -> str:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    owner: dict[str, str] = {}
    for t in tlds:
        for h in tld_ns[t]:
            if h in owner:
                parent[find(t)] = find(owner[h])
            else:
                owner[h] = t
    groups: dict[str, list[str]] = defaultdict(list)
    for t in tlds:
        groups[find(t)].append(t)
    k = tld_instances or (1 if len(tlds) <= 2 else 2 if len(tlds) <= 50 else 4)
    k = max(1, min(k, len(groups)))
    instances: dict[str, Instance] = {
        "root": Instance(
            "root", "root", ip(0, 200), [ip(0, i + 1) for i in range(len(root_ns))], ["."]
        )
    }
    loads = [0] * k
    tld_insts = [Instance(f"tld{i}", "tld", ip(0, 201 + i)) for i in range(k)]
    for group in sorted(groups.values(), key=lambda g: (-len(g), g[0])):
        i = loads.index(min(loads))
        loads[i] += len(group)
        inst = tld_insts[i]
        inst.zones += [f"{t}." for t in group]
        for t in group:
            for h in tld_ns[t]:
                if hosts[h] not in inst.addresses and h not in root_ns:
                    inst.addresses.append(hosts[h])
    for inst in tld_insts:
        inst.addresses.insert(0, inst.admin)
        instances[inst.name] = inst
    instances["root"].addresses.insert(0, instances["root"].admin)

    sld_zones: dict[str, list[str]] = {
        t: [f"{lab}.{t}." for lab in SLD_LABELS[:slds]] for t in tlds
    }
    if slds:
        m = 1 if len(tlds) * slds <= 200 else MAX_SLD_INSTANCES
        sld_insts = [
            Instance(
                f"sld{j}", "sld", ip(0, 210 + j), [ip(0, 210 + j), ip(200 + j, 1), ip(200 + j, 2)]
            )
            for j in range(m)
        ]
        for i, t in enumerate(tlds):
            sld_insts[i % m].zones += sld_zones[t]
        for inst in sld_insts:
            instances[inst.name] = inst
    resolvers = {name: ip(0, 100 + i) for i, name in enumerate(RESOLVERS)}
    return Plan(
        block=block,
        port=port,
        slds=slds,
        root_ns=root_ns,
        tlds=tld_ns,
        hosts=hosts,
        instances=instances,
        sld_zones=sld_zones,
        resolvers=resolvers,
    )


def sld_servers(plan: Plan, sld_zone: str) -> dict[str, str]:
    """NS host name -> address for one SLD zone (ns1/ns2.<sld>.<tld> on its SLD instance)."""
    inst = plan.instance_of_zone(sld_zone)
    return {f"ns1.{sld_zone}": inst.addresses[1], f"ns2.{sld_zone}": inst.addresses[2]}
