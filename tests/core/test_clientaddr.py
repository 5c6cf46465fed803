"""The client's address behind reverse proxies: believed only from trusted proxies."""

from __future__ import annotations

import pytest

from dnscc.core.clientaddr import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8:ff::1"])


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert client_address("203.0.113.5", "198.51.100.1", []) == "203.0.113.5"


def test_a_header_from_an_untrusted_peer_is_ignored() -> None:
    assert client_address("203.0.113.5", "198.51.100.1", PROXIES) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_forwarded_client_is_taken() -> None:
    assert client_address("10.0.0.2", "198.51.100.1", PROXIES) == "198.51.100.1"


def test_a_spoofed_entry_before_the_real_client_is_not_believed() -> None:
    # The client sent "X-Forwarded-For: 192.0.2.66"; the proxy appended the real address.
    assert client_address("10.0.0.2", "192.0.2.66, 198.51.100.1", PROXIES) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_is_walked() -> None:
    assert client_address("10.0.0.2", "198.51.100.1, 10.1.1.1", PROXIES) == "198.51.100.1"
    assert client_address("2001:db8:ff::1", "2001:db8::7", PROXIES) == "2001:db8::7"


def test_garbage_in_the_header_stops_at_the_last_trusted_hop() -> None:
    assert client_address("10.0.0.2", "not-an-address", PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", "evil, 10.1.1.1", PROXIES) == "10.1.1.1"


def test_ports_and_brackets_are_read() -> None:
    assert client_address("10.0.0.2", "198.51.100.1:5555", PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.2", "[2001:db8::9]:443", PROXIES) == "2001:db8::9"


def test_a_bad_proxy_setting_names_the_item() -> None:
    with pytest.raises(ValueError, match=r"'10\.0\.0\.300'"):
        parse_networks(["10.0.0.300"])
