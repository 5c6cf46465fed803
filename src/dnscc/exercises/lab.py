"""The lab an exercise acts on, and the exercise's names.

An exercise injects real faults into the running lab (dnscc.lab) and registers real names
in its zones; this module finds that lab (the exercise's `lab_dir`, else the center's own
lab under the data directory) and answers what the runner asks of it: which TLDs exist, a
TLD's servers, and the names of a generator scenario (cached per process: a day of Conficker
C is 50,000 names and takes seconds to generate).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from dnscc.core.errors import UnavailableError


def lab_for(lab_dir: str = "") -> Any:
    """The Lab (dnscc.lab.Lab) at `lab_dir`, or the center's default one."""
    from dnscc.lab import Lab

    return Lab(Path(lab_dir)) if lab_dir else Lab()


def lab_plan(lab_dir: str = "") -> Any:
    """The running lab's plan, or UnavailableError saying how to start one."""
    lab = lab_for(lab_dir)
    if lab.load() is None:
        raise UnavailableError(
            f"no lab runs in {lab.dir}",
            hint="start it first: `dnscc lab up` (an exercise acts on the lab)",
        )
    return lab.plan()


def tld_servers(plan: Any, tlds: list[str]) -> dict[str, list[str]]:
    """TLD -> its server addresses in the lab (what campaign verification asks)."""
    return {t: sorted({plan.hosts[h] for h in plan.tlds[t]}) for t in tlds if t in plan.tlds}


def tld_hosts(plan: Any, tld: str) -> list[str]:
    """The name server host names of a lab TLD, in the plan's order."""
    return list(plan.tlds.get(tld, []))


@lru_cache(maxsize=8)
def _day_names(generator: str, day: str, count: int) -> tuple[str, ...]:
    from datetime import date

    from dnscc.core.dga import get_generator

    found = get_generator(generator)
    some = getattr(found, "generate_some", None)
    when = date.fromisoformat(day)
    names = some(when, count) if some is not None and count else found.generate(when)
    return tuple(names)


def exercise_names(parameters: dict[str, Any], tlds: list[str]) -> list[str]:
    """The names of a generator scenario: the day's names under the affected TLDs, the
    first `names` of them in the generator's order (duplicates dropped). Only as much of
    the day is generated as that needs (a day of Conficker C takes seconds)."""
    from dnscc.core.dga import get_generator

    generator = parameters.get("generator")
    if not generator:
        return []
    wanted = set(tlds)
    limit = int(parameters.get("names", 0) or 0)
    day = str(parameters.get("day", "2009-04-01"))
    per_day = get_generator(str(generator)).names_per_day
    table = max(1, len(get_generator(str(generator)).tlds))
    # Names spread evenly over the generator's TLDs: ask for enough to find `limit` under
    # ours, with a margin; the whole day when that is not enough.
    estimate = min(per_day, int(limit * table / max(1, len(wanted)) * 1.5) + 100) if limit else 0
    for count in (estimate, 0) if estimate and estimate < per_day else (0,):
        seen: set[str] = set()
        found: list[str] = []
        for name in _day_names(str(generator), day, count):
            if name in seen or name.rpartition(".")[2] not in wanted:
                continue
            seen.add(name)
            found.append(name)
            if limit and len(found) >= limit:
                return found
        if not count:
            return found
    return found


def registered_subset(names: list[str], share: float) -> dict[str, list[str]]:
    """The names a botnet inject registers: per TLD, the first ceil(share x its names),
    at least one per TLD that has names (so that every registry has something to do and
    verification can tell who acted)."""
    by_tld: dict[str, list[str]] = {}
    for name in names:
        by_tld.setdefault(name.rpartition(".")[2], []).append(name)
    if share <= 0:
        return {}
    return {tld: group[: max(1, math.ceil(len(group) * share))] for tld, group in by_tld.items()}


BOTNET_NS = ("ns1.c2-rendezvous.example", "ns2.c2-rendezvous.example")
