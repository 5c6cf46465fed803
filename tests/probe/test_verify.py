"""Verifying registry actions by DNS: each classification, each action's judgement,
failover to another server, spreading over servers; a small in-process server for the real
transport; and the lab's TLD servers after register, unregister and sinkhole."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import pytest

from dnscc.core.errors import InputError
from dnscc.lab.pytest_plugin import LabHandle
from dnscc.probe.verify import (
    DELEGATED,
    ERROR,
    NOT_DELEGATED,
    SINKHOLED,
    Expectation,
    Verdict,
    verify_names,
)

from .fakes import FakeTransport, Reply
from .nanoserver import serve

T = TypeVar("T")
S1, S2, S3 = "127.9.1.1", "127.9.1.2", "127.9.1.3"
SERVERS = {"nl": [S1, S2, S3]}
SINK = ["Sink1.Sinkhole.Example", "sink2.sinkhole.example."]


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


@dataclass
class Tld:
    """A TLD's servers as a registry runs them: delegations, and servers that misbehave."""

    delegated: dict[str, list[str]] = field(default_factory=dict)
    empty: set[str] = field(default_factory=set)  # names that exist without a delegation
    silent: set[str] = field(default_factory=set)
    rcode: dict[str, int] = field(default_factory=dict)  # server -> error rcode
    lame: set[str] = field(default_factory=set)  # NOERROR, no AA, no referral
    garbage: set[str] = field(default_factory=set)

    def answer(self, server: str, q: dns.message.Message) -> Reply:
        name = q.question[0].name
        text = name.to_text().lower()
        r = dns.message.make_response(q)
        if server in self.silent:
            return None
        if server in self.garbage:
            wire = r.to_wire()  # claims 5 authority records that are not there
            return wire[:8] + b"\x00\x05" + wire[10:] + b"\xff"
        if server in self.rcode:
            r.set_rcode(self.rcode[server])
            return r
        if server in self.lame:
            return r
        cut = next((c for c in self.delegated if text == c or text.endswith("." + c)), None)
        if cut is not None:
            ns = [h if h.endswith(".") else h + "." for h in self.delegated[cut]]
            r.authority.append(dns.rrset.from_text_list(cut, 3600, "IN", "NS", ns))
            return r
        r.flags |= dns.flags.AA
        r.authority.append(
            dns.rrset.from_text("nl.", 3600, "IN", "SOA", "ns1.dns.nl. h.nl. 1 1 1 1 1")
        )
        if text not in self.empty:
            r.set_rcode(dns.rcode.NXDOMAIN)
        return r

    def transport(self) -> FakeTransport:
        return FakeTransport(self.answer)


def verify(tld: Tld, items: list[Expectation], **kw: object) -> tuple[list[Verdict], FakeTransport]:
    t = tld.transport()
    out = run(verify_names(items, servers=SERVERS, sinkhole_ns=SINK, transport=t, **kw))  # type: ignore[arg-type]
    return out, t


def one(tld: Tld, name: str, action: str = "block") -> Verdict:
    return verify(tld, [Expectation(name, action)])[0][0]


def test_nxdomain_at_the_tld_is_not_delegated() -> None:
    v = one(Tld(), "Gone.NL")
    assert (v.name, v.observed, v.ns, v.ok, v.outcome) == (
        "gone.nl.",
        NOT_DELEGATED,
        (),
        True,
        "compliant",
    )
    assert "@127.9.1.1 NXDOMAIN aa" in v.evidence
    assert v.evidence.startswith("gone.nl. NS")


def test_nodata_at_the_tld_is_not_delegated() -> None:
    v = one(Tld(empty={"held.nl."}), "held.nl")
    assert v.observed == NOT_DELEGATED
    assert "NOERROR aa no NS (SOA)" in v.evidence


def test_a_referral_is_delegated_with_its_ns_set() -> None:
    v = one(Tld(delegated={"evil.nl.": ["NS2.Host.example.", "ns1.host.example."]}), "evil.nl")
    assert v.observed == DELEGATED
    assert v.ns == ("ns1.host.example.", "ns2.host.example.")
    assert v.ok is False
    assert v.outcome == "not_compliant"
    assert "NS ns1.host.example.,ns2.host.example." in v.evidence


def test_the_sinkhole_set_is_recognised_whatever_the_case_and_trailing_dot() -> None:
    v = one(
        Tld(delegated={"evil.nl.": ["SINK2.sinkhole.example.", "sink1.sinkhole.example."]}),
        "evil.nl",
        "sinkhole",
    )
    assert (v.observed, v.ok) == (SINKHOLED, True)


