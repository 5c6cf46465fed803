"""Reading just what a check needs straight from the wire (RFC 1035 section 4.1).

A full dnspython parse of every answer was the sweep's main cost; the consistency checks
need only an SOA serial or a set of NS names from the answer section, so they read those
here and leave full parsing to the few answers whose records they report or validate.
Every function raises `WireError` on a malformed message; callers treat that as garbage.
"""

from __future__ import annotations

import struct

SOA, NS = 6, 2


class WireError(ValueError):
    """The message is malformed where we read it."""


def _name(buf: bytes, off: int) -> tuple[str, int]:
    """The name at `off` (lowercase text, absolute) and the offset just after it."""
    labels: list[str] = []
    end = -1
    hops = 0
    while True:
        if off >= len(buf):
            raise WireError("name runs past the end")
        n = buf[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(buf) or hops > 64:
                raise WireError("bad compression pointer")
            if end < 0:
                end = off + 2
            off = ((n & 0x3F) << 8) | buf[off + 1]
            hops += 1
            continue
        if n & 0xC0:
            raise WireError("unknown label type")
        label = buf[off + 1 : off + 1 + n]
        if len(label) != n:
            raise WireError("label runs past the end")
        labels.append(label.decode("latin-1").lower())
        off += 1 + n
    return (".".join(labels) + "." if labels else "."), (end if end >= 0 else off)


def _skip_name(buf: bytes, off: int) -> int:
    while True:
        if off >= len(buf):
            raise WireError("name runs past the end")
        n = buf[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def answers(buf: bytes) -> list[tuple[int, int, int]]:
    """(type, rdata offset, rdata length) of each answer-section record."""
    if len(buf) < 12:
        raise WireError("short header")
    qd, an = struct.unpack_from("!HH", buf, 4)
    off = 12
    for _ in range(qd):
        off = _skip_name(buf, off) + 4
    out = []
    for _ in range(an):
        off = _skip_name(buf, off)
        if off + 10 > len(buf):
            raise WireError("record header runs past the end")
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", buf, off)
        off += 10
        if off + rdlen > len(buf):
            raise WireError("rdata runs past the end")
        out.append((rtype, off, rdlen))
        off += rdlen
    return out


def soa_serial(buf: bytes) -> int | None:
    """The serial of the first SOA in the answer section, if any."""
    for rtype, off, _n in answers(buf):
        if rtype == SOA:
            off = _skip_name(buf, _skip_name(buf, off))
            if off + 4 > len(buf):
                raise WireError("SOA runs past the end")
            return int(struct.unpack_from("!I", buf, off)[0])
    return None


def ns_names(buf: bytes) -> frozenset[str] | None:
    """The NS targets in the answer section (lowercase, absolute), or None if there are none."""
    found = [_name(buf, off)[0] for rtype, off, _n in answers(buf) if rtype == NS]
    return frozenset(found) if found else None


def answer_records(buf: bytes) -> list[tuple[str, int]]:
    """(owner, type) of each answer-section record: the owner lowercase and absolute."""
    if len(buf) < 12:
        raise WireError("short header")
    qd, an = struct.unpack_from("!HH", buf, 4)
    off = 12
    for _ in range(qd):
        off = _skip_name(buf, off) + 4
    out = []
    for _ in range(an):
        owner, off = _name(buf, off)
        if off + 10 > len(buf):
            raise WireError("record header runs past the end")
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", buf, off)
        off += 10 + rdlen
        if off > len(buf):
            raise WireError("rdata runs past the end")
        out.append((owner, rtype))
    return out


def addresses(buf: bytes) -> list[tuple[str, str]]:
    """(owner, address) of each A and AAAA record in the answer section."""
    import ipaddress

    if len(buf) < 12:
        raise WireError("short header")
    qd, an = struct.unpack_from("!HH", buf, 4)
    off = 12
    for _ in range(qd):
        off = _skip_name(buf, off) + 4
    out = []
    for _ in range(an):
        owner, off = _name(buf, off)
        if off + 10 > len(buf):
            raise WireError("record header runs past the end")
        rtype, _cls, _ttl, rdlen = struct.unpack_from("!HHIH", buf, off)
        off += 10
        if off + rdlen > len(buf):
            raise WireError("rdata runs past the end")
        if (rtype, rdlen) in ((1, 4), (28, 16)):
            out.append((owner, str(ipaddress.ip_address(buf[off : off + rdlen]))))
        off += rdlen
    return out


class Summary:
    """What many checks need of an answer without a full parse: every record's section,
    owner and type, and the OPT record (version, extended rcode, option codes)."""

    __slots__ = ("ext_rcode", "opt", "options", "records", "version")

    def __init__(self, buf: bytes) -> None:
        if len(buf) < 12:
            raise WireError("short header")
        counts = struct.unpack_from("!HHHH", buf, 4)
        off = 12
        for _ in range(counts[0]):
            off = _skip_name(buf, off) + 4
        self.records: list[tuple[int, str, int]] = []  # (section 1-3, owner, type)
        self.opt = False
        self.version = -1
        self.ext_rcode = 0
        self.options: list[int] = []
        for section in (1, 2, 3):
            for _ in range(counts[section]):
                owner, off = _name(buf, off)
                if off + 10 > len(buf):
                    raise WireError("record header runs past the end")
                rtype, _cls, ttl, rdlen = struct.unpack_from("!HHIH", buf, off)
                off += 10
                if off + rdlen > len(buf):
                    raise WireError("rdata runs past the end")
                if rtype == 41:
                    self.opt = True
                    self.ext_rcode, self.version = ttl >> 24, (ttl >> 16) & 0xFF
                    o = off
                    while o + 4 <= off + rdlen:
                        code, length = struct.unpack_from("!HH", buf, o)
                        self.options.append(code)
                        o += 4 + length
                else:
                    self.records.append((section, owner, rtype))
                off += rdlen

    def has(self, rtype: int, owner: str | None = None, section: int = 1) -> bool:
        """Whether a record of `rtype` (owned by `owner`, if given) is in `section`."""
        return any(
            s == section and t == rtype and (owner is None or o == owner)
            for s, o, t in self.records
        )
