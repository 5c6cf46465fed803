"""A fast, strict reader of the DNS root zone file: delegations, glue, DS, root servers.

The zone file syntax is RFC 1035 section 5 (master files) with the common extensions:
comments after ";", $ORIGIN and $TTL (RFC 2308 section 4), an owner left blank inherits the
previous one, TTL and class are optional and in either order, "@" is the origin, names are
absolute (trailing dot) or relative to $ORIGIN, and parentheses continue a record over
several lines. $INCLUDE, escapes ("\\.") and quoted strings are not supported in names:
the root zone has none, and refusing them is safer than guessing.

Only what the center needs is decoded: SOA (the serial), NS, A/AAAA (glue), DS. Records of
any other type known to dnspython (NSEC, RRSIG, DNSKEY, ZONEMD, ...) are skipped without
decoding their data; an unknown type, a bad TTL, a bad name or bad data is an error with
file, 1-based line and field ("owner", "ttl", "class", "type", "rdata"). All errors of a
file are collected and raised together as ValidationErrors.

Design choice: a line-oriented parser instead of dns.zone.from_text, which builds and
validates every RRSIG, NSEC and DNSKEY rdata of the zone and takes seconds on the 22,000
lines of the root zone; this one takes tens of milliseconds.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import dns.rdataclass
import dns.rdatatype

from dnscc.core.errors import InputError, Location, ValidationErrors
from dnscc.core.names import normalize_name, to_unicode
from dnscc.core.regions import Region, TldKind, classify_tld
from dnscc.core.root_servers import ROOT_SERVER_OPERATORS, RootServerOperator

__all__ = [
    "DsRecord",
    "Record",
    "RootServer",
    "RootZone",
    "TldDelegation",
    "parse_root_zone",
]

# RFC 4509 (SHA-256), RFC 3658/4034 (SHA-1), RFC 6605 (SHA-384): digest length in hex digits.
_DIGEST_HEX_LENGTHS = {1: 40, 2: 64, 4: 96}
_HEX = re.compile(r"[0-9A-Fa-f]+")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")
_TTL_UNITS = re.compile(r"(?:\d+[wdhmsWDHMS])+")
_TTL_PART = re.compile(r"(\d+)([wdhmsWDHMS])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
_MAX_TTL = 2**31 - 1  # RFC 2181 section 8
_DECODED_TYPES = frozenset({"SOA", "NS", "A", "AAAA", "DS"})
_HINTS = {
    "owner": "an owner is a domain name, absolute with a trailing dot or relative to $ORIGIN",
    "ttl": "a TTL is seconds (86400) or with units (1d, 2h30m), at most 2147483647",
    "class": "the root zone is class IN",
    "type": "a record is: owner [ttl] [class] TYPE data",
    "NS": "NS data is one host name, e.g. 'a.nic.example.'",
    "A": "A data is one IPv4 address, e.g. '192.0.2.1'",
    "AAAA": "AAAA data is one IPv6 address, e.g. '2001:db8::1'",
    "DS": "DS data is: key-tag algorithm digest-type hex-digest (RFC 4034 section 5.3)",
    "SOA": "SOA data is: mname rname serial refresh retry expire minimum (RFC 1035 3.3.13)",
}


class DsRecord(NamedTuple):
    """A delegation signer record (RFC 4034 section 5): the digest in upper-case hex."""

    key_tag: int
    algorithm: int
    digest_type: int
    digest: str


@dataclass(frozen=True, slots=True)
class TldDelegation:
    """One top-level domain as the root zone delegates it.

    `ns` keeps the order of the file. `glue` maps each NS host that has addresses in the
    root zone (its own in-bailiwick glue, or glue published for another TLD) to them.
    """

    name: str
    ns: tuple[str, ...]
    glue: Mapping[str, tuple[str, ...]]
    ds: tuple[DsRecord, ...]
    kind: TldKind
    country: str | None = None
    region: Region | None = None

    def __post_init__(self) -> None:
        if not self.name or "." in self.name:
            raise InputError(f"{self.name!r} is not a top-level domain", hint="one label")
        if not self.ns:
            raise InputError(f"TLD {self.name!r} has no name servers")
        if isinstance(self.glue, dict):
            object.__setattr__(self, "glue", MappingProxyType(self.glue))

    @property
    def unicode_name(self) -> str:
        """The TLD for display: the U-label of an IDN TLD."""
        return to_unicode(self.name)

    @property
    def signed(self) -> bool:
        """Whether the delegation is DNSSEC-signed (has a DS record set)."""
        return bool(self.ds)


@dataclass(frozen=True, slots=True)
class RootServer:
    """A name server of the root zone's apex NS set, with its addresses from the zone."""

    host: str
    addresses: tuple[str, ...]
    operator: RootServerOperator | None


