"""`dnscc campaign ...`."""

from __future__ import annotations

from typing import Any

from dnscc.campaigns import cli_results


def register(sub: Any) -> None:
    p = sub.add_parser("campaign", help="coordinated action campaigns")
    csub = p.add_subparsers(dest="campaign_command", metavar="ACTION", required=True)
    # Verification, reports and exports (cli_results.py; keep this line).
    cli_results.add_commands(csub)
