"""The checks a root zone copy must pass: ZONEMD (RFC 8976), the NSEC chain, the apex
signatures. dnspython's own ZONEMD code is the oracle for the digest."""

from __future__ import annotations

import datetime as dt

import dns.dnssec
import dns.rdata
import dns.rrset
import dns.zone
import pytest

from dnscc.core import zonecheck
from dnscc.core.paths import default_root_zone, shipped
from dnscc.core.rootzone import RootZone, parse_root_zone
from tests.zonefactory import replace_line, signed_root, trust_anchor


def _zone(text: str) -> RootZone:
    return parse_root_zone(text, keep_records=True)


@pytest.fixture(scope="module")
def good() -> str:
    return signed_root()


@pytest.fixture(scope="module")
def real() -> RootZone:
    return parse_root_zone(default_root_zone(), keep_records=True)


def test_the_digest_is_the_one_dnspython_computes_for_a_signed_zone(good: str) -> None:
    oracle = dns.zone.from_text(good, origin=".", relativize=False)
    expected = oracle.compute_digest(dns.zone.DigestHashAlgorithm.SHA384).digest
    assert zonecheck.zone_digest(_zone(good).records) == expected
    expected512 = oracle.compute_digest(dns.zone.DigestHashAlgorithm.SHA512).digest
    assert zonecheck.zone_digest(_zone(good).records, 2) == expected512


def test_the_digest_is_the_one_dnspython_computes_for_the_real_root_zone(real: RootZone) -> None:
    oracle = dns.zone.from_file(str(default_root_zone()), origin=".", relativize=False)
    expected = oracle.compute_digest(dns.zone.DigestHashAlgorithm.SHA384).digest
    assert zonecheck.zone_digest(real.records) == expected


def test_a_signed_zone_with_its_zonemd_verifies(good: str) -> None:
    check = zonecheck.zonemd(_zone(good).records)
    assert check.ok
    assert check.detail == "ZONEMD verified (SIMPLE, SHA384, serial 2026120301)"


def test_one_changed_glue_address_fails_the_digest_and_names_the_zonemd_line(good: str) -> None:
    bad = replace_line(
        good, r"^ns1\.nic\.charlie\. .* A ", "ns1.nic.charlie. 172800 IN A 192.0.2.99"
    )
    check = zonecheck.zonemd(_zone(bad).records)
    assert check.status == zonecheck.MISMATCH
    assert "does not match" in check.detail
    assert check.line == next(
        i
        for i, line in enumerate(bad.splitlines(), 1)
        if " ZONEMD " in line and "RRSIG" not in line
    )


def test_a_zonemd_for_another_serial_is_a_mismatch(good: str) -> None:
    bad = good.replace("ZONEMD 2026120301", "ZONEMD 2026120300")
    check = zonecheck.zonemd(_zone(bad).records)
    assert check.status == zonecheck.MISMATCH
    assert "serial 2026120300" in check.detail


def test_an_unknown_scheme_is_unsupported_not_verified(good: str) -> None:
    bad = good.replace("ZONEMD 2026120301 1 1", "ZONEMD 2026120301 9 1")
    assert zonecheck.zonemd(_zone(bad).records).status == zonecheck.UNSUPPORTED


def test_a_zone_without_zonemd_says_so(good: str) -> None:
    bare = replace_line(good, r"^\. .* IN ZONEMD ", "")
    assert zonecheck.zonemd(_zone(bare).records).status == zonecheck.NONE


def test_the_shipped_snapshot_is_unverifiable_not_verified_and_not_damaged(real: RootZone) -> None:
    check = zonecheck.zonemd(real.records)
    assert check.status == zonecheck.UNVERIFIABLE
    assert check.detail.startswith("snapshot, digest not verifiable")


def test_the_real_root_zone_has_a_complete_nsec_chain(real: RootZone) -> None:
    chain = zonecheck.nsec_chain(real.records, real.tlds)
    assert chain.complete
    assert chain.links == 1439  # the apex and 1,438 TLDs


