"""The checks: pure functions from collected answers to findings.

Each check reads `Collected` (see zone.py) and returns findings whose code is in the
profile; severities and thresholds come from the profile, never from here. Full parsing of
an answer happens here, and only for the answers a check needs.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import dns.dnssec
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
from dnscc.probe.transport import Answer, rcode_text, type_text

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected

DAY = 86400.0
IN = dns.rdataclass.IN
A, AAAA, NS, SOA, DNSKEY, RRSIG = (
    dns.rdatatype.A,
    dns.rdatatype.AAAA,
    dns.rdatatype.NS,
    dns.rdatatype.SOA,
    dns.rdatatype.DNSKEY,
    dns.rdatatype.RRSIG,
)


def authoritative(answer: Answer) -> bool:
    return answer.ok and answer.rcode == dns.rcode.NOERROR and answer.aa


def _msg(answer: Answer) -> dns.message.Message | None:
    try:
        return answer.message()
    except dns.exception.DNSException:
        return None


def _few(items: Iterable[str], n: int = 4) -> str:
    items = list(items)
    more = f" and {len(items) - n} more" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def _well_formed(answer: Answer) -> bool:
    """A light check (header, question, answer records) instead of a full parse."""
    try:
        wire.answers(answer.wire or b"")
    except wire.WireError:
        return False
    return True


def _ev(answer: Answer, section: str = "answer") -> Evidence:
    return Evidence.of(answer, records=records_of(answer, section) if answer.ok else ())


class _Out:
    """Collects findings for one zone, with the profile's severity per code."""

    def __init__(self, c: Collected, profile: Profile) -> None:
        self.c = c
        self.profile = profile
        self.zone = c.zone.to_text()
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        message: str,
        evidence: Iterable[Evidence],
        *,
        server: str | None = None,
        severity: str | None = None,
    ) -> None:
        self.findings.append(
            Finding(
                code,
                severity or self.profile.severity(code),
                self.zone,
                server,
                message,
                tuple(evidence),
            )
        )


def run_all(c: Collected, profile: Profile) -> list[Finding]:
    out = _Out(c, profile)
    for check in CHECKS:
        check(c, out)
    return out.findings


# -- servers --------------------------------------------------------------------------------
def check_servers(c: Collected, out: _Out) -> None:
    """CONNECTIVITY01 unreachable, DELEGATION04 lame, DNSCC_SLOW, DNSCC_LOSSY."""
    slow_s = out.profile.threshold("slow_ms") / 1000
    for address, host in c.host_of.items():
        answers = [x[address] for x in (c.soa, c.ns, c.dnskey) if address in x]
        label = f"{host} ({address})"
        if answers and not any(a.ok for a in answers):
            out.add(
                "CONNECTIVITY01",
                f"{label} does not answer",
                [Evidence.of(answers[0])],
                server=address,
            )
            continue
        for a in answers:
            if not a.ok:
                c.untested.append(
                    f"{a.qname} {type_text(a.qtype)} at {label}: {a.error or a.status}"
                )
        soa = c.soa.get(address)
        if soa is not None and soa.ok:
            if not _well_formed(soa):
                c.untested.append(f"{label}: garbage answer to SOA")
            elif not authoritative(soa):
                why = (
                    f"rcode {rcode_text(soa.rcode)}"
                    if soa.rcode != dns.rcode.NOERROR
                    else "no AA flag"
                )
                out.add(
                    "DELEGATION04",
                    f"{label} is not authoritative for {out.zone} ({why})",
                    [_ev(soa)],
                    server=address,
                )
        answered = [a for a in answers if a.ok]
        first_try = [a for a in answered if a.answered_try == 0]
        if first_try and statistics.median(a.elapsed for a in first_try) > slow_s:
            out.add(
                "DNSCC_SLOW",
                f"{label} answers in {statistics.median(a.elapsed for a in first_try):.2f} s",
                [
                    Evidence.of(a, note=f"answered after {a.elapsed * 1000:.0f} ms")
                    for a in first_try[:2]
                ],
                server=address,
            )
        # Judged on the extra probes sent to a suspect server only: a transient stall (of
        # the server or of this machine) during the first queries is not packet loss.
        sample = c.loss_probes.get(address, [])
        retried = [a for a in sample if not a.ok or a.answered_try > 0]
        ratio = out.profile.threshold("lossy_ratio")
        if (
            sample
            and len(retried) >= out.profile.threshold("lossy_min")
            and (len(retried) / len(answers) >= ratio)
        ):
            out.add(
                "DNSCC_LOSSY",
                f"{label}: {len(retried)} of {len(sample)} queries needed retransmissions",
                [
                    Evidence.of(
                        a,
                        note=f"answered on try {a.answered_try + 1} of {a.tries}" if a.ok else None,
                    )
                    for a in retried[:3]
                ],
                server=address,
            )


