"""Checks a copy of the root zone must pass before the center believes it.

The root zone carries the means to check a copy (what `dnscc import rootzone` uses):

* ZONEMD (RFC 8976): a digest of the whole zone, SIMPLE scheme (1) with SHA-384 (1) or
  SHA-512 (2). `zonemd` recomputes it over the zone's records in canonical order (RFC 4034
  section 6) and compares. A copy whose signatures were removed (the shipped snapshot keeps
  only the SOA and DNSKEY ones) cannot match, and is told apart from a damaged copy:
  `UNVERIFIABLE`, never "verified".
* The NSEC chain (RFC 4034 section 4): each name's NSEC names the next one in canonical
  order, the last names the apex. `nsec_chain` walks it: a record whose next name is
  missing from the zone is a gap (names missing: a copy cut short, or TLDs removed); a
  chain out of order or skipping a name the zone has, or a delegation without its NSEC, is
  broken.
* Signatures (RFC 4035 section 5): `validate_apex` checks the DNSKEY set against trust
  anchor DS records, then the SOA and ZONEMD sets against those keys (dnspython's
  dns.dnssec).

Design choice: the digest is computed here from the records the line parser kept
(core.rootzone), with dnspython encoding the rdata of the rarer types, rather than through
dns.zone.from_text and Zone.verify_digest, which spend seconds tokenising the 22,000 lines
of the root zone again; the tests compare both on signed zones (the lab's root among them).
Pure: no Django, no network.
"""

from __future__ import annotations

import hashlib
import socket
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import dns.dnssec
import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from dnscc.core.rootzone import Record

__all__ = [
    "BROKEN",
    "GAPS",
    "MISMATCH",
    "NONE",
    "UNSUPPORTED",
    "UNVERIFIABLE",
    "VERIFIED",
    "ChainCheck",
    "DigestCheck",
    "nsec_chain",
    "validate_apex",
    "zone_digest",
    "zonemd",
]

VERIFIED = "verified"
NONE = "none"  # the zone has no ZONEMD record
MISMATCH = "mismatch"
UNVERIFIABLE = "unverifiable"  # signatures removed: no digest can match
UNSUPPORTED = "unsupported"  # only unknown schemes or hash algorithms

SIMPLE = 1
_HASHES = {1: "sha384", 2: "sha512"}
_IN = dns.rdataclass.IN
_ROOT = dns.name.root


@dataclass(frozen=True)
class DigestCheck:
    """What ZONEMD says about a copy: `status` and, in words, why."""

    status: str
    detail: str
    line: int | None = None  # the ZONEMD record's line

    @property
    def ok(self) -> bool:
        return self.status == VERIFIED


def _name(owner: str) -> dns.name.Name:
    return dns.name.from_text(owner + ".") if owner else _ROOT


class _Encoder:
    """Canonical wire forms (RFC 4034 section 6.2), cached: owners and NS hosts repeat."""

    def __init__(self) -> None:
        self.names: dict[str, bytes] = {}
        self.objects: dict[str, dns.name.Name] = {}

    def owner(self, owner: str) -> dns.name.Name:
        found = self.objects.get(owner)
        if found is None:
            found = self.objects[owner] = _name(owner)
        return found

    def name_wire(self, text: str) -> bytes:
        found = self.names.get(text)
        if found is None:
            name = dns.name.from_text(text, origin=_ROOT)
            wire = name.canonicalize().to_wire()
            assert wire is not None
            found = self.names[text] = wire
        return found

    def rdata(self, record: Record) -> bytes:
        rtype, data = record.rtype, record.rdata
        if rtype == "A" and len(data) == 1:
            return socket.inet_aton(data[0])
        if rtype == "AAAA" and len(data) == 1:
            return socket.inet_pton(socket.AF_INET6, data[0])
        if rtype == "NS" and len(data) == 1:
            return self.name_wire(data[0])
        if rtype == "DS" and len(data) >= 4:
            head = struct.pack("!HBB", int(data[0]), int(data[1]), int(data[2]))
            return head + bytes.fromhex("".join(data[3:]))
        value = dns.rdata.from_text(
            _IN, dns.rdatatype.from_text(rtype), " ".join(data), origin=_ROOT
        )
        return value.to_digestable(_ROOT)


