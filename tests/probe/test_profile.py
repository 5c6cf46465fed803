"""The profile: codes, severities and thresholds live in profile.toml, not in code."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from dnscc.core.errors import InputError
from dnscc.probe import resolver
from dnscc.probe.profile import load_profile

CHECK_MODULES = (
    "basic",
    "address",
    "connectivity",
    "consistency",
    "delegation",
    "dnssec",
    "nameserver",
    "own",
    "syntax",
    "zonedata",
)


def test_the_shipped_profile_loads_with_a_meaning_for_every_code() -> None:
    p = load_profile()
    assert p.severity("DELEGATION04", "IS_NOT_AUTHORITATIVE") == "warning"  # Zonemaster's
    assert p.severity("BASIC02", "B02_NO_DELEGATION") == "critical"
    assert p.severity("DELEGATION04") == "warning"  # a test case: its worst tag
    assert p.threshold("sig_expiry_warning_days") == 2.5
    assert p.threshold("sig_expiry_critical_days") == 1.0
    assert all(info.meaning for info in p.codes.values())


def test_every_code_the_checks_emit_is_in_the_profile() -> None:
    source = "".join(
        inspect.getsource(m)
        for m in (
            resolver,
            *(importlib.import_module(f"dnscc.probe.checks.{n}") for n in CHECK_MODULES),
        )
    )
    emitted = set(
        re.findall(
            r'"((?:DNSCC_|DELEGATION|CONSISTENCY|CONNECTIVITY|DNSSEC|ADDRESS|SYNTAX|ZONE|'
            r"NAMESERVER|BASIC)[0-9]*[A-Z0-9_]*)\"",
            source,
        )
    )
    codes = {e for e in emitted if re.fullmatch(r"[A-Z]+[0-9]{2}|DNSCC_[A-Z_]+", e)}
    assert len(codes) > 50
    assert codes <= set(load_profile().codes)


def test_an_operator_profile_silences_a_tag_and_raises_another(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(
        '[codes.DELEGATION04.tags]\nIS_NOT_AUTHORITATIVE = "error"\n'
        '[codes.DNSSEC07.tags]\nNOT_SIGNED = "info"\n'
    )
    p = load_profile(f)
    assert p.severity("DELEGATION04", "IS_NOT_AUTHORITATIVE") == "error"
    assert not p.reported(p.severity("DNSSEC07", "NOT_SIGNED"))
    bad = tmp_path / "bad.toml"
    bad.write_text('[codes.DELEGATION04.tags]\nNOPE = "error"\n')
    with pytest.raises(InputError, match="unknown message tag"):
        load_profile(bad)


def test_an_operator_profile_overrides_severities_and_thresholds(tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text(
        '[codes.DNSCC_SLOW]\nseverity = "warning"\n[thresholds]\nslow_ms = 300\n'
        "[transport]\nqps_per_server = 5.0\n"
    )
    p = load_profile(f)
    assert p.severity("DNSCC_SLOW") == "warning"
    assert p.threshold("slow_ms") == 300
    assert p.transport.qps_per_server == 5.0
    assert p.severity("DELEGATION04", "IS_NOT_AUTHORITATIVE") == "warning"  # untouched


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('[codes.NOPE]\nseverity = "error"\n', "unknown finding code"),
        ('[codes.DNSCC_SLOW]\nseverity = "loud"\n', "severity 'loud'"),
        ("[transport]\nspeed = 3\n", "unknown transport setting"),
        ("not toml [", "bad TOML"),
    ],
)
def test_a_bad_profile_fails_loudly_with_its_file(tmp_path: Path, text: str, problem: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=re.escape(problem)):
        load_profile(f)
