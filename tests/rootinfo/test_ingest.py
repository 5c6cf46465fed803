"""Ingestion: the real sample from a directory tree, a tarball and a file; idempotence and
corrections; refused files reported with file and line while the rest is kept."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from dnscc.accounts.models import AuditEvent
from dnscc.rootinfo.ingest import ingest
from dnscc.rootinfo.models import DailyFile, IngestRun, LetterDay, SizeMonth


def test_the_real_sample_ingests_without_an_error(loaded: IngestRun) -> None:
    assert loaded.state == IngestRun.DONE
    assert (loaded.files_new, loaded.files_rejected, loaded.files_corrected) == (440, 0, 0)
    assert loaded.problems == []
    assert DailyFile.objects.count() == 440
    assert LetterDay.objects.filter(queries_udp4__isnull=False).count() == 181
    assert SizeMonth.objects.exclude(letter="").count() == 13
    assert AuditEvent.objects.filter(action="rootinfo.ingest").count() == 1


def test_stored_figures_match_the_published_files(loaded: IngestRun, sample: Path) -> None:
    for letter, day, name in [("k", "20240609", "k-root"), ("c", "20240601", "c-root")]:
        path = sample / f"2024/06/traffic-volume/{name}-{day}-traffic-volume.yaml"
        published = yaml.safe_load(path.read_bytes())
        row = LetterDay.objects.get(letter=letter, day=f"{day[:4]}-{day[4:6]}-{day[6:]}")
        assert row.queries_udp4 == published["dns-udp-queries-received-ipv4"]
        assert row.responses_tcp6 == published["dns-tcp-responses-sent-ipv6"]
    c = yaml.safe_load(
        (sample / "2024/06/rcode-volume/c-root-20240601-rcode-volume.yaml").read_bytes()
    )
    row = LetterDay.objects.get(letter="c", day="2024-06-01")
    assert row.rcode_nxdomain == c[3]
    assert row.rcode_total == sum(v for k, v in c.items() if isinstance(k, int))


def test_the_same_files_again_change_nothing(loaded: IngestRun, sample: Path) -> None:
    before = list(DailyFile.objects.order_by("pk").values_list("pk", "sha256", "ingested_at"))
    again = ingest(sample, jobs=1)
    assert (again.files_new, again.files_unchanged, again.files_corrected) == (0, 440, 0)
    assert (
        list(DailyFile.objects.order_by("pk").values_list("pk", "sha256", "ingested_at")) == before
    )


def test_a_corrected_file_replaces_the_old_one_and_says_so(
    loaded: IngestRun, sample: Path, tmp_path: Path
) -> None:
    original = (sample / "2024/06/traffic-volume/a-root-20240601-traffic-volume.yaml").read_text()
    fixed = original.replace("dns-udp-queries-received-ipv4: ", "dns-udp-queries-received-ipv4: 1")
    path = tmp_path / "a-root-20240601-traffic-volume.yaml"
    path.write_text(fixed)
    run = ingest(path, jobs=1)
    assert (run.files_new, run.files_corrected) == (0, 1)
    assert run.corrections[0]["letter"] == "a"
    assert run.corrections[0]["replaced"].endswith("a-root-20240601-traffic-volume.yaml")
    row = DailyFile.objects.get(letter="a", metric="traffic-volume", day="2024-06-01")
    assert row.corrections == 1
    published = yaml.safe_load(fixed)["dns-udp-queries-received-ipv4"]
    assert LetterDay.objects.get(letter="a", day="2024-06-01").queries_udp4 == published


def _tar(members: dict[str, bytes], **kinds: Any) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in kinds.get("links", {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def test_a_tarball_ingests_and_paths_outside_its_root_are_refused(
    db: Any, sample: Path, tmp_path: Path
) -> None:
    good = sample / "2024/06/unique-sources/a-root-20240601-unique-sources.yaml"
    data = good.read_bytes()
    archive = tmp_path / "rssac002.tar.gz"
    archive.write_bytes(
        _tar(
            {
                "RSSAC002-data/2024/06/unique-sources/a-root-20240601-unique-sources.yaml": data,
                "../../etc/b-root-20240601-unique-sources.yaml": data,
                "/abs/c-root-20240601-unique-sources.yaml": data,
                "RSSAC002-data/README.md": b"not yaml",
            },
            links={"RSSAC002-data/d-root-20240601-unique-sources.yaml": "/etc/passwd"},
        )
    )
    run = ingest(archive, jobs=1)
    assert run.kind == "tarball"
    assert (run.files_new, run.files_rejected) == (1, 3)
    files = sorted(p["file"] for p in run.problems)
    assert files == [
        "../../etc/b-root-20240601-unique-sources.yaml",
        "/abs/c-root-20240601-unique-sources.yaml",
        "RSSAC002-data/d-root-20240601-unique-sources.yaml",
    ]
    assert all("refused" in p["error"] for p in run.problems)
    assert list(DailyFile.objects.values_list("letter", flat=True)) == ["a"]


def test_bad_files_are_reported_with_file_and_line_and_the_good_ones_kept(
    db: Any, sample: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "2024/06/unique-sources"
    tree.mkdir(parents=True)
    good = (sample / "2024/06/unique-sources/a-root-20240601-unique-sources.yaml").read_text()
    (tree / "a-root-20240601-unique-sources.yaml").write_text(good)
    (tree / "b-root-20240601-unique-sources.yaml").write_text(good)  # says a-root inside
    (tree / "c-root-20240601-unique-sources.yaml").write_text(
        good.replace("a.root", "c.root").replace("num-sources-ipv4: ", "num-sources-ipv4: -")
    )
    (tree / "d-root-20240601-unique-sources.yaml").write_text("---\n{broken\n")
    big = tree / "e-root-20240601-unique-sources.yaml"
    with big.open("wb") as fh:  # a sparse file: larger than the bound, nothing on disk
        fh.truncate(1 << 30)
    run = ingest(tmp_path, jobs=1)
    assert (run.files_new, run.files_rejected) == (1, 4)
    by_file = {Path(p["file"]).name[:6]: p for p in run.problems}
    assert by_file["b-root"]["line"] == 3
    assert by_file["c-root"]["line"] == 6
    assert "negative" in by_file["c-root"]["error"]
    assert by_file["d-root"]["line"] == 2
    assert "larger than" in by_file["e-root"]["error"]
    assert DailyFile.objects.get().letter == "a"


def test_a_directory_of_many_files_is_parsed_on_worker_processes(
    db: Any, sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dnscc.rootinfo import ingest as module

    monkeypatch.setattr(module, "POOL_FROM", 10)
    monkeypatch.setattr(module, "BATCH", 100)
    run = ingest(sample, jobs=2)
    assert (run.files_new, run.files_rejected) == (440, 0)
    assert DailyFile.objects.count() == 440
