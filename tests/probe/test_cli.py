"""`dnscc probe ...` without the lab: argument handling, exit codes by the worst finding,
Zonemaster-format output, and a zone probed on loopback (a root in a thread)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import dns.flags
import dns.message
import dns.rcode
import dns.rrset
import pytest

from dnscc.core.errors import InputError, UnavailableError
from dnscc.probe import cli
from dnscc.probe.model import Finding, ZoneReport
from dnscc.probe.output import exit_code, parse_ds, parse_ns, zonemaster_json

from .nanoserver import Reply, serve


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


def test_an_invalid_name_is_a_clear_input_error(tmp_path: Path) -> None:
    hints = tmp_path / "root.hints"
    hints.write_text(".  3600000 NS a.root-servers.net.\na.root-servers.net. 3600000 A 127.0.0.1\n")
    args = parse("zone", "bad..name", "--hints", str(hints), "--json")
    with pytest.raises(InputError, match=r"invalid zone name 'bad\.\.name'"):
        args.func(args)


@pytest.mark.parametrize(
    ("value", "problem"),
    [("1,13,2", "4 comma-separated"), ("x,13,2,AB", "key tag"), ("1,13,2,XYZ", "hexadecimal")],
)
def test_a_bad_ds_names_the_value_and_the_field(value: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem):
        parse_ds([value])


def test_ns_values_take_an_optional_address() -> None:
    assert parse_ns(["NS1.Example.", "ns1.example/192.0.2.1", "ns2.example/2001:db8:0::1"]) == {
        "ns1.example.": ["192.0.2.1"],
        "ns2.example.": ["2001:db8::1"],
    }
    with pytest.raises(InputError, match="not an IP address"):
        parse_ns(["ns1.example/999.1.1.1"])


def _report(*severities: str) -> ZoneReport:
    return ZoneReport(
        "x.",
        tuple(Finding("ZONE02", s, "x.", None, "m", tag="T") for s in severities),
    )


@pytest.mark.parametrize(
    ("severities", "code"),
    [
        ((), 0),
        (("notice",), 0),
        (("notice", "warning"), 3),
        (("error",), 4),
        (("critical", "notice"), 5),
    ],
)
def test_the_exit_status_follows_the_worst_finding(severities: tuple[str, ...], code: int) -> None:
    """Bug 8: `dnscc probe zone` exited 0 whatever it found."""
    assert exit_code(_report(*severities)) == code


def test_the_zonemaster_format_has_module_testcase_tag_level_and_args() -> None:
    r = ZoneReport(
        "x.",
        (
            Finding(
                "DELEGATION04",
                "warning",
                "x.",
                "192.0.2.1",
                "lame",
                tag="IS_NOT_AUTHORITATIVE",
                args=(("ns", "ns1.x. (192.0.2.1)"),),
            ),
        ),
    )
    (m,) = zonemaster_json(r)
    assert (m["module"], m["testcase"], m["tag"], m["level"]) == (
        "DELEGATION",
        "DELEGATION04",
        "IS_NOT_AUTHORITATIVE",
        "WARNING",
    )
    assert m["args"]["ns"] == "ns1.x. (192.0.2.1)"
    assert m["args"]["ns_ip"] == "192.0.2.1"


def test_a_zone_that_does_not_exist_exits_non_zero_with_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: a name that does not exist exits non-zero and says so."""
    hints = tmp_path / "root.hints"

    def handler(q: dns.message.Message, tcp: bool) -> Reply:
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        r.set_rcode(dns.rcode.NXDOMAIN)
        return r

    async def main() -> tuple[int, str]:
        async with serve(handler) as srv:
            hints.write_text(f".  3600000 NS a.root.\na.root. 3600000 A {srv.address}\n")
            args = parse("zone", "nosuch", "--hints", str(hints), "--port", str(srv.port))
            return await asyncio.to_thread(args.func, args), ""

    code, _ = asyncio.run(main())
    out = capsys.readouterr().out
    assert code == 5
    assert out.splitlines()[0].startswith("nosuch.: does not exist")
    assert "B02_NO_DELEGATION" in out
    assert "SKIPPED" in out  # the hijack check had no baseline


def test_output_piped_to_head_ends_quietly(tmp_path: Path) -> None:
    hints = tmp_path / "root.hints"
    hints.write_text(".  3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n")
    code = (
        "import sys, builtins\n"
        "from dnscc import cli\n"
        "from dnscc.probe import cli as probe_cli\n"
        "def lots(args):\n"
        "    for i in range(20000):\n"
        "        print('line', i)\n"
        "    return 0\n"
        "probe_cli.cmd_zone = lots\n"
        f"sys.exit(cli.main(['probe', 'zone', 'x', '--hints', '{hints}']))\n"
    )
    head = shutil.which("head")
    assert head is not None
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as producer:
        assert producer.stdout is not None
        shown = subprocess.run(
            [head, "-3"], stdin=producer.stdout, capture_output=True, text=True, check=True
        )
        producer.stdout.close()  # head has gone: the producer meets a broken pipe
        _, err = producer.communicate(timeout=60)
    assert shown.stdout.splitlines() == ["line 0", "line 1", "line 2"]
    assert err == b""
    assert producer.returncode == 141
