"""`dnscc probe ...` without the lab: argument handling and a zone probed on loopback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from dnscc.core.errors import InputError, UnavailableError
from dnscc.probe import cli


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    return parser.parse_args(["probe", *argv])


def test_missing_hints_are_an_error_with_a_fix(tmp_path: Path) -> None:
    args = parse("zone", "nl", "--hints", str(tmp_path / "none.hints"))
    with pytest.raises(UnavailableError) as exc:
        args.func(args)
    assert "--hints" in (exc.value.hint or "")


def test_a_non_positive_rate_is_refused(tmp_path: Path) -> None:
    args = parse("zone", "nl", "--rate", "0")
    with pytest.raises(InputError):
        args.func(args)


def test_an_invalid_name_prints_json_saying_it_was_not_tested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hints = tmp_path / "root.hints"
    hints.write_text(".  3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A 127.0.0.1\n")
    args = parse("zone", "bad..name", "--hints", str(hints), "--json")
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["findings"] == []
    assert out["untested"][0].startswith("invalid zone name")
