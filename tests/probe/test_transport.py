"""The transport against a small in-process server: matching, garbage, silence, TCP
fallback, retries, and the per-server rate limit."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from dnscc.probe.transport import OK, TIMEOUT, RateLimiter, TransportConfig, UdpTransport

from .nanoserver import Recorder, Reply, serve

T = TypeVar("T")
FAST = TransportConfig(
    timeout=0.1, tries=2, backoff=1.0, tick=0.01, qps_per_server=None, tcp_timeout=1.0
)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def soa_answer(q: dns.message.Message, *, serial: int = 7) -> dns.message.Message:
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    r.answer.append(
        dns.rrset.from_text(
            q.question[0].name, 60, "IN", "SOA", f"ns1.test. h.test. {serial} 1 1 1 1"
        )
    )
    return r


async def ask(
    handler: Callable[[dns.message.Message, bool], Reply],
    config: TransportConfig = FAST,
    qname: str = "test.",
    qtype: int = dns.rdatatype.SOA,
    **kw: float,
) -> tuple[object, ...]:
    async with serve(handler, **kw) as srv, UdpTransport(config) as t:
        a = await t.query(srv.address, qname, qtype, port=srv.port)
        return a, t.stats, srv


def test_an_answer_is_matched_and_parsed_only_on_demand() -> None:
    a, stats, _ = run(ask(lambda q, tcp: soa_answer(q)))
    assert a.status == OK
    assert a.aa
    assert a.rcode == dns.rcode.NOERROR
    assert a._message is None  # type: ignore[attr-defined]
    assert a.message().answer[0][0].serial == 7  # type: ignore[attr-defined]
    assert stats.answered == 1
    assert stats.mismatched == 0


def test_a_mixed_case_question_in_the_answer_still_matches() -> None:
    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        wire = bytearray(soa_answer(q).to_wire())
        wire[13:17] = b"TeSt"
        return bytes(wire)

    a, _, _ = run(ask(handler))
    assert a.status == OK  # type: ignore[attr-defined]


def test_a_silent_server_times_out_after_all_tries() -> None:
    a, stats, srv = run(ask(lambda q, tcp: None))
    assert a.status == TIMEOUT
    assert a.tries == 2
    assert len(srv.arrivals) == 2  # type: ignore[attr-defined]
    assert stats.retries == 1
    assert stats.timeouts == 1


def test_garbage_and_short_datagrams_are_dropped_and_counted() -> None:
    a, stats, _ = run(ask(lambda q, tcp: [b"\x00\x01", b"garbage!"]))
    assert a.status == TIMEOUT  # type: ignore[attr-defined]
    assert stats.garbage >= 2  # type: ignore[attr-defined]


def test_an_answer_with_another_id_is_dropped_and_counted() -> None:
    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        r = soa_answer(q)
        r.id = (q.id + 1) % 65536
        return r

    a, stats, _ = run(ask(handler))
    assert a.status == TIMEOUT
    assert stats.mismatched >= 1


def test_an_answer_for_another_question_is_dropped() -> None:
    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        other = dns.message.make_query("other.", "SOA")
        other.id = q.id
        return soa_answer(other)

    a, stats, _ = run(ask(handler))
    assert a.status == TIMEOUT
    assert stats.mismatched >= 1


def test_the_right_answer_after_a_spoofed_one_is_accepted() -> None:
    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        bad = soa_answer(q, serial=666)
        bad.id = (q.id + 7) % 65536
        return [bad, soa_answer(q)]

    a, stats, _ = run(ask(handler))
    assert a.status == OK
    assert a.message().answer[0][0].serial == 7
    assert stats.mismatched == 1  # type: ignore[attr-defined]


def test_garbage_past_a_valid_header_fails_only_the_full_parse() -> None:
    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        w = soa_answer(q).to_wire()
        return w[:-5]  # truncated mid-record, TC not set

    a, _, _ = run(ask(handler))
    assert a.status == OK  # type: ignore[attr-defined]
    with pytest.raises(dns.exception.DNSException):
        a.message()  # type: ignore[attr-defined]


def test_a_truncated_answer_is_retried_over_tcp() -> None:
    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        r = soa_answer(q, serial=9 if tcp else 1)
        if not tcp:
            r.flags |= dns.flags.TC
            r.answer = []
        return r

    a, stats, srv = run(ask(handler))
    assert a.status == OK
    assert a.tcp
    assert a.message().answer[0][0].serial == 9
    assert stats.tcp_fallbacks == 1
    assert srv.tcp_queries == 1


def test_a_late_answer_to_the_first_try_is_accepted_and_marked() -> None:
    cfg = TransportConfig(timeout=0.1, tries=3, backoff=4.0, tick=0.01, qps_per_server=None)
    a, _, _ = run(ask(lambda q, tcp: soa_answer(q), cfg, delay=0.25))
    assert a.status == OK
    assert a.answered_try == 0
    assert a.elapsed >= 0.25


def test_tcp_to_a_closed_port_is_an_error_not_an_exception() -> None:
    async def main() -> object:
        async with UdpTransport(FAST) as t:
            return await t.query("127.0.0.1", "test.", dns.rdatatype.SOA, port=9, tcp=True)

    a = run(main())
    assert a.status in ("error", "timeout")  # type: ignore[attr-defined]


def test_the_rate_limit_toward_one_server_is_never_exceeded() -> None:
    qps, burst, n = 40.0, 4, 60
    cfg = TransportConfig(timeout=1.0, tries=1, tick=0.01, qps_per_server=qps, burst=burst)

    async def main(rec: Recorder) -> None:
        async with UdpTransport(cfg) as t:
            answers = await asyncio.gather(
                *(
                    t.query(rec.address, f"q{i}.test.", dns.rdatatype.A, port=rec.port)
                    for i in range(n)
                )
            )
            assert all(a.ok for a in answers)
            # a stalled event loop must not release a burst of waiters at once
            time.sleep(0.3)
            more = await asyncio.gather(
                *(
                    t.query(rec.address, f"r{i}.test.", dns.rdatatype.A, port=rec.port)
                    for i in range(20)
                )
            )
            assert all(a.ok for a in more)

    with Recorder() as rec:
        run(main(rec))
        time.sleep(0.1)
    arrivals = sorted(rec.arrivals)
    assert len(arrivals) == n + 20
    # Any window of W seconds holds at most burst + W * qps arrivals (kernel timestamps).
    for i, start in enumerate(arrivals):
        for w in (0.05, 0.1, 0.5, 1.0):
            inside = sum(1 for t in arrivals[i:] if t - start < w)
            assert inside <= burst + w * qps + 1e-9, (w, inside)
    assert arrivals[n - 1] - arrivals[0] >= (n - burst - 1) / qps * 0.95


def test_the_rate_limiter_is_a_token_bucket() -> None:
    lim = RateLimiter(qps=10, burst=2)
    assert lim.take("s", 0.0) == 0.0
    assert lim.take("s", 0.0) == 0.0
    assert lim.take("s", 0.0) == pytest.approx(0.1)
    assert lim.take("s", 0.1) == 0.0
    assert lim.take("other", 0.1) == 0.0
    assert RateLimiter(qps=None).take("s", 0.0) == 0.0


def test_an_ipv6_server_written_in_another_form_is_matched_in_canonical_form() -> None:
    """Bug 3: replies were matched by the source address as text; an address written
    `0:0:0:0:0:0:0:1` (as a hints file may) got its replies from `::1` and lost them all."""

    async def main() -> tuple[object, object]:
        async with (
            serve(lambda q, tcp: soa_answer(q), address="::1") as srv,
            UdpTransport(FAST) as t,
        ):
            a = await t.query("0:0:0:0:0:0:0:1", "test.", dns.rdatatype.SOA, port=srv.port)
            return a, t.stats

    a, stats = run(main())
    assert a.status == OK  # type: ignore[attr-defined]
    assert a.server == "::1"  # type: ignore[attr-defined]
    assert stats.mismatched == 0  # type: ignore[attr-defined]


def test_a_server_that_never_answered_is_marked_after_one_timeout() -> None:
    cfg = TransportConfig(
        timeout=0.1, tries=2, tick=0.01, qps_per_server=None, deadline=0.3, dead_seconds=30
    )

    async def main() -> tuple[list[object], object, float]:
        async with serve(lambda q, tcp: None) as srv, UdpTransport(cfg) as t:
            first = await asyncio.gather(
                *(
                    t.query(srv.address, f"q{i}.test.", dns.rdatatype.A, port=srv.port)
                    for i in range(3)
                )
            )
            t0 = time.monotonic()
            later = await t.query(srv.address, "later.test.", dns.rdatatype.A, port=srv.port)
            return [*first, later], t.stats, time.monotonic() - t0

    answers, stats, took = run(main())
    assert [a.status for a in answers] == [TIMEOUT] * 4  # type: ignore[attr-defined]
    assert "marked unresponsive" in (answers[-1].error or "")  # type: ignore[attr-defined]
    assert took < 0.05  # not sent: no second deadline
    assert stats.marked_dead == 1  # type: ignore[attr-defined]
    assert stats.skipped_dead == 1  # type: ignore[attr-defined]


def test_a_server_that_answered_before_is_never_marked() -> None:
    cfg = TransportConfig(
        timeout=0.1, tries=1, tick=0.01, qps_per_server=None, deadline=0.2, dead_seconds=30
    )
    seen: list[int] = []

    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        seen.append(1)
        return soa_answer(q) if len(seen) == 1 else None  # then it loses everything

    async def main() -> list[str]:
        async with serve(handler) as srv, UdpTransport(cfg) as t:
            out = []
            for i in range(3):
                a = await t.query(srv.address, f"q{i}.test.", dns.rdatatype.SOA, port=srv.port)
                out.append(a.status)
            return out

    assert run(main()) == [OK, TIMEOUT, TIMEOUT]
    assert len(seen) == 3  # each query was sent: lossy, not gone


def test_the_timeout_adapts_to_the_server_and_the_deadline_bounds_the_wait() -> None:
    cfg = TransportConfig(
        timeout=0.8,
        tries=4,
        tick=0.01,
        qps_per_server=None,
        timeout_floor=0.05,
        timeout_ceiling=0.5,
        deadline=0.6,
    )
    answers = {"n": 0}

    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        answers["n"] += 1
        return soa_answer(q) if answers["n"] <= 3 else None

    async def main() -> tuple[float, float, object]:
        async with serve(handler) as srv, UdpTransport(cfg) as t:
            for i in range(3):
                await t.query(srv.address, f"q{i}.test.", dns.rdatatype.SOA, port=srv.port)
            rto = t.rto(srv.address)
            t0 = time.monotonic()
            a = await t.query(srv.address, "gone.test.", dns.rdatatype.SOA, port=srv.port)
            return rto, time.monotonic() - t0, a

    rto, took, a = run(main())
    assert 0.05 <= rto < 0.3  # loopback: near the floor, not the 0.8 s for strangers
    assert a.status == TIMEOUT  # type: ignore[attr-defined]
    assert a.tries >= 3  # type: ignore[attr-defined]  # retried at the short timeout
    assert 0.55 < took < 1.2  # the deadline, not a chain of growing timeouts (0.8+1.6+...)
