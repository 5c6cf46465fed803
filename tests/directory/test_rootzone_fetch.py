"""`dnscc import rootzone --url/--axfr`: the real root zone fetched when the user asks, held to
a verified ZONEMD and signatures that validate against the trust anchor. Over HTTPS from a
loopback server (trustme authority), by AXFR from the lab's root (Knot generates its ZONEMD);
plain HTTP, a redirect to it, a destination outside the egress rule and a transfer cut short
are refused, and the directory is unchanged."""

from __future__ import annotations

import contextlib
import io
import json
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dnscc import cli
from dnscc.directory.models import RootZoneLoad, Tld
from dnscc.directory.rootzone_fetch import fetch_axfr
from dnscc.directory.rootzone_import import import_root_zone
from dnscc.probe.zone import read_trust_anchor
from tests.https_server import HttpsServer
from tests.zonefactory import TLDS, signed_root, trust_anchor_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def fetching(https_server: HttpsServer, tmp_path: Path, settings: Any, monkeypatch: Any) -> None:
    """The loopback server's authority trusted; the zone factory's key as trust anchor."""
    settings.ROOTZONE_CA_FILE = https_server.ca_file(tmp_path)
    anchor = tmp_path / "anchor.ds"
    anchor.write_text(trust_anchor_text(), encoding="ascii")
    monkeypatch.setenv("DNSCC_TRUST_ANCHOR", str(anchor))


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["import", "rootzone", *argv])
    return code, out.getvalue(), err.getvalue()


def test_a_zone_fetched_over_https_imports_with_its_digest_and_signatures_checked(
    https_server: HttpsServer, fetching: None
) -> None:
    https_server.serve("/root.zone", signed_root().encode())
    code, out, err = run("--url", f"{https_server.url}/root.zone", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["checks"]["ZONEMD"].startswith("ZONEMD verified (SIMPLE, SHA384")
    assert report["checks"]["DNSSEC"].startswith("the DNSKEY, SOA and ZONEMD sets validate")
    assert sorted(report["created"]) == sorted(TLDS)
    load = RootZoneLoad.objects.get()
    assert (load.source, load.digest, load.chain) == (
        f"{https_server.url}/root.zone",
        "verified",
        "complete",
    )


def test_plain_http_and_a_redirect_to_it_are_refused(
    https_server: HttpsServer, fetching: None
) -> None:
    code, _out, err = run("--url", "http://127.0.0.1/root.zone")
    assert code == 65
    assert "only https:// URLs are fetched" in err
    https_server.serve("/moved", b"", 302, Location="http://127.0.0.1:9/root.zone")
    code, _out, err = run("--url", f"{https_server.url}/moved")
    assert code == 65
    assert "only HTTPS is followed" in err
    assert not Tld.objects.exists()


def test_a_copy_signed_by_another_key_is_refused(
    https_server: HttpsServer, tmp_path: Path, settings: Any
) -> None:
    settings.ROOTZONE_CA_FILE = https_server.ca_file(tmp_path)
    https_server.serve("/other.zone", signed_root().encode())
    # Without DNSCC_TRUST_ANCHOR: the shipped IANA anchors, which did not sign this zone.
    code, _out, err = run("--url", f"{https_server.url}/other.zone")
    assert code == 65
    assert "field 'DNSSEC'" in err
    assert "matches the trust anchor" in err
    assert not Tld.objects.exists()


def test_a_destination_outside_the_egress_rule_is_refused_before_any_packet() -> None:
    # Tests allow loopback only: 192.0.2.1 is never contacted (no timeout, no packet).
    code, _out, err = run("--url", "https://192.0.2.1/root.zone")
    assert code == 77
    assert "192.0.2.1" in err
    code, _out, err = run("--axfr", "192.0.2.1")
    assert code == 77
    assert not Tld.objects.exists()


def test_a_file_and_a_fetch_cannot_both_be_given() -> None:
    code, _out, err = run("some.zone", "--axfr", "127.0.0.1")
    assert code == 2
    assert "one of FILE, --url, --axfr" in err


@pytest.fixture
def cut_short_server() -> Iterator[str]:
    """A TCP server that answers an AXFR with the first half of the zone, then hangs up."""
    zone = signed_root()
    import dns.zone

    records = list(dns.zone.from_text(zone, origin=".", relativize=False).iterate_rdatasets())
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            size = struct.unpack("!H", conn.recv(2))[0]
            query = dns.message.from_wire(conn.recv(size))
            answer = dns.message.make_response(query)
            for name, rdataset in records[: len(records) // 2]:
                answer.answer.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))
            wire = answer.to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1@{listener.getsockname()[1]}"
    finally:
        listener.close()
        thread.join(5)


def test_a_transfer_cut_short_is_refused(cut_short_server: str) -> None:
    code, _out, err = run("--axfr", cut_short_server)
    assert code == 65
    assert "the transfer is truncated" in err
    assert not Tld.objects.exists()


@pytest.mark.lab
def test_the_lab_root_transferred_by_axfr_verifies_its_knot_made_zonemd(lab: Any) -> None:
    root = next(iter(lab.root_servers.values()))
    text = fetch_axfr(f"{root}@{lab.plan.port}", source=lab.plan.tools_address)
    assert " ZONEMD " in text
    report = import_root_zone(
        text,
        name=f"AXFR from {root}",
        fetched=True,
        anchors=read_trust_anchor(str(lab.trust_anchor)),
    )
    assert report.checks["ZONEMD"].startswith("ZONEMD verified (SIMPLE, SHA384")
    assert report.checks["DNSSEC"].startswith("the DNSKEY, SOA and ZONEMD sets validate")
    assert report.checks["NSEC"].startswith("complete")
    assert set(lab.tlds) <= set(report.created)
