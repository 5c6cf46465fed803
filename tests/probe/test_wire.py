"""The light wire readers agree with dnspython's full parse, and refuse garbage."""

from __future__ import annotations

import subprocess
import sys

import dns.message
import dns.rrset
import pytest

from dnscc.probe import wire


def response(*rrsets: dns.rrset.RRset) -> bytes:
    q = dns.message.make_query("Example.TEST.", "NS")
    r = dns.message.make_response(q)
    r.answer.extend(rrsets)
    return r.to_wire()


def test_ns_names_are_read_through_compression_and_lowercased() -> None:
    names = ["NS1.example.test.", "ns2.Other.", "a.b.c.example.test."]
    buf = response(dns.rrset.from_text_list("example.test.", 60, "IN", "NS", names))
    assert wire.ns_names(buf) == frozenset(n.lower() for n in names)


def test_the_soa_serial_is_read_after_two_compressed_names() -> None:
    soa = dns.rrset.from_text(
        "example.test.", 60, "IN", "SOA", "ns1.example.test. host.example.test. 4294967295 1 2 3 4"
    )
    assert wire.soa_serial(response(soa)) == 4294967295


def test_no_record_of_the_type_gives_none() -> None:
    a = dns.rrset.from_text("example.test.", 60, "IN", "A", "127.0.0.1")
    assert wire.soa_serial(response(a)) is None
    assert wire.ns_names(response(a)) is None


@pytest.mark.parametrize("cut", [3, 13, 20, 30, 40, 45])
def test_a_truncated_message_is_a_wire_error(cut: int) -> None:
    soa = dns.rrset.from_text(
        "example.test.", 60, "IN", "SOA", "ns1.example.test. h.test. 1 1 1 1 1"
    )
    buf = response(soa)[:cut]
    with pytest.raises(wire.WireError):
        wire.soa_serial(buf)


def test_a_compression_loop_is_a_wire_error() -> None:
    head = b"\x00\x01\x84\x00\x00\x00\x00\x01\x00\x00\x00\x00"
    loop = b"\xc0\x0c" + b"\x00\x02\x00\x01\x00\x00\x00\x3c\x00\x02" + b"\xc0\x0c"
    with pytest.raises(wire.WireError):
        wire.ns_names(head + loop)


def test_the_probe_library_imports_no_django() -> None:
    code = (
        "import sys, dnscc.probe, dnscc.probe.cli, dnscc.probe.resolver; "
        "sys.exit('django' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
