"""The probe sends nothing outside the egress rule: a refused server gets no packet, over UDP,
TCP or AXFR, and the answer says why."""

from __future__ import annotations

import asyncio

import dns.message
import dns.rdatatype

from dnscc.core import egress
from dnscc.probe.transport import ERROR, OK, TransportConfig, UdpTransport

from .nanoserver import Reply, serve

FAST = TransportConfig(timeout=0.1, tries=2, backoff=1.0, tick=0.01, qps_per_server=None)
ONLY_127_0_0_1 = egress.parse("127.0.0.1/32")


def _answer(q: dns.message.Message, tcp: bool) -> Reply:
    return dns.message.make_response(q)


def test_a_server_outside_the_rule_gets_no_packet_and_the_answer_says_why() -> None:
    async def main() -> tuple[object, ...]:
        async with (
            serve(_answer, address="127.0.0.1") as allowed,
            serve(_answer, address="127.0.0.2") as outside,
            UdpTransport(FAST, policy=ONLY_127_0_0_1) as t,
        ):
            ok = await t.query(allowed.address, "test.", dns.rdatatype.SOA, port=allowed.port)
            udp = await t.query(outside.address, "test.", dns.rdatatype.SOA, port=outside.port)
            tcp = await t.query(
                outside.address, "test.", dns.rdatatype.SOA, port=outside.port, tcp=True
            )
            xfr = await t.axfr(outside.address, "test.", port=outside.port)
            return ok, udp, tcp, xfr, outside, t.stats

    ok, udp, tcp, xfr, outside, stats = asyncio.run(main())
    assert ok.status == OK  # type: ignore[attr-defined]
    for answer in (udp, tcp, xfr):
        assert answer.status == ERROR  # type: ignore[attr-defined]
        assert "127.0.0.2 refused" in answer.error  # type: ignore[attr-defined]
        assert "DNSCC_PROBE_NETWORKS=127.0.0.1/32" in answer.error  # type: ignore[attr-defined]
    assert outside.arrivals == []  # type: ignore[attr-defined]
    assert outside.tcp_queries == 0  # type: ignore[attr-defined]
    assert stats.refused == 3  # type: ignore[attr-defined]
    assert stats.queries == 1  # type: ignore[attr-defined]  (only the allowed one was sent)


def test_the_transport_follows_the_process_rule_by_default() -> None:
    async def main() -> object:
        async with UdpTransport(FAST) as t:
            return await t.query("192.5.6.30", "com.", dns.rdatatype.NS)

    # The suite runs in development mode: loopback only. 192.5.6.30 is a real TLD server.
    answer = asyncio.run(main())
    assert answer.status == ERROR  # type: ignore[attr-defined]
    assert "development mode default" in answer.error  # type: ignore[attr-defined]
