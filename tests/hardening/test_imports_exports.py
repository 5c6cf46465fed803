"""Issue 18, defects 5 and 9: formula injection in the contacts export, and importer crashes
on nested JSON, oversized CSV fields and NUL characters (exit 70, 500). Exports go through
the one CSV writer; imports through the one input guard (exit 65, 4xx)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dnscc import cli
from dnscc.directory.models import Contact
from tests.conftest import World

pytestmark = pytest.mark.django_db

FORMULAS = ["=cmd|' /C calc'!A0", '+1 =HYPERLINK("http://evil.example","x")', "@SUM(1+1)"]


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue(), err.getvalue()


def test_the_contacts_export_writes_formulas_as_text_and_imports_back(world: World) -> None:
    for n, formula in enumerate(FORMULAS):
        Contact.objects.create(
            organization=world.org_a, name=formula, email=f"f{n}@alpha.example", phone="+1 555"
        )
    response = world.api("coordinator").get("/api/v1/directory/export/contacts?format=csv")
    text = response.content.decode()
    for formula in FORMULAS:
        assert "'" + formula.replace('"', '""') in text
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "-", "@")), line
    # The export imports back unchanged: the importer reads the escaped cells.
    upload = SimpleUploadedFile("contacts.csv", text.encode(), content_type="text/csv")
    result = world.api("coordinator").post(
        "/api/v1/directory/import/contacts", {"file": upload, "dry_run": "true"}
    )
    report = result.json()
    assert report["errors"] == []
    assert report["created"] == []
    assert report["updated"] == []


def test_deeply_nested_json_is_refused_by_the_cli_with_exit_65(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.json"
    path.write_text("[" * 100_000)
    code, _, err = _cli("import", "contacts", str(path))
    assert code == 65, err
    assert "nested deeper than 64 levels" in err


def test_deeply_nested_json_is_a_422_from_the_api(world: World) -> None:
    upload = SimpleUploadedFile("contacts.json", b"[" * 100_000)
    response = world.api("coordinator").post("/api/v1/directory/import/contacts", {"file": upload})
    assert response.status_code == 422
    assert "nested deeper" in response.json()["detail"]


def test_a_csv_field_over_the_limit_is_exit_65_with_its_line(world: World, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "organization,name,email\nalpha-registry," + "x" * 140_000 + ",a@alpha.example\n"
    )
    code, _, err = _cli("import", "contacts", str(path))
    assert code == 65, err
    assert "line 2" in err
    assert "longer than 131072 bytes" in err


def test_a_nul_rejects_its_record_by_field_and_keeps_the_others(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.json"
    path.write_text(
        json.dumps(
            [
                {"organization": "alpha-registry", "name": "Bad\x00", "email": "b@alpha.example"},
                {"organization": "alpha-registry", "name": "Good", "email": "g@alpha.example"},
            ]
        )
    )
    code, _, err = _cli("import", "contacts", str(path))
    assert code == 65
    assert "name contains a NUL character" in err
    assert Contact.objects.filter(email="g@alpha.example").exists()
    assert not Contact.objects.filter(email="b@alpha.example").exists()


def test_the_embedded_database_and_data_directory_are_private(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    data = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DNSCC_", "DJANGO_"))}
    env.update(DNSCC_DEV="1", DNSCC_DATA_DIR=str(data))
    result = subprocess.run(
        [sys.executable, "-m", "dnscc", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (data / "dnscc.sqlite3").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700


def test_an_error_quotes_a_huge_value_as_a_bounded_excerpt(world: World, tmp_path: Path) -> None:
    from dnscc.core.errors import InputError
    from dnscc.core.names import normalize_name

    with pytest.raises(InputError) as info:
        normalize_name("a" * 100 + "!" + "b" * 5_000_000 + ".example")
    assert len(str(info.value)) < 1000
