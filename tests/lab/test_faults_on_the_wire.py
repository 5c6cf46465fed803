"""Each fault, seen on the wire with real queries, and `clear` restoring health.

One lab for the session (the `lab` fixture); every test injects its fault in a `with`
block, so the fault is cleared even when an assertion fails.
"""

from __future__ import annotations

import time
import uuid

import dns.dnssec
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.xfr
import dns.zone
import pytest

from dnscc.core.errors import ConflictError, NotFoundError, UsageError
from dnscc.lab.pytest_plugin import LabHandle
from dnscc.lab.unbound import FIXED_PORT

from .wire import capture_udp

pytestmark = pytest.mark.lab


def referral(lab: LabHandle, tld: str) -> dns.message.Message:
    root = next(iter(lab.root_servers.values()))
    return lab.query(f"{tld}.", "NS", server=root)


def referral_ns(lab: LabHandle, tld: str) -> set[str]:
    r = referral(lab, tld)
    return {
        rd.target.to_text()
        for rrset in r.authority
        if rrset.rdtype == dns.rdatatype.NS
        for rd in rrset
    }


def glue(lab: LabHandle, tld: str) -> dict[str, str]:
    r = referral(lab, tld)
    return {
        rrset.name.to_text(): rrset[0].address
        for rrset in r.additional
        if rrset.rdtype == dns.rdatatype.A
    }


def soa_serial(lab: LabHandle, tld: str, address: str) -> int:
    r = lab.query(f"{tld}.", "SOA", server=address, timeout=2)
    return int(r.answer[0][0].serial)


def rrsigs(msg: dns.message.Message) -> list[dns.rdata.Rdata]:
    return [rd for rrset in msg.answer if rrset.rdtype == dns.rdatatype.RRSIG for rd in rrset]


def assert_healthy(lab: LabHandle, tld: str) -> None:
    assert lab.healthy(tld), f"{tld} does not resolve with AD after clear"


def test_a_healthy_lab_resolves_and_validates_names(lab: LabHandle) -> None:
    for tld in lab.tlds:
        sld = lab.sld_zones(tld)[0]
        r = lab.query(f"www.{sld}")
        assert r.rcode() == dns.rcode.NOERROR
        assert r.flags & dns.flags.AD
        assert r.answer[0][0].address.startswith("127.")
    missing = lab.query(f"nothing-here-{uuid.uuid4().hex[:8]}.{lab.tlds[0]}.")
    assert missing.rcode() == dns.rcode.NXDOMAIN
    assert missing.flags & dns.flags.AD


def test_the_root_refers_each_tld_to_its_loopback_servers_with_a_ds(lab: LabHandle) -> None:
    for tld in lab.tlds:
        r = referral(lab, tld)
        assert not r.flags & dns.flags.AA
        assert referral_ns(lab, tld) == set(lab.tld_servers(tld))
        assert any(rrset.rdtype == dns.rdatatype.DS for rrset in r.authority)
        for name, address in glue(lab, tld).items():
            assert lab.tld_servers(tld)[name] == address


def test_the_trust_anchor_matches_the_root_key(lab: LabHandle) -> None:
    root = next(iter(lab.root_servers.values()))
    keys = lab.query(".", "DNSKEY", server=root).answer[0]
    anchor = lab.trust_anchor.read_text().split("DS", 1)[1].strip()
    ds = dns.dnssec.make_ds(dns.name.root, next(k for k in keys if k.flags & 1), "SHA256")
    assert ds.to_text().lower() == anchor.lower()


def test_unreachable_server_does_not_answer(lab: LabHandle) -> None:
    host, address = next(iter(lab.tld_servers("dk").items()))
    with lab.fault("unreachable", server=host):
        with pytest.raises(dns.exception.Timeout):
            lab.query("dk.", "SOA", server=address, timeout=0.5)
        other = list(lab.tld_servers("dk").values())[1]
        assert lab.query("dk.", "SOA", server=other).flags & dns.flags.AA
    r = lab.query("dk.", "SOA", server=address)
    assert r.flags & dns.flags.AA
    assert_healthy(lab, "dk")


def test_lame_server_answers_without_aa(lab: LabHandle) -> None:
    address = lab.tld_servers("ch")["a.nic.ch."]
    with lab.fault("lame", server="a.nic.ch"):
        r = lab.query("ch.", "SOA", server=address)
        assert not r.flags & dns.flags.AA
        assert r.rcode() == dns.rcode.REFUSED
        assert not r.answer
    r = lab.query("ch.", "SOA", server=address)
    assert r.flags & dns.flags.AA
    assert r.rcode() == dns.rcode.NOERROR
    assert_healthy(lab, "ch")


def test_serial_drift_leaves_one_server_with_an_older_serial(lab: LabHandle) -> None:
    servers = list(lab.tld_servers("se").values())
    before = soa_serial(lab, "se", servers[0])
    with lab.fault("serial-drift", tld="se", server=servers[0]):
        drifted = soa_serial(lab, "se", servers[0])
        others = {soa_serial(lab, "se", a) for a in servers[1:]}
        assert drifted == before
        assert len(others) == 1
        assert others.pop() > drifted
    assert len({soa_serial(lab, "se", a) for a in servers}) == 1
    assert_healthy(lab, "se")


