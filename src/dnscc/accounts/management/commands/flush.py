"""Django's `flush`, which empties every table, with the audit log's triggers lifted for
the length of it: the triggers refuse row-level tampering, and a flush is the explicit,
whole-database reset (tests between transactional cases, an administrator starting over).
An emptied log is still caught by `dnscc audit verify` against the latest checkpoint."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush

from dnscc.accounts import dbguard


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with dbguard.lifted(options.get("database") or "default"):
            super().handle(**options)
