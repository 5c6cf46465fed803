"""DNSSEC: DS digest types (DNSSEC01), DS to DNSKEY (02), NSEC3 parameters (03), signature
lifetimes (04), algorithms (05), DS and DNSKEY together (07), DNSKEY and SOA signatures (08,
09), denial of existence (10), DS with an unsigned zone (11), every algorithm signing (13),
key sizes (14), CDS and CDNSKEY (15-18); and the chain (DS -> DNSKEY -> RRSIG -> RRset) the
zone page draws.

Signatures are verified with dnspython. Each problem is judged at every authoritative
server and reported once per tag, naming the servers it was seen at.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import dns.dnssec
import dns.exception
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from dnscc.probe.checks import DAY, Out, authoritative, ev, few, msg, rrset
from dnscc.probe.model import Evidence
from dnscc.probe.transport import Answer

if TYPE_CHECKING:
    from dnscc.probe.zone import Collected

DNSKEY, SOA, NS, RRSIG, DS = (
    dns.rdatatype.DNSKEY,
    dns.rdatatype.SOA,
    dns.rdatatype.NS,
    dns.rdatatype.RRSIG,
    dns.rdatatype.DS,
)
NSEC, NSEC3, NSEC3PARAM = dns.rdatatype.NSEC, dns.rdatatype.NSEC3, dns.rdatatype.NSEC3PARAM
CDS, CDNSKEY = dns.rdatatype.CDS, dns.rdatatype.CDNSKEY
ZONE_FLAG, SEP_FLAG = 0x0100, 0x0001
# We judge algorithms and digests (DNSSEC01, DNSSEC05), we do not enforce a policy: a SHA-1
# DS is computed and an RSASHA1 signature verified like any other.
ANY = dns.dnssec.allow_all_policy

# RFC 8624 and the IANA DNSSEC algorithm registry: what a zone may sign with.
DEPRECATED = {1, 3, 6, 12}
NOT_RECOMMENDED = {5, 7, 10}
NOT_ZONE_SIGN = {0, 2, 252}
PRIVATE = {253, 254}
RESERVED = {4, 9, 11, 255, *range(123, 252)}
UNASSIGNED = set(range(17, 123))
# Key sizes (bytes of public key) of the fixed-size algorithms.
FIXED_KEY = {13: 64, 14: 96, 15: 32, 16: 57}
RSA = {5, 7, 8, 10}


def _sigs(m: Any, owner: dns.name.Name, covers: int) -> list[Any]:
    if m is None:
        return []
    found = m.get_rrset(m.answer, owner, dns.rdataclass.IN, RRSIG, covers)
    return list(found) if found else []


def _keyset(answer: Answer | None, zone: dns.name.Name) -> Any:
    return rrset(answer, zone, DNSKEY) if answer is not None and authoritative(answer) else None


_VERDICTS: dict[tuple[int, int, tuple[bytes, ...], float], tuple[Any, Any, str]] = {}


def verdict(rr: Any, sig: Any, keys: Any, zone: dns.name.Name, now: float) -> str:
    """ok, expired, future, nokey, unsupported or bogus (the signature checked at `now`).

    Remembered per parsed RRset and signature (a zone's servers send the same answers, which
    are parsed once, and several test cases judge the same signature): the entry holds the
    objects themselves, so their ids cannot be reused while it lives."""
    key = (id(rr), id(sig), tuple(bytes(k.key) for k in keys) if keys else (), round(now, -1))
    found = _VERDICTS.get(key)
    if found is not None and found[0] is rr and found[1] is sig:
        return found[2]
    result = _verdict(rr, sig, keys, zone, now)
    if len(_VERDICTS) > 20_000:
        _VERDICTS.clear()
    _VERDICTS[key] = (rr, sig, result)
    return result


def _verdict(rr: Any, sig: Any, keys: Any, zone: dns.name.Name, now: float) -> str:
    if keys is None or not any(
        dns.dnssec.key_id(k) == sig.key_tag and k.algorithm == sig.algorithm for k in keys
    ):
        return "nokey"
    try:
        dns.dnssec.validate_rrsig(rr, sig, {zone: keys}, now=float(sig.inception), policy=ANY)
    except dns.dnssec.UnsupportedAlgorithm:
        return "unsupported"
    except (dns.dnssec.ValidationFailure, dns.exception.DNSException):
        return "bogus"
    if sig.expiration < now:
        return "expired"
    if sig.inception > now:
        return "future"
    return "ok"


class _Proof:
    """An answer to cite, turned into Evidence only when a finding is made (summarising an
    answer is costly, and most answers prove nothing is wrong)."""

    __slots__ = ("answer", "section")

    def __init__(self, answer: Answer, section: str = "answer") -> None:
        self.answer, self.section = answer, section

    def evidence(self) -> Evidence:
        return ev(self.answer, self.section)


class _Seen:
    """tag -> (servers, first proofs, message): one finding per tag."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], tuple[list[str], list[_Proof], str]] = {}

    def note(self, code: str, tag: str, server: str, proof: _Proof, message: str) -> None:
        servers, proofs, _ = self.items.setdefault((code, tag), ([], [], message))
        if server not in servers:
            servers.append(server)
        if len(proofs) < 2 and all(p.answer is not proof.answer for p in proofs):
            proofs.append(proof)

    def emit(self, out: Out) -> None:
        for (code, tag), (servers, proofs, message) in self.items.items():
            evidence = list(dict.fromkeys(p.evidence() for p in proofs))
            out.add(code, tag, f"{message} (at {few(servers)})", evidence)


