"""Probe tests: the lab fixture (when the suite's root conftest does not register it yet)."""

from __future__ import annotations

import sys

_root = sys.modules.get("tests.conftest")
if "dnscc.lab.pytest_plugin" not in getattr(_root, "pytest_plugins", ()):
    from dnscc.lab.pytest_plugin import lab  # noqa: F401  (the session-scoped lab fixture)