def test_a_partial_sinkhole_set_is_only_delegated() -> None:
    v = one(Tld(delegated={"evil.nl.": ["sink1.sinkhole.example."]}), "evil.nl", "sinkhole")
    assert (v.observed, v.ok) == (DELEGATED, False)


def test_a_name_under_a_delegated_parent_is_delegated_at_the_parents_cut() -> None:
    v = one(Tld(delegated={"evil.nl.": ["ns1.host.example."]}), "www.evil.nl")
    assert v.observed == DELEGATED
    assert "cut at evil.nl." in v.evidence


@pytest.mark.parametrize(
    ("action", "state", "ok", "outcome"),
    [
        ("block", NOT_DELEGATED, True, "compliant"),
        ("block", DELEGATED, False, "not_compliant"),
        ("block", SINKHOLED, False, "not_compliant"),
        ("suspend", NOT_DELEGATED, True, "compliant"),
        ("hold", DELEGATED, False, "not_compliant"),
        ("sinkhole", SINKHOLED, True, "compliant"),
        ("sinkhole", NOT_DELEGATED, False, "not_compliant"),
        ("sinkhole", DELEGATED, False, "not_compliant"),
        ("transfer", DELEGATED, None, "unverifiable"),
        ("transfer", SINKHOLED, None, "unverifiable"),
        ("transfer", NOT_DELEGATED, False, "not_compliant"),
        ("release", NOT_DELEGATED, True, "compliant"),
        ("release", DELEGATED, True, "compliant"),
        ("release", SINKHOLED, True, "compliant"),
    ],
)
def test_each_action_is_judged_against_what_it_requires(
    action: str, state: str, ok: bool | None, outcome: str
) -> None:
    ns = {DELEGATED: ["ns1.host.example."], SINKHOLED: SINK}.get(state)
    tld = Tld(delegated={"x.nl.": ns} if ns else {})
    v = one(tld, "x.nl", action)
    assert (v.observed, v.ok, v.outcome) == (state, ok, outcome)


@pytest.mark.parametrize("action", ["block", "sinkhole", "transfer", "release"])
def test_an_error_is_never_counted_as_compliance(action: str) -> None:
    v = one(Tld(silent={S1, S2, S3}), "x.nl", action)
    assert (v.observed, v.ok, v.outcome) == (ERROR, None, "unknown")


def test_a_timeout_is_asked_again_at_another_server_of_the_tld() -> None:
    (v,), t = verify(Tld(silent={S1}), [Expectation("gone.nl", "block")])
    assert (v.observed, v.ok) == (NOT_DELEGATED, True)
    assert [s for s, _n, _t in t.asked] == [S1, S2]
    assert "@127.9.1.1 timeout (3 tries); @127.9.1.2 NXDOMAIN aa" in v.evidence


@pytest.mark.parametrize(
    ("tld", "shown"),
    [
        (Tld(rcode=dict.fromkeys((S1, S2, S3), dns.rcode.SERVFAIL)), "SERVFAIL"),
        (Tld(rcode=dict.fromkeys((S1, S2, S3), dns.rcode.REFUSED)), "REFUSED"),
        (Tld(lame={S1, S2, S3}), "without aa or referral"),
        (Tld(garbage={S1, S2, S3}), "malformed answer"),
        (Tld(silent={S1, S2, S3}), "timeout"),
    ],
)
def test_servfail_refused_lame_garbage_and_silence_are_errors_after_every_server(
    tld: Tld, shown: str
) -> None:
    (v,), t = verify(tld, [Expectation("x.nl", "block")])
    assert (v.observed, v.ok) == (ERROR, None)
    assert sorted(s for s, _n, _t in t.asked) == [S1, S2, S3]
    assert v.evidence.count(shown) == 3


def test_servers_per_name_bounds_the_failover() -> None:
    (v,), t = verify(Tld(silent={S1, S2, S3}), [Expectation("x.nl", "block")], servers_per_name=2)
    assert v.observed == ERROR
    assert t.queries == 2


def test_names_are_spread_over_the_servers_of_their_tld() -> None:
    items = [Expectation(f"n{i}.nl", "block") for i in range(30)]
    out, t = verify(Tld(), items)
    assert [v.name for v in out] == [f"n{i}.nl." for i in range(30)]
    per_server = {s: sum(1 for a, _n, _t in t.asked if a == s) for s in (S1, S2, S3)}
    assert per_server == {S1: 10, S2: 10, S3: 10}


