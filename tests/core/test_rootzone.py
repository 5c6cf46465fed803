"""The root zone reader: the real zone, zone file syntax, and errors that say where."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from dnscc.core.errors import InputError, NotFoundError, ValidationErrors
from dnscc.core.paths import default_root_zone
from dnscc.core.regions import Region, TldKind
from dnscc.core.root_servers import ROOT_SERVER_OPERATORS, RootServerOperator, operator_of
from dnscc.core.rootzone import DsRecord, RootZone, TldDelegation, parse_root_zone

SOA = ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026010101 1800 900 604800 86400"
DS_DIGEST = "89F7670AFC091B199B47900E4CE4135B9463B7F74D3D19A1C732E78C345D4DE6"


@cache
def _real() -> RootZone:
    return parse_root_zone(default_root_zone())


def _zone(*lines: str) -> str:
    return "\n".join([SOA, *lines]) + "\n"


def _errors(text: str) -> list[InputError]:
    with pytest.raises(ValidationErrors) as caught:
        parse_root_zone(text, source="test.zone")
    return caught.value.errors


# The real root zone (serial 2026082201, see its README).


def test_the_real_root_zone_has_its_serial_and_1438_tlds() -> None:
    zone = _real()
    assert zone.serial == 2026082201
    assert len(zone.tlds) == 1438
    assert zone.source.endswith("root.zone")


def test_the_real_root_zone_has_248_two_letter_cctlds() -> None:
    assert sum(1 for name in _real().tlds if len(name) == 2) == 248


def test_the_real_root_zone_counts_by_kind() -> None:
    assert _real().count_by_kind() == {
        TldKind.CCTLD: 248,
        TldKind.GTLD: 1128,
        TldKind.IDN_CCTLD: 61,
        TldKind.INFRASTRUCTURE: 1,
    }


def test_the_real_root_zone_parses_without_warnings() -> None:
    assert _real().warnings == ()


def test_de_is_delegated_as_in_the_file() -> None:
    de = _real().tlds["de"]
    assert de.ns == ("a.nic.de", "f.nic.de", "l.de.net", "n.de.net", "s.de.net", "z.nic.de")
    assert de.glue["a.nic.de"] == ("194.0.0.53", "2001:678:2::53")
    assert de.ds == (
        DsRecord(26755, 8, 2, "F341357809A5954311CCB82ADE114C6C1D724A75C0395137AA3978035425E78D"),
    )
    assert (de.kind, de.country, de.region) == (TldKind.CCTLD, "DE", Region.EUROPE)
    assert de.signed


def test_an_idn_cctld_has_its_country_and_unicode_name() -> None:
    rf = _real().tlds["xn--p1ai"]
    assert (rf.kind, rf.country, rf.unicode_name) == (TldKind.IDN_CCTLD, "RU", "рф")


def test_uk_arpa_and_com_are_classified() -> None:
    tlds = _real().tlds
    assert (tlds["uk"].country, tlds["uk"].region) == ("GB", Region.EUROPE)
    assert tlds["arpa"].kind is TldKind.INFRASTRUCTURE
    assert tlds["com"].kind is TldKind.GTLD
    assert tlds["com"].ns[0] == "a.gtld-servers.net"


def test_glue_only_names_hosts_that_are_name_servers_of_the_tld() -> None:
    for tld in _real().tlds.values():
        assert set(tld.glue) <= set(tld.ns)


def test_the_13_root_servers_come_with_addresses_and_operators() -> None:
    servers = _real().root_servers
    assert [s.host for s in servers] == [f"{c}.root-servers.net" for c in "abcdefghijklm"]
    assert servers[0].addresses == ("198.41.0.4", "2001:503:ba3e::2:30")
    assert all(s.operator is not None for s in servers)
    assert servers[10].operator is not None
    assert servers[10].operator.operator == "RIPE NCC"


# Root server operators.


def test_verisign_runs_a_and_j_and_twelve_organisations_run_all_13() -> None:
    assert operator_of("a.root-servers.net.").operator == operator_of("J.root-servers.net").operator
    assert len({op.operator for op in ROOT_SERVER_OPERATORS.values()}) == 12
    assert operator_of("m.root-servers.net").region is Region.ASIA_PACIFIC


def test_an_unknown_root_server_is_not_found() -> None:
    with pytest.raises(NotFoundError):
        operator_of("n.root-servers.net")


def test_a_root_server_letter_is_a_to_m() -> None:
    with pytest.raises(InputError):
        RootServerOperator("z", "Nobody", "US", Region.NORTH_AMERICA)


# Zone file syntax.


def test_origin_ttl_relative_names_and_owner_inheritance_are_understood() -> None:
    zone = parse_root_zone(
        _zone(
            "$TTL 1d",
            "$ORIGIN example.",
            "@ IN NS ns1",  # the origin itself is a TLD here
            "   NS ns2.example.",
            "ns1 3600 A 192.0.2.1",
            "ns1 IN 3600 AAAA 2001:DB8:0::1",
            "ns2 1h30m IN A 192.0.2.2",
        )
    )
    tld = zone.tlds["example"]
    assert tld.ns == ("ns1.example", "ns2.example")
    assert tld.glue == {"ns1.example": ("192.0.2.1", "2001:db8::1"), "ns2.example": ("192.0.2.2",)}


def test_a_multi_line_record_in_parentheses_is_one_record() -> None:
    zone = parse_root_zone(
        _zone(
            "test. NS ns.test.",
            "ns.test. A 192.0.2.9",
            f"test. 86400 IN DS 31852 8 2 ( {DS_DIGEST[:32]} ; first half",
            f"                   {DS_DIGEST[32:].lower()} )",
        )
    )
    assert zone.tlds["test"].ds == (DsRecord(31852, 8, 2, DS_DIGEST),)


def test_comments_blank_lines_and_unneeded_types_are_skipped() -> None:
    zone = parse_root_zone(
        _zone(
            "; a comment line",
            "",
            "test. 86400 IN NSEC uk. NS DS RRSIG NSEC ; trailing comment",
            "test. 86400 IN RRSIG NSEC 8 1 86400 20260904170000 20260822160000 1 . AbC=",
            "test. NS ns.test.",
            "ns.test. A 192.0.2.9",
            '. 0 IN TXT "a ; not a comment"',
        )
    )
    assert list(zone.tlds) == ["test"]


def test_a_duplicate_ns_record_counts_once() -> None:
    zone = parse_root_zone(_zone("t. NS ns.t.", "t. NS NS.T.", "ns.t. A 192.0.2.1"))
    assert zone.tlds["t"].ns == ("ns.t",)


def test_an_in_bailiwick_name_server_without_glue_is_a_warning() -> None:
    zone = parse_root_zone(_zone("t. NS ns.t.", "t. NS ns.example.net."))
    assert zone.tlds["t"].glue == {}
    assert zone.warnings == ("t: in-bailiwick name server ns.t has no glue",)


def test_an_idn_tld_in_no_table_is_a_warning() -> None:
    zone = parse_root_zone(_zone("xn--bcher-kva. NS ns.example.net."))
    assert zone.tlds["xn--bcher-kva"].kind is TldKind.GTLD
    assert "not in the ccTLD or IDN tables" in zone.warnings[0]


def test_a_path_is_read_and_named_in_the_result(tmp_path: Path) -> None:
    path = tmp_path / "mini.zone"
    path.write_text(_zone("t. NS ns.example.net."), encoding="utf-8")
    assert parse_root_zone(path).source == str(path)
    assert parse_root_zone(str(path), source="custom").source == "custom"


def test_value_types_validate_themselves() -> None:
    with pytest.raises(InputError):
        TldDelegation("a.b", ("ns.example",), {}, (), TldKind.GTLD)
    with pytest.raises(InputError):
        TldDelegation("t", (), {}, (), TldKind.GTLD)
    with pytest.raises(InputError):
        RootZone(2**32, "x", {}, ())


# Errors say file, line and field.


def test_a_garbage_line_is_an_error_in_the_type_field() -> None:
    (error,) = _errors(_zone("hello world"))
    assert (error.location.file, error.location.line, error.location.field) == (
        "test.zone",
        2,
        "type",
    )
    assert "'world' is not a record type" in error.problem
    assert error.hint


@pytest.mark.parametrize(
    ("line", "field", "problem"),
    [
        ("t. 99999999999 IN NS ns.t.", "ttl", "larger than"),
        ("t. 12x IN NS ns.t.", "ttl", "is not a TTL"),
        ("t. 86400 CH NS ns.t.", "class", "class CH"),
        ("t..x. NS ns.t.", "owner", "is empty"),
        ("t. NS", "rdata", "NS takes one host name"),
        ("t. NS a..b.", "rdata", "is empty"),
        ("ns.t. A 192.0.2.300", "rdata", "is not an A address"),
        ("ns.t. AAAA 192.0.2.1", "rdata", "is not an AAAA address"),
        ("t. DS 1 8 2 ABCD", "rdata", "has 64 hex digits, got 4"),
        ("t. DS 70000 8 2 " + DS_DIGEST, "rdata", "key tag '70000'"),
        ("t. DS 1 8 2 " + "Z" * 64, "rdata", "not hexadecimal"),
        ("t. 86400 IN", "type", "has no type"),
        ("t. NSEC", "rdata", "has no data"),
        ("$INCLUDE other.zone", "type", "not supported"),
        ("$ORIGIN relative", "owner", "must be absolute"),
        ("t. DS 1 8 2 ( " + DS_DIGEST, "rdata", "unbalanced parentheses"),
        ("t. SOA a. b. 1 2 3 4 5", "owner", "does not belong"),
    ],
)
def test_a_bad_record_is_reported_with_its_line_and_field(
    line: str, field: str, problem: str
) -> None:
    (error,) = _errors(_zone(line))
    assert error.location.line == 2
    assert error.location.field == field
    assert problem in error.problem


def test_a_record_before_any_owner_cannot_inherit_one() -> None:
    (error,) = _errors("   NS ns.t.\n" + SOA + "\n")
    assert (error.location.line, error.location.field) == (1, "owner")


def test_every_bad_line_is_reported_not_only_the_first() -> None:
    errors = _errors(_zone("t. NS ns.t.", "bad line here", "ns.t. A 1.2.3", "also bad"))
    assert [e.location.line for e in errors] == [3, 4, 5]


def test_a_zone_without_an_soa_for_the_root_is_not_a_root_zone() -> None:
    (error,) = _errors("t. NS ns.example.net.\n")
    assert "not a root zone" in error.problem
    assert error.location.file == "test.zone"


def test_a_bad_soa_is_reported_once_without_the_not_a_root_zone_error() -> None:
    (error,) = _errors(". SOA a. b. serial 1 2 3 4\n")
    assert "SOA serial" in error.problem


def test_a_second_soa_is_an_error() -> None:
    (error,) = _errors(_zone(SOA))
    assert "second SOA" in error.problem


def test_errors_in_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.zone"
    path.write_text(_zone("oops"), encoding="utf-8")
    with pytest.raises(ValidationErrors) as caught:
        parse_root_zone(path)
    assert caught.value.errors[0].location.file == str(path)
    assert str(path) in str(caught.value)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "binary.zone"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValidationErrors, match="not UTF-8"):
        parse_root_zone(path)


def test_a_missing_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "missing.zone"
    with pytest.raises(ValidationErrors, match="cannot read the zone file") as caught:
        parse_root_zone(path)
    assert caught.value.errors[0].location.file == str(path)
