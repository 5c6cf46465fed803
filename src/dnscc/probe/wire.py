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