class Record(NamedTuple):
    """One resource record as written (kept when asked, for the checks of core.zonecheck):
    its 1-based line, owner (normalised, "" for the root), TTL, type mnemonic and rdata
    tokens."""

    line: int
    owner: str
    ttl: int
    rtype: str
    rdata: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RootZone:
    """What the center keeps from one root zone file."""

    serial: int
    source: str
    tlds: Mapping[str, TldDelegation]
    root_servers: tuple[RootServer, ...]
    warnings: tuple[str, ...] = field(default=())
    records: tuple[Record, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.serial < 2**32:
            raise InputError(f"SOA serial {self.serial} is out of range (RFC 1982)")
        if isinstance(self.tlds, dict):
            object.__setattr__(self, "tlds", MappingProxyType(self.tlds))

    def count_by_kind(self) -> dict[TldKind, int]:
        """How many TLDs of each kind (ccTLD, gTLD, IDN ccTLD, infrastructure)."""
        counts = Counter(t.kind for t in self.tlds.values())
        return {kind: counts.get(kind, 0) for kind in TldKind}


class _LineError(Exception):
    def __init__(self, field: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.hint = hint if hint is not None else _HINTS.get(field)


@lru_cache(maxsize=256)
def _known_type(token: str) -> bool:
    try:
        dns.rdatatype.from_text(token)
    except (dns.rdatatype.UnknownRdatatype, ValueError):
        return False
    return True


@lru_cache(maxsize=64)
def _class_of(token: str) -> str | None:
    """The class mnemonic when `token` is a DNS class, else None."""
    try:
        return dns.rdataclass.to_text(dns.rdataclass.from_text(token))
    except (dns.rdataclass.UnknownRdataclass, ValueError):
        return None


def _ttl(token: str) -> int:
    if token.isdigit():
        value = int(token)
    elif _TTL_UNITS.fullmatch(token):
        value = sum(int(n) * _UNIT_SECONDS[u.lower()] for n, u in _TTL_PART.findall(token))
    else:
        raise _LineError("ttl", f"{token!r} is not a TTL")
    if value > _MAX_TTL:
        raise _LineError("ttl", f"TTL {token} is larger than {_MAX_TTL}")
    return value


def _strip_comment(line: str) -> str:
    if '"' not in line:
        return line.split(";", 1)[0]
    quoted = False
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            return line[:index]
    return line


class _Parser:
    def __init__(self, source: str, *, keep: bool = False) -> None:
        self.source = source
        self.keep: list[Record] | None = [] if keep else None
        self.line = 0
        self.default_ttl: int | None = None  # $TTL (RFC 2308 section 4)
        self.last_ttl: int | None = None  # else the last TTL written (RFC 1035 section 5.1)
        self.errors: list[InputError] = []
        self.warnings: list[str] = []
        self.origin = ""
        self.serial: int | None = None
        self.ns: dict[str, list[str]] = {}
        self.addresses: dict[str, list[str]] = {}
        self.ds: dict[str, list[DsRecord]] = {}
        self.soa_seen = False
        self._names: dict[tuple[str, str], str] = {}

    def error(self, line: int, exc: _LineError) -> None:
        self.errors.append(
            InputError(
                exc.message,
                location=Location(self.source, line, exc.field),
                hint=exc.hint,
            )
        )

    def name(self, word: str, field: str) -> str:
        key = (word, self.origin)
        found = self._names.get(key)
        if found is not None:
            return found
        if word == "@":
            text = self.origin
        elif word.endswith("."):
            text = word
        elif self.origin:
            text = f"{word}.{self.origin}"
        else:
            text = word
        if "\\" in word:
            raise _LineError(field, f"escapes in names are not supported: {word!r}")
        try:
            result = normalize_name(text)
        except InputError as exc:
            raise _LineError(field, exc.problem, exc.hint) from None
        self._names[key] = result
        return result

    def parse(self, text: str) -> None:
        lines = text.splitlines()
        count = len(lines)
        owner: str | None = None
        index = 0
        while index < count:
            raw = lines[index]
            number = index + 1
            self.line = number
            index += 1
            line = _strip_comment(raw) if ";" in raw else raw
            if "(" in line or ")" in line:
                joined, index = self._join(line, lines, index, number)
                if joined is None:
                    continue
                line = joined
            tokens = line.split()
            if not tokens:
                continue
            try:
                if line[0] in " \t":
                    if owner is None:
                        raise _LineError("owner", "the first record has no owner to inherit")
                else:
                    first = tokens.pop(0)
                    if first.startswith("$"):
                        self.directive(first, tokens)
                        continue
                    owner = self.name(first, "owner")
                self.record(owner, tokens)
            except _LineError as exc:
                self.error(number, exc)

    def _join(self, line: str, lines: list[str], index: int, number: int) -> tuple[str | None, int]:
        """Join a parenthesised record spread over several lines into one line."""
        depth = line.count("(") - line.count(")")
        parts = [line]
        while depth > 0 and index < len(lines):
            more = lines[index]
            index += 1
            more = _strip_comment(more) if ";" in more else more
            depth += more.count("(") - more.count(")")
            parts.append(more)
        if depth != 0:
            self.error(number, _LineError("rdata", "unbalanced parentheses", "close each '('"))
            return None, index
        joined = " ".join(parts).replace("(", " ").replace(")", " ")
        # Keep the leading blank of the first line: it means "same owner".
        return joined, index

    def directive(self, name: str, args: list[str]) -> None:
        upper = name.upper()
        if upper == "$ORIGIN" and len(args) == 1:
            if not args[0].endswith("."):
                raise _LineError(
                    "owner", f"$ORIGIN {args[0]!r} must be absolute", "end it with '.'"
                )
            self.origin = self.name(args[0], "owner")
        elif upper == "$TTL" and len(args) == 1:
            self.default_ttl = _ttl(args[0])
        elif upper in ("$ORIGIN", "$TTL"):
            raise _LineError("type", f"{name} takes one argument, got {len(args)}")
        else:
            raise _LineError(
                "type", f"directive {name} is not supported", "use $ORIGIN and $TTL only"
            )

    def record(self, owner: str, tokens: list[str]) -> None:
        position = 0
        ttl: int | None = None
        for _ in range(2):
            if position >= len(tokens):
                break
            token = tokens[position]
            if token[0].isdigit():
                ttl = _ttl(token)
                position += 1
                continue
            cls = _class_of(token.upper()) if len(token) <= 8 else None
            if cls is None:
                break
            if cls != "IN":
                raise _LineError("class", f"class {cls} in a root zone")
            position += 1
        if position >= len(tokens):
            raise _LineError("type", "the record has no type")
        rtype = tokens[position].upper()
        rdata = tokens[position + 1 :]
        if rtype == "SOA" and not owner:
            self.soa_seen = True
        if self.keep is not None:
            if ttl is None:
                ttl = self.default_ttl if self.default_ttl is not None else self.last_ttl
                if ttl is None:
                    raise _LineError("ttl", "the record has no TTL and no $TTL precedes it")
            self.last_ttl = ttl
            self.keep.append(Record(self.line, owner, ttl, rtype, tuple(rdata)))
        if rtype not in _DECODED_TYPES:
            if not _known_type(rtype):
                raise _LineError("type", f"{tokens[position]!r} is not a record type")
            if not rdata:
                raise _LineError("rdata", f"the {rtype} record has no data")
            return
        try:
            self.decode(owner, rtype, rdata)
        except _LineError as exc:
            if exc.field == "rdata" and exc.hint is None:
                exc.hint = _HINTS[rtype]
            raise

    def decode(self, owner: str, rtype: str, rdata: list[str]) -> None:
        if rtype == "NS":
            if len(rdata) != 1:
                raise _LineError("rdata", f"NS takes one host name, got {len(rdata)} fields")
            host = self.name(rdata[0], "rdata")
            hosts = self.ns.setdefault(owner, [])
            if host not in hosts:  # RFC 2181 section 5: an RRset has no duplicates
                hosts.append(host)
        elif rtype == "A" or rtype == "AAAA":
            if len(rdata) != 1:
                raise _LineError("rdata", f"{rtype} takes one address, got {len(rdata)} fields")
            try:
                if rtype == "A":
                    address = rdata[0]
                    if not _IPV4.fullmatch(address):  # canonical dotted quad: no work
                        address = str(ipaddress.IPv4Address(address))
                else:
                    address = ipaddress.IPv6Address(rdata[0]).compressed
            except ValueError:
                raise _LineError("rdata", f"{rdata[0]!r} is not an {rtype} address") from None
            found = self.addresses.setdefault(owner, [])
            if address not in found:
                found.append(address)
        elif rtype == "DS":
            self.ds.setdefault(owner, []).append(_ds(rdata))
        else:
            self.soa(owner, rdata)

    def soa(self, owner: str, rdata: list[str]) -> None:
        if owner:
            raise _LineError("owner", f"an SOA for {owner!r} does not belong in the root zone")
        if len(rdata) != 7:
            raise _LineError("rdata", f"SOA has 7 fields, got {len(rdata)}")
        self.name(rdata[0], "rdata")
        self.name(rdata[1], "rdata")
        if not rdata[2].isdigit() or int(rdata[2]) >= 2**32:
            raise _LineError("rdata", f"SOA serial {rdata[2]!r} is not a 32-bit number")
        for token in rdata[3:]:
            if not token.isdigit() and not _TTL_UNITS.fullmatch(token):
                raise _LineError("rdata", f"SOA timer {token!r} is not a number of seconds")
        if self.serial is not None:
            raise _LineError("owner", "a second SOA record for the root")
        self.serial = int(rdata[2])


def _ds(rdata: list[str]) -> DsRecord:
    if len(rdata) < 4:
        raise _LineError("rdata", f"DS has at least 4 fields, got {len(rdata)}")
    numbers = []
    for token, what, limit in (
        (rdata[0], "key tag", 65535),
        (rdata[1], "algorithm", 255),
        (rdata[2], "digest type", 255),
    ):
        if not token.isdigit() or int(token) > limit:
            raise _LineError("rdata", f"DS {what} {token!r} is not a number 0 to {limit}")
        numbers.append(int(token))
    digest = "".join(rdata[3:])
    if not _HEX.fullmatch(digest) or len(digest) % 2:
        raise _LineError("rdata", f"DS digest {digest[:16]!r}... is not hexadecimal")
    expected = _DIGEST_HEX_LENGTHS.get(numbers[2])
    if expected is not None and len(digest) != expected:
        raise _LineError(
            "rdata",
            f"DS digest type {numbers[2]} has {expected} hex digits, got {len(digest)}",
        )
    return DsRecord(numbers[0], numbers[1], numbers[2], digest.upper())


def _build(parser: _Parser) -> RootZone:
    assert parser.serial is not None
    tlds: dict[str, TldDelegation] = {}
    warnings = parser.warnings
    addresses = parser.addresses
    for owner, hosts in parser.ns.items():
        if not owner:
            continue
        if "." in owner:
            warnings.append(f"NS records for {owner!r} below a TLD are ignored")
            continue
        glue: dict[str, tuple[str, ...]] = {}
        for host in hosts:
            found = addresses.get(host)
            if found:
                glue[host] = tuple(found)
            elif host.endswith("." + owner):
                warnings.append(f"{owner}: in-bailiwick name server {host} has no glue")
        cls = classify_tld(owner)
        if not cls.known:
            warnings.append(f"{owner}: not in the ccTLD or IDN tables; classified {cls.kind}")
        tlds[owner] = TldDelegation(
            name=owner,
            ns=tuple(hosts),
            glue=MappingProxyType(glue),
            ds=tuple(parser.ds.get(owner, ())),
            kind=cls.kind,
            country=cls.country,
            region=cls.region,
        )
    for owner in parser.ds:
        if owner not in tlds:
            warnings.append(f"DS records for {owner!r} without a delegation are ignored")
    root_servers = tuple(
        RootServer(host, tuple(addresses.get(host, ())), ROOT_SERVER_OPERATORS.get(host))
        for host in parser.ns.get("", ())
    )
    return RootZone(
        serial=parser.serial,
        source=parser.source,
        tlds=MappingProxyType(dict(sorted(tlds.items()))),
        root_servers=root_servers,
        warnings=tuple(warnings),
        records=tuple(parser.keep or ()),
    )


def parse_root_zone(
    zone: str | os.PathLike[str], *, source: str | None = None, keep_records: bool = False
) -> RootZone:
    """Parse a root zone from a path, or from zone text (a str holding a newline).

    `source` names the input in errors and in the result (default: the path, or "<text>").
    With `keep_records`, every record is kept too (`RootZone.records`), for the checks of
    core.zonecheck (ZONEMD, NSEC chain, signatures).
    Raises ValidationErrors with every bad line, or with "not a root zone" when the input
    has no SOA record for the root.
    """
    if isinstance(zone, str) and "\n" in zone:
        text = zone
        name = source or "<text>"
    else:
        path = Path(zone)
        name = source or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationErrors(
                [InputError(f"not UTF-8 text: {exc.reason}", location=Location(name))]
            ) from None
        except OSError as exc:
            raise ValidationErrors(
                [
                    InputError(
                        f"cannot read the zone file: {exc.strerror or exc}",
                        location=Location(name),
                        hint="give the path of a root zone file, or zone text with newlines",
                    )
                ]
            ) from None
    parser = _Parser(name, keep=keep_records)
    parser.parse(text)
    if not parser.soa_seen:
        parser.errors.append(
            InputError(
                "not a root zone: there is no SOA record for '.'",
                location=Location(name, None, "owner"),
                hint="give the root zone file (e.g. from https://www.internic.net/domain/)",
            )
        )
    if parser.errors:
        raise ValidationErrors(parser.errors)
    return _build(parser)