def test_slow_server_answers_only_after_the_delay(lab: LabHandle) -> None:
    address = lab.tld_servers("nl")["ns3.dns.nl."]
    with lab.fault("slow", server=address, delay_ms=700):
        t0 = time.monotonic()
        r = lab.query("nl.", "SOA", server=address, timeout=3)
        assert time.monotonic() - t0 >= 0.65
        assert r.flags & dns.flags.AA
    t0 = time.monotonic()
    lab.query("nl.", "SOA", server=address)
    assert time.monotonic() - t0 < 0.3


def test_lossy_server_drops_a_share_of_udp_queries(lab: LabHandle) -> None:
    address = lab.tld_servers("nl")["ns4.dns.nl."]
    answered = lost = 0
    with lab.fault("lossy", server=address, loss=50):
        for _ in range(30):
            try:
                lab.query("nl.", "SOA", server=address, timeout=0.2)
                answered += 1
            except dns.exception.Timeout:
                lost += 1
        assert lab.query("nl.", "SOA", server=address, tcp=True).flags & dns.flags.AA
    assert answered >= 3
    assert lost >= 3
    for _ in range(10):
        lab.query("nl.", "SOA", server=address, timeout=1)


def test_child_ns_set_differs_from_the_parent_delegation(lab: LabHandle) -> None:
    parent = referral_ns(lab, "se")
    server = next(iter(lab.tld_servers("se").values()))
    with lab.fault("ns-mismatch", tld="se"):
        child = {rd.target.to_text() for rd in lab.query("se.", "NS", server=server).answer[0]}
        assert child != parent
        assert "ns-extra.nic.se." in child
        assert referral_ns(lab, "se") == parent
    child = {rd.target.to_text() for rd in lab.query("se.", "NS", server=server).answer[0]}
    assert child == parent
    assert_healthy(lab, "se")


def test_missing_glue_leaves_the_referral_without_addresses(lab: LabHandle) -> None:
    assert set(glue(lab, "nl")) == set(lab.tld_servers("nl"))
    with lab.fault("missing-glue", tld="nl"):
        assert referral_ns(lab, "nl") == set(lab.tld_servers("nl"))
        assert glue(lab, "nl") == {}
        # every nl server is named inside nl: a resolver cannot find any of them
        r = lab.query("nic.nl.", server=lab.resolvers["r2"])
        assert r.rcode() == dns.rcode.SERVFAIL
    assert set(glue(lab, "nl")) == set(lab.tld_servers("nl"))
    assert_healthy(
        lab,
        "nl",
    )


def test_wrong_glue_points_to_addresses_that_do_not_answer(lab: LabHandle) -> None:
    with lab.fault("wrong-glue", tld="dk"):
        wrong = glue(lab, "dk")
        assert set(wrong) == set(lab.tld_servers("dk"))
        for name, address in wrong.items():
            assert address != lab.tld_servers("dk")[name]
        with pytest.raises(dns.exception.Timeout):
            lab.query("dk.", "SOA", server=next(iter(wrong.values())), timeout=0.3)
    assert glue(lab, "dk") == lab.tld_servers("dk")
    assert_healthy(lab, "dk")


@pytest.mark.parametrize("kind", ["expired-rrsig", "future-rrsig"])
def test_badly_timed_signatures_make_the_tld_bogus(lab: LabHandle, kind: str) -> None:
    server = next(iter(lab.tld_servers("ch").values()))
    now = time.time()
    with lab.fault(kind, tld="ch"):
        sigs = rrsigs(lab.query("ch.", "SOA", server=server))
        assert sigs
        for sig in sigs:
            if kind == "expired-rrsig":
                assert sig.expiration < now
            else:
                assert sig.inception > now
        assert lab.query("nic.ch.").rcode() == dns.rcode.SERVFAIL
        # the data is there: with checking disabled the resolver hands it out
        q = dns.message.make_query("nic.ch.", "A", want_dnssec=True)
        q.flags |= dns.flags.CD
        assert dns.query.udp(q, lab.resolver, timeout=3).rcode() == dns.rcode.NOERROR
    for sig in rrsigs(lab.query("ch.", "SOA", server=server)):
        assert sig.inception < now < sig.expiration
    assert_healthy(lab, "ch")


def test_ds_that_matches_no_dnskey_makes_the_tld_bogus(lab: LabHandle) -> None:
    server = next(iter(lab.tld_servers("dk").values()))
    with lab.fault("ds-mismatch", tld="dk"):
        ds = [
            rd
            for rrset in referral(lab, "dk").authority
            if rrset.rdtype == dns.rdatatype.DS
            for rd in rrset
        ]
        keys = lab.query("dk.", "DNSKEY", server=server).answer[0]
        computed = {dns.dnssec.make_ds("dk.", k, "SHA256") for k in keys}
        assert ds
        assert not computed & set(ds)
        assert lab.query("nic.dk.").rcode() == dns.rcode.SERVFAIL
    assert_healthy(lab, "dk")


