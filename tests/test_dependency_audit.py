"""scripts/dependency_audit.py says why npm audit could not check the CSAF validator's
packages: a registry that serves packages but not npm's audit service (HTTP 405 on the
advisory request), or npm's own error, with what went unchecked."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "dependency_audit", REPO / "scripts/dependency_audit.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _validator(tmp_path: Path) -> Path:
    lock = {"packages": {"": {}, "node_modules/a": {}, "node_modules/b": {}}}
    (tmp_path / "package-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    return tmp_path


def test_a_registry_without_the_audit_service_is_named_with_what_went_unchecked(
    tmp_path: Path,
) -> None:
    report = {
        "message": "405 Method Not Allowed - POST https://registry.invalid/-/npm/v1/security/advisories/bulk",
        "headers": {"allow": ["GET,HEAD"]},
    }
    text = _script().npm_unavailable(
        report, "npm error audit endpoint returned an error", _validator(tmp_path)
    )
    assert text.startswith("the npm registry reached here answered 405 Method Not Allowed")
    assert "(it allows GET,HEAD only)" in text
    assert "not npm's audit service" in text
    assert f"the 2 locked packages of {tmp_path} were not checked" in text
    assert "`npm audit --omit=dev`" in text


def test_an_npm_error_is_said_with_its_code(tmp_path: Path) -> None:
    report = {"error": {"code": "ENOTFOUND", "summary": "request to the registry failed\nmore"}}
    text = _script().npm_unavailable(report, "", _validator(tmp_path))
    assert text.startswith("npm audit failed (ENOTFOUND: request to the registry failed)")
    assert "the 2 locked packages" in text
