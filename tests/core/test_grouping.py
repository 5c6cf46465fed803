"""Operator groups inferred from shared name servers, on small zones and the real one."""

from __future__ import annotations

from functools import cache

import pytest

from dnscc.core.errors import InputError
from dnscc.core.grouping import (
    OperatorGroup,
    carry_over_keys,
    group_operators,
    registrable_domain,
)
from dnscc.core.paths import default_root_zone
from dnscc.core.regions import Region
from dnscc.core.rootzone import RootZone, parse_root_zone

SOA = ". 86400 IN SOA a.root-servers.net. nstld.verisign-grs.com. 2026010101 1800 900 604800 86400"


@cache
def _real_groups() -> tuple[OperatorGroup, ...]:
    return group_operators(parse_root_zone(default_root_zone()))


def _group_of(tld: str, groups: tuple[OperatorGroup, ...]) -> OperatorGroup:
    return next(g for g in groups if tld in g.tlds)


def _zone(lines: list[str]) -> RootZone:
    return parse_root_zone("\n".join([SOA, *lines]) + "\n", source="test.zone")


def _delegation(tld: str, hosts: dict[str, str]) -> list[str]:
    lines = [f"{tld}. NS {host}." for host in hosts]
    lines += [f"{host}. A {address}" for host, address in hosts.items()]
    return lines


def _platform_zone() -> list[str]:
    """Three TLDs on one platform: own host names, own addresses, shared /24s."""
    lines = []
    for number, tld in enumerate(["alpha", "bravo", "charlie"], start=1):
        lines += _delegation(
            tld,
            {
                f"a.nic.{tld}": f"198.51.100.{number}",
                f"b.nic.{tld}": f"203.0.113.{number}",
                f"c.nic.{tld}": f"192.0.2.{number}",
            },
        )
    return lines


def _shared_service_zone() -> list[str]:
    """Three ccTLDs of three countries that share one anycast secondary and nothing else."""
    lines = []
    for number, tld in enumerate(["tk", "tl", "tm"], start=1):
        lines += [f"{tld}. NS ns{n}.nic.{tld}." for n in (1, 2)]
        lines += [f"ns{n}.nic.{tld}. A 10.{number}.{n}.1" for n in (1, 2)]
        lines.append(f"{tld}. NS {tld}.anycast.pch.example.")
        lines.append(f"{tld}.anycast.pch.example. A 100.64.0.{number}")
    return lines


def test_tlds_on_one_platform_with_own_addresses_in_shared_prefixes_are_one_group() -> None:
    (group,) = group_operators(_zone(_platform_zone()))
    assert group.tlds == ("alpha", "bravo", "charlie")
    assert group.key == "g-alpha"
    assert group.name == "Operator of .alpha, .bravo, .charlie (inferred)"
    assert len(group.shared_servers) == 3


def test_exact_address_mode_keeps_such_tlds_apart() -> None:
    groups = group_operators(_zone(_platform_zone()), prefix_v4=32, prefix_v6=128)
    assert [g.tlds for g in groups] == [("alpha",), ("bravo",), ("charlie",)]


def test_cctlds_sharing_only_an_anycast_secondary_stay_apart() -> None:
    groups = group_operators(_zone(_shared_service_zone()))
    assert sorted(g.tlds for g in groups) == [("tk",), ("tl",), ("tm",)]


def test_a_single_tld_is_named_as_its_own_registry_with_its_country() -> None:
    (group,) = group_operators(_zone(_delegation("de", {"a.nic.de": "194.0.0.53"})))
    assert group.name == "Registry of .de (inferred)"
    assert (group.country, group.region) == ("DE", Region.EUROPE)
    assert group.evidence == "no other TLD shares enough of its name servers"


def test_an_idn_tld_is_named_with_its_unicode_form() -> None:
    (group,) = group_operators(_zone(_delegation("xn--p1ai", {"a.dns.ripn.net": "193.0.0.1"})))
    assert group.name == "Registry of .рф (xn--p1ai) (inferred)"