def _auth_servers(c: Collected) -> list[str]:
    """Servers that answer the zone's SOA and DNSKEY queries with authority (and sense)."""
    return [
        a
        for a in sorted(c.dnskey)
        if authoritative(c.soa.get(a, c.dnskey[a]))
        and msg(c.soa.get(a))
        and authoritative(c.dnskey[a])
        and msg(c.dnskey[a])
    ]


def _ds_evidence(c: Collected) -> list[Evidence]:
    if c.delegation.ds_answer is not None:
        return [ev(c.delegation.ds_answer)]
    if c.delegation.evidence is not None:
        return [ev(c.delegation.evidence, "authority")]
    return []


def _signed_anywhere(c: Collected) -> bool:
    return any(_keyset(c.dnskey[a], c.zone) for a in _auth_servers(c))


def dnssec01(c: Collected, out: Out) -> None:
    """DNSSEC01: the DS digest types."""
    ds = c.delegation.ds
    if not ds:
        return
    proof = _ds_evidence(c)
    types = {d.digest_type for d in ds}
    for d in ds:
        t = d.digest_type
        args = {"keytag": str(d.key_tag), "ds_algo_num": str(t)}
        if t == 0:
            out.add(
                "DNSSEC01",
                "DS01_DS_ALGO_NOT_DS",
                f"DS {d.key_tag} has digest type 0",
                proof,
                args=args,
            )
        elif t in (1, 3):
            out.add(
                "DNSSEC01",
                "DS01_DS_ALGO_DEPRECATED",
                f"DS {d.key_tag} uses deprecated digest type {t}",
                proof,
                args=args,
            )
        elif t > 4:
            out.add(
                "DNSSEC01",
                "DS01_DS_ALGO_RESERVED",
                f"DS {d.key_tag} uses unassigned digest type {t}",
                proof,
                args=args,
            )
    if 2 not in types:
        out.add("DNSSEC01", "DS01_DS_ALGO_2_MISSING", "no DS with digest type 2 (SHA-256)", proof)


def dnssec02(c: Collected, out: Out) -> None:
    """DNSSEC02: some DS leads to a DNSKEY that signs the DNSKEY RRset."""
    ds = c.delegation.ds
    if not ds:
        return
    seen = _Seen()
    no_key_servers, no_sig_servers = [], []
    for a in _auth_servers(c):
        answer = c.dnskey[a]
        keys = _keyset(answer, c.zone)
        if not keys:
            continue
        proof = _Proof(answer)
        sigs = _sigs(msg(answer), c.zone, DNSKEY)
        matched_any = signed_any = False
        # As Zonemaster does: a key with the DS's key tag is "the" key of that DS even when
        # the digest does not match (DS02_NO_MATCH_DS_DNSKEY says so, once).
        for d in ds:
            cands = [k for k in keys if dns.dnssec.key_id(k) == d.key_tag]
            if not cands:
                seen.note(
                    "DNSSEC02",
                    "DS02_NO_DNSKEY_FOR_DS",
                    a,
                    proof,
                    f"no DNSKEY matches DS {d.key_tag}",
                )
                continue
            match = None
            for k in cands:
                try:
                    if dns.dnssec.make_ds(c.zone, k, d.digest_type, policy=ANY) == d:
                        match = k
                        break
                except (dns.dnssec.UnsupportedAlgorithm, ValueError, dns.exception.DNSException):
                    match = k  # a digest we cannot compute: taken as matching
                    break
            if match is None:
                seen.note(
                    "DNSSEC02",
                    "DS02_NO_MATCH_DS_DNSKEY",
                    a,
                    proof,
                    f"DS {d.key_tag} does not match the digest of DNSKEY {d.key_tag}",
                )
                match = cands[0]
            matched_any = True
            if not match.flags & ZONE_FLAG:
                seen.note(
                    "DNSSEC02",
                    "DS02_DNSKEY_NOT_FOR_ZONE_SIGNING",
                    a,
                    proof,
                    f"DNSKEY {d.key_tag} of DS {d.key_tag} is not a zone key",
                )
                continue
            if not match.flags & SEP_FLAG:
                seen.note(
                    "DNSSEC02",
                    "DS02_DNSKEY_NOT_SEP",
                    a,
                    proof,
                    f"DNSKEY {d.key_tag} of DS {d.key_tag} has no SEP flag",
                )
            by_key = [s for s in sigs if s.key_tag == d.key_tag]
            results = {verdict(keys, s, keys, c.zone, c.now) for s in by_key}
            if "unsupported" in results:
                seen.note(
                    "DNSSEC02",
                    "DS02_ALGO_NOT_SUPPORTED_BY_ZM",
                    a,
                    proof,
                    f"algorithm {d.algorithm} cannot be verified here",
                )
            if results - {"ok", "unsupported"}:
                seen.note(
                    "DNSSEC02",
                    "DS02_RRSIG_NOT_VALID_BY_DNSKEY",
                    a,
                    proof,
                    f"the DNSKEY RRSIG by key {d.key_tag} does not verify now "
                    f"({', '.join(sorted(results - {'ok', 'unsupported'}))})",
                )
            if "ok" in results:
                signed_any = True
            else:
                seen.note(
                    "DNSSEC02",
                    "DS02_NO_MATCHING_DNSKEY_RRSIG",
                    a,
                    proof,
                    f"no valid RRSIG over the DNSKEY RRset by key {d.key_tag} of the DS",
                )
        if not matched_any:
            no_key_servers.append(a)
        elif not signed_any:
            no_sig_servers.append(a)
    seen.emit(out)
    proof_ds = _ds_evidence(c)
    if no_key_servers:
        # Zonemaster reports one of the two: no key at all, or keys that sign nothing.
        out.add(
            "DNSSEC02",
            "DS02_NO_VALID_DNSKEY_FOR_ANY_DS",
            f"no DS record matches a DNSKEY (at {few(no_key_servers)})",
            [*proof_ds, ev(c.dnskey[no_key_servers[0]])],
        )
    elif no_sig_servers:
        out.add(
            "DNSSEC02",
            "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS",
            f"no DNSKEY pointed at by a DS signs the DNSKEY RRset (at {few(no_sig_servers)})",
            [*proof_ds, ev(c.dnskey[no_sig_servers[0]])],
        )