_Key = tuple[dns.name.Name, int, int]


def _rrsets(records: Iterable[Record], encoder: _Encoder) -> dict[_Key, tuple[int, set[bytes]]]:
    """(owner, type, type covered) -> (TTL, canonical rdata set). Signatures form one set per
    type they cover, each with its own TTL. Duplicates fold (RFC 2181 section 5)."""
    sets: dict[_Key, tuple[int, set[bytes]]] = {}
    for record in records:
        rtype = dns.rdatatype.from_text(record.rtype)
        covers = (
            dns.rdatatype.from_text(record.rdata[0])
            if rtype == dns.rdatatype.RRSIG and record.rdata
            else 0
        )
        key = (encoder.owner(record.owner), rtype, covers)
        wire = encoder.rdata(record)
        found = sets.get(key)
        if found is None:
            sets[key] = (record.ttl, {wire})
        else:
            found[1].add(wire)
            if record.ttl < found[0]:  # an RRset has one TTL; dnspython keeps the lowest
                sets[key] = (record.ttl, found[1])
    return sets


def zone_digest(records: Sequence[Record], algorithm: int = 1) -> bytes:
    """The SIMPLE-scheme ZONEMD digest of a zone (RFC 8976 section 3.3.1): every RR in
    canonical order, without the apex ZONEMD set and the apex signatures covering it."""
    hasher = hashlib.new(_HASHES[algorithm])
    encoder = _Encoder()
    kept = [
        r
        for r in records
        if not (
            r.owner == ""
            and (r.rtype == "ZONEMD" or (r.rtype == "RRSIG" and r.rdata[:1] == ("ZONEMD",)))
        )
    ]
    sets = _rrsets(kept, encoder)
    wires: dict[dns.name.Name, bytes] = {}
    for owner, rtype, covers in sorted(sets):
        ttl, rdatas = sets[(owner, rtype, covers)]
        name = wires.get(owner)
        if name is None:
            name = wires[owner] = owner.canonicalize().to_wire() or b""
        fixed = name + struct.pack("!HHI", rtype, _IN, ttl)
        for rdata in sorted(rdatas):
            hasher.update(fixed + struct.pack("!H", len(rdata)) + rdata)
    return hasher.digest()


def _soa_serial(records: Iterable[Record]) -> int | None:
    for r in records:
        if r.owner == "" and r.rtype == "SOA" and len(r.rdata) == 7:
            return int(r.rdata[2])
    return None


def _signatures_removed(records: Sequence[Record]) -> bool:
    """A signed zone (DNSKEY at the apex) in which the NSEC sets carry no RRSIG: the copy
    had its signatures stripped, so its ZONEMD (which covers them) cannot match."""
    has_key = any(r.owner == "" and r.rtype == "DNSKEY" for r in records)
    has_nsec = any(r.rtype == "NSEC" for r in records)
    signed_nsec = any(r.rtype == "RRSIG" and r.rdata[:1] == ("NSEC",) for r in records)
    return has_key and has_nsec and not signed_nsec


