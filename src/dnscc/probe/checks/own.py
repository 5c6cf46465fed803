"""The center's own checks, which Zonemaster has no counterpart for: slow and lossy
servers, the delegation against the recorded baseline (hijack), signatures close to
expiry. Checks that lack their input say so in `skipped`."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

import dns.name
import dns.rdatatype

from dnscc.probe.checks import DAY, Out, authoritative, ev, label, msg
from dnscc.probe.checks.dnssec import _first, _keyset, _sigs, verdict
from dnscc.probe.model import Evidence

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected


def slow_and_lossy(c: Collected, out: Out) -> None:
    """DNSCC_SLOW (median first-try round trip) and DNSCC_LOSSY (retransmissions needed)."""
    slow_s = out.profile.threshold("slow_ms") / 1000
    for address in c.host_of:
        answers = [x[address] for x in (c.soa, c.ns, c.dnskey) if address in x]
        if not any(a.ok for a in answers):
            continue
        who = label(c, address)
        first_try = [a for a in answers if a.ok and a.answered_try == 0]
        if first_try and statistics.median(a.elapsed for a in first_try) > slow_s:
            out.add(
                "DNSCC_SLOW",
                "DNSCC_SLOW",
                f"{who} answers in {statistics.median(a.elapsed for a in first_try):.2f} s",
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
        if (
            sample
            and len(retried) >= out.profile.threshold("lossy_min")
            and len(retried) / len(answers) >= out.profile.threshold("lossy_ratio")
        ):
            out.add(
                "DNSCC_LOSSY",
                "DNSCC_LOSSY",
                f"{who}: {len(retried)} of {len(sample)} queries needed retransmissions",
                [
                    Evidence.of(
                        a,
                        note=f"answered on try {a.answered_try + 1} of {a.tries}" if a.ok else None,
                    )
                    for a in retried[:3]
                ],
                server=address,
            )


def baseline(c: Collected, out: Out) -> None:
    """DNSCC_HIJACK (NS moved to a disjoint set) or DNSCC_DELEGATION_CHANGED."""
    b = c.baseline
    if c.zone == dns.name.root or c.delegation.undelegated:
        return
    if b is None:
        c.skipped.append(
            "DNSCC_HIJACK, DNSCC_DELEGATION_CHANGED: no baseline NS set recorded for the zone "
            "(--baseline-ns)"
        )
        return
    if not c.delegation.ns:
        return
    parent = frozenset(c.delegation.ns)

    def proof() -> list[Evidence]:
        return [ev(c.delegation.evidence, "authority")] if c.delegation.evidence else []

    if not (parent & b.ns):
        out.add(
            "DNSCC_HIJACK",
            "DNSCC_HIJACK",
            f"delegation moved to {', '.join(sorted(parent))}, disjoint from the recorded "
            f"{', '.join(sorted(b.ns))}",
            proof(),
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
        out.add("DNSCC_DELEGATION_CHANGED", "DNSCC_DELEGATION_CHANGED", "; ".join(changes), proof())


def sig_expiry(c: Collected, out: Out) -> None:
    """DNSCC_SIG_EXPIRY: the earliest expiry of a valid signature is within the horizon."""
    if c.zone == dns.name.root and c.delegation.ds is None:
        c.skipped.append("DNSSEC chain to the root: no trust anchor given (--trust-anchor)")
    a = _first(c)
    if a is None:
        return
    keys = _keyset(c.dnskey[a], c.zone)
    soonest = None
    for answer, covers in ((c.dnskey[a], dns.rdatatype.DNSKEY), (c.soa[a], dns.rdatatype.SOA)):
        if not authoritative(answer):
            continue
        m = msg(answer)
        target = m.get_rrset(m.answer, c.zone, dns.rdataclass.IN, covers) if m else None
        for s in _sigs(m, c.zone, covers):
            if target is not None and verdict(target, s, keys, c.zone, c.now) == "ok":
                soonest = s.expiration if soonest is None else min(soonest, s.expiration)
    if soonest is None:
        return
    left = (soonest - c.now) / DAY

    def proof() -> list[Evidence]:
        return [ev(c.dnskey[a]), ev(c.soa[a])]

    if left < out.profile.threshold("sig_expiry_critical_days"):
        out.add(
            "DNSCC_SIG_EXPIRY",
            "DNSCC_SIG_EXPIRY",
            f"signatures expire in {left:.2f} days",
            proof(),
            severity="critical",
        )
    elif left < out.profile.threshold("sig_expiry_warning_days"):
        out.add(
            "DNSCC_SIG_EXPIRY", "DNSCC_SIG_EXPIRY", f"signatures expire in {left:.2f} days", proof()
        )


CHECKS = (slow_and_lossy, baseline, sig_expiry)
