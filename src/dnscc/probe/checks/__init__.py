"""The checks: pure functions from collected answers to findings, one module per
Zonemaster test module (basic, address, connectivity, consistency, delegation, dnssec,
nameserver, syntax, zonedata) and one for the center's own codes (own).

Each finding's code is a Zonemaster test case id (or a DNSCC_ code) and its tag the
Zonemaster message tag; severities come from the profile, never from here. Full parsing
of an answer happens here, and only for the answers a check needs.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from dnscc.probe import wire
from dnscc.probe.model import Evidence, Finding, records_of
from dnscc.probe.profile import Profile
from dnscc.probe.transport import Answer

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected

DAY = 86400.0
IN = dns.rdataclass.IN


def authoritative(answer: Answer) -> bool:
    """An answer with authority for what was asked: NOERROR and the AA flag."""
    return answer.ok and answer.rcode == dns.rcode.NOERROR and answer.aa


def auth_or_nx(answer: Answer) -> bool:
    """An authoritative answer, NXDOMAIN included (the zone says the name does not exist)."""
    return answer.ok and answer.aa and answer.rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


def msg(answer: Answer | None) -> dns.message.Message | None:
    """The full parse of an answer, or None (no answer, or garbage)."""
    if answer is None or not answer.ok:
        return None
    try:
        return answer.message()
    except dns.exception.DNSException:
        return None


def summary(answer: Answer | None) -> wire.Summary | None:
    """Sections, owners and types of an answer's records, and its OPT, without a full
    parse (None when there is no answer or it is garbage). Cached on the answer."""
    if answer is None or not answer.ok or answer.wire is None:
        return None
    found = _SUMMARIES.get(answer.wire[2:])
    if found is None:
        try:
            found = wire.Summary(answer.wire)
        except wire.WireError:
            return None
        if len(_SUMMARIES) > 20_000:
            _SUMMARIES.clear()
        _SUMMARIES[answer.wire[2:]] = found
    return found


_SUMMARIES: dict[bytes, wire.Summary] = {}
_SECTIONS = {"answer": 1, "authority": 2, "additional": 3}


def rrset(
    answer: Answer | None, owner: dns.name.Name | str, rdtype: int, section: str = "answer"
) -> dns.rrset.RRset | None:
    """One RRset of an answer (None when absent or unparseable). The wire is read first:
    an answer without such a record is never parsed in full."""
    s = summary(answer)
    if s is None:
        return None
    name = owner if isinstance(owner, str) else owner.to_text()
    if not s.has(rdtype, name.lower(), _SECTIONS[section]):
        return None
    m = msg(answer)
    if m is None:
        return None
    if isinstance(owner, str):
        owner = dns.name.from_text(owner)
    return m.get_rrset(getattr(m, section), owner, IN, dns.rdatatype.RdataType.make(rdtype))


def few(items: Iterable[str], n: int = 4) -> str:
    items = list(items)
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def well_formed(answer: Answer) -> bool:
    """A light check (header, question, answer records) instead of a full parse."""
    try:
        wire.answers(answer.wire or b"")
    except wire.WireError:
        return False
    return True


def ev(answer: Answer, section: str = "answer", note: str | None = None) -> Evidence:
    records = records_of(answer, section) if answer.ok else ()
    return Evidence.of(answer, records=records, note=note, section=section)


def soa_of(c: Collected) -> Any:
    """The zone's SOA record as the first authoritative server has it (or None)."""
    for a in sorted(c.soa):
        answer = c.soa[a]
        if authoritative(answer):
            found = rrset(answer, c.zone, dns.rdatatype.SOA)
            if found:
                return found[0]
    return None


def lossy(c: Collected, address: str) -> bool:
    """Whether a server lost queries (it got extra probes, and some needed retries): its
    missing answers are DNSCC_LOSSY's finding, not a behaviour of its own."""
    return any(not a.ok or a.answered_try > 0 for a in c.loss_probes.get(address, []))


def label(c: Collected, address: str) -> str:
    return f"{c.host_of.get(address, '?')} ({address})"


class Out:
    """Collects findings for one zone, with the profile's severity per code and tag."""

    def __init__(self, c: Collected, profile: Profile) -> None:
        self.c = c
        self.profile = profile
        self.zone = c.zone.to_text()
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        tag: str,
        message: str,
        evidence: Iterable[Evidence] = (),
        *,
        server: str | None = None,
        severity: str | None = None,
        args: dict[str, str] | None = None,
    ) -> None:
        """Report `tag` of test case `code` (unless the profile silences it)."""
        sev = severity or self.profile.severity(code, tag)
        if not self.profile.reported(sev):
            return
        for i, f in enumerate(self.findings):
            # One finding per code, tag and server (what the center stores and alerts on):
            # a second occurrence adds its words and proof to the first.
            if (f.code, f.detail, f.server) == (code, tag, server):
                if message not in f.message:
                    self.findings[i] = dataclasses.replace(
                        f,
                        message=f"{f.message}; {message}",
                        evidence=tuple(dict.fromkeys((*f.evidence, *evidence)))[:6],
                    )
                return
        self.findings.append(
            Finding(
                code,
                sev,
                self.zone,
                server,
                message,
                tuple(evidence),
                tag=tag,
                args=tuple(sorted((args or {}).items())),
            )
        )

    def has(self, *tags: str) -> bool:
        return any(f.detail in tags for f in self.findings)


def run_all(c: Collected, profile: Profile) -> list[Finding]:
    """Every check over one zone's collected answers."""
    out = Out(c, profile)
    for check in all_checks():
        check(c, out)
    return out.findings


def dnssec_chain(c: Collected) -> list[dict[str, Any]]:
    """The zone's DNSSEC chain (DS -> DNSKEY -> RRSIG -> RRset), for the picture."""
    from dnscc.probe.checks.dnssec import chain

    return chain(c)


async def run_all_async(c: Collected, profile: Profile) -> list[Finding]:
    """`run_all`, handing the event loop back between checks: in a sweep, many zones are
    judged at once, and answers waiting in the sockets must be read meanwhile (a socket
    buffer that fills while the loop is busy loses them, and they look like timeouts)."""
    import asyncio

    out = Out(c, profile)
    for check in all_checks():
        check(c, out)
        await asyncio.sleep(0)
    return out.findings


@functools.cache
def all_checks() -> tuple[Callable[[Collected, Out], None], ...]:
    """Every check, in report order (the modules import this one, hence the late import)."""
    from dnscc.probe.checks import (
        address,
        basic,
        connectivity,
        consistency,
        delegation,
        dnssec,
        nameserver,
        own,
        syntax,
        zonedata,
    )

    return (
        *basic.CHECKS,
        *connectivity.CHECKS,
        *delegation.CHECKS,
        *consistency.CHECKS,
        *address.CHECKS,
        *nameserver.CHECKS,
        *syntax.CHECKS,
        *zonedata.CHECKS,
        *dnssec.CHECKS,
        *own.CHECKS,
    )


__all__ = ["Out", "all_checks", "authoritative", "records_of", "run_all", "summary"]