# -- consistency ----------------------------------------------------------------------------
def _soa_serial(answer: Answer, zone: dns.name.Name) -> int | None:
    try:
        return wire.soa_serial(answer.wire or b"")
    except wire.WireError:
        return None


def _ns_set(answer: Answer, zone: dns.name.Name) -> frozenset[str] | None:
    try:
        return wire.ns_names(answer.wire or b"")
    except wire.WireError:
        return None


def check_consistency(c: Collected, out: _Out) -> None:
    """CONSISTENCY01 serials, CONSISTENCY04 NS sets, DELEGATION07 parent vs child names."""
    serials: dict[int, list[Answer]] = defaultdict(list)
    for a in c.soa.values():
        if authoritative(a):
            s = _soa_serial(a, c.zone)
            if s is not None:
                serials[s].append(a)
    if len(serials) > 1:
        detail = "; ".join(
            f"{s} at {_few(x.server for x in v)}" for s, v in sorted(serials.items())
        )
        out.add(
            "CONSISTENCY01", f"SOA serials differ: {detail}", [_ev(v[0]) for v in serials.values()]
        )
    sets: dict[frozenset[str], list[Answer]] = defaultdict(list)
    for address, a in c.ns.items():
        if authoritative(a) and authoritative(c.soa.get(address, a)):
            found = _ns_set(a, c.zone)
            if found is not None:
                sets[found].append(a)
    if len(sets) > 1:
        detail = "; ".join(
            f"{{{_few(sorted(k))}}} at {_few(x.server for x in v)}" for k, v in sets.items()
        )
        out.add(
            "CONSISTENCY04",
            f"NS sets differ between servers: {detail}",
            [_ev(v[0]) for v in sets.values()],
        )
    if sets and c.delegation.evidence is not None:
        child, answers = max(sets.items(), key=lambda kv: len(kv[1]))
        parent = frozenset(c.delegation.ns)
        if child != parent:
            extra_p = sorted(parent - child)
            extra_c = sorted(child - parent)
            parts = []
            if extra_p:
                parts.append(f"only in the parent: {', '.join(extra_p)}")
            if extra_c:
                parts.append(f"only in the zone: {', '.join(extra_c)}")
            out.add(
                "DELEGATION07",
                "parent and zone NS sets differ (" + "; ".join(parts) + ")",
                [_ev(c.delegation.evidence, "authority"), _ev(answers[0])],
            )


def check_glue(c: Collected, out: _Out) -> None:
    """BASIC02 missing in-bailiwick glue, CONSISTENCY05 glue differs from the zone."""
    if c.zone == dns.name.root:
        return
    ref = c.delegation.evidence
    for host in c.delegation.ns:
        if not dns.name.from_text(host).is_subdomain(c.zone):
            continue
        glue = set(c.delegation.glue.get(host, []))
        if not glue:
            out.add(
                "BASIC02",
                f"the parent publishes no glue for {host}",
                [_ev(ref, "additional")] if ref else [],
            )
            continue
        child: set[str] = set()
        evidence = []
        answered = False
        for t in (A, AAAA):
            a = c.child_addr.get((host, t))
            if a is None or not authoritative(a):
                continue
            msg = _msg(a)
            if msg is None:
                continue
            answered = True
            rrset = msg.get_rrset(msg.answer, dns.name.from_text(host), IN, t)
            if rrset:
                child |= {rd.address for rd in rrset}
                evidence.append(_ev(a))
        if answered and glue != child:
            out.add(
                "CONSISTENCY05",
                f"glue for {host} is {', '.join(sorted(glue))}; the zone says "
                f"{', '.join(sorted(child)) or 'nothing'}",
                ([_ev(ref, "additional")] if ref else []) + evidence,
            )


