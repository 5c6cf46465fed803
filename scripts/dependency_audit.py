"""Known vulnerabilities in the dependencies, run by scripts/check.

Python: pip-audit over the project's environment (the locked dependencies, dev included).
Node.js: npm audit over tools/csaf-validator (production dependencies).
Fails (exit 1) on a known vulnerability that has a fix: upgrade it (uv lock --upgrade-package
NAME, npm update). A vulnerability without any fixed version is reported and does not fail.
When an audit service cannot be reached the script says so and does not pass it off as
clean: it exits 0 with a warning, since the check cannot be made (set
DNSCC_AUDIT_REQUIRED=1 to fail instead).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def _warn_unavailable(what: str, detail: str) -> int:
    print(f"dependency audit: {what} could not be checked: {detail.strip()[:600]}", file=sys.stderr)
    return 1 if os.environ.get("DNSCC_AUDIT_REQUIRED") == "1" else 0


def python_audit() -> int:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip_audit",
            "--skip-editable",
            "--progress-spinner",
            "off",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=REPO,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        return _warn_unavailable("Python packages (pip-audit)", result.stderr or result.stdout)
    fixable, unfixed = [], []
    for dep in report.get("dependencies", []):
        for vuln in dep.get("vulns", []):
            line = f"{dep['name']} {dep['version']}: {vuln['id']}"
            if vuln.get("fix_versions"):
                fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                unfixed.append(f"{line} (no fix yet)")
    for line in unfixed:
        print(f"dependency audit: known, no fix yet: {line}", file=sys.stderr)
    for line in fixable:
        print(f"dependency audit: FIX AVAILABLE: {line}", file=sys.stderr)
    print(
        f"dependency audit: {len(report.get('dependencies', []))} Python packages, "
        f"{len(fixable)} with a fixable vulnerability"
    )
    return 1 if fixable else 0


def node_audit() -> int:
    folder = REPO / "tools" / "csaf-validator"
    if not (folder / "package-lock.json").exists():
        return 0
    try:
        result = subprocess.run(
            ["npm", "audit", "--omit=dev", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=folder,
        )
    except FileNotFoundError:
        return _warn_unavailable("the CSAF validator (npm audit)", "npm is not installed")
    try:
        report = json.loads(result.stdout)
    except ValueError:
        report = {}
    if "vulnerabilities" not in report:
        return _warn_unavailable(
            "the CSAF validator (npm audit)", npm_unavailable(report, result.stderr, folder)
        )
    fixable = [
        f"{name} ({item.get('severity')})"
        for name, item in report["vulnerabilities"].items()
        if item.get("fixAvailable")
    ]
    for line in fixable:
        print(f"dependency audit: FIX AVAILABLE (npm): {line}", file=sys.stderr)
    print(f"dependency audit: CSAF validator, {len(fixable)} fixable npm vulnerabilities")
    return 1 if fixable else 0


def npm_unavailable(report: dict[str, Any], stderr: str, folder: Path) -> str:
    """Why npm audit gave no report, in words: what answered, what went unchecked, and how
    to check it where it can be."""
    try:
        lock = json.loads((folder / "package-lock.json").read_text(encoding="utf-8"))
        count = f"{len([k for k in lock.get('packages', {}) if k])} locked packages"
    except (OSError, ValueError):
        count = "locked packages"
    place = folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder
    unchecked = f"the {count} of {place} were not checked (run `npm audit --omit=dev` there"
    status = str(report.get("message", "")).split(" - ")[0]  # e.g. "405 Method Not Allowed"
    if status[:3].isdigit():
        allowed = ", ".join(report.get("headers", {}).get("allow", []))
        return (
            f"the npm registry reached here answered {status}"
            f"{f' (it allows {allowed} only)' if allowed else ''} to npm audit's advisory "
            f"request: it serves packages, not npm's audit service, so {unchecked} where "
            "the audit service is reached)"
        )
    error = report.get("error")
    if isinstance(error, dict):
        summary = str(error.get("summary") or error.get("detail") or "").strip().splitlines()
        what = f"{error.get('code') or 'error'}: {summary[0] if summary else 'no detail'}"
        return f"npm audit failed ({what}), so {unchecked} again)"
    lines = [line for line in stderr.splitlines() if line.strip()]
    return f"npm audit gave no report ({lines[0] if lines else 'no output'}), so {unchecked})"


if __name__ == "__main__":
    sys.exit(max(python_audit(), node_audit()))
