"""Fuzzing the whole API from its OpenAPI schema (schemathesis), as a coordinator, an
operator, a partner and an anonymous caller: no answer may be a server error (5xx), and
every answer the schema describes must match it.

Every operation in /api/v1/openapi.json is fuzzed, so a new app's routes are covered the
day they land. Bounded: FUZZ_EXAMPLES generated requests per operation and role (set
DNSCC_FUZZ_EXAMPLES to fuzz harder by hand), FUZZ_SECONDS per role. Run once, on SQLite
(scripts/test leaves it out of the PostgreSQL run: it fuzzes the API, not the database).
Nothing leaves the machine: for the length of the run, any connection or name lookup
outside loopback is refused (an operation that fetches a URL, a webhook) and surfaces as
that operation's own error handling.

The figures of a run (operations, requests, failures) are printed at the end of each role
and kept in `FIGURES` for the summary line.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from dnscc.wsgi import application
from tests.conftest import World

pytestmark = pytest.mark.django_db(transaction=False)

FUZZ_EXAMPLES = int(os.environ.get("DNSCC_FUZZ_EXAMPLES", "4"))
# A run that takes longer than this per role stops and fails: the bound is part of the test.
FUZZ_SECONDS = int(os.environ.get("DNSCC_FUZZ_SECONDS", "600"))
CHECKS = [not_a_server_error, response_schema_conformance]
ROLES = ("coordinator", "operator", "partner", "anonymous")
FIGURES: dict[str, dict[str, int]] = {}


def _loopback(host: Any) -> bool:
    text = str(host[0] if isinstance(host, tuple) else host).strip("[]")
    if text in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse every connection and name lookup beyond loopback for the test's length."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host):
            raise socket.gaierror(socket.EAI_NONAME, f"fuzzing: no lookups of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise ConnectionRefusedError(f"fuzzing: no connections to {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def schema(world: World, loopback_only: None, settings: Any) -> Any:
    settings.OUTREACH_AUTODRAIN = False  # messages are queued, never sent
    settings.ALLOWED_HOSTS = ["*"]  # schemathesis' WSGI client names its own host
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.mark.parametrize("role", ROLES)
def test_no_operation_answers_a_server_error_or_breaks_its_schema(
    world: World, schema: Any, role: str
) -> None:
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "the schema lost its operations"
    requests = 0
    failures: list[str] = []
    started = time.monotonic()
    for operation in operations:
        if time.monotonic() - started > FUZZ_SECONDS:
            failures.append(f"the run passed its bound of {FUZZ_SECONDS} s; stopped")
            break

        @given(case=operation.as_strategy())
        @settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests on every run: a failure reproduces
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: Any) -> None:
            nonlocal requests
            requests += 1
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # noqa: BLE001 - each operation's failure is collected
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    FIGURES[role] = {
        "operations": len(operations),
        "requests": requests,
        "failures": len(failures),
        "seconds": round(time.monotonic() - started),
    }
    print(f"\nschemathesis as {role}: {FIGURES[role]}")
    assert not failures, "\n\n".join(failures)
