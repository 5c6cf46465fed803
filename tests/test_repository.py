"""The repository is the whole product: what the code, tests, benchmarks and scripts read ships
in it, and nothing reaches for the team's reference directory beside the checkout."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from dnscc.core.paths import SHIPPED_DATA, default_iana_rootdb, default_root_zone

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "bench", "scripts")
# Built from parts so this file does not match itself.
SHARED = "sha" + "red"
FORBIDDEN = re.compile(
    rf"\.\./{SHARED}\b|/work/{SHARED}\b|{SHARED}/data\b|{SHARED}/design\b|{SHARED}/seeds\b"
    rf"|[\"']{SHARED}[\"']\s*/|/\s*[\"']{SHARED}[\"']"
)
TEXT_SUFFIXES = {".py", ".sh", ".md", ".toml", ".html", ".txt", ".cfg", ".json", ".conf", ""}


def _scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in (REPO / top).rglob("*"):
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.suffix in TEXT_SUFFIXES or path.parent.name == "scripts":
                files.append(path)
    return files


def test_nothing_in_src_tests_bench_or_scripts_refers_to_the_directory_beside_the_checkout() -> (
    None
):
    offenders = []
    for path in _scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                offenders.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_scan_would_catch_a_path_built_to_the_directory_beside_the_checkout() -> None:
    # The rule above is only worth something if it recognises the shapes a mistake takes.
    for line in (
        f'repo.parent / "{SHARED}" / "data"',
        f"open('../{SHARED}/data/root-zone/root.zone')",
        f"ZONE=/work/{SHARED}/data/root-zone/root.zone",
    ):
        assert FORBIDDEN.search(line), line
    assert not FORBIDDEN.search("the shared-socket transport; shared name servers")


def test_the_default_root_zone_is_the_snapshot_shipped_in_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DNSCC_ROOT_ZONE", raising=False)
    assert default_root_zone() == SHIPPED_DATA / "root.zone"
    assert default_root_zone().is_relative_to(REPO / "src" / "dnscc")
    assert default_root_zone().stat().st_size > 1_000_000


def test_dnscc_root_zone_still_overrides_the_shipped_snapshot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DNSCC_ROOT_ZONE", str(tmp_path / "other.zone"))
    assert default_root_zone() == tmp_path / "other.zone"


@pytest.mark.parametrize("name", ["root.zone", "iana-root-db.csv"])
def test_the_data_readme_names_the_checksum_of_each_shipped_file(name: str) -> None:
    readme = (SHIPPED_DATA / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((SHIPPED_DATA / name).read_bytes()).hexdigest()
    assert f"`{name}`" in readme
    assert digest in readme


def test_the_iana_root_database_snapshot_ships_in_the_package() -> None:
    header = default_iana_rootdb().read_text(encoding="utf-8").splitlines()[0]
    assert header == "Domain,Type,TLD Manager,RDAP URLs,DNSSEC,Search"
