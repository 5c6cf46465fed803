"""Response Policy Zone (RPZ) export of a campaign's names, for resolver operators.

An RPZ (draft-vixie-dnsop-dns-rpz, ISC BIND 9 "Response Policy Zone" documentation; also
read by Unbound, Knot Resolver and PowerDNS Recursor) is an ordinary zone whose owner names
are triggers and whose CNAME targets are actions. For the QNAME trigger of `bad.example`
in the policy zone `rpz.example.org`:

    bad.example.rpz.example.org.    CNAME .               ; answer NXDOMAIN
    *.bad.example.rpz.example.org.  CNAME .               ; ... and for every subdomain

Actions (`action=`):

    "nxdomain"        CNAME .               the name does not exist
    "nodata"          CNAME *.              the name exists, with no data of any type
    "passthru"        CNAME rpz-passthru.   answer normally (an exception, a whitelist)
    "drop"            CNAME rpz-drop.       send no answer at all
    "tcp-only"        CNAME rpz-tcp-only.   make the client retry over TCP
    "cname:<target>"  CNAME <target>.       answer as for <target> (a walled garden page)

The zone starts with $TTL, an SOA (MNAME localhost., as RPZ zones are not delegated) and
an NS (localhost.), then two records per name. Owner names are written fully qualified, so
the file reads the same whatever $ORIGIN a tool assumes.

`write_rpz` streams: it holds one batch of lines at a time, so 1,000,000 names take about
2 seconds and no memory beyond the caller's iterable. Names go through normalize_name (the
input of a campaign is normalised already; this costs ~0.3 s per million and guarantees a
valid zone). The caller removes duplicates (a repeated name repeats identical records,
which zone parsers merge). A name too long to fit below the origin (255 octets on the
wire) cannot be expressed and is skipped and counted in the returned summary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from dnscc.core.errors import InputError, Location
from dnscc.core.names import MAX_NAME_LENGTH, normalize_name

__all__ = ["ACTIONS", "RpzSummary", "rpz_target", "write_rpz"]

ACTIONS: dict[str, str] = {
    "nxdomain": ".",
    "nodata": "*.",
    "passthru": "rpz-passthru.",
    "drop": "rpz-drop.",
    "tcp-only": "rpz-tcp-only.",
}
"""Action keyword -> CNAME target; "cname:<target>" is the sixth form."""

_BATCH = 10_000
_MAX_SKIPPED_SHOWN = 100
_COMMENT_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class RpzSummary:
    """What `write_rpz` wrote: names, records, and names skipped as too long for the origin."""

    origin: str
    serial: int
    action: str
    names: int = 0
    records: int = 0
    skipped_count: int = 0
    skipped: list[str] = field(default_factory=list)


def rpz_target(action: str) -> str:
    """The CNAME target (absolute, with trailing dot) of an action keyword, or InputError."""
    key = action.strip().lower()
    if key in ACTIONS:
        return ACTIONS[key]
    if key.startswith("cname:"):
        target = normalize_name(action.strip()[len("cname:") :])
        if not target:
            raise InputError(
                "a cname: action needs a target name",
                location=Location(field="action"),
                hint="write cname:walled-garden.example.net",
            )
        if target.startswith("rpz-") or target == "*":
            raise InputError(
                f"{target!r} is an RPZ keyword, not a walled-garden target",
                location=Location(field="action"),
            )
        return target + "."
    known = ", ".join([*ACTIONS, "cname:<target>"])
    raise InputError(
        f"unknown RPZ action {action!r}; known: {known}",
        location=Location(field="action"),
    )


def write_rpz(
    names: Iterable[str],
    out: TextIO,
    *,
    origin: str,
    serial: int,
    action: str = "nxdomain",
    include_subdomains: bool = True,
    comment: str | None = None,
    ttl: int = 300,
) -> RpzSummary:
    """Write an RPZ zone with a QNAME trigger for each name (see the module doc).

    `origin` is the policy zone's name (e.g. "rpz.example.org"); `serial` the SOA serial
    (0 to 2**32-1, RFC 1982); `include_subdomains` adds the `*.name` trigger; `comment`
    becomes `;` lines at the top. Raises InputError for a bad origin, serial, TTL or
    action, or for an invalid name (with its position in `names`).
    """
    zone = normalize_name(origin)
    if not zone:
        raise InputError("the RPZ origin cannot be the root", location=Location(field="origin"))
    if not 0 <= serial <= 0xFFFFFFFF:
        raise InputError(
            f"the serial {serial} is outside 0..4294967295 (RFC 1982)",
            location=Location(field="serial"),
        )
    if not 0 <= ttl <= 0x7FFFFFFF:
        raise InputError(f"the TTL {ttl} is out of range", location=Location(field="ttl"))
    target = rpz_target(action)
    summary = RpzSummary(origin=zone, serial=serial, action=action.strip().lower())

    suffix = "." + zone + "."
    # A trigger `name.zone` is at most 253 characters in text form; `*.name.zone` two more.
    room = MAX_NAME_LENGTH - len(zone) - 1 - (2 if include_subdomains else 0)
    record = f" CNAME {target}\n"

    head: list[str] = []
    if comment:
        head.extend(f"; {_COMMENT_UNSAFE.sub(' ', line)}".rstrip() for line in comment.splitlines())
    head.append(f"$TTL {ttl}")
    head.append(
        f"{zone}. SOA localhost. hostmaster.localhost. {serial} 3600 600 864000 {min(ttl, 300)}"
    )
    head.append(f"{zone}. NS localhost.")
    out.write("\n".join(head) + "\n")

    normalize = normalize_name
    batch: list[str] = []
    count = 0
    for index, raw in enumerate(names):
        try:
            name = normalize(raw)
        except InputError as exc:
            raise InputError(
                f"name number {index + 1}: {exc.problem}", location=Location(field="name")
            ) from None
        if not name or len(name) > room:
            summary.skipped_count += 1
            if len(summary.skipped) < _MAX_SKIPPED_SHOWN:
                summary.skipped.append(name or ".")
            continue
        owner = name + suffix
        batch.append(owner + record)
        if include_subdomains:
            batch.append("*." + owner + record)
        count += 1
        if len(batch) >= _BATCH:
            out.write("".join(batch))
            batch.clear()
    if batch:
        out.write("".join(batch))
    summary.names = count
    summary.records = count * (2 if include_subdomains else 1)
    return summary