def dnssec03(c: Collected, out: Out) -> None:
    """DNSSEC03: NSEC3 iterations (RFC 9276: 0 is best)."""
    many = out.profile.threshold("nsec3_iterations_many")
    too_many = out.profile.threshold("nsec3_iterations_too_many")
    for a in _auth_servers(c):
        answer = c.more.get(("nsec3param", a))
        found = rrset(answer, c.zone, NSEC3PARAM)
        if not found or answer is None:
            continue
        it = max(rd.iterations for rd in found)
        if it > too_many:
            out.add(
                "DNSSEC03",
                "TOO_MANY_ITERATIONS",
                f"NSEC3 uses {it} iterations",
                [ev(answer)],
                args={"count": str(it)},
            )
        elif it >= many:
            out.add(
                "DNSSEC03",
                "MANY_ITERATIONS",
                f"NSEC3 uses {it} iterations",
                [ev(answer)],
                args={"count": str(it)},
            )
        return


def _first(c: Collected) -> str | None:
    servers = [a for a in _auth_servers(c) if _keyset(c.dnskey[a], c.zone)]
    return servers[0] if servers else None


def dnssec04(c: Collected, out: Out) -> None:
    """DNSSEC04: signature lifetimes (expired, too long, too little left)."""
    a = _first(c)
    if a is None:
        return
    now = c.now
    for answer, covers, what in ((c.dnskey[a], DNSKEY, "DNSKEY"), (c.soa[a], SOA, "SOA")):
        for s in _sigs(msg(answer), c.zone, covers):
            left = s.expiration - now
            args = {"keytag": str(s.key_tag), "types": what}
            if left < 0:
                out.add(
                    "DNSSEC04",
                    "RRSIG_EXPIRED",
                    f"{what} RRSIG (key {s.key_tag}) expired {-left / DAY:.1f} days ago",
                    [ev(answer)],
                    args=args,
                )
                continue
            if s.inception > now:
                continue
            if left < out.profile.threshold("sig_remaining_min_hours") * 3600:
                out.add(
                    "DNSSEC04",
                    "REMAINING_SHORT",
                    f"{what} RRSIG (key {s.key_tag}) expires in {left / 3600:.1f} hours",
                    [ev(answer)],
                    args=args,
                )
            elif left > out.profile.threshold("sig_remaining_max_days") * DAY:
                out.add(
                    "DNSSEC04",
                    "REMAINING_LONG",
                    f"{what} RRSIG (key {s.key_tag}) is valid {left / DAY:.0f} more days",
                    [ev(answer)],
                    args=args,
                )
            if s.expiration - s.inception > out.profile.threshold("sig_duration_max_days") * DAY:
                out.add(
                    "DNSSEC04",
                    "DURATION_LONG",
                    f"{what} RRSIG (key {s.key_tag}) is valid for "
                    f"{(s.expiration - s.inception) / DAY:.0f} days",
                    [ev(answer)],
                    args=args,
                )


def _no_dnskey(c: Collected, out: Out, code: str) -> None:
    """NO_RESPONSE_DNSKEY: in a signed zone, a server that gives no DNSKEY."""
    if not _signed_anywhere(c):
        return
    for a in sorted(c.dnskey):
        answer = c.dnskey[a]
        if msg(answer) is None or (authoritative(answer) and _keyset(answer, c.zone)):
            continue
        out.add(
            code,
            "NO_RESPONSE_DNSKEY",
            f"{a} gives no DNSKEY for the signed zone",
            [ev(answer)],
            server=a,
            args={"ns": a},
        )


