"""Webhook targets are resolved once per connection and the checked address is the one
connected to: a DNS answer that changes between the check and the connection (rebinding)
cannot reach a forbidden address. The resolver is the one seam replaced here; the receiver
is a real HTTP server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from dnscc.outreach import httpclient
from dnscc.outreach.sinks import HttpSink


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    server = HttpSink().start()
    yield server
    server.stop()


def _guard(address: str) -> str | None:
    """Forbid 127.0.0.3 (a stand-in for 'private'); the receiver's 127.0.0.1 is allowed."""
    return "forbidden" if address == "127.0.0.3" else None


class Rebinding:
    """Answers the allowed address first, then a forbidden one, like a rebinding server."""

    def __init__(self) -> None:
        self.lookups = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups += 1
        return ["127.0.0.1"] if self.lookups == 1 else ["127.0.0.3"]


def _post(client: httpclient.Client, url: str) -> httpclient.Response:
    async def go() -> httpclient.Response:
        try:
            return await client.post(url, b"{}", {"Idempotency-Key": "k1"})
        finally:
            await client.close()

    return asyncio.run(go())


def test_the_checked_address_is_the_one_connected_to_with_the_host_name_kept(
    sink: HttpSink,
) -> None:
    resolve = Rebinding()
    client = httpclient.Client(timeout=2, guard=_guard, resolve=resolve)
    # hook.test exists only in this resolver: reaching the sink proves the connection went
    # to the address the guard checked, and one lookup proves there was no second one for
    # a rebinding answer (127.0.0.3, where nothing listens) to slip into.
    response = _post(client, f"http://hook.test:{sink.port}/ok")
    assert response.status == 200
    assert resolve.lookups == 1
    [received] = sink.received.messages
    assert received["headers"]["host"] == f"hook.test:{sink.port}"
    # A new connection looks again, and is refused once the name points elsewhere.
    with pytest.raises(httpclient.Refused, match=r"\(127\.0\.0\.3\)"):
        _post(client, f"http://hook.test:{sink.port}/ok")
    assert resolve.lookups == 2
    assert sink.received.total == 1


def test_a_name_resolving_to_a_forbidden_address_is_refused_before_connecting(
    sink: HttpSink,
) -> None:
    async def forbidden(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "127.0.0.3"]  # one bad address among good ones is enough

    client = httpclient.Client(timeout=2, guard=_guard, resolve=forbidden)
    with pytest.raises(httpclient.Refused, match=r"hook\.test resolves to a forbidden address"):
        _post(client, f"http://hook.test:{sink.port}/ok")
    assert sink.hits.total() == 0


def test_a_name_that_does_not_resolve_is_a_temporary_failure() -> None:
    async def nxdomain(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    client = httpclient.Client(timeout=2, guard=_guard, resolve=nxdomain)
    with pytest.raises(httpclient.HttpError, match=r"cannot resolve hook\.test") as caught:
        _post(client, "http://hook.test/ok")
    assert not isinstance(caught.value, httpclient.Refused)
