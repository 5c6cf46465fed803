"""up / down / status, idempotence, address blocks, and the command line."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from dnscc.cli import main
from dnscc.core.errors import ConflictError, UnavailableError
from dnscc.lab import procs
from dnscc.lab.lab import Lab
from dnscc.lab.pytest_plugin import LAB_SLDS, LAB_TLDS, LabHandle

pytestmark = pytest.mark.lab


def test_up_on_a_running_lab_changes_nothing(lab: LabHandle) -> None:
    before = lab.lab.status()
    again = lab.lab.up(tlds=LAB_TLDS, slds=LAB_SLDS)
    assert again["processes"] == before["processes"]
    assert again["running"]


def test_up_with_other_parameters_on_a_running_lab_is_refused(lab: LabHandle) -> None:
    with pytest.raises(ConflictError) as exc:
        lab.lab.up(tlds=LAB_TLDS + 1, slds=LAB_SLDS)
    assert "down" in (exc.value.hint or "")
    assert lab.lab.status()["running"]


def test_status_names_every_process_and_the_files_a_resolver_needs(lab: LabHandle) -> None:
    st = lab.lab.status()
    names = {p["name"] for p in st["processes"]}
    assert {"knot:root", "unbound:healthy", "unbound:r1", "unbound:r2"} <= names
    assert any(n.startswith("knot:tld") for n in names)
    assert any(n.startswith("knot:sld") for n in names)
    assert all(p["alive"] for p in st["processes"])
    assert Path(st["root_hints"]).read_text().count(" NS ") == 13
    assert " DS " in Path(st["trust_anchor"]).read_text()
    assert st["zones"] == 1 + LAB_TLDS + LAB_TLDS * LAB_SLDS


def test_a_second_lab_gets_its_own_block_and_down_leaves_nothing_running(
    lab: LabHandle, tmp_path: Path
) -> None:
    other = Lab(tmp_path / "second")
    st = other.up(tlds=1, slds=0, timeout=60)
    try:
        assert st["block"] != lab.lab.status()["block"]
        pids = [p["pid"] for p in st["processes"]]
        assert all(procs.alive(p) for p in pids)
    finally:
        out = other.down()
    assert out["stopped"] == len(pids)
    assert not any(procs.alive(p) for p in pids)
    assert other.status() == {"running": False, "directory": str(other.dir)}
    assert other.down()["stopped"] == 0  # down twice is fine


@pytest.mark.usefixtures("lab_servers")
def test_an_address_in_use_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    block = 238
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as squatter:
        squatter.bind((f"127.{block}.1.2", 53))  # the second name server of the first TLD
        new = Lab(tmp_path / "busy")
        with pytest.raises(ConflictError) as exc:
            new.up(tlds=1, slds=0, block=block, timeout=30)
        assert f"127.{block}.1.2" in str(exc.value)
        assert exc.value.hint
    assert new.status()["running"] is False
    # the block is free again: a lab can take it now
    try:
        assert new.up(tlds=1, slds=0, block=block, timeout=60)["running"]
    finally:
        new.down()


def test_faults_on_a_lab_that_is_not_running_say_how_to_start_it(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError) as exc:
        Lab(tmp_path / "none").inject("lame", tld="nl")
    assert "lab up" in (exc.value.hint or "")


def test_the_command_line_reports_status_as_json(
    lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "--dir", str(lab.lab.dir), "status", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["running"] is True
    assert data["resolvers"]["healthy"] == lab.resolver


def test_the_command_line_lists_every_fault(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab", "list-faults", "--json"]) == 0
    kinds = {f["name"] for f in json.loads(capsys.readouterr().out)}
    assert {"unreachable", "lame", "hijack", "nxdomain-rewrite", "fixed-source-port"} <= kinds


def test_the_command_line_maps_an_unknown_tld_to_exit_66(
    lab: LabHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["lab", "--dir", str(lab.lab.dir), "inject", "ds-mismatch", "--tld", "nope"])
    assert code == 66
    err = capsys.readouterr().err
    assert "not in this lab" in err
    assert "fix:" in err
