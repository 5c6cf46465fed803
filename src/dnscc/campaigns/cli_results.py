"""`dnscc campaign verify|report|rpz|escalate` (added to the `campaign` command by cli.py)."""

from __future__ import annotations

from typing import Any


def add_commands(campaign_subparsers: Any) -> None:
    """Add the verification, report and export actions to `dnscc campaign`."""