def dnssec05(c: Collected, out: Out) -> None:
    """DNSSEC05: the DNSKEY algorithms."""
    _no_dnskey(c, out, "DNSSEC05")
    a = _first(c)
    if a is None:
        return
    keys = _keyset(c.dnskey[a], c.zone)
    for k in keys:
        alg, tag = k.algorithm, dns.dnssec.key_id(k)
        args = {"keytag": str(tag), "algo_num": str(int(alg))}
        for group, name in (
            (DEPRECATED, "ALGORITHM_DEPRECATED"),
            (NOT_RECOMMENDED, "ALGORITHM_NOT_RECOMMENDED"),
            (NOT_ZONE_SIGN, "ALGORITHM_NOT_ZONE_SIGN"),
            (PRIVATE, "ALGORITHM_PRIVATE"),
            (RESERVED, "ALGORITHM_RESERVED"),
            (UNASSIGNED, "ALGORITHM_UNASSIGNED"),
        ):
            if int(alg) in group:
                out.add(
                    "DNSSEC05",
                    name,
                    f"DNSKEY {tag} uses algorithm {int(alg)}",
                    [ev(c.dnskey[a])],
                    args=args,
                )


def dnssec07(c: Collected, out: Out) -> None:
    """DNSSEC07: DNSKEY in the zone and DS in the parent go together."""
    if c.zone == dns.name.root and c.delegation.ds is None:
        return  # no trust anchor given: recorded as skipped
    if not _auth_servers(c):
        return
    signed = _signed_anywhere(c)
    ds = bool(c.delegation.ds)
    proof = _ds_evidence(c)
    if signed and not ds:
        out.add(
            "DNSSEC07", "DNSKEY_BUT_NOT_DS", "the zone has DNSKEYs but the parent has no DS", proof
        )
    elif ds and not signed:
        out.add(
            "DNSSEC07",
            "DS_BUT_NOT_DNSKEY",
            "the parent has DS records but the zone has no DNSKEY",
            [*proof, ev(c.dnskey[_auth_servers(c)[0]])],
        )
    elif not ds and not signed:
        out.add(
            "DNSSEC07", "NEITHER_DNSKEY_NOR_DS", "the zone is not signed (no DNSKEY, no DS)", proof
        )
        out.add("DNSSEC07", "NOT_SIGNED", "the zone is not signed", proof)


def _signatures(c: Collected, out: Out, code: str, prefix: str, covers: int) -> None:
    """DNSSEC08 (DNSKEY) and DNSSEC09 (SOA): the RRset is validly signed."""
    seen = _Seen()
    what = "DNSKEY" if covers == DNSKEY else "SOA"
    for a in _auth_servers(c):
        keys = _keyset(c.dnskey[a], c.zone)
        if not keys:
            continue
        answer = c.dnskey[a] if covers == DNSKEY else c.soa[a]
        target = rrset(answer, c.zone, covers)
        if target is None:
            continue
        proof = _Proof(answer)
        sigs = _sigs(msg(answer), c.zone, covers)
        if not sigs:
            seen.note(
                code,
                f"{prefix}_MISSING_RRSIG_IN_RESPONSE",
                a,
                proof,
                f"the {what} RRset has no RRSIG",
            )
            continue
        results = [verdict(target, s, keys, c.zone, c.now) for s in sigs]
        if "ok" in results:
            continue
        for s, r in zip(sigs, results, strict=True):
            if r == "nokey":
                seen.note(
                    code,
                    f"{prefix}_NO_MATCHING_DNSKEY",
                    a,
                    proof,
                    f"the {what} RRSIG by key {s.key_tag} has no DNSKEY",
                )
            elif r == "expired":
                seen.note(
                    code,
                    f"{prefix}_{what}_RRSIG_EXPIRED",
                    a,
                    proof,
                    f"the {what} RRSIG by key {s.key_tag} has expired",
                )
            elif r == "future":
                seen.note(
                    code,
                    f"{prefix}_{what}_RRSIG_NOT_YET_VALID",
                    a,
                    proof,
                    f"the {what} RRSIG by key {s.key_tag} is not yet valid",
                )
            elif r == "unsupported":
                seen.note(
                    code,
                    f"{prefix}_ALGO_NOT_SUPPORTED_BY_ZM",
                    a,
                    proof,
                    f"algorithm {s.algorithm} cannot be verified here",
                )
            else:
                seen.note(
                    code,
                    f"{prefix}_RRSIG_NOT_VALID_BY_DNSKEY",
                    a,
                    proof,
                    f"the {what} RRSIG by key {s.key_tag} does not verify",
                )
    seen.emit(out)


def dnssec08(c: Collected, out: Out) -> None:
    """DNSSEC08: the DNSKEY RRset is validly signed."""
    _signatures(c, out, "DNSSEC08", "DS08", DNSKEY)


