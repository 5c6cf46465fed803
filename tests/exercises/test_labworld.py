"""The small lab's root zone: the shipped root cut down to its apex, the root servers and the
TLDs asked for (plus `extra` others), so that a lab of a few TLDs starts in seconds."""

from __future__ import annotations

from pathlib import Path

from dnscc.exercises.labworld import subset_root_zone


def _owners(path: Path) -> set[str]:
    return {line.split()[0].lower() for line in path.read_text(encoding="ascii").splitlines()}


def _tlds(owners: set[str]) -> set[str]:
    return {o.rstrip(".").rpartition(".")[2] for o in owners if o != "."} - {"net"}


def test_the_subset_keeps_the_apex_the_root_servers_and_only_the_tlds_asked_for(
    tmp_path: Path,
) -> None:
    owners = _owners(subset_root_zone(tmp_path / "root.zone", {"de", "nl"}))
    assert "." in owners
    assert "a.root-servers.net." in owners
    assert {"de.", "nl."} <= owners
    assert _tlds(owners) == {"de", "nl"}


def test_extra_adds_that_many_other_tlds_of_the_zone(tmp_path: Path) -> None:
    owners = _owners(subset_root_zone(tmp_path / "root.zone", {"de"}, extra=3))
    assert "de" in _tlds(owners)
    assert len(_tlds(owners)) == 4
