"""Syntax: the zone name (SYNTAX01-03), name server names (04), the SOA RNAME (05, 06) and
MNAME (07), and MX names (08) are valid host names (RFC 952/1123, RFC 5891 for A-labels)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import dns.name
import dns.rdatatype

from dnscc.probe.checks import Out, authoritative, rrset, soa_of

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected

_LDH = re.compile(r"^[a-z0-9-]+$")


def _labels(name: str) -> list[str]:
    return [x for x in name.lower().rstrip(".").split(".") if x]


def _bad_chars(name: str) -> bool:
    return any(not _LDH.match(lb) for lb in _labels(name))


def _double_dash(name: str) -> bool:
    return any(lb[2:4] == "--" and not lb.startswith("xn--") for lb in _labels(name))


def _numeric_tld(name: str) -> bool:
    labels = _labels(name)
    return bool(labels) and labels[-1].isdigit()


def syntax01_03(c: Collected, out: Out) -> None:
    """SYNTAX01 (allowed characters), SYNTAX02 (hyphens at the ends), SYNTAX03 (double
    hyphen) for the zone name."""
    name = out.zone
    if name == ".":
        return
    if _bad_chars(name):
        out.add(
            "SYNTAX01",
            "NON_ALLOWED_CHARS",
            f"{name} has characters outside a-z, 0-9, -",
            args={"domain": name},
        )
    for lb in _labels(name):
        if lb.startswith("-"):
            out.add(
                "SYNTAX02",
                "INITIAL_HYPHEN",
                f"label {lb!r} starts with a hyphen",
                args={"label": lb},
            )
        if lb.endswith("-"):
            out.add(
                "SYNTAX02",
                "TERMINAL_HYPHEN",
                f"label {lb!r} ends with a hyphen",
                args={"label": lb},
            )
    if _double_dash(name):
        out.add(
            "SYNTAX03",
            "DISCOURAGED_DOUBLE_DASH",
            f"{name} has a label with -- in positions 3-4 that is not an A-label",
            args={"domain": name},
        )


def _hostname(out: Out, code: str, prefix: str, name: str, what: str) -> None:
    if _bad_chars(name):
        out.add(
            code,
            f"{prefix}_NON_ALLOWED_CHARS",
            f"{what} {name} has non-allowed characters",
            args={"domain": name},
        )
    if _double_dash(name):
        out.add(
            code,
            f"{prefix}_DISCOURAGED_DOUBLE_DASH",
            f"{what} {name} has -- in positions 3-4",
            args={"domain": name},
        )
    if _numeric_tld(name):
        out.add(
            code, f"{prefix}_NUMERIC_TLD", f"{what} {name} has a numeric TLD", args={"domain": name}
        )


def syntax04(c: Collected, out: Out) -> None:
    """SYNTAX04: name server names are valid host names."""
    for host in c.delegation.ns:
        _hostname(out, "SYNTAX04", "NAMESERVER", host, "name server")


def syntax05_07(c: Collected, out: Out) -> None:
    """SYNTAX05 (no @ in the RNAME), SYNTAX06 (the RNAME is a mail address), SYNTAX07 (the
    MNAME is a host name)."""
    soa = soa_of(c)
    if soa is None:
        return
    rname = soa.rname.to_text()
    first = soa.rname.labels[0].decode("latin-1") if soa.rname.labels else ""
    if "@" in first:
        out.add(
            "SYNTAX05",
            "RNAME_MISUSED_AT_SIGN",
            f"the SOA RNAME {rname} contains @",
            args={"rname": rname},
        )
    domain = soa.rname.parent().to_text() if len(soa.rname.labels) > 1 else ""
    local_ok = bool(first) and all(ch.isprintable() and ch not in ' ()<>[]:;,"\\@' for ch in first)
    if not local_ok or not domain or domain == "." or _bad_chars(domain):
        out.add(
            "SYNTAX06",
            "RNAME_RFC822_INVALID",
            f"the SOA RNAME {rname} is not a valid mail address",
            args={"rname": rname},
        )
    mname = soa.mname.to_text()
    if soa.mname != dns.name.root:
        _hostname(out, "SYNTAX07", "MNAME", mname, "the SOA MNAME")


def syntax08(c: Collected, out: Out) -> None:
    """SYNTAX08: MX names are valid host names."""
    for a in sorted(c.soa):
        answer = c.more.get(("mx", a))
        if answer is None or not authoritative(answer):
            continue
        found = rrset(answer, c.zone, dns.rdatatype.MX)
        for rd in found or []:
            if rd.exchange != dns.name.root:
                _hostname(out, "SYNTAX08", "MX", rd.exchange.to_text(), "MX")
        return


CHECKS = (syntax01_03, syntax04, syntax05_07, syntax08)