def test_identical_name_server_sets_make_one_group_named_after_their_domain() -> None:
    hosts = {"ns1.example.net": "192.0.2.1", "ns2.example.net": "198.51.100.1"}
    lines = _delegation("beta", hosts) + [f"gamma. NS {h}." for h in hosts]
    (group,) = group_operators(_zone(lines))
    assert group.tlds == ("beta", "gamma")
    assert group.name == "Operator of example.net name servers (2 TLDs, inferred)"


def test_sharing_less_than_half_of_the_larger_set_is_no_link() -> None:
    shared = {"s1.example.net": "192.0.2.1", "s2.example.net": "198.51.100.1"}
    p_only = {"s3.example.net": "203.0.113.1", "s4.example.net": "100.64.1.1"}
    y_only = {
        "u1.example.org": "100.64.2.1",
        "u2.example.org": "100.64.3.1",
        "u3.example.org": "100.64.4.1",
    }
    lines = _delegation("ptld", shared | p_only) + _delegation("ytld", y_only)
    lines += [f"ytld. NS {h}." for h in shared]
    groups = group_operators(_zone(lines))
    assert sorted(g.tlds for g in groups) == [("ptld",), ("ytld",)]


def test_a_group_key_must_be_derived_from_its_smallest_tld() -> None:
    with pytest.raises(InputError):
        OperatorGroup("g-zz", "x", ("aa", "zz"), (), (), "")
    with pytest.raises(InputError):
        OperatorGroup("g-", "x", (), (), (), "")


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("a.nic.de", "nic.de"),
        ("ns1.dns.nic.aaa", "nic.aaa"),
        ("dnsa.emdns.uk", "emdns.uk"),
        ("nsa.nominet.co.uk", "nominet.co.uk"),
        ("ns.dns.ne.jp", "dns.ne.jp"),
        ("cuhk.edu.hk", "cuhk.edu.hk"),
    ],
)
def test_registrable_domain_keeps_generic_second_levels(host: str, domain: str) -> None:
    assert registrable_domain(host) == domain


def test_carry_over_keys_follows_the_largest_overlap_one_to_one() -> None:
    groups = group_operators(_zone(_platform_zone() + _shared_service_zone()))
    previous = {"g-old": ["bravo", "charlie", "delta"], "g-tk": ["tk"], "g-gone": ["omega"]}
    assert carry_over_keys(previous, groups) == {"g-alpha": "g-old", "g-tk": "g-tk"}


# The real root zone.


def test_every_real_tld_is_in_exactly_one_group() -> None:
    groups = _real_groups()
    members = [tld for g in groups for tld in g.tlds]
    assert len(members) == len(set(members)) == 1438
    assert len({g.key for g in groups}) == len(groups)


def test_grouping_the_real_zone_is_deterministic() -> None:
    zone = parse_root_zone(default_root_zone())
    assert group_operators(zone) == group_operators(zone)


@pytest.mark.parametrize(
    "family",
    [
        ("com", "net"),
        ("google", "app", "dev"),
        ("amazon", "audible", "aws"),
        ("bike", "academy"),
        ("fr", "re", "pm", "paris"),
        ("ru", "su", "xn--p1ai"),
        ("eu", "xn--e1a4c", "xn--qxa6a"),
        ("be", "brussels", "vlaanderen"),
        ("se", "nu"),
        ("ch", "li"),
    ],
)
def test_known_portfolios_of_the_real_zone_are_grouped(family: tuple[str, ...]) -> None:
    groups = _real_groups()
    assert len({_group_of(tld, groups).key for tld in family}) == 1


def test_cctlds_that_share_only_secondary_services_are_kept_apart() -> None:
    groups = _real_groups()
    # LACTLD's anycast, CZ.NIC's, PCH and NIC Chile serve these; each has its own registry.
    apart = ["gt", "ec", "hn", "ms", "sv", "pa", "bo", "py", "bf", "sn", "ss", "td", "zm", "de"]
    assert len({_group_of(tld, groups).key for tld in apart}) == len(apart)


def test_a_national_registry_group_gets_its_country() -> None:
    ru = _group_of("ru", _real_groups())
    assert (ru.country, ru.region) == ("RU", Region.EUROPE)