def check_baseline(c: Collected, out: _Out) -> None:
    """DNSCC_HIJACK (NS moved to a disjoint set) or DNSCC_DELEGATION_CHANGED."""
    b = c.baseline
    if b is None or c.zone == dns.name.root:
        return
    parent = frozenset(c.delegation.ns)
    ev = [_ev(c.delegation.evidence, "authority")] if c.delegation.evidence else []
    if parent and not (parent & b.ns):
        out.add(
            "DNSCC_HIJACK",
            f"delegation moved to {', '.join(sorted(parent))}, disjoint from the recorded "
            f"{', '.join(sorted(b.ns))}",
            ev,
        )
        return
    changes = []
    if parent != b.ns:
        changes.append(f"NS now {', '.join(sorted(parent))} (recorded {', '.join(sorted(b.ns))})")
    for host, expected in sorted(b.glue.items()):
        now = frozenset(c.delegation.glue.get(host, []))
        if host in parent and now and now != expected:
            changes.append(
                f"glue of {host} now {', '.join(sorted(now))} "
                f"(recorded {', '.join(sorted(expected))})"
            )
    if changes:
        out.add("DNSCC_DELEGATION_CHANGED", "; ".join(changes), ev)


def check_axfr(c: Collected, out: _Out) -> None:
    """NAMESERVER03: a server hands the zone to anyone who asks."""
    for address, a in c.axfr.items():
        if a.ok and a.rcode == dns.rcode.NOERROR and a.wire is not None and a.wire[6:8] != b"\0\0":
            out.add(
                "NAMESERVER03",
                f"{c.host_of[address]} ({address}) allows AXFR of {out.zone}",
                [Evidence.of(a, records=records_of(a, limit=2))],
                server=address,
            )


# -- DNSSEC ---------------------------------------------------------------------------------
def _sigs(msg: dns.message.Message, owner: dns.name.Name, covers: int) -> list[Any]:
    # RRSIG rdatas, typed Any: dnspython's stubs type rdata fields loosely.
    rrset = msg.get_rrset(msg.answer, owner, IN, RRSIG, dns.rdatatype.RdataType.make(covers))
    return list(rrset) if rrset else []


def _verifies(rrset: dns.rrset.RRset, sig: Any, keys: dns.rrset.RRset, zone: dns.name.Name) -> bool:
    """Cryptographic check only: the validity window is judged separately (so that an
    expired signature is reported as expired, not as bogus)."""
    try:
        dns.dnssec.validate_rrsig(rrset, sig, {zone: keys}, now=float(sig.inception))
    except (
        dns.dnssec.ValidationFailure,
        dns.dnssec.UnsupportedAlgorithm,
        dns.exception.DNSException,
    ):
        return False
    return True