def dnssec09(c: Collected, out: Out) -> None:
    """DNSSEC09: the SOA RRset is validly signed."""
    _signatures(c, out, "DNSSEC09", "DS09", SOA)


def _covers_nsec(rr: Any, name: dns.name.Name, zone: dns.name.Name) -> bool:
    owner, nxt = rr.name, rr[0].next
    if owner < nxt:
        return bool(owner < name < nxt)
    return bool(name > owner or name < nxt)  # the last NSEC wraps to the apex


def _covers_nsec3(rr: Any, name: dns.name.Name, zone: dns.name.Name) -> bool:
    rd = rr[0]
    try:
        h = dns.dnssec.nsec3_hash(name, rd.salt, rd.iterations, rd.algorithm)
    except (ValueError, dns.exception.DNSException):
        return False
    owner = rr.name.labels[0].decode().upper()
    nxt = base64.b32hexencode(rd.next).decode().rstrip("=").upper()
    h = h.upper()
    if owner < nxt:
        return bool(owner < h < nxt)
    return bool(h > owner or h < nxt)


def dnssec10(c: Collected, out: Out) -> None:
    """DNSSEC10: a nonexistent name is denied with signed NSEC or NSEC3 that cover it."""
    if not _signed_anywhere(c) or c.nxname is None:
        return
    seen = _Seen()
    kinds: dict[str, list[str]] = defaultdict(list)
    for a in _auth_servers(c):
        keys = _keyset(c.dnskey[a], c.zone)
        answer = c.more.get(("nx", a))
        m = msg(answer)
        if m is None or answer is None or not keys:
            continue
        proof = _Proof(answer, "authority")
        if answer.rcode != dns.rcode.NXDOMAIN:
            if answer.rcode == dns.rcode.NOERROR and m.answer:
                continue  # a wildcard answers: denial is not shown this way
            if answer.rcode != dns.rcode.NOERROR:
                seen.note(
                    "DNSSEC10",
                    "DS10_NON_EXISTENT_RESPONSE_ERROR",
                    a,
                    proof,
                    f"a nonexistent name is answered with rcode {answer.rcode}",
                )
                continue
        nsec = [r for r in m.authority if r.rdtype == NSEC]
        nsec3 = [r for r in m.authority if r.rdtype == NSEC3]
        if nsec and nsec3:
            seen.note(
                "DNSSEC10", "DS10_MIXED_NSEC_NSEC3", a, proof, "the denial mixes NSEC and NSEC3"
            )
            continue
        if not nsec and not nsec3:
            seen.note(
                "DNSSEC10",
                "DS10_MISSING_NSEC_NSEC3",
                a,
                proof,
                "a nonexistent name is denied without NSEC or NSEC3",
            )
            continue
        kind = "NSEC" if nsec else "NSEC3"
        kinds[kind].append(a)
        records = nsec or nsec3
        covered = any(
            (_covers_nsec if kind == "NSEC" else _covers_nsec3)(r, c.nxname, c.zone)
            for r in records
        )
        if not covered and answer.rcode == dns.rcode.NXDOMAIN:
            seen.note(
                "DNSSEC10",
                f"DS10_NAME_NOT_COVERED_BY_{kind}",
                a,
                proof,
                f"no {kind} record covers the nonexistent name",
            )
        for r in records:
            sigs = m.get_rrset(m.authority, r.name, dns.rdataclass.IN, RRSIG, r.rdtype)
            if not sigs:
                seen.note(
                    "DNSSEC10",
                    f"DS10_{kind}_MISSING_SIGNATURE",
                    a,
                    proof,
                    f"a {kind} record has no RRSIG",
                )
                break
            if not any(verdict(r, s, keys, c.zone, c.now) == "ok" for s in sigs):
                seen.note(
                    "DNSSEC10",
                    f"DS10_{kind}_RRSIG_VERIFY_ERROR",
                    a,
                    proof,
                    f"the RRSIG of a {kind} record does not verify",
                )
                break
    if len(kinds) > 1:
        out.add(
            "DNSSEC10",
            "DS10_INCONSISTENT_NSEC_NSEC3",
            f"some servers deny with NSEC ({few(kinds['NSEC'])}), others with NSEC3 "
            f"({few(kinds['NSEC3'])})",
        )
    seen.emit(out)


def dnssec11(c: Collected, out: Out) -> None:
    """DNSSEC11: a DS in the parent means a signed zone (at every server)."""
    if not c.delegation.ds:
        return
    servers = _auth_servers(c)
    if not servers:
        return
    signed = [a for a in servers if _keyset(c.dnskey[a], c.zone)]
    unsigned = [a for a in servers if a not in signed]
    proof = _ds_evidence(c)
    if not signed:
        out.add(
            "DNSSEC11",
            "DS11_DS_BUT_UNSIGNED_ZONE",
            "the parent has DS records but the zone is not signed",
            [*proof, ev(c.dnskey[servers[0]])],
        )
    elif unsigned:
        out.add(
            "DNSSEC11",
            "DS11_INCONSISTENT_SIGNED_ZONE",
            f"some servers serve the zone unsigned: {few(unsigned)}",
            [ev(c.dnskey[unsigned[0]])],
        )
        for a in unsigned:
            out.add(
                "DNSSEC11",
                "DS11_NS_WITH_UNSIGNED_ZONE",
                f"{a} serves the zone unsigned",
                [ev(c.dnskey[a])],
                server=a,
            )


