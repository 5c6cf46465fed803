"""The `dnscc` command: one entry point, one subcommand per thing a user does.

Each concern contributes its subcommands from its own module (listed in COMMAND_MODULES)
through a `register(subparsers)` function; each subcommand sets `func(args) -> int`.
Commands that need the database call `django_setup()` first; pure ones (the lab) do not,
so `dnscc lab ...` works without any Django configuration.

Errors derived from DnsccError are printed as one clear message and mapped to their exit
code; no traceback reaches the user unless DNSCC_DEBUG_TRACEBACK=1.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from dnscc.core.errors import DnsccError, UsageError

COMMAND_MODULES = [
    "dnscc.commands.server",
    "dnscc.commands.scheduler",
    "dnscc.accounts.cli",
    "dnscc.directory.cli",
    "dnscc.outreach.cli",
    "dnscc.monitoring.cli",
    "dnscc.rootinfo.cli",
    "dnscc.incidents.cli",
    "dnscc.incidents.cli_reports",
    "dnscc.incidents.cli_desks",
    "dnscc.campaigns.cli",
    "dnscc.sharing.cli",
    "dnscc.risk.cli",
    "dnscc.exercises.cli",
    "dnscc.metrics.cli",
    "dnscc.probe.cli",
    "dnscc.lab.cli",
]

Handler = Callable[[argparse.Namespace], int]


def django_setup() -> None:
    """Configure Django for commands that touch the database or settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dnscc.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured

    from dnscc.core.errors import ConfigError

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        raise ConfigError(str(exc)) from None


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse exits 2 on usage errors; keep that
        raise UsageError(f"{self.prog}: {message}", hint=f"run `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dnscc", description="DNS security coordination center")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):  # a concern not built yet
                continue
            raise
        module.register(sub)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"dnscc {version('dnscc')}"
    except PackageNotFoundError:
        return "dnscc (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        func: Handler | None = getattr(args, "func", None)
        if func is None:
            parser.print_help()
            return 2
        return int(func(args) or 0)
    except DnsccError as exc:
        print(f"dnscc: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`dnscc ... | head`): end quietly, and keep Python from
        # complaining when it flushes stdout at exit.
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if os.environ.get("DNSCC_DEBUG_TRACEBACK") == "1":
            raise
        print(
            f"dnscc: internal error: {type(exc).__name__}: {exc}\n"
            "  (set DNSCC_DEBUG_TRACEBACK=1 to see the traceback, and please report it)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
