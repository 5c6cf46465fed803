"""Loopback receivers for the tests, the fan-out benchmark and the crash test: a real SMTP
server (aiosmtpd, a development dependency) and a small real HTTP/1.1 webhook receiver.

Both count what they accept by idempotency key, so a caller can check that every recipient
got its message and how many copies arrived. Each runs its own event loop in a thread.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KEY_HEADER = re.compile(
    rb"^X-Dnscc-Idempotency-Key: ([0-9a-f]{32})\r?$", re.MULTILINE | re.IGNORECASE
)


@dataclass
class Received:
    keys: Counter[str] = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)  # keys in order of arrival
    messages: list[dict[str, Any]] = field(default_factory=list)
    keep: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, key: str, item: dict[str, Any]) -> None:
        with self.lock:
            self.keys[key] += 1
            self.log.append(key)
            if self.keep:
                self.messages.append(item)

    @property
    def total(self) -> int:
        return sum(self.keys.values())

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.keys.values() if n > 1)


async def _cancel_others() -> None:
    """Cancel the connections still open (a hanging webhook), so nothing is left pending."""
    current = asyncio.current_task()
    others = [t for t in asyncio.all_tasks() if t is not current]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


class _Loop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 10) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class SmtpSink:
    """aiosmtpd on loopback. `replies` maps a recipient to an SMTP reply ('550 no such user').
    With `tls_context` it offers STARTTLS (and with `require_starttls` refuses mail without
    it); with `implicit_tls` it speaks TLS from the first byte. Each received message records
    whether its session was encrypted (`tls`)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        keep: bool = True,
        tls_context: Any = None,
        require_starttls: bool = False,
        implicit_tls: bool = False,
    ) -> None:
        self.host = host
        self.port = 0  # the kernel picks a free one when the server binds (start)
        self.received = Received(keep=keep)
        self.replies: dict[str, str] = {}
        self.sessions = 0
        self.tls_context = tls_context
        self.require_starttls = require_starttls
        self.implicit_tls = implicit_tls
        self._loop: _Loop | None = None
        self._server: Any = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        reply = self.replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.original_content or envelope.content
        match = KEY_HEADER.search(content)
        key = match.group(1).decode() if match else ""
        tls = bool(self.implicit_tls or getattr(session, "ssl", None))
        self.received.add(
            key,
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "data": content,
                "tls": tls,
            },
        )
        return "250 Message accepted for delivery"

    def start(self) -> SmtpSink:
        from aiosmtpd.smtp import SMTP

        self._loop = _Loop()
        sink = self

        class _Counting(SMTP):
            async def _handle_client(self) -> None:  # count connections: reuse shows here
                sink.sessions += 1
                await super()._handle_client()

        starttls = self.tls_context if not self.implicit_tls else None

        def protocol() -> SMTP:
            return _Counting(
                sink,
                hostname="sink.test",
                data_size_limit=10_000_000,
                tls_context=starttls,
                require_starttls=self.require_starttls,
            )

        async def serve() -> Any:
            loop = asyncio.get_running_loop()
            # Port 0 the first time (the kernel picks); the same port when started again
            # after stop() (a relay that comes back).
            return await loop.create_server(
                protocol,
                self.host,
                self.port,
                ssl=self.tls_context if self.implicit_tls else None,
            )

        self._server = self._loop.call(serve())
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._loop is not None:
            server = self._server

            async def close() -> None:
                server.close()
                await _cancel_others()

            self._loop.call(close())
            self._loop.stop()
            self._loop = None


class HttpSink:
    """A small HTTP/1.1 receiver with keep-alive. Paths choose the behaviour:
    /ok (200), /hang (never answers), /redirect (302), /error (500), /gone (410)."""

    def __init__(self, *, host: str = "127.0.0.1", keep: bool = True) -> None:
        self.host = host
        self.port = 0  # the kernel picks a free one when the server binds (start)
        self.received = Received(keep=keep)
        self.hits: Counter[str] = Counter()
        self._loop: _Loop | None = None
        self._server: Any = None

    def url(self, path: str = "/ok") -> str:
        return f"http://{self.host}:{self.port}{path}"

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                _method, path, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while True:
                    h = await reader.readline()
                    if h in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                self.hits[path] += 1
                if path.startswith("/hang"):
                    await asyncio.sleep(3600)
                    break
                if path.startswith("/redirect"):
                    status = "302 Found\r\nLocation: http://127.0.0.1:1/elsewhere"
                elif path.startswith("/error"):
                    status = "500 Internal Server Error"
                elif path.startswith("/gone"):
                    status = "410 Gone"
                else:
                    status = "200 OK"
                    key = headers.get("idempotency-key", "")
                    self.received.add(key, {"path": path, "headers": headers, "body": body})
                writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (ConnectionError, ValueError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def start(self) -> HttpSink:
        self._loop = _Loop()

        async def serve() -> Any:
            return await asyncio.start_server(self._client, self.host, 0)

        self._server = self._loop.call(serve())
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        if self._loop is not None:
            server = self._server

            async def close() -> None:
                server.close()
                await _cancel_others()

            self._loop.call(close())
            self._loop.stop()
            self._loop = None


def populate(
    count: int,
    *,
    encrypted_every: int = 0,
    webhook_url: str = "",
    prefix: str = "fanout",
) -> list[Any]:
    """Create `count` organisations, each with one mail contact (every `encrypted_every`-th
    with an OpenPGP key, so mail to it is encrypted) and optionally a webhook contact.
    For the fan-out benchmark and the crash test; needs Django set up."""
    import pysequoia

    from dnscc.directory.models import Contact, Organization

    orgs = Organization.objects.bulk_create(
        [
            Organization(
                name=f"{prefix} registry {i}",
                slug=f"{prefix}-{i}",
                kind=Organization.TLD_REGISTRY,
                languages=[("en", "fr", "es")[i % 3]],
            )
            for i in range(count)
        ]
    )
    contacts = []
    for i, org in enumerate(orgs):
        key = ""
        if encrypted_every and i % encrypted_every == 0:
            key = str(pysequoia.Tsk.generate(f"ops <ops@{org.slug}.example>").extract_certificate())
        contacts.append(
            Contact(organization=org, name="Security", email=f"ops@{org.slug}.example", pgp_key=key)
        )
        if webhook_url:
            contacts.append(Contact(organization=org, name="Hook", webhook_url=webhook_url))
    Contact.objects.bulk_create(contacts)
    return list(orgs)
