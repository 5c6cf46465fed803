"""The fault catalogue, and how active faults bend the lab (pure: no processes here).

A fault is recorded in the lab state as a dict:
    {"id": "lame:a.ns.se.", "kind": "lame", "tld": "se", "server": "a.ns.se.",
     "address": "127.B.x.y", "resolver": None, "params": {...}, "data": {...}}
Everything the running lab should look like is derived from the healthy plan plus these
records (see `lab.Lab._desired`), so clearing a fault is removing its record and
reconciling, and a failed inject is undone the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dnscc.lab.zones import Mods


@dataclass(frozen=True)
class FaultKind:
    name: str
    scope: str  # server | zone | resolver
    summary: str
    how: str  # how the lab produces it
    wire: str  # what a query shows
    zonemaster: str  # what zonemaster-cli reports, or "not covered"


FAULTS: dict[str, FaultKind] = {
    f.name: f
    for f in [
        FaultKind(
            "unreachable",
            "server",
            "a name server does not answer at all",
            "its address is removed from the Knot instance (restart); nothing listens there",
            "UDP and TCP queries to the address time out",
            "CN01_NO_RESPONSE_UDP, CN02_NO_RESPONSE_TCP (slow: ~10-25 s)",
        ),
        FaultKind(
            "lame",
            "server",
            "lame delegation: the server answers but is not authoritative for the zone",
            "its address moves to a Knot instance that serves none of its zones",
            "answers REFUSED without the AA flag",
            "IS_NOT_AUTHORITATIVE, NS_FAILED",
        ),
        FaultKind(
            "serial-drift",
            "server",
            "SOA serial drift: one server serves an older copy of the zone",
            "its address moves to a Knot instance serving a copy taken before the "
            "zone's real servers were re-signed (serial bumped)",
            "SOA serial at this server is lower than at the zone's other servers",
            "MULTIPLE_SOA_SERIALS",
        ),
        FaultKind(
            "slow",
            "server",
            "a slow name server (default 1200 ms added per query)",
            "netem is unavailable here (no sch_netem), so a proxy on the server address "
            "delays each query before forwarding it to the real Knot instance",
            "answers arrive after the configured delay",
            "not covered (Zonemaster waits)",
        ),
        FaultKind(
            "lossy",
            "server",
            "a lossy name server (default 60 % of UDP queries dropped)",
            "a proxy on the server address drops that share of UDP datagrams",
            "a share of UDP queries get no answer; TCP still works",
            "not covered reliably (retries hide it)",
        ),
        FaultKind(
            "ns-mismatch",
            "zone",
            "the NS set in the child zone differs from the delegation in the parent",
            "the TLD zone drops its last NS and adds ns-extra.nic.<tld>",
            "NS at the TLD's servers differs from the referral NS set at the root",
            "EXTRA_NAME_PARENT",
        ),
        FaultKind(
            "missing-glue",
            "zone",
            "the root publishes no glue for the TLD's in-bailiwick name servers",
            "the root zone omits their A records (all of the TLD's if none is in-bailiwick)",
            "the root referral has NS records and no A records for those names",
            "NO_GLUE_PREVENTS_NAMESERVER_TESTS (CRITICAL)",
        ),
        FaultKind(
            "wrong-glue",
            "zone",
            "the root publishes wrong glue for the TLD's name servers",
            "the root zone's A records for them point to 127.B.253.N, where nothing listens",
            "glue addresses in the referral differ from the plan and do not answer",
            "not asserted (it reports no response from the glue addresses)",
        ),
        FaultKind(
            "expired-rrsig",
            "zone",
            "the TLD's signatures have expired",
            "the TLD is served pre-signed by kzonesign at now-30 days (14-day signatures); "
            "the root DS follows the new key, so only the dates are wrong",
            "RRSIG expiration is in the past; validating resolvers answer SERVFAIL",
            "RRSIG_EXPIRED, DS08_DNSKEY_RRSIG_EXPIRED, DS09_SOA_RRSIG_EXPIRED",
        ),
        FaultKind(
            "future-rrsig",
            "zone",
            "the TLD's signatures are not yet valid",
            "the TLD is served pre-signed by kzonesign at now+30 days",
            "RRSIG inception is in the future; validating resolvers answer SERVFAIL",
            "DS08_DNSKEY_RRSIG_NOT_YET_VALID, DS09_SOA_RRSIG_NOT_YET_VALID",
        ),
        FaultKind(
            "ds-mismatch",
            "zone",
            "the DS in the root matches no DNSKEY of the TLD",
            "the root publishes the TLD's DS with its digest altered",
            "no DNSKEY at the TLD hashes to the root's DS; validators answer SERVFAIL",
            "DS02_NO_MATCH_DS_DNSKEY",
        ),
        FaultKind(
            "broken-rollover",
            "zone",
            "a broken algorithm rollover: the parent DS moved to the new algorithm "
            "(ED25519) before the zone was signed with it",
            "the TLD is served pre-signed by kzonesign with its ECDSA key; an ED25519 key "
            "from a separate KASP is published (dnskey-management: incremental) but signs "
            "nothing; the root DS names only the ED25519 key",
            "DS algorithm 15; DNSKEY RRset signed only with algorithm 13; SERVFAIL",
            "DS02_DNSKEY_NOT_SIGNED_BY_ANY_DS, DS13_ALGO_NOT_SIGNED_DNSKEY",
        ),
        FaultKind(
            "hijack",
            "zone",
            "delegation hijack: the root's NS for the TLD moved to servers outside the "
            "operator's set",
            "the root delegates to ns1/ns2.takeover-dns.<tld> (127.B.251.N, a Knot "
            "instance with an unsigned zone answering every name with 127.B.251.66); "
            "the DS is removed, as an attacker would",
            "referral NS names are not the operator's; names resolve to 127.B.251.66",
            "not covered as a hijack (Zonemaster has no notion of the expected operator)",
        ),
        FaultKind(
            "open-axfr",
            "zone",
            "open zone transfer: anyone may AXFR the TLD",
            "the TLD's ACL on its Knot instance allows transfer from any address",
            "AXFR from any address returns the whole zone (healthy: REFUSED)",
            "AXFR_AVAILABLE (NOTICE)",
        ),
        FaultKind(
            "nxdomain-rewrite",
            "resolver",
            "a resolver that answers NXDOMAIN names with an address (ISP wildcarding)",
            "a proxy takes the resolver's address and rewrites NXDOMAIN for A queries "
            "into an answer 127.B.252.1; the real Unbound moves behind it",
            "A query for a nonexistent name: NOERROR with 127.B.252.1 (healthy: NXDOMAIN)",
            "not applicable (Zonemaster tests zones, not resolvers)",
        ),
        FaultKind(
            "fixed-source-port",
            "resolver",
            "a resolver sending every query from one source port (Kaminsky-weak)",
            "Unbound restarted with outgoing-port-avoid 0-65535, outgoing-port-permit 33333",
            "every query the resolver sends upstream has source port 33333",
            "not applicable",
        ),
    ]
}

SERVER_FAULTS = {k for k, f in FAULTS.items() if f.scope == "server"}
PRESIGNED = {"expired-rrsig", "future-rrsig", "broken-rollover"}


def fault_id(kind: str, target: str) -> str:
    return f"{kind}:{target}"


def slug(fid: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "_" for c in fid).strip("._")


def resources(f: dict[str, Any]) -> set[str]:
    """What a fault changes; two faults that change the same thing cannot coexist."""
    kind, tld = f["kind"], f.get("tld")
    if kind in SERVER_FAULTS:
        return {f"address:{f['address']}"}
    if kind == "ns-mismatch":
        return {f"zone:{tld}"}
    if kind in ("missing-glue", "wrong-glue"):
        return {f"glue:{h}" for h in f["data"]["hosts"]}
    if kind in PRESIGNED:
        return {f"zone:{tld}", f"ds:{tld}"}
    if kind == "ds-mismatch":
        return {f"ds:{tld}"}
    if kind == "hijack":
        return {f"ds:{tld}", f"delegation:{tld}"}
    if kind == "open-axfr":
        return {f"axfr:{tld}"}
    return {f"{kind}:{f['resolver']}"}


def mods(faults: dict[str, dict[str, Any]]) -> Mods:
    m = Mods()
    for f in faults.values():
        kind, tld, data = f["kind"], str(f.get("tld") or ""), f.get("data", {})
        if kind == "missing-glue":
            for h in data["hosts"]:
                m.glue[h] = None
        elif kind == "wrong-glue":
            m.glue.update(data["hosts"])
        elif kind == "hijack":
            m.root_ns[tld] = data["servers"]
            m.root_ds[tld] = []
        elif kind in PRESIGNED or kind == "ds-mismatch":
            m.root_ds[tld] = data["ds"]
        elif kind == "ns-mismatch":
            m.child_ns[tld] = data["servers"]
    return m


def moved_addresses(faults: dict[str, dict[str, Any]]) -> set[str]:
    """Addresses taken away from their Knot instance by server faults."""
    return {f["address"] for f in faults.values() if f["kind"] in SERVER_FAULTS}