def zonemd(records: Sequence[Record]) -> DigestCheck:
    """Verify the zone's ZONEMD record(s) against its content."""
    found = [r for r in records if r.owner == "" and r.rtype == "ZONEMD"]
    if not found:
        return DigestCheck(NONE, "the zone has no ZONEMD record: its content is not checked")
    serial = _soa_serial(records)
    usable = []
    for r in found:
        if len(r.rdata) < 4 or not all(t.isdigit() for t in r.rdata[:3]):
            return DigestCheck(MISMATCH, "the ZONEMD record is malformed", r.line)
        if int(r.rdata[1]) == SIMPLE and int(r.rdata[2]) in _HASHES:
            usable.append(r)
    if not usable:
        return DigestCheck(
            UNSUPPORTED,
            "the ZONEMD record uses a scheme or hash this center does not know "
            "(it knows SIMPLE with SHA-384 and SHA-512)",
            found[0].line,
        )
    first = usable[0]
    if serial is not None and int(first.rdata[0]) != serial:
        return DigestCheck(
            MISMATCH,
            f"the ZONEMD record is for serial {first.rdata[0]}, the SOA says {serial}: "
            "the digest belongs to another version of the zone",
            first.line,
        )
    digests: dict[int, bytes] = {}
    for r in usable:
        algorithm = int(r.rdata[2])
        if algorithm not in digests:
            digests[algorithm] = zone_digest(records, algorithm)
        if digests[algorithm].hex() == "".join(r.rdata[3:]).lower():
            return DigestCheck(
                VERIFIED,
                f"ZONEMD verified (SIMPLE, {_HASHES[algorithm].upper()}, serial {r.rdata[0]})",
                r.line,
            )
    if _signatures_removed(records):
        return DigestCheck(
            UNVERIFIABLE,
            "snapshot, digest not verifiable: the zone's signatures were removed (its NSEC "
            "records carry no RRSIG), and the ZONEMD digest covers them",
            first.line,
        )
    return DigestCheck(
        MISMATCH,
        "the ZONEMD digest does not match the zone's content: the copy was changed or is "
        "incomplete",
        first.line,
    )


# --- NSEC chain ------------------------------------------------------------------------

BROKEN = "broken"
GAPS = "gaps"


@dataclass(frozen=True)
class ChainCheck:
    """What the NSEC chain says. `present` False: the zone has none (nothing checked).
    `gaps`: where names are missing (line, text); `broken`: where the chain is wrong."""

    present: bool
    links: int = 0
    gaps: tuple[tuple[int, str], ...] = ()
    broken: tuple[tuple[int, str], ...] = ()
    missing_after: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return self.present and not self.gaps and not self.broken


def _display(owner: str) -> str:
    return owner + "." if owner else "."


def nsec_chain(records: Sequence[Record], delegations: Iterable[str]) -> ChainCheck:
    """Walk the NSEC chain of a zone (owners in canonical order)."""
    nsec: dict[str, Record] = {}
    broken: list[tuple[int, str]] = []
    for r in records:
        if r.rtype != "NSEC":
            continue
        if r.owner in nsec:
            broken.append((r.line, f"a second NSEC record for {_display(r.owner)}"))
            continue
        nsec[r.owner] = r
    if not nsec:
        return ChainCheck(present=False)
    encoder = _Encoder()
    ordered = sorted(nsec, key=encoder.owner)
    if ordered[0] != "":
        broken.append(
            (nsec[ordered[0]].line, "the apex has no NSEC record: the chain has no start")
        )
    gaps: list[tuple[int, str]] = []
    missing_after: list[str] = []
    for index, owner in enumerate(ordered):
        record = nsec[owner]
        if not record.rdata:
            broken.append((record.line, f"the NSEC record of {_display(owner)} names no next name"))
            continue
        try:
            following = dns.name.from_text(record.rdata[0], origin=_ROOT)
        except dns.exception.DNSException:
            broken.append((record.line, f"{record.rdata[0]!r} is not a name"))
            continue
        expected_owner = ordered[index + 1] if index + 1 < len(ordered) else ""
        expected = encoder.owner(expected_owner)
        if following == expected:
            continue
        here = encoder.owner(owner)
        last = index + 1 == len(ordered)
        # Between this name and the next one the zone has (or past the last one): names
        # the chain promises and the zone lacks. Anything else is a wrong chain.
        if following > here and (last or following < expected):
            gaps.append(
                (
                    record.line,
                    f"the NSEC record of {_display(owner)} names {following}, which the zone "
                    "lacks" + (": the zone ends early (cut short?)" if last else ""),
                )
            )
            missing_after.append(owner)
        else:
            broken.append(
                (
                    record.line,
                    f"the NSEC record of {_display(owner)} names {following}, but the next "
                    f"name in the zone is {_display(expected_owner)}",
                )
            )
    last_owner = encoder.owner(ordered[-1])
    cut_short = bool(missing_after) and missing_after[-1] == ordered[-1]
    for tld in delegations:
        if tld in nsec:
            continue
        # A delegation past the end of a chain that ends early lost its NSEC with the rest.
        if cut_short and encoder.owner(tld) > last_owner:
            continue
        line = next((r.line for r in records if r.owner == tld), 0)
        broken.append((line, f"the delegation {_display(tld)} has no NSEC record"))
    return ChainCheck(
        present=True,
        links=len(ordered),
        gaps=tuple(gaps),
        broken=tuple(sorted(broken)),
        missing_after=tuple(missing_after),
    )


