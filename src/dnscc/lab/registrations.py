"""Registered names in the lab's TLDs: validation and storage (pure: no processes here).

A registration is a delegation a TLD publishes for a second-level (or deeper) name: NS
records pointing at name server host names, unsigned (no DS) and without glue. What a
registry does to a name maps onto them:

    register   add the delegation (or replace its NS set)
    unregister remove it: suspend, hold, or a blocked name that was never delegated
    sinkhole   replace the NS set with a sinkhole operator's

They live in `<lab>/registrations/<tld>.json` ({absolute name: [NS host, ...]}), one file
per TLD so that the main state file stays small with 100,000 names; `zones.tld_zone` folds
them into the TLD zone text, so every rewrite of a zone (fault inject and clear, `up`)
keeps them. A `Change` maps a name to its new NS list, or to None to remove it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError
from dnscc.core.names import normalize_name
from dnscc.lab.plan import Plan

Change = dict[str, list[str] | None]  # absolute name -> NS hosts (absolute), None: remove
Names = Mapping[str, Sequence[str]] | Iterable[str]


def directory(lab_dir: Path) -> Path:
    return lab_dir / "registrations"


def load(lab_dir: Path, tld: str) -> dict[str, list[str]]:
    try:
        data: dict[str, list[str]] = json.loads((directory(lab_dir) / f"{tld}.json").read_text())
    except FileNotFoundError:
        return {}
    return data


def save(lab_dir: Path, tld: str, regs: Mapping[str, Sequence[str]]) -> None:
    d = directory(lab_dir)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{tld}.json"
    if not regs:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dict(regs), sort_keys=True))
    os.replace(tmp, path)


def check_tld(plan: Plan, tld: str) -> str:
    try:
        t = normalize_name(tld)
    except InputError:
        t = ""
    if not t or t not in plan.tlds:
        some = ", ".join(list(plan.tlds)[:8])
        raise NotFoundError(
            f"TLD {tld!r} is not in this lab", hint=f"pick one of the lab's TLDs, e.g. {some}"
        )
    return t


def default_ns(plan: Plan, tld: str) -> list[str]:
    """ns1/ns2 of the TLD's first second-level lab zone (e.g. ns1.example.nl.).

    With `--slds 1` or more these are answering lab servers with addresses in the TLD zone
    (lame for the registered name, which no server serves); with `--slds 0` they are names
    only. Either way the TLD's own servers answer with the referral, which is what a
    registry's action changes and what the center verifies.
    """
    return [f"ns1.example.{tld}.", f"ns2.example.{tld}."]


def _host(text: str) -> str:
    try:
        h = normalize_name(text)
    except InputError as exc:
        raise InputError(
            f"bad name server host name {text!r}: {exc.problem}",
            location=Location(field="ns"),
            hint="give host names such as ns1.example.net",
        ) from None
    if "." not in h:
        raise InputError(
            f"name server host name {text!r} has a single label",
            location=Location(field="ns"),
            hint="give host names such as ns1.example.net",
        )
    return h + "."


def ns_list(hosts: Sequence[str]) -> list[str]:
    if isinstance(hosts, str):
        hosts = [hosts]
    out = sorted({_host(h) for h in hosts})
    if not out:
        raise InputError(
            "an empty NS set", location=Location(field="ns"), hint="give at least one --ns HOST"
        )
    return out


def reserved_labels(plan: Plan, tld: str) -> set[str]:
    """Labels right under the TLD that the lab itself uses (its servers, nic, SLD zones)."""
    out = {"nic"}
    for h in plan.hosts_by_tld.get(tld, []):
        labels = h.rstrip(".").split(".")
        if len(labels) >= 2:
            out.add(labels[-2])
    for z in plan.sld_zones.get(tld, []):
        out.add(z.rstrip(".").split(".")[-2])
    return out


def check_name(text: str, tld: str, reserved: set[str]) -> str:
    """The absolute, normalised form of a name to register under `tld`."""
    n = normalize_name(text)
    labels = n.split(".")
    if len(labels) < 2 or labels[-1] != tld:
        raise InputError(
            f"{text!r} is not a name under .{tld}",
            location=Location(field="name"),
            hint=f"give names such as example-shop.{tld}",
        )
    if labels[-2] in reserved:
        raise ConflictError(
            f"{n} is (or is under) one of the lab's own names in .{tld}",
            hint=f"pick another name; reserved here: {', '.join(sorted(reserved)[:6])}",
        )
    return n + "."


def changes(
    plan: Plan,
    tld: str,
    names: Names,
    *,
    ns: Sequence[str] | None,
    remove: bool = False,
) -> Change:
    """Validate `names` (a Mapping gives each name its own NS set) into a `Change`."""
    reserved = reserved_labels(plan, tld)
    if isinstance(names, str):
        names = [names]
    if remove:
        return {check_name(n, tld, reserved): None for n in names}
    common = ns_list(ns) if ns is not None else default_ns(plan, tld)
    if isinstance(names, Mapping):
        return {check_name(n, tld, reserved): ns_list(h) for n, h in names.items()}
    return {check_name(n, tld, reserved): common for n in names}


def apply(current: dict[str, list[str]], change: Change) -> int:
    """Apply `change` to `current` in place; the number of names whose delegation changed.

    A delegation nested in another one (a.evil.nl with evil.nl also delegated) would be
    hidden behind the upper one's zone cut; it is refused.
    """
    added = [n for n, v in change.items() if v is not None and n not in current]
    if added:
        kept = {n for n in current if change.get(n, "") is not None}
        kept.update(added)
        above: set[str] = set()
        for n in kept:
            labels = n.split(".")
            above.update(".".join(labels[i:]) for i in range(1, len(labels) - 2))
        for n in added:
            labels = n.split(".")
            upper = [".".join(labels[i:]) for i in range(1, len(labels) - 2)]
            hit = next((u for u in upper if u in kept), None) or (n if n in above else None)
            if hit is not None:
                raise ConflictError(
                    f"{n} would be nested in another registered name ({hit})",
                    hint="unregister the other name first",
                )
    count = 0
    for n, v in change.items():
        if v is None:
            if current.pop(n, None) is not None:
                count += 1
        elif current.get(n) != v:
            current[n] = v
            count += 1
    return count