def dnssec13(c: Collected, out: Out) -> None:
    """DNSSEC13: every DNSKEY algorithm signs the DNSKEY, SOA and NS RRsets. An RRset with
    no signature at all is DNSSEC08/09's finding, not this one's (one cause, one report)."""
    seen = _Seen()
    for a in _auth_servers(c):
        keys = _keyset(c.dnskey[a], c.zone)
        if not keys:
            continue
        algs = {k.algorithm for k in keys if k.flags & ZONE_FLAG}
        for answer, covers, what in (
            (c.dnskey[a], DNSKEY, "DNSKEY"),
            (c.soa[a], SOA, "SOA"),
            (c.ns.get(a), NS, "NS"),
        ):
            if answer is None or not authoritative(answer):
                continue
            sigs = _sigs(msg(answer), c.zone, covers)
            if not sigs:
                continue
            for alg in sorted(algs - {s.algorithm for s in sigs}):
                seen.note(
                    "DNSSEC13",
                    f"DS13_ALGO_NOT_SIGNED_{what}",
                    a,
                    _Proof(answer),
                    f"DNSKEY algorithm {int(alg)} does not sign the {what} RRset",
                )
    seen.emit(out)


def dnssec14(c: Collected, out: Out) -> None:
    """DNSSEC14: key sizes fit their algorithm."""
    _no_dnskey(c, out, "DNSSEC14")
    a = _first(c)
    if a is None:
        return
    for k in _keyset(c.dnskey[a], c.zone):
        alg, tag, size = int(k.algorithm), dns.dnssec.key_id(k), len(k.key)
        args = {"keytag": str(tag), "algo_num": str(alg)}
        if alg in FIXED_KEY:
            if size < FIXED_KEY[alg]:
                out.add(
                    "DNSSEC14",
                    "DNSKEY_TOO_SMALL_FOR_ALGO",
                    f"DNSKEY {tag} is {size} bytes, too small for algorithm {alg}",
                    [ev(c.dnskey[a])],
                    args=args,
                )
            elif size > FIXED_KEY[alg]:
                out.add(
                    "DNSSEC14",
                    "DNSKEY_TOO_LARGE_FOR_ALGO",
                    f"DNSKEY {tag} is {size} bytes, too large for algorithm {alg}",
                    [ev(c.dnskey[a])],
                    args=args,
                )
        elif alg in RSA and size > 3:
            elen = k.key[0] or int.from_bytes(k.key[1:3], "big")
            skip = 1 if k.key[0] else 3
            bits = (size - skip - elen) * 8
            if bits < 512:
                out.add(
                    "DNSSEC14",
                    "DNSKEY_TOO_SMALL_FOR_ALGO",
                    f"DNSKEY {tag} has {bits} bits",
                    [ev(c.dnskey[a])],
                    args=args,
                )
            elif bits < 2048:
                out.add(
                    "DNSSEC14",
                    "DNSKEY_SMALLER_THAN_REC",
                    f"DNSKEY {tag} has {bits} bits, fewer than the recommended 2048",
                    [ev(c.dnskey[a])],
                    args=args,
                )
            elif bits > 4096:
                out.add(
                    "DNSSEC14",
                    "DNSKEY_TOO_LARGE_FOR_ALGO",
                    f"DNSKEY {tag} has {bits} bits",
                    [ev(c.dnskey[a])],
                    args=args,
                )


def _cset(c: Collected, what: str, a: str) -> tuple[Answer | None, Any]:
    answer = c.more.get((what, a))
    if answer is None or not authoritative(answer):
        return answer, None
    return answer, rrset(answer, c.zone, CDS if what == "cds" else CDNSKEY)


def dnssec15(c: Collected, out: Out) -> None:
    """DNSSEC15: CDS and CDNSKEY are the same at every server and match each other."""
    for what, tag in (("cds", "CDS"), ("cdnskey", "CDNSKEY")):
        sets: dict[frozenset[str], list[str]] = defaultdict(list)
        for a in _auth_servers(c):
            answer, found = _cset(c, what, a)
            if answer is not None and authoritative(answer):
                sets[frozenset(rd.to_text() for rd in found) if found else frozenset()].append(a)
        if len(sets) > 1:
            out.add(
                "DNSSEC15", f"DS15_INCONSISTENT_{tag}", f"the {tag} RRsets differ between servers"
            )
    for a in _auth_servers(c)[:1]:
        _, cds = _cset(c, "cds", a)
        answer, cdnskey = _cset(c, "cdnskey", a)
        if cds and not cdnskey:
            out.add("DNSSEC15", "DS15_HAS_CDS_NO_CDNSKEY", "CDS is published without CDNSKEY")
        elif cdnskey and not cds:
            out.add("DNSSEC15", "DS15_HAS_CDNSKEY_NO_CDS", "CDNSKEY is published without CDS")
        elif cds and cdnskey:
            tags_cds = {(d.key_tag, d.algorithm) for d in cds}
            tags_key = {(dns.dnssec.key_id(k), k.algorithm) for k in cdnskey}
            if tags_cds != tags_key:
                out.add(
                    "DNSSEC15",
                    "DS15_MISMATCH_CDS_CDNSKEY",
                    "CDS and CDNSKEY point at different keys",
                )


