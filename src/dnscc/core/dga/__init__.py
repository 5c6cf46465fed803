"""Domain generation algorithms (DGAs): the names a malware family will try on a given day.

A campaign against a DGA botnet blocks or registers, in advance, the names the bots will
look up: Conficker B tried 250 names a day over 8 TLDs, Conficker C 50,000 a day over 110.
Each generator here is re-implemented from a public analysis, named in its `source`; its
test compares the output with a list published by someone else where one exists
(Conficker B), and otherwise checks the properties the analysis states (Conficker C: no
published list or reference implementation was found; see its module).

    gen = get_generator("conficker-b")
    gen.generate(datetime.date(2020, 1, 1))[:2]   # ['jqfgtmjl.ws', 'wytetvzvfb.com']

To add one: subclass `Generator` in a module of this package, fill in the class attributes
and `generate`, and list an instance in `GENERATORS` below.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import ClassVar

from dnscc.core.errors import InputError, NotFoundError

__all__ = ["GENERATORS", "Generator", "get_generator"]

MAX_DAYS = 3660
"""names_between refuses longer spans (ten years): a typo in a year is not a campaign."""


class Generator(ABC):
    """One DGA: metadata for the campaign page, and the names of a day (UTC)."""

    name: ClassVar[str]
    """Registry key, lower case, e.g. "conficker-b"."""
    description: ClassVar[str]
    source: ClassVar[str]
    """URL of the public description or reference implementation this code follows."""
    sample_source: ClassVar[str]
    """URL of the published output the tests compare with."""
    tlds: ClassVar[tuple[str, ...]]
    names_per_day: ClassVar[int]

    @abstractmethod
    def generate(self, day: datetime.date) -> list[str]:
        """The names of `day` (a UTC date), in the order the malware tries them.

        Names are lower-case A-labels without trailing dot (what normalize_name returns);
        a day may repeat a name (the malware does too): dedupe downstream.
        """

    def names_between(
        self, start: datetime.date, end: datetime.date
    ) -> Iterator[tuple[datetime.date, str]]:
        """(day, name) for every day from `start` to `end`, both included, lazily."""
        if end < start:
            raise InputError(
                f"the end date {end.isoformat()} is before the start date {start.isoformat()}"
            )
        days = (end - start).days + 1
        if days > MAX_DAYS:
            raise InputError(
                f"{days} days asked, more than {MAX_DAYS}",
                hint="generate a campaign's names for a shorter span",
            )
        for offset in range(days):
            day = start + datetime.timedelta(days=offset)
            for name in self.generate(day):
                yield day, name


def get_generator(name: str) -> Generator:
    """The generator registered under `name` (case-insensitive), or NotFoundError."""
    found = GENERATORS.get(name.strip().lower())
    if found is None:
        known = ", ".join(sorted(GENERATORS))
        raise NotFoundError(
            f"no domain generation algorithm named {name!r}; known: {known}",
            hint="pick one of the known names",
        )
    return found


# Imported here, after Generator exists, because the implementations subclass it.
from dnscc.core.dga.conficker import ConfickerB  # noqa: E402
from dnscc.core.dga.conficker_c import ConfickerC  # noqa: E402

GENERATORS: dict[str, Generator] = {gen.name: gen for gen in (ConfickerB(), ConfickerC())}
