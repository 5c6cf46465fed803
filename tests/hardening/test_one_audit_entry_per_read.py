"""Issue 18, defect 11: an API read wrote two audit entries; one is enough. Every GET of
the API without path parameters, and the detail reads of the world's objects, write at most
one entry."""

from __future__ import annotations

import pytest

from dnscc.accounts.models import AuditEvent
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _reads() -> list[str]:
    from dnscc.api import api

    schema = api.get_openapi_schema()
    return sorted(
        path
        for path, methods in schema["paths"].items()
        if "get" in methods and "{" not in path and not path.endswith("openapi.json")
    )


@pytest.mark.parametrize("how", ["token", "session"])
def test_every_api_read_writes_at_most_one_audit_entry(world: World, how: str) -> None:
    client = world.api("coordinator") if how == "token" else world.client("coordinator")
    paths = [
        *_reads(),
        "/api/v1/directory/organizations/alpha-registry",
        "/api/v1/directory/tlds/alpha",
    ]
    twice = {}
    for path in paths:
        before = AuditEvent.objects.count()
        client.get(path)
        written = AuditEvent.objects.count() - before
        if written > 1:
            twice[path] = list(
                AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:written]
            )
    assert twice == {}
