"""Address-block claims and the misbehaving proxy's rewriting, without servers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dns.message
import dns.rcode
import pytest

from dnscc.core.errors import ConflictError
from dnscc.lab import state
from dnscc.lab.proxy import rewrite


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    reg = tmp_path / "registry"
    monkeypatch.setenv("DNSCC_LAB_REGISTRY", str(reg))
    return reg


def test_two_labs_claim_different_blocks_and_a_lab_keeps_its_own(
    tmp_path: Path, registry: Path
) -> None:
    a = state.claim_block(tmp_path / "a", 53, wanted=None)
    b = state.claim_block(tmp_path / "b", 53, wanted=None)
    assert a != b
    assert state.claim_block(tmp_path / "a", 53, wanted=None) == a
    state.release_block(tmp_path / "a", a)
    state.release_block(tmp_path / "b", b)
    assert list(registry.iterdir()) == []


def test_a_wanted_block_held_by_a_live_lab_is_refused(tmp_path: Path, registry: Path) -> None:
    owner = tmp_path / "owner"
    owner.mkdir()
    block = state.claim_block(owner, 53, wanted=None)
    (owner / "state.json").write_text(json.dumps({"plan": {"block": block}}))
    with pytest.raises(ConflictError) as exc:
        state.claim_block(tmp_path / "other", 53, wanted=block)
    assert "lab down" in (exc.value.hint or "")


def test_a_stale_claim_is_taken_over(tmp_path: Path, registry: Path) -> None:
    gone = tmp_path / "gone"
    block = state.claim_block(gone, 53, wanted=None)
    claim = registry / f"127.{block}"
    old = claim.stat().st_mtime - 3600
    os.utime(claim, (old, old))  # an hour old and its lab has no state: stale
    assert state.claim_block(tmp_path / "new", 53, wanted=block) == block
    assert claim.read_text() == str(tmp_path / "new")


def test_the_proxy_turns_nxdomain_for_a_into_an_answer() -> None:
    q = dns.message.make_query("nothing.example.", "A")
    nx = dns.message.make_response(q)
    nx.set_rcode(dns.rcode.NXDOMAIN)
    out = dns.message.from_wire(rewrite(nx.to_wire(), "127.9.252.1"))
    assert out.rcode() == dns.rcode.NOERROR
    assert out.answer[0][0].address == "127.9.252.1"


def test_the_proxy_leaves_other_answers_alone() -> None:
    q = dns.message.make_query("nothing.example.", "AAAA")
    nx = dns.message.make_response(q)
    nx.set_rcode(dns.rcode.NXDOMAIN)
    assert rewrite(nx.to_wire(), "127.9.252.1") == nx.to_wire()
    ok = dns.message.make_response(dns.message.make_query("x.example.", "A"))
    assert rewrite(ok.to_wire(), "127.9.252.1") == ok.to_wire()
    assert rewrite(b"garbage", "127.9.252.1") == b"garbage"