def test_broken_algorithm_rollover_points_the_ds_at_a_key_that_signs_nothing(
    lab: LabHandle,
) -> None:
    server = next(iter(lab.tld_servers("se").values()))
    with lab.fault("broken-rollover", tld="se"):
        ds = [
            rd
            for rrset in referral(lab, "se").authority
            if rrset.rdtype == dns.rdatatype.DS
            for rd in rrset
        ]
        assert {d.algorithm for d in ds} == {15}
        r = lab.query("se.", "DNSKEY", server=server)
        keys = next(rrset for rrset in r.answer if rrset.rdtype == dns.rdatatype.DNSKEY)
        assert {k.algorithm for k in keys} == {13, 15}
        assert {s.algorithm for s in rrsigs(r)} == {13}
        assert lab.query("nic.se.").rcode() == dns.rcode.SERVFAIL
    assert_healthy(lab, "se")


def test_hijacked_delegation_sends_resolvers_to_servers_outside_the_operators_set(
    lab: LabHandle,
) -> None:
    operator = set(lab.tld_servers("nl"))
    with lab.fault("hijack", tld="nl"):
        moved = referral_ns(lab, "nl")
        assert moved
        assert not moved & operator
        assert not any(rrset.rdtype == dns.rdatatype.DS for rrset in referral(lab, "nl").authority)
        r = lab.query(f"www.{lab.sld_zones('nl')[0]}", server=lab.resolvers["r1"])
        assert r.rcode() == dns.rcode.NOERROR
        assert r.answer[0][0].address.endswith(".251.66")
        assert not r.flags & dns.flags.AD
    assert referral_ns(lab, "nl") == operator
    assert_healthy(lab, "nl")


def test_open_zone_transfer_hands_the_zone_to_anyone(lab: LabHandle) -> None:
    server = next(iter(lab.tld_servers("ch").values()))

    def axfr() -> dns.zone.Zone:
        return dns.zone.from_xfr(
            dns.query.xfr(server, "ch.", timeout=3, lifetime=10, source="127.0.0.1")
        )

    with pytest.raises(dns.xfr.TransferError, match="NOTAUTH"):
        axfr()
    with lab.fault("open-axfr", tld="ch"):
        zone = axfr()
        assert zone.get_rdataset("@", "SOA") is not None
        assert len(list(zone.nodes)) > 5
    with pytest.raises(dns.xfr.TransferError, match="NOTAUTH"):
        axfr()


def test_wildcarding_resolver_answers_nxdomain_with_an_address(lab: LabHandle) -> None:
    name = f"no-such-name-{uuid.uuid4().hex[:8]}.{lab.tlds[0]}."
    with lab.fault("nxdomain-rewrite", resolver="r1"):
        r = lab.query(name, server=lab.resolvers["r1"])
        assert r.rcode() == dns.rcode.NOERROR
        assert r.answer[0][0].address.endswith(".252.1")
        assert lab.query(name).rcode() == dns.rcode.NXDOMAIN  # the healthy one is unaffected
    assert lab.query(name, server=lab.resolvers["r1"]).rcode() == dns.rcode.NXDOMAIN


def test_fixed_port_resolver_sends_every_query_from_one_source_port(lab: LabHandle) -> None:
    def ports(resolver: str) -> set[int]:
        address = lab.resolvers[resolver]
        with capture_udp() as cap:
            for _ in range(8):
                lab.query(f"p{uuid.uuid4().hex[:10]}.{lab.tlds[1]}.", server=address)
        return cap.source_ports(address)

    assert len(ports("r2")) > 1
    with lab.fault("fixed-source-port", resolver="r2"):
        assert ports("r2") == {FIXED_PORT}
    assert len(ports("r2")) > 1


def test_a_fault_injected_twice_is_refused_and_the_lab_stays_consistent(lab: LabHandle) -> None:
    with lab.fault("open-axfr", tld="dk"):
        with pytest.raises(ConflictError) as exc:
            lab.inject("open-axfr", tld="dk")
        assert "clear" in (exc.value.hint or "")
        assert [f["id"] for f in lab.lab.status()["faults"]] == ["open-axfr:dk"]
    assert lab.lab.status()["faults"] == []
    assert lab.lab.status()["running"]


def test_unknown_targets_are_refused_with_the_fix(lab: LabHandle) -> None:
    with pytest.raises(NotFoundError, match="not in this lab"):
        lab.inject("ds-mismatch", tld="no-such-tld")
    with pytest.raises(NotFoundError, match="not in this lab"):
        lab.inject("lame", server="ns.example.invalid")
    with pytest.raises(NotFoundError, match="unknown fault"):
        lab.inject("gremlins", tld="nl")
    with pytest.raises(UsageError, match="needs --tld"):
        lab.inject("ds-mismatch")
    with pytest.raises(ConflictError, match="reference"):
        lab.inject("fixed-source-port", resolver="healthy")
    with pytest.raises(NotFoundError):
        lab.clear("ds-mismatch:nl")
    assert lab.lab.status()["faults"] == []
