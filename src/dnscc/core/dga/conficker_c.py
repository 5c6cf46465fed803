"""A Conficker C domain generator (50,000 names a day over 110 country-code TLDs).

Conficker (Downadup) C, seen from March 2009, answered the Conficker Working Group's
blocking of B's 250 daily names by generating 50,000 names a day, of which each bot tries
500, spread over 110 top-level domains: every registry concerned had to act every day, and
110 of them, most ccTLDs, had to be reached at once. It started generating on 1 April 2009.

What this module follows, all public:

- Porras, Saidi and Yegneswaran, "An Analysis of Conficker's Logic and Rendezvous Points",
  SRI International, 2009, and its addendum "Conficker C Analysis"
  (https://www.csl.sri.com/users/vinod/papers/Conficker/): the C variant's rendezvous
  logic — 50,000 names generated a day from the current date, 500 of them queried;
- the decompiled C routine quoted by Thierry Zoller, "Conficker C is heading to
  Luxembourg", March 2009 (http://blog.zoller.lu/2009/03/confiker-c-is-heading-to-luxembourg.html):
  the date taken from popular web sites (no local clock), one buffer of 50,000 names
  (`GlobalAlloc(0x40, 0x30D40)`: 200,000 bytes, a 4-byte pointer per name), a loop that
  draws each name's length and letters from the worm's random function, then a TLD;
  and "110 TLD", .lu among them;
- F-Secure, "Conficker's Domain Routine has Already Started", 31 March 2009
  (https://archive.f-secure.com/weblog/archives/00001643): 50,000 names, the trigger on
  1 April;
- "conficker.c - ccTLD attractor", April 2009
  (http://extraexploit.blogspot.com/2009/04/conficker-first-20-days-tld-algorithm.html):
  the suffixes are country codes, some under a second level (`xxxx.com.bo`), counted by
  their ccTLD.

**What is not reproduced.** No reference implementation of C's generator and no published
daily list of C's names could be found to check against (SRI published the lists in 2009;
none is among the sources reachable for this project), so this generator is *not*
bit-exact with the worm: it will not predict the names Conficker C tried on a given day.
It reproduces what the sources state, which is what a campaign and an exercise need —
50,000 names a day, lower-case letters only, label lengths 4 to 9, over 110 ccTLDs,
deterministic per (UTC) date — and the tests check exactly those properties
(tests/core/test_dga.py). The draws use the Conficker family's floating-point generator
(dnscc.core.dga.conficker, verified for B against published output) with C's own seed
offset; the TLD table is the 110 country codes below, each a TLD of the real root zone
(a suffix such as `com.bo` is written as the TLD the registry runs, `bo`).
"""

from __future__ import annotations

import datetime
from typing import ClassVar

from dnscc.core.dga import Generator
from dnscc.core.dga.conficker import _Draws, _seed

__all__ = ["TLDS", "ConfickerC"]

# The 110 country-code TLDs of the model (see the module docstring: a reconstruction from
# the public reports, each checked to be in the shipped root zone by the tests).
TLDS: tuple[str, ...] = (
    "ac", "ae", "ag", "ai", "am", "ar", "as", "at", "be", "bo",
    "br", "bs", "bz", "ca", "cc", "cd", "ch", "cl", "cn", "co",
    "cr", "cx", "cz", "dj", "dk", "dm", "do", "ec", "es", "fj",
    "fm", "fr", "gd", "gh", "gl", "gr", "gs", "gt", "gy", "hk",
    "hn", "ht", "hu", "id", "ie", "il", "im", "in", "ir", "is",
    "jm", "ke", "ki", "kn", "kr", "kz", "la", "lc", "li", "lu",
    "lv", "ms", "mt", "mu", "mw", "mx", "my", "nf", "ng", "ni",
    "nl", "no", "nz", "pa", "pe", "ph", "pk", "pl", "pr", "ps",
    "pt", "py", "ro", "ru", "sc", "sg", "sh", "sk", "su", "sv",
    "tc", "tj", "tl", "tn", "to", "tr", "tt", "tv", "tw", "ua",
    "ug", "uk", "us", "uy", "vc", "ve", "vi", "vn", "ws", "za",
)  # fmt: skip

_LETTERS = "abcdefghijklmnopqrstuvwxyz"

# C's seed differs from B's for the same day (the variants' lists never coincide).
_C_SEED_OFFSET = 0xC0FFC


class ConfickerC(Generator):
    name: ClassVar[str] = "conficker-c"
    description: ClassVar[str] = (
        "Conficker (Downadup) C: 50,000 names a day, 4 to 9 letters, over 110 ccTLDs"
        " (a model of the public description; not bit-exact with the worm)"
    )
    source: ClassVar[str] = "https://www.csl.sri.com/users/vinod/papers/Conficker/"
    sample_source: ClassVar[str] = ""
    """None found: the tests check the properties the sources state instead."""
    tlds: ClassVar[tuple[str, ...]] = TLDS
    names_per_day: ClassVar[int] = 50_000

    def generate(self, day: datetime.date) -> list[str]:
        return self.generate_some(day, self.names_per_day)

    def generate_some(self, day: datetime.date, count: int) -> list[str]:
        """The first `count` names of `day` (the worm's order; a prefix of `generate`)."""
        draw = _Draws(_seed(day) + _C_SEED_OFFSET).next
        tlds = self.tlds
        table = len(tlds)
        letters = _LETTERS
        names: list[str] = []
        append = names.append
        for _ in range(min(count, self.names_per_day)):
            length = abs(draw()) % 6 + 4  # 4 to 9 letters
            label = "".join([letters[abs(draw()) % 26] for _ in range(length)])
            append(label + "." + tlds[abs(draw()) % table])
        return names