def _child_keys(c: Collected, out: Out, what: str) -> None:
    """DNSSEC16 (CDS) and DNSSEC17 (CDNSKEY), and DNSSEC18 for both."""
    code, p = ("DNSSEC16", "DS16") if what == "cds" else ("DNSSEC17", "DS17")
    kind = "CDS" if what == "cds" else "CDNSKEY"
    a = _first(c)
    if a is None:
        return
    answer, found = _cset(c, what, a)
    if not found or answer is None:
        return
    keys = _keyset(c.dnskey[a], c.zone)

    def proof() -> list[Evidence]:
        return [ev(answer)]

    deletes = [rd for rd in found if rd.algorithm == 0]
    if deletes:
        if len(deletes) != len(found):
            out.add(
                code, f"{p}_MIXED_DELETE_{kind}", f"a delete {kind} is mixed with others", proof()
            )
        return
    if what == "cds":
        pointed = []
        for d in found:
            match = [
                k for k in keys if dns.dnssec.key_id(k) == d.key_tag and k.algorithm == d.algorithm
            ]
            if not match:
                out.add(
                    code,
                    f"{p}_CDS_MATCHES_NO_DNSKEY",
                    f"CDS {d.key_tag} matches no DNSKEY",
                    proof(),
                )
            pointed += match
    else:

        def same(k: Any) -> tuple[int, int, int, bytes]:
            return (k.flags, k.protocol, int(k.algorithm), bytes(k.key))

        known = {same(k) for k in keys}
        pointed = [k for k in keys if same(k) in {same(x) for x in found}]
        for k in found:
            if same(k) not in known:
                out.add(
                    code,
                    f"{p}_CDNSKEY_MATCHES_NO_DNSKEY",
                    f"CDNSKEY {dns.dnssec.key_id(k)} matches no DNSKEY",
                    proof(),
                )
    for k in pointed:
        if not k.flags & ZONE_FLAG:
            out.add(
                code,
                f"{p}_{kind}_MATCHES_NON_ZONE_DNSKEY"
                if what == "cds"
                else f"{p}_CDNSKEY_IS_NON_ZONE",
                f"{kind} points at a non-zone key",
                proof(),
            )
        elif not k.flags & SEP_FLAG:
            out.add(
                code,
                f"{p}_CDS_MATCHES_NON_SEP_DNSKEY" if what == "cds" else f"{p}_CDNSKEY_IS_NON_SEP",
                f"{kind} points at a key without SEP",
                proof(),
            )
    sigs = _sigs(msg(answer), c.zone, CDS if what == "cds" else CDNSKEY)
    if not sigs:
        out.add(code, f"{p}_{kind}_UNSIGNED", f"the {kind} RRset is not signed", proof())
        return
    results = [verdict(found, s, keys, c.zone, c.now) for s in sigs]
    if "nokey" in results:
        out.add(
            code,
            f"{p}_{kind}_SIGNED_BY_UNKNOWN_DNSKEY",
            f"the {kind} RRset is signed by a key not in the DNSKEY RRset",
            proof(),
        )
    if "ok" not in results:
        out.add(
            code, f"{p}_{kind}_INVALID_RRSIG", f"no RRSIG of the {kind} RRset verifies", proof()
        )
    pointed_tags = {dns.dnssec.key_id(k) for k in pointed}
    if pointed_tags and not pointed_tags & {s.key_tag for s in sigs}:
        out.add(
            code,
            f"{p}_{kind}_NOT_SIGNED_BY_{kind}",
            f"the {kind} RRset is not signed by a key it points at",
            proof(),
        )
    key_sigs = {s.key_tag for s in _sigs(msg(c.dnskey[a]), c.zone, DNSKEY)}
    if pointed_tags and not pointed_tags & key_sigs:
        out.add(
            code,
            f"{p}_DNSKEY_NOT_SIGNED_BY_{kind}",
            f"the DNSKEY RRset is not signed by a key the {kind} points at",
            proof(),
        )
    ds = c.delegation.ds
    if ds and not {d.key_tag for d in ds} & {s.key_tag for s in sigs}:
        out.add(
            "DNSSEC18",
            f"DS18_NO_MATCH_{kind}_RRSIG_DS",
            f"the {kind} RRset is not signed by a key the parent's DS points at",
            proof(),
        )


def dnssec16(c: Collected, out: Out) -> None:
    """DNSSEC16: CDS records are valid."""
    _child_keys(c, out, "cds")


def dnssec17(c: Collected, out: Out) -> None:
    """DNSSEC17 (and DNSSEC18): CDNSKEY records are valid."""
    _child_keys(c, out, "cdnskey")


