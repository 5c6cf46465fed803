"""Fixtures of the sharing tests: taxii2-client endpoints against the live server."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def taxii_endpoint() -> Iterator[Callable[[Any], Any]]:
    """Register a taxii2-client endpoint (Server, ApiRoot) to be closed when the test ends;
    then wait for the live server's request threads to end.

    Why: an open keep-alive connection keeps its request thread alive. If it outlives the
    test, the thread ends only when the live server stops at the end of the session, and its
    last act, closing its database connection, fails there: on in-memory SQLite that is the
    test's own connection, no longer shared by then (a DatabaseError in the thread, and
    sockets left open: warnings, which the suite treats as errors). taxii2-client gives each
    API root a connection of its own, so register the roots too; and close the response of
    a refused request you keep (`exc.response.close()`): it holds its socket open."""
    endpoints: list[Any] = []

    def register(endpoint: Any) -> Any:
        endpoints.append(endpoint)
        return endpoint

    yield register
    for endpoint in endpoints:
        endpoint.close()
    for thread in threading.enumerate():
        if "process_request_thread" not in thread.name:
            continue
        thread.join(timeout=2)
        if thread.is_alive():
            # A connection the client still holds (a refused request's, whose response keeps
            # it): end it from the server's side, while the live server still shares the
            # database connection with its threads.
            with contextlib.suppress(OSError, AttributeError, IndexError):
                thread._args[0].shutdown(socket.SHUT_RDWR)  # type: ignore[attr-defined]
            thread.join(timeout=10)