# --- signatures ------------------------------------------------------------------------


def _rrset(records: Sequence[Record], owner: str, rtype: str) -> dns.rrset.RRset | None:
    chosen = [r for r in records if r.owner == owner and r.rtype == rtype]
    if not chosen:
        return None
    return dns.rrset.from_text_list(
        _name(owner), min(r.ttl for r in chosen), _IN, rtype, [" ".join(r.rdata) for r in chosen]
    )


def _signatures(records: Sequence[Record], owner: str, covered: str) -> dns.rrset.RRset | None:
    chosen = [
        r for r in records if r.owner == owner and r.rtype == "RRSIG" and r.rdata[:1] == (covered,)
    ]
    if not chosen:
        return None
    return dns.rrset.from_text_list(
        _name(owner), chosen[0].ttl, _IN, "RRSIG", [" ".join(r.rdata) for r in chosen]
    )


def validate_apex(
    records: Sequence[Record], anchors: dns.rrset.RRset, *, now: datetime | None = None
) -> list[str]:
    """Problems found validating the apex: the DNSKEY set against the trust anchor DS set,
    then the SOA and ZONEMD sets against those keys (RFC 4035 section 5). Empty: valid."""
    keys = _rrset(records, "", "DNSKEY")
    if keys is None:
        return ["the zone has no DNSKEY set at its apex: its signatures cannot be checked"]
    trusted = [
        k
        for k in keys
        if any(
            dns.dnssec.key_id(k) == ds.key_tag
            and dns.dnssec.make_ds(_ROOT, k, ds.digest_type) == ds
            for ds in anchors
        )
    ]
    if not trusted:
        return [
            "no key of the zone's DNSKEY set matches the trust anchor (DNSCC_TRUST_ANCHOR, or "
            "the shipped IANA root anchors): this is not the root zone those anchors sign"
        ]
    when = now.timestamp() if now is not None else None
    problems = []
    for rtype in ("DNSKEY", "SOA", "ZONEMD"):
        rrset = _rrset(records, "", rtype)
        if rrset is None:
            if rtype == "ZONEMD":
                continue  # its absence is ZONEMD's own finding
            problems.append(f"the zone has no {rtype} set at its apex")
            continue
        sigs = _signatures(records, "", rtype)
        if sigs is None:
            problems.append(f"the {rtype} set at the apex is not signed")
            continue
        signers = trusted if rtype == "DNSKEY" else list(keys)
        key_set = dns.rrset.from_rdata_list(_ROOT, keys.ttl, signers)
        try:
            dns.dnssec.validate(rrset, sigs, {_ROOT: key_set}, now=when)
        except dns.dnssec.ValidationFailure as exc:
            problems.append(f"the signature of the {rtype} set does not validate: {exc}")
    return problems
