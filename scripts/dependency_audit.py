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

REPO = Path(__file__).resolve().parents[1]


def _warn_unavailable(what: str, detail: str) -> int:
    print(f"dependency audit: {what} could not be checked: {detail.strip()[:300]}", file=sys.stderr)
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
            "the CSAF validator (npm audit)", result.stderr or json.dumps(report)[:300]
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


if __name__ == "__main__":
    sys.exit(max(python_audit(), node_audit()))
