"""Conficker B's domain generation algorithm (250 names a day over 8 TLDs).

Conficker (Downadup) B, first seen in December 2008, looked up 250 pseudo-random names a
day under .cc, .cn, .ws, .com, .net, .org, .info and .biz; the Conficker Working Group
registered or blocked them in advance, the first coordinated DGA take-down across
registries. The algorithm was analysed by Porras, Saidi and Yegneswaran (SRI International,
"An Analysis of Conficker's Logic and Rendezvous Points", 2009) and by Leder and Werner
("Know Your Enemy: Containing Conficker", The Honeynet Project, 2009,
https://www.honeynet.org/papers/KYE-Conficker.pdf), whose `downatool2`
(https://net.cs.uni-bonn.de/wg/cs/applications/containing-conficker/) generates the lists.
This module follows the disassembly published in
https://github.com/andrewaeva/DGA/blob/master/dga_algorithms/conficker.cpp and is checked
against `downatool2` output published in
https://github.com/Will-Beninger/ConfickerDGA/blob/master/conficker.b.txt (first 565
names: 2020-01-01, 2020-01-02 and the start of 2020-01-03; see tests/core/fixtures/dga).

The algorithm:

1. seed = (FILETIME of the day at 00:00 UTC * 0x352C94565 mod 2**64) // 0x58028E44000
   + 0xA3596526  (FILETIME counts 100 ns since 1601-01-01; 0x58028E44000 is one week);
2. each draw turns the 64-bit key k into the IEEE double
   log(k) + ((P + sin(k)) * k + 0.626454564) * k, with P = k * 0x53125624 mod 2**64 and
   every 64-bit integer read as unsigned; the double's bit pattern is the next key and its
   low 32 bits, as a signed int, are the draw;
3. a name is (draw % 4) + 8 letters (C remainder: 5 to 11 letters), each
   labs(draw) % 26 + 'a', then TLD number draw & 7.

The arithmetic must be IEEE double (53-bit) rounding at every step, as the worm's x87 code
ran with Windows' default 53-bit precision; Python floats do exactly that. `math.sin` and
`math.log` come from the C library; the published sample matched with glibc.
"""

from __future__ import annotations

import datetime
import math
import struct
from typing import ClassVar

from dnscc.core.dga import Generator

__all__ = ["ConfickerB"]

_MASK64 = (1 << 64) - 1
_FILETIME_EPOCH = datetime.date(1601, 1, 1)
_TICKS_PER_DAY = 86_400 * 10_000_000
_DOUBLE = struct.Struct("<d")
_UINT64 = struct.Struct("<Q")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _seed(day: datetime.date) -> int:
    filetime = (day - _FILETIME_EPOCH).days * _TICKS_PER_DAY
    return ((filetime * 0x352C94565) & _MASK64) // 0x58028E44000 + 0xA3596526


def _c_remainder(value: int, modulus: int) -> int:
    """C's `%`: the remainder takes the sign of the dividend."""
    remainder = abs(value) % modulus
    return -remainder if value < 0 else remainder


class _Draws:
    """The worm's floating-point pseudo-random generator."""

    def __init__(self, key: int) -> None:
        self.key = key & _MASK64

    def next(self) -> int:
        key = self.key
        k = float(key)  # unsigned 64-bit to double, rounded to nearest like fild + fadd
        product = float((key * 0x53125624) & _MASK64)
        value = math.log(k) + ((product + math.sin(k)) * k + 0.626454564) * k
        self.key = _UINT64.unpack(_DOUBLE.pack(value))[0]
        low = self.key & 0xFFFFFFFF
        return low - (1 << 32) if low & 0x80000000 else low


class ConfickerB(Generator):
    name: ClassVar[str] = "conficker-b"
    description: ClassVar[str] = (
        "Conficker (Downadup) B: 250 names a day, 5 to 11 letters, over 8 TLDs"
    )
    source: ClassVar[str] = (
        "https://github.com/andrewaeva/DGA/blob/master/dga_algorithms/conficker.cpp"
    )
    sample_source: ClassVar[str] = (
        "https://github.com/Will-Beninger/ConfickerDGA/blob/master/conficker.b.txt"
    )
    tlds: ClassVar[tuple[str, ...]] = ("cc", "cn", "ws", "com", "net", "org", "info", "biz")
    names_per_day: ClassVar[int] = 250

    def generate(self, day: datetime.date) -> list[str]:
        draws = _Draws(_seed(day))
        draw = draws.next
        tlds = self.tlds
        names: list[str] = []
        for _ in range(self.names_per_day):
            length = _c_remainder(draw(), 4) + 8
            letters = []
            for _ in range(length):
                value = draw()
                # labs(INT_MIN) stays INT_MIN on 32-bit longs: the worm then wrote chr(73),
                # 'I', which DNS compares equal to 'i'.
                index = 8 if value == -(1 << 31) else abs(value) % 26
                letters.append(_LETTERS[index])
            names.append("".join(letters) + "." + tlds[draw() & 7])
        return names
