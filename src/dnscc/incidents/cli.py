"""`dnscc incidents ...`."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Subcommands are added by the app's CLI owner."""