def chain(c: Collected) -> list[dict[str, Any]]:
    """Nodes and edges of the zone's chain of trust, each with a status (ok, bad, none)
    and a note: DS (parent) -> DNSKEY -> RRSIG -> RRset (DNSKEY, SOA, NS)."""
    a = _first(c)
    items: list[dict[str, Any]] = []
    zone = c.zone.to_text()
    parent = c.delegation.parent or ("(trust anchor)" if c.zone == dns.name.root else "")
    items.append(
        {
            "kind": "node",
            "id": "parent",
            "type": "zone",
            "label": parent or "parent",
            "status": "ok",
        }
    )
    keys = _keyset(c.dnskey[a], c.zone) if a else None
    ds: Any = c.delegation.ds or []
    key_ids: dict[tuple[int, int], tuple[str, Any]] = {}
    if keys:
        for k in keys:
            kid = f"key-{dns.dnssec.key_id(k)}-{int(k.algorithm)}"
            key_ids[(dns.dnssec.key_id(k), int(k.algorithm))] = (kid, k)
            role = "KSK" if k.flags & SEP_FLAG else "ZSK"
            items.append(
                {
                    "kind": "node",
                    "id": kid,
                    "type": "DNSKEY",
                    "label": f"DNSKEY {dns.dnssec.key_id(k)} {role} alg {int(k.algorithm)}",
                    "status": "ok",
                }
            )
    for d in ds:
        did = f"ds-{d.key_tag}-{d.digest_type}"
        found = key_ids.get((d.key_tag, int(d.algorithm)))
        ok = False
        if found:
            try:
                ok = dns.dnssec.make_ds(c.zone, found[1], d.digest_type, policy=ANY) == d
            except (dns.dnssec.UnsupportedAlgorithm, ValueError, dns.exception.DNSException):
                ok = False
        items.append(
            {
                "kind": "node",
                "id": did,
                "type": "DS",
                "label": f"DS {d.key_tag} alg {int(d.algorithm)} digest {d.digest_type}",
                "status": "ok" if ok else "bad",
                "note": ""
                if ok
                else (
                    "no DNSKEY with this tag" if not found else "digest does not match the DNSKEY"
                ),
            }
        )
        items.append({"kind": "edge", "from": "parent", "to": did, "status": "ok"})
        if found:
            items.append(
                {
                    "kind": "edge",
                    "from": did,
                    "to": found[0],
                    "status": "ok" if ok else "bad",
                    "note": "" if ok else "digest mismatch",
                }
            )
    if a is None or not keys:
        if ds:
            items.append(
                {
                    "kind": "node",
                    "id": "nokeys",
                    "type": "DNSKEY",
                    "label": "no DNSKEY in the zone",
                    "status": "bad",
                    "note": "the parent has DS records but the zone publishes no DNSKEY",
                }
            )
            for d in ds:
                items.append(
                    {
                        "kind": "edge",
                        "from": f"ds-{d.key_tag}-{d.digest_type}",
                        "to": "nokeys",
                        "status": "bad",
                    }
                )
        return items
    for answer, covers, what in (
        (c.dnskey[a], DNSKEY, "DNSKEY"),
        (c.soa[a], SOA, "SOA"),
        (c.ns.get(a), NS, "NS"),
    ):
        target = rrset(answer, c.zone, covers)
        if target is None or answer is None:
            continue
        rid = f"rr-{what}"
        sigs = _sigs(msg(answer), c.zone, covers)
        results = [(s, verdict(target, s, keys, c.zone, c.now)) for s in sigs]
        good = any(r == "ok" for _, r in results)
        items.append(
            {
                "kind": "node",
                "id": rid,
                "type": "RRset",
                "label": f"{zone} {what}",
                "status": "ok" if good else "bad",
                "note": ""
                if good
                else ("no RRSIG" if not sigs else ", ".join(sorted({r for _, r in results}))),
            }
        )
        for s, r in results:
            sid = f"sig-{what}-{s.key_tag}"
            items.append(
                {
                    "kind": "node",
                    "id": sid,
                    "type": "RRSIG",
                    "label": f"RRSIG {what} by {s.key_tag}",
                    "status": "ok" if r == "ok" else "bad",
                    "note": "" if r == "ok" else r,
                }
            )
            found = key_ids.get((s.key_tag, int(s.algorithm)))
            if found:
                items.append(
                    {
                        "kind": "edge",
                        "from": found[0],
                        "to": sid,
                        "status": "ok" if r == "ok" else "bad",
                    }
                )
            items.append(
                {
                    "kind": "edge",
                    "from": sid,
                    "to": rid,
                    "status": "ok" if r == "ok" else "bad",
                    "note": "" if r == "ok" else r,
                }
            )
    return items


CHECKS = (
    dnssec01,
    dnssec02,
    dnssec03,
    dnssec04,
    dnssec05,
    dnssec07,
    dnssec08,
    dnssec09,
    dnssec10,
    dnssec11,
    dnssec13,
    dnssec14,
    dnssec15,
    dnssec16,
    dnssec17,
)
