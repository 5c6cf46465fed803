"""The egress rule: which destinations the center may send packets to (DNSCC_PROBE_NETWORKS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnscc.core import egress
from dnscc.core.errors import ConfigError


@pytest.mark.parametrize(
    "address",
    ["192.5.6.30", "2001:503:a83e::2:30", "9.9.9.9", "::ffff:192.5.6.30"],
)
def test_public_allows_internet_unicast_addresses(address: str) -> None:
    assert egress.parse("public").allows(address)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.5",
        "100.64.0.1",  # shared address space (RFC 6598)
        "169.254.1.1",
        "fe80::1",
        "192.0.2.1",  # documentation
        "2001:db8::1",
        "224.0.0.251",  # multicast
        "0.0.0.0",  # noqa: S104 - the unspecified address is what is refused here
        "::ffff:127.0.0.1",
    ],
)
def test_public_refuses_private_loopback_and_special_addresses(address: str) -> None:
    assert not egress.parse("public").allows(address)


def test_loopback_allows_only_the_machine_itself() -> None:
    policy = egress.parse("loopback")
    assert policy.allows("127.0.0.1")
    assert policy.allows("127.53.9.1")
    assert policy.allows("::1")
    assert policy.allows("::ffff:127.0.0.1")
    assert not policy.allows("192.5.6.30")
    assert not policy.allows("10.0.0.1")


def test_networks_and_words_combine() -> None:
    policy = egress.parse("loopback, 10.53.0.0/16, 2001:db8:53::/48")
    assert policy.allows("10.53.200.1")
    assert not policy.allows("10.54.0.1")
    assert policy.allows("2001:db8:53::1")
    assert policy.allows("127.0.0.1")
    assert not policy.allows("8.8.8.8")


@pytest.mark.parametrize(("text", "named"), [("public,lan", "'lan'"), ("10.0.0.0/33", "10.0.0")])
def test_a_bad_item_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named) as caught:
        egress.parse(text)
    assert egress.SETTING in str(caught.value)
    assert caught.value.exit_code == 78


def test_an_empty_setting_allows_nothing_and_is_refused() -> None:
    with pytest.raises(ConfigError, match="allows nothing"):
        egress.parse(" , ")


def test_a_refusal_names_the_destination_what_was_to_be_sent_and_the_rule() -> None:
    policy = egress.parse("loopback", origin="development mode default")
    why = policy.refusal("192.5.6.30", egress.PROBE)
    assert why is not None
    assert "DNS query to 192.5.6.30 refused" in why
    assert "DNSCC_PROBE_NETWORKS=loopback (development mode default)" in why
    assert policy.refusal("127.0.0.1", egress.PROBE) is None
    with pytest.raises(egress.EgressRefused) as caught:
        policy.check("192.5.6.30", egress.WEBHOOK)
    assert caught.value.exit_code == 77
    assert "webhook to 192.5.6.30" in caught.value.message


def test_something_that_is_not_an_address_is_refused_not_sent() -> None:
    policy = egress.parse("public")
    assert "not an IP address" in (policy.refusal("a.gtld-servers.net") or "")
    assert policy.split(["nonsense", "9.9.9.9"]) == (["9.9.9.9"], ["nonsense"])


def test_split_keeps_the_order_of_each_side() -> None:
    allowed, refused = egress.parse("loopback").split(
        ["192.5.6.30", "127.0.0.2", "::1", "10.0.0.1", "127.0.0.1"]
    )
    assert allowed == ["127.0.0.2", "::1", "127.0.0.1"]
    assert refused == ["192.5.6.30", "10.0.0.1"]


def test_the_configured_mail_relay_may_be_reached_wherever_it_is() -> None:
    policy = egress.parse("public", relays=["smtp.internal.example."])
    assert policy.refusal("10.0.0.25", egress.MAIL, host="SMTP.internal.example") is None
    # Another host at that address is not the relay, and nothing else is exempt.
    assert policy.refusal("10.0.0.25", egress.MAIL, host="other.example") is not None
    assert policy.refusal("10.0.0.25", egress.WEBHOOK, host="smtp.internal.example") is not None


def test_development_mode_defaults_to_loopback_and_production_to_public(tmp_path: Path) -> None:
    dev = egress.from_environment({"DNSCC_DEV": "1", "DNSCC_DATA_DIR": str(tmp_path)})
    assert dev.setting == "loopback"
    assert "development" in dev.describe()
    prod = egress.from_environment({"DNSCC_DATA_DIR": str(tmp_path)})
    assert prod.setting == "public"
    assert prod.allows("192.5.6.30")
    assert not prod.allows("127.0.0.1")


def test_a_data_directory_holding_the_demo_defaults_to_loopback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNSCC_DATA_DIR", str(tmp_path))
    (tmp_path / egress.DEMO_MARKER).write_text("secret\n")
    policy = egress.from_environment({"DNSCC_DATA_DIR": str(tmp_path)})
    assert policy.setting == "loopback"
    assert "demo" in policy.describe()


def test_the_setting_overrides_every_default(tmp_path: Path) -> None:
    policy = egress.from_environment(
        {"DNSCC_DEV": "1", "DNSCC_PROBE_NETWORKS": "public", "DNSCC_DATA_DIR": str(tmp_path)}
    )
    assert policy.allows("192.5.6.30")
    assert policy.describe() == "DNSCC_PROBE_NETWORKS=public"


def test_the_test_suite_itself_runs_under_loopback_only() -> None:
    # tests/settings.py sets development mode: nothing in the suite may leave the machine.
    assert egress.current().setting == "loopback"


def test_using_swaps_the_rule_and_puts_it_back() -> None:
    before = egress.current()
    with egress.using(egress.parse("10.0.0.0/8")) as policy:
        assert egress.current() is policy
    assert egress.current() == before
