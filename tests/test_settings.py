"""Typed settings fail loudly; production refuses to start without a key or hosts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from dnscc import checks
from dnscc.envsettings import database_from_url, env_bool, env_int, env_list, env_secret

GOOD_KEY = "q3XvN8-pL0wZr5Kt_Hc7yBd2Mf9Gs4Jx6Ae1Uo0Wi8Rn"  # what secrets.token_urlsafe gives


def test_env_bool_accepts_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("yes", True), ("On", True), ("0", False), ("no", False)]:
        monkeypatch.setenv("DNSCC_X", raw)
        assert env_bool("DNSCC_X") is expected


def test_env_bool_refuses_a_typo_and_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSCC_X", "ture")
    with pytest.raises(ImproperlyConfigured, match=r"DNSCC_X='ture' is not a boolean"):
        env_bool("DNSCC_X")


def test_env_int_checks_type_and_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSCC_N", "12")
    assert env_int("DNSCC_N", 1, minimum=1) == 12
    monkeypatch.setenv("DNSCC_N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("DNSCC_N", 1)
    monkeypatch.setenv("DNSCC_N", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum 1"):
        env_int("DNSCC_N", 5, minimum=1)


def test_env_list_splits_on_commas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DNSCC_L", " a.example, b.example ,,")
    assert env_list("DNSCC_L") == ["a.example", "b.example"]


def test_secrets_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("from-a-file\n")
    monkeypatch.delenv("DNSCC_S", raising=False)
    monkeypatch.setenv("DNSCC_S_FILE", str(secret))
    assert env_secret("DNSCC_S") == "from-a-file"


def test_a_secret_set_twice_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DNSCC_S", "x")
    monkeypatch.setenv("DNSCC_S_FILE", str(tmp_path / "key"))
    with pytest.raises(ImproperlyConfigured, match="not both"):
        env_secret("DNSCC_S")


def test_an_unreadable_secret_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("DNSCC_S", raising=False)
    monkeypatch.setenv("DNSCC_S_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfigured, match=r"DNSCC_S_FILE=.*cannot be read"):
        env_secret("DNSCC_S")


def test_database_url_is_parsed_into_django_settings() -> None:
    db = database_from_url("postgresql://dnscc:p%40ss@db.example:5433/center?sslmode=require")
    assert db["NAME"] == "center"
    assert db["USER"] == "dnscc"
    assert db["PASSWORD"] == "p@ss"
    assert db["HOST"] == "db.example"
    assert db["PORT"] == "5433"
    assert db["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://x/y", "scheme 'mysql'"), ("postgresql://host/", "names no database")],
)
def test_a_bad_database_url_is_refused(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


def _ids(**overrides: object) -> set[str]:
    overrides.setdefault("AUDIT_KEY", GOOD_KEY)
    with override_settings(**overrides):
        return {m.id for m in checks.check_production()}


def test_production_without_a_secret_key_is_E001() -> None:
    assert "dnscc.E001" in _ids(DEV=False, SECRET_KEY="", ALLOWED_HOSTS=["x.example"])


def test_production_with_the_development_key_is_E001() -> None:
    assert "dnscc.E001" in _ids(DEV=False, SECRET_KEY=checks.DEV_KEY, ALLOWED_HOSTS=["x"])


def test_production_with_a_short_key_is_E001() -> None:
    assert "dnscc.E001" in _ids(DEV=False, SECRET_KEY="short", ALLOWED_HOSTS=["x"])


@pytest.mark.parametrize("key", ["a" * 32, "k" * 50, "abababababababababababababababab"])
def test_a_long_but_predictable_secret_key_is_E001(key: str) -> None:
    assert "dnscc.E001" in _ids(DEV=False, SECRET_KEY=key, ALLOWED_HOSTS=["x"], HTTPS=True)


def test_a_random_hex_key_of_32_characters_passes() -> None:
    key = "9f86d081884c7d659a2feaa0c55ad015"
    assert checks.secret_weakness(key) is None


@pytest.mark.parametrize("key", ["", "short", "a" * 40])
def test_production_without_a_usable_audit_key_is_E005(key: str) -> None:
    assert _ids(DEV=False, SECRET_KEY=GOOD_KEY, AUDIT_KEY=key, ALLOWED_HOSTS=["x"], HTTPS=True) == {
        "dnscc.E005"
    }


def test_production_without_allowed_hosts_is_E002() -> None:
    assert _ids(DEV=False, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=[], HTTPS=True) == {"dnscc.E002"}


def test_production_with_a_wildcard_host_is_E003() -> None:
    assert _ids(DEV=False, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=["*"], HTTPS=True) == {"dnscc.E003"}


def test_production_without_https_warns_W001() -> None:
    assert _ids(DEV=False, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=["x"], HTTPS=False) == {"dnscc.W001"}


def test_a_well_configured_production_passes() -> None:
    assert (
        _ids(DEV=False, SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS=["dnscc.example"], HTTPS=True) == set()
    )


def test_development_mode_skips_the_production_rules() -> None:
    assert _ids(DEV=True, SECRET_KEY="", ALLOWED_HOSTS=[]) == set()


def test_an_unwritable_data_dir_is_E004(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert [m.id for m in checks.data_dir_problems(blocker / "sub")] == ["dnscc.E004"]
    assert checks.data_dir_problems(tmp_path / "fine") == []


def _dnscc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DNSCC_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "dnscc", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_center_refuses_to_start_in_production_without_configuration(tmp_path: Path) -> None:
    result = _dnscc({"DNSCC_DATA_DIR": str(tmp_path)}, "migrate")
    assert result.returncode == 78
    assert "dnscc.E001" in result.stderr
    assert "dnscc.E002" in result.stderr
    assert "dnscc.E005" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_value_stops_the_command_with_its_name(tmp_path: Path) -> None:
    result = _dnscc({"DNSCC_DATA_DIR": str(tmp_path), "DNSCC_DEV": "maybe"}, "check")
    assert result.returncode == 78
    assert "DNSCC_DEV='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_mode_is_the_default(tmp_path: Path) -> None:
    result = _dnscc({"DNSCC_DATA_DIR": str(tmp_path)}, "check", "--json")
    assert '"dnscc.E001"' in result.stdout
    dev = _dnscc({"DNSCC_DATA_DIR": str(tmp_path), "DNSCC_DEV": "1"}, "check")
    assert dev.returncode == 0, dev.stderr


def test_a_worker_runs_the_checks_unless_it_is_the_one_serve_starts_after_running_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dnscc.cli import build_parser
    from dnscc.commands import server

    ran: list[str] = []
    monkeypatch.setattr(server, "run_checks", lambda: ran.append("checks"))
    monkeypatch.setattr(
        "django.core.management.call_command", lambda name, **options: ran.append(name)
    )
    server.worker(build_parser().parse_args(["worker", "--batch"]))
    assert ran == ["checks", "db_worker"]
    ran.clear()
    python, _m, _dnscc, *args = server.worker_command()
    assert python == sys.executable
    server.worker(build_parser().parse_args(args))
    assert ran == ["db_worker"]