def check_dnssec(c: Collected, out: _Out) -> None:
    """DNSSEC02, DNSSEC04, DNSSEC08, DNSSEC09, DNSSEC13 and DNSCC_SIG_EXPIRY."""
    zone = c.zone
    pick = next(
        (
            a
            for addr, a in sorted(c.dnskey.items())
            if authoritative(a) and authoritative(c.soa[addr])
        ),
        None,
    )
    ds: Any = c.delegation.ds
    if pick is None:
        if ds is not None:
            c.untested.append("DNSSEC: no authoritative DNSKEY answer")
        return
    kmsg = _msg(pick)
    soa_a = c.soa[pick.server]
    smsg = _msg(soa_a)
    if kmsg is None or smsg is None:
        c.untested.append(f"DNSSEC: garbage answer from {pick.server}")
        return
    keys: Any = kmsg.get_rrset(kmsg.answer, zone, IN, DNSKEY)
    if keys is None:
        if ds is not None:
            out.add(
                "DNSSEC02",
                "the parent has DS records but the zone publishes no DNSKEY",
                ([_ev(c.delegation.evidence, "authority")] if c.delegation.evidence else [])
                + [_ev(pick)],
            )
        return
    soa = smsg.get_rrset(smsg.answer, zone, IN, SOA)
    key_sigs = _sigs(kmsg, zone, DNSKEY)
    soa_sigs = _sigs(smsg, zone, SOA) if soa is not None else []
    ev_keys, ev_soa = _ev(pick), _ev(soa_a)

    # Chain from the parent: some DS must match a key that validly signs the DNSKEY RRset.
    if ds is not None:
        matched = []
        for d in ds:
            for k in keys:
                if dns.dnssec.key_id(k) != d.key_tag or k.algorithm != d.algorithm:
                    continue
                try:
                    if dns.dnssec.make_ds(zone, k, d.digest_type) == d:
                        matched.append(k)
                except (dns.dnssec.UnsupportedAlgorithm, ValueError):
                    continue
        ds_ev = ([_ev(c.delegation.evidence, "authority")] if c.delegation.evidence else []) + [
            ev_keys
        ]
        if not matched:
            out.add("DNSSEC02", "no DS record matches any DNSKEY of the zone", ds_ev)
        else:
            signing = [
                s
                for s in key_sigs
                if any(
                    dns.dnssec.key_id(k) == s.key_tag and k.algorithm == s.algorithm
                    for k in matched
                )
                and _verifies(keys, s, keys, zone)
            ]
            if not signing:
                out.add(
                    "DNSSEC02",
                    "the DNSKEY matching the parent's DS signs no DNSKEY RRset "
                    f"(DS algorithm(s) {', '.join(sorted({str(k.algorithm) for k in matched}))})",
                    ds_ev,
                )

    # Every zone-signing algorithm published must sign (RFC 6840 section 5.11).
    algs = {k.algorithm for k in keys if k.flags & 0x0100}
    signed = {s.algorithm for s in key_sigs} | {s.algorithm for s in soa_sigs}
    unused = sorted(algs - signed)
    if unused:
        out.add(
            "DNSSEC13",
            f"DNSKEY algorithm(s) {', '.join(str(a) for a in unused)} sign nothing",
            [ev_keys],
        )

    now = c.now
    expired, future, bogus, soonest = [], [], [], None
    for rrset, sigs, ev, what in (
        (keys, key_sigs, ev_keys, "DNSKEY"),
        (soa, soa_sigs, ev_soa, "SOA"),
    ):
        if rrset is None:
            continue
        if not sigs:
            bogus.append((f"{what} RRset has no RRSIG", ev))
            continue
        good = False
        for s in sigs:
            if s.expiration < now:
                expired.append(
                    (
                        f"{what} RRSIG (key {s.key_tag}) expired "
                        f"{(now - s.expiration) / DAY:.1f} days ago",
                        ev,
                    )
                )
            elif s.inception > now:
                future.append(
                    (
                        f"{what} RRSIG (key {s.key_tag}) valid only in "
                        f"{(s.inception - now) / DAY:.1f} days",
                        ev,
                    )
                )
            elif _verifies(rrset, s, keys, zone):
                good = True
                soonest = s.expiration if soonest is None else min(soonest, s.expiration)
        if not good and not any(s.expiration < now or s.inception > now for s in sigs):
            bogus.append((f"no {what} RRSIG verifies with the zone's DNSKEYs", ev))
    for code, items in (("DNSSEC04", expired), ("DNSSEC09", future), ("DNSSEC08", bogus)):
        if items:
            out.add(code, "; ".join(m for m, _ in items), list(dict.fromkeys(e for _, e in items)))
    if soonest is not None:
        left = (soonest - now) / DAY
        if left < out.profile.threshold("sig_expiry_critical_days"):
            out.add(
                "DNSCC_SIG_EXPIRY",
                f"signatures expire in {left:.2f} days",
                [ev_keys, ev_soa],
                severity="critical",
            )
        elif left < out.profile.threshold("sig_expiry_warning_days"):
            out.add("DNSCC_SIG_EXPIRY", f"signatures expire in {left:.2f} days", [ev_keys, ev_soa])


CHECKS: tuple[Callable[[Collected, _Out], None], ...] = (
    check_servers,
    check_consistency,
    check_glue,
    check_baseline,
    check_axfr,
    check_dnssec,
)
