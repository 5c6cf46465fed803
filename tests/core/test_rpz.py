"""RPZ export: a zone that dnspython and Knot accept, with the triggers resolvers expect."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import dns.name
import dns.rdatatype
import dns.zone
import pytest

from dnscc.core.errors import InputError
from dnscc.core.rpz import write_rpz

ORIGIN = "rpz.example.org"


def _zone(names: list[str], **options: object) -> tuple[str, dns.zone.Zone]:
    out = io.StringIO()
    write_rpz(names, out, origin=ORIGIN, serial=2026010101, **options)  # type: ignore[arg-type]
    text = out.getvalue()
    return text, dns.zone.from_text(text, origin=ORIGIN + ".", relativize=False, check_origin=True)


def _cname(zone: dns.zone.Zone, owner: str) -> str:
    rdataset = zone.find_rdataset(dns.name.from_text(owner), dns.rdatatype.CNAME)
    return str(rdataset[0].target)


def test_the_zone_parses_with_dnspython_and_has_soa_and_ns() -> None:
    _text, zone = _zone(["bad.example", "Evil.Example.NET."])
    soa = zone.find_rdataset(ORIGIN + ".", dns.rdatatype.SOA)[0]
    assert soa.serial == 2026010101
    ns = zone.find_rdataset(ORIGIN + ".", dns.rdatatype.NS)
    assert [str(r.target) for r in ns] == ["localhost."]


def test_each_name_gets_its_own_trigger_and_a_wildcard_for_subdomains() -> None:
    _text, zone = _zone(["bad.example", "Bücher.de"])
    assert _cname(zone, "bad.example.rpz.example.org.") == "."
    assert _cname(zone, "*.bad.example.rpz.example.org.") == "."
    assert _cname(zone, "xn--bcher-kva.de.rpz.example.org.") == "."
    owners = sorted(str(name) for name in zone.nodes)
    assert len(owners) == 5  # apex, 2 names, 2 wildcards


def test_without_subdomains_only_the_exact_name_is_listed() -> None:
    text, zone = _zone(["bad.example"], include_subdomains=False)
    assert "*." not in text
    assert len(zone.nodes) == 2


@pytest.mark.parametrize(
    ("action", "target"),
    [
        ("nxdomain", "."),
        ("nodata", "*."),
        ("passthru", "rpz-passthru."),
        ("drop", "rpz-drop."),
        ("cname:Walled.Garden.example.", "walled.garden.example."),
    ],
)
def test_each_action_is_the_cname_target_unbound_and_bind_expect(action: str, target: str) -> None:
    _text, zone = _zone(["bad.example"], action=action)
    assert _cname(zone, "bad.example.rpz.example.org.") == target


def test_an_unknown_action_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(InputError, match="nxdomain, nodata"):
        write_rpz([], io.StringIO(), origin=ORIGIN, serial=1, action="block")


def test_a_bad_serial_or_root_origin_is_refused() -> None:
    with pytest.raises(InputError, match="serial"):
        write_rpz([], io.StringIO(), origin=ORIGIN, serial=2**32)
    with pytest.raises(InputError, match="root"):
        write_rpz([], io.StringIO(), origin=".", serial=1)


def test_an_invalid_name_is_refused_with_its_position() -> None:
    with pytest.raises(InputError, match="name number 2"):
        write_rpz(["ok.example", "bad..name"], io.StringIO(), origin=ORIGIN, serial=1)


def test_a_name_too_long_for_the_origin_is_skipped_and_counted() -> None:
    long_name = ".".join(["a" * 60] * 4)  # 243 characters: fits alone, not under the origin
    out = io.StringIO()
    summary = write_rpz([long_name, "ok.example"], out, origin=ORIGIN, serial=1)
    assert summary.names == 1
    assert summary.skipped == [long_name]
    dns.zone.from_text(out.getvalue(), origin=ORIGIN + ".", relativize=False, check_origin=True)


def test_the_comment_lines_cannot_break_out_of_the_comment() -> None:
    text, _ = _zone(["bad.example"], comment="Campaign 7\nevil.example. CNAME .\x00")
    assert text.splitlines()[:2] == ["; Campaign 7", "; evil.example. CNAME ."]


@pytest.mark.skipif(shutil.which("kzonecheck") is None, reason="Knot's kzonecheck is not installed")
def test_kzonecheck_accepts_the_zone(tmp_path: Path) -> None:
    path = tmp_path / "rpz.zone"
    with path.open("w") as out:
        write_rpz(
            ["bad.example", "b\u00fccher.de", "x.y.example"],
            out,
            origin=ORIGIN,
            serial=7,
            action="nodata",
        )
    result = subprocess.run(
        ["kzonecheck", "-o", ORIGIN, str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_many_names_give_two_records_each() -> None:
    # Speed is measured by `scripts/bench campaign_core` (a million names), not here.
    names = [f"host{i}.example{i % 997}.com" for i in range(50_000)]
    out = io.StringIO()
    summary = write_rpz(names, out, origin=ORIGIN, serial=1)
    assert summary.records == 100_000
    assert "\n*.host49999.example149.com." in out.getvalue()