def test_a_tld_without_servers_gives_an_error_verdict_and_asks_nothing() -> None:
    (v,), t = verify(Tld(), [Expectation("x.se", "block")])
    assert (v.observed, v.ok) == (ERROR, None)
    assert "no authoritative servers known for .se" in v.evidence
    assert t.queries == 0


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputError, match="unknown action"):
        verify(Tld(), [Expectation("x.nl", "delete")])
    with pytest.raises(InputError, match=r"not under \.se"):
        verify(Tld(), [Expectation("x.nl", "block", tld="se")])
    with pytest.raises(InputError):
        verify(Tld(), [Expectation("bad name.nl", "block")])
    with pytest.raises(InputError, match="sinkhole NS set"):
        run(verify_names([Expectation("x.nl", "sinkhole")], servers=SERVERS))


def test_a_name_may_bring_its_own_sinkhole_set() -> None:
    tld = Tld(delegated={"x.nl.": ["ns.other-sink.example."]})
    (v,), _ = verify(tld, [Expectation("x.nl", "sinkhole", sinkhole_ns=("NS.Other-Sink.example",))])
    assert (v.observed, v.ok) == (SINKHOLED, True)


def test_the_real_transport_against_a_small_server() -> None:
    tld = Tld(delegated={"evil.nl.": SINK, "other.nl.": ["ns1.host.example."]})

    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        assert not q.flags & dns.flags.RD  # non-recursive, as an authoritative server is asked
        return tld.answer("x", q)

    async def go() -> list[Verdict]:
        async with serve(handler) as srv:
            return await verify_names(
                [
                    Expectation("evil.nl", "sinkhole"),
                    Expectation("other.nl", "transfer"),
                    Expectation("gone.nl", "suspend"),
                ],
                servers={"nl": [srv.address]},
                sinkhole_ns=SINK,
                rate=200,
                timeout=0.5,
                port=srv.port,
            )

    out = run(go())
    assert [(v.observed, v.ok) for v in out] == [
        (SINKHOLED, True),
        (DELEGATED, None),
        (NOT_DELEGATED, True),
    ]


# -- against the lab's TLD servers --------------------------------------------------------


@pytest.mark.lab
def test_verdicts_follow_register_unregister_and_sinkhole_in_the_lab(lab: LabHandle) -> None:
    tag = "vfy-" + uuid.uuid4().hex[:8]
    sink = ["sink1.sinkhole.example.", "sink2.sinkhole.example."]
    kept, gone, sunk = f"{tag}-kept.nl", f"{tag}-gone.nl", f"{tag}-sunk.nl"
    never = f"{tag}-never.nl"
    servers = {t: list(lab.tld_servers(t).values()) for t in lab.tlds}
    items = [
        Expectation(kept, "transfer"),
        Expectation(kept, "block"),
        Expectation(gone, "suspend"),
        Expectation(sunk, "sinkhole"),
        Expectation(never, "block"),
        Expectation(never, "release"),
    ]
    with lab.registered("nl", [kept, gone, sunk]):
        before = run(verify_names(items, servers=servers, sinkhole_ns=sink, port=lab.plan.port))
        assert [v.observed for v in before] == [DELEGATED] * 4 + [NOT_DELEGATED] * 2
        lab.unregister("nl", [gone])
        lab.sinkhole("nl", [sunk], sink)
        after = run(verify_names(items, servers=servers, sinkhole_ns=sink, port=lab.plan.port))
    assert [(v.observed, v.ok) for v in after] == [
        (DELEGATED, None),
        (DELEGATED, False),
        (NOT_DELEGATED, True),
        (SINKHOLED, True),
        (NOT_DELEGATED, True),
        (NOT_DELEGATED, True),
    ]
    assert after[0].ns == ("ns1.example.nl.", "ns2.example.nl.")
    assert any(a in after[0].evidence for a in servers["nl"])


@pytest.mark.lab
def test_an_unreachable_lab_server_is_skipped_for_another(lab: LabHandle) -> None:
    host, address = next(iter(lab.tld_servers("dk").items()))
    servers = {"dk": [address, *[a for a in lab.tld_servers("dk").values() if a != address]]}
    with lab.fault("unreachable", server=host):
        (v,) = run(
            verify_names(
                [Expectation("nothing-here.dk", "block")],
                servers=servers,
                timeout=0.2,
                retries=0,
                port=lab.plan.port,
            )
        )
    assert (v.observed, v.ok) == (NOT_DELEGATED, True)
    assert f"@{address} timeout" in v.evidence