def test_a_zone_cut_short_at_a_line_boundary_shows_a_gap_at_its_end() -> None:
    lines = default_root_zone().read_text(encoding="utf-8").splitlines()[:11047]
    cut = _zone("\n".join(lines) + "\n")
    chain = zonecheck.nsec_chain(cut.records, cut.tlds)
    assert not chain.broken
    [(line, text)] = chain.gaps
    assert line == 11043
    assert "london. names lotte., which the zone lacks: the zone ends early" in text


def test_a_tld_removed_without_mending_the_chain_is_a_gap(good: str) -> None:
    zone = _zone("\n".join(line for line in good.splitlines() if not line.startswith("charlie.")))
    chain = zonecheck.nsec_chain(zone.records, zone.tlds)
    assert not chain.broken
    assert chain.gaps[0][1] == "the NSEC record of bravo. names charlie., which the zone lacks"


def test_an_nsec_that_skips_a_name_the_zone_has_is_a_broken_chain(good: str) -> None:
    bad = good.replace("bravo. 86400 IN NSEC charlie.", "bravo. 86400 IN NSEC delta.")
    zone = _zone(bad)
    chain = zonecheck.nsec_chain(zone.records, zone.tlds)
    [(line, text)] = chain.broken
    assert "bravo. names delta., but the next name in the zone is charlie." in text
    assert bad.splitlines()[line - 1].startswith("bravo. 86400 IN NSEC")


def test_a_delegation_without_its_nsec_is_a_broken_chain(good: str) -> None:
    bad = replace_line(good, r"^delta\. .* NSEC ", "")
    bad = bad.replace("charlie. 86400 IN NSEC delta.", "charlie. 86400 IN NSEC echo.")
    zone = _zone(bad)
    chain = zonecheck.nsec_chain(zone.records, zone.tlds)
    assert [text for _line, text in chain.broken] == ["the delegation delta. has no NSEC record"]


def test_a_zone_without_nsec_records_is_not_checked() -> None:
    zone = _zone(". 86400 IN SOA a. b. 1 1 1 1 1\nx. 86400 IN NS ns.x.\n")
    assert not zonecheck.nsec_chain(zone.records, zone.tlds).present


def test_the_apex_signatures_validate_against_the_zones_trust_anchor(good: str) -> None:
    assert zonecheck.validate_apex(_zone(good).records, trust_anchor()) == []


def test_an_altered_soa_fails_its_signature(good: str) -> None:
    bad = good.replace(
        "nstld.verisign-grs.com. 2026120301 1800", "nstld.verisign-grs.com. 2026120301 1801"
    )
    problems = zonecheck.validate_apex(_zone(bad).records, trust_anchor())
    assert len(problems) == 1
    assert problems[0].startswith("the signature of the SOA set does not validate")


def test_expired_signatures_fail(good: str) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    problems = zonecheck.validate_apex(_zone(good).records, trust_anchor(), now=later)
    assert any("DNSKEY" in p for p in problems)


def test_a_zone_signed_by_another_key_does_not_match_the_anchor(good: str) -> None:
    problems = zonecheck.validate_apex(_zone(good).records, _iana_anchor())
    assert problems == [
        "no key of the zone's DNSKEY set matches the trust anchor (DNSCC_TRUST_ANCHOR, or "
        "the shipped IANA root anchors): this is not the root zone those anchors sign"
    ]


def _iana_anchor() -> dns.rrset.RRset:
    from dnscc.probe.zone import read_trust_anchor

    return read_trust_anchor(str(shipped("root-anchors.ds")))


def test_the_shipped_iana_anchors_are_the_keys_of_the_shipped_root_zone(real: RootZone) -> None:
    keys = [
        dns.rdata.from_text("IN", "DNSKEY", " ".join(r.rdata))
        for r in real.records
        if r.owner == "" and r.rtype == "DNSKEY"
    ]
    computed = {
        dns.dnssec.make_ds(".", k, "SHA256")
        for k in keys
        if k.flags & 1  # type: ignore[attr-defined]
    }
    assert set(_iana_anchor()) == computed
    assert {ds.key_tag for ds in computed} == {20326, 38696}  # type: ignore[attr-defined]
