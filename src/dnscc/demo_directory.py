"""The demo's directory beyond the root zone: IANA's TLD managers beside the inferred
operators (so .ng shows its real manager), and the evidence behind the resource-constrained
flags of the demo registries. Called from dnscc.demo."""

from __future__ import annotations

from dnscc.accounts import audit
from dnscc.core.paths import default_iana_rootdb
from dnscc.directory.iana_import import import_iana_rootdb
from dnscc.directory.models import Tld


def load_managers(actor: audit.Actor) -> list[str]:
    """Import the shipped IANA snapshot (idempotent); one line for the demo's output."""
    report = import_iana_rootdb(default_iana_rootdb(), actor=actor)
    ng = Tld.objects.select_related("manager", "operator").filter(name="ng").first()
    line = f"IANA managers: {report.assigned} TLDs"
    if ng is not None and ng.manager is not None and ng.operator is not None:
        line += f"; .ng is managed by {ng.manager.name}, run by {ng.operator.name}"
    return [line]
