"""RSSAC047-style measurements of the root server letters from this vantage point (pure:
no Django; the center stores and reports them in dnscc.rootinfo.rssac047).

One round (`measure`) asks every address of every letter, over UDP and TCP:
- `. SOA` with the DO bit, no recursion: availability (an answer within the timeout),
  response latency (milliseconds) and the SOA serial served (publication latency is
  computed from the serials of many rounds);
- correctness, on one address of the letter: the DNSKEY set of the root validates against
  the trust anchor (DS), the SOA validates with it, a referral for a TLD of the reference
  zone has its NS set (and DS, signed) as the reference says, and a name under a TLD that
  does not exist is denied by signed NSEC records that cover it (RSSAC047 section 4.5:
  answers compared with the root zone, validated with DNSSEC).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import dns.asyncquery
import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from dnscc.core import egress

DEFAULT_TIMEOUT = 4.0  # RSSAC047: a query unanswered after 4 seconds is a failure


@dataclass(frozen=True)
class Reference:
    """What the center holds of the root zone: per TLD its NS names and DS records
    (`key_tag algorithm digest_type DIGEST`, upper-case hex)."""

    ns: Mapping[str, frozenset[str]]
    ds: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Probe:
    address: str
    transport: str  # udp | tcp
    ok: bool
    ms: float | None = None
    serial: int | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "transport": self.transport,
            "ok": self.ok,
            "ms": None if self.ms is None else round(self.ms, 2),
            "serial": self.serial,
            "error": self.error,
        }


@dataclass(frozen=True)
class Check:
    what: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class LetterRound:
    letter: str
    probes: tuple[Probe, ...]
    correct: bool | None  # None: no answer to judge
    checks: tuple[Check, ...] = field(default=())

    @property
    def serial(self) -> int | None:
        serials = [p.serial for p in self.probes if p.serial is not None]
        return max(serials) if serials else None


def letter_of(host: str) -> str | None:
    """ "a.root-servers.net." -> "a"; None for any other name."""
    first, _, rest = host.lower().rstrip(".").partition(".")
    return first if rest == "root-servers.net" and len(first) == 1 else None


def _query(name: str, rdtype: str) -> dns.message.Message:
    q = dns.message.make_query(name, rdtype, want_dnssec=True, payload=1232)
    q.flags &= ~dns.flags.RD
    return q


async def _ask(
    q: dns.message.Message, address: str, transport: str, *, port: int, timeout: float
) -> tuple[dns.message.Message | None, float, str]:
    # The one door of this module: nothing leaves outside the egress rule (DNSCC_PROBE_NETWORKS).
    refused = egress.current().refusal(address)
    if refused:
        return None, 0.0, refused
    start = time.perf_counter()
    try:
        if transport == "udp":
            r = await dns.asyncquery.udp(q, address, port=port, timeout=timeout)
            if r.flags & dns.flags.TC:  # truncated: the same question over TCP
                r = await dns.asyncquery.tcp(q, address, port=port, timeout=timeout)
        else:
            r = await dns.asyncquery.tcp(q, address, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError, EOFError) as exc:
        return None, (time.perf_counter() - start) * 1000, f"{type(exc).__name__}: {exc}"[:200]
    return r, (time.perf_counter() - start) * 1000, ""


async def _none() -> tuple[dns.message.Message | None, float, str]:
    return None, 0.0, "no reference zone"


def _soa_serial(r: dns.message.Message) -> int | None:
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA and rrset.name == dns.name.root:
            return int(rrset[0].serial)
    return None


async def _probe(address: str, transport: str, *, port: int, timeout: float) -> Probe:
    r, ms, error = await _ask(_query(".", "SOA"), address, transport, port=port, timeout=timeout)
    if r is None:
        return Probe(address, transport, False, error=error)
    if r.rcode() != dns.rcode.NOERROR or not r.flags & dns.flags.AA:
        return Probe(
            address, transport, False, ms, error=f"{dns.rcode.to_text(r.rcode())}, AA unset"
        )
    serial = _soa_serial(r)
    if serial is None:
        return Probe(address, transport, False, ms, error="no SOA in the answer")
    return Probe(address, transport, True, ms, serial)


def _rrset(
    section: Sequence[dns.rrset.RRset], name: dns.name.Name, rdtype: int, covers: int = 0
) -> dns.rrset.RRset | None:
    for rrset in section:
        if rrset.name == name and rrset.rdtype == rdtype and rrset.covers == covers:
            return rrset
    return None


def _validate(
    rrset: dns.rrset.RRset | None, sigs: dns.rrset.RRset | None, keys: dns.rrset.RRset
) -> str:
    """ "" when `rrset` validates with `keys`, else why not."""
    if rrset is None:
        return "missing"
    if sigs is None:
        return "no RRSIG"
    try:
        dns.dnssec.validate(rrset, sigs, {dns.name.root: keys})
    except dns.dnssec.ValidationFailure as exc:
        return f"does not validate: {exc}"
    except Exception as exc:  # noqa: BLE001 - a malformed answer is an incorrect one
        return f"cannot be validated: {type(exc).__name__}"
    return ""


async def _correctness(
    address: str,
    transport: str,
    *,
    anchor: dns.rrset.RRset,
    reference: Reference | None,
    port: int,
    timeout: float,
    rng: random.Random,
) -> tuple[bool | None, list[Check]]:
    root = dns.name.root
    checks: list[Check] = []
    tld = rng.choice(sorted(reference.ns)) if reference is not None and reference.ns else None
    label = f"dnscc-rssac047-{rng.randrange(16**8):08x}"
    # The four questions at once: a slow letter costs one delay per round, not four.
    (r, _, error), soa_q, referral, denial = await asyncio.gather(
        _ask(_query(".", "DNSKEY"), address, transport, port=port, timeout=timeout),
        _ask(_query(".", "SOA"), address, transport, port=port, timeout=timeout),
        _ask(_query(f"{tld}.", "NS"), address, transport, port=port, timeout=timeout)
        if tld
        else _none(),
        _ask(_query(f"{label}.", "A"), address, transport, port=port, timeout=timeout),
    )
    if r is None:
        return None, [Check("DNSKEY", False, error)]
    keys = _rrset(r.answer, root, dns.rdatatype.DNSKEY)
    sigs = _rrset(r.answer, root, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    if keys is None:
        return False, [Check("DNSKEY", False, "no DNSKEY set in the answer")]
    anchored = any(
        dns.dnssec.make_ds(root, key, ds.digest_type) == ds for key in keys for ds in anchor
    )
    why = _validate(keys, sigs, keys)
    checks.append(
        Check(
            "DNSKEY matches the trust anchor and is self-signed",
            anchored and not why,
            "" if anchored else why if why else "no key matches the trust anchor's DS",
        )
    )
    if soa_q[0] is not None:
        soa = _rrset(soa_q[0].answer, root, dns.rdatatype.SOA)
        soa_sigs = _rrset(soa_q[0].answer, root, dns.rdatatype.RRSIG, dns.rdatatype.SOA)
        why = _validate(soa, soa_sigs, keys)
        checks.append(Check("SOA validates", not why, why))
    if reference is not None and tld is not None:
        r2, _, error = referral
        if r2 is None:
            checks.append(Check(f"referral for .{tld}", False, error))
        else:
            owner = dns.name.from_text(f"{tld}.")
            ns = _rrset(r2.authority, owner, dns.rdatatype.NS)
            got = frozenset(str(rd.target).lower() for rd in ns) if ns else frozenset()
            want = reference.ns[tld]
            ok = got == want
            detail = "" if ok else f"NS {sorted(got)} where the zone has {sorted(want)}"
            if ok and reference.ds.get(tld):
                ds = _rrset(r2.authority, owner, dns.rdatatype.DS)
                ds_sigs = _rrset(r2.authority, owner, dns.rdatatype.RRSIG, dns.rdatatype.DS)
                got_ds = frozenset(
                    f"{d.key_tag} {d.algorithm} {d.digest_type} {d.digest.hex().upper()}"
                    for d in (ds or [])
                )
                why = _validate(ds, ds_sigs, keys)
                ok = got_ds == reference.ds[tld] and not why
                detail = why or ("" if ok else "DS differs from the zone's")
            checks.append(Check(f"referral for .{tld}", ok, detail))
    r3, _, error = denial
    if r3 is None:
        checks.append(Check("nonexistent TLD is denied", False, error))
    else:
        ok = r3.rcode() == dns.rcode.NXDOMAIN
        why = "" if ok else f"{dns.rcode.to_text(r3.rcode())} instead of NXDOMAIN"
        if ok:
            qname = dns.name.from_text(f"{label}.")
            nsecs = [rr for rr in r3.authority if rr.rdtype == dns.rdatatype.NSEC]
            covered = any(
                rr.name < qname < rr[0].next or (rr[0].next == root and rr.name < qname)
                for rr in nsecs
            )
            problems = [
                _validate(
                    rr, _rrset(r3.authority, rr.name, dns.rdatatype.RRSIG, dns.rdatatype.NSEC), keys
                )
                for rr in nsecs
            ]
            ok = covered and not any(problems)
            why = next((p for p in problems if p), "" if covered else "no NSEC covers the name")
        checks.append(Check("nonexistent TLD is denied", ok, why))
    return all(c.ok for c in checks), checks


async def measure_letter(
    letter: str,
    addresses: Sequence[str],
    *,
    anchor: dns.rrset.RRset,
    reference: Reference | None = None,
    port: int = 53,
    timeout: float = DEFAULT_TIMEOUT,
    transports: Sequence[str] = ("udp", "tcp"),
    seed: int | None = None,
) -> LetterRound:
    """One round against one letter: every address and transport, and correctness."""
    probes = await asyncio.gather(
        *[_probe(a, t, port=port, timeout=timeout) for a in addresses for t in transports]
    )
    answering = next((p for p in probes if p.ok), None)
    if answering is None:
        return LetterRound(letter, tuple(probes), None)
    correct, checks = await _correctness(
        answering.address,
        answering.transport,
        anchor=anchor,
        reference=reference,
        port=port,
        timeout=timeout,
        rng=random.Random(seed),
    )
    return LetterRound(letter, tuple(probes), correct, tuple(checks))


async def measure(
    targets: Mapping[str, Sequence[str]],
    *,
    anchor: dns.rrset.RRset,
    reference: Reference | None = None,
    port: int = 53,
    timeout: float = DEFAULT_TIMEOUT,
) -> list[LetterRound]:
    """One round against every letter (letter -> addresses), all letters at once."""
    return list(
        await asyncio.gather(
            *[
                measure_letter(
                    letter, addrs, anchor=anchor, reference=reference, port=port, timeout=timeout
                )
                for letter, addrs in sorted(targets.items())
            ]
        )
    )


def targets_from_hints(hints: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """letter -> addresses from root hints (read_hints); other names are left out."""
    out: dict[str, list[str]] = {}
    for host, addresses in hints.items():
        letter = letter_of(host)
        if letter is not None and addresses:
            out[letter] = list(addresses)
    return out
