"""A small HTTP/1.1 client for webhooks: POST with keep-alive, nothing else.

httpx costs about 3 ms of CPU per request here; a fan-out to 1,500 webhooks spends most
of its time there. Webhooks need one thing: POST a body, read the status, never follow a
redirect. This does that over pooled asyncio connections (TLS through the standard
library, certificates verified), reading and discarding the response body (Content-Length
or chunked; without either, until the server closes).

With a `guard`, every new connection resolves the host once, refuses it when any of its
addresses is forbidden (`Refused`), and connects to the address it checked: a name that
answers a public address to the check and a private one to the connection (DNS
rebinding) cannot slip between the two, because there is no second lookup. TLS still
verifies the certificate against the host name.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_BODY = 1 << 20  # a receiver's answer is not read beyond this


@dataclass(frozen=True)
class Response:
    status: int
    reason: str


class HttpError(Exception):
    """Connection, protocol or timeout failure (never an HTTP status)."""


class Refused(HttpError):
    """The host resolves to an address the guard forbids: no connection was attempted."""


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Guard = Callable[[str], str | None]  # an IP address -> why it is forbidden, or None
Resolve = Callable[[str, int], Awaitable[list[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses, from the system's resolver (the one seam tests replace)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class Client:
    def __init__(
        self,
        *,
        timeout: float,
        per_host: int = 32,
        guard: Guard | None = None,
        resolve: Resolve = system_resolve,
    ) -> None:
        self.timeout = timeout
        self.per_host = per_host
        self.guard = guard
        self.resolve = resolve
        self.idle: dict[tuple[str, str, int], list[Conn]] = {}
        self.limits: dict[tuple[str, str, int], asyncio.Semaphore] = {}
        self._ssl: ssl.SSLContext | None = None

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _address(self, host: str, port: int) -> str:
        """The one address a new connection goes to: resolved once, checked by the guard."""
        if self.guard is None:
            return host  # open_connection resolves it
        try:
            addresses = await self.resolve(host, port)
        except OSError as exc:
            raise HttpError(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise HttpError(f"cannot resolve {host}: no address")
        for address in addresses:
            why = self.guard(address)
            if why:
                raise Refused(f"{host} resolves to a forbidden address ({address}): {why}")
        return addresses[0]

    async def _connect(self, scheme: str, host: str, port: int) -> Conn:
        address = await self._address(host, port)
        if scheme == "https":
            return await asyncio.open_connection(
                address, port, ssl=self._context(), server_hostname=host
            )
        return await asyncio.open_connection(address, port)

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        parts = urlsplit(url)
        scheme = parts.scheme
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (scheme, host, port)
        limit = self.limits.setdefault(key, asyncio.Semaphore(self.per_host))
        host_header = host if parts.port is None else f"{host}:{port}"
        head = [f"POST {target} HTTP/1.1", f"Host: {host_header}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        async with limit:
            try:
                async with asyncio.timeout(self.timeout):
                    return await self._exchange(key, request)
            except TimeoutError:
                raise HttpError(f"no answer within {self.timeout:g} s") from None
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                raise HttpError(f"{type(exc).__name__}: {exc}") from None

    async def _exchange(self, key: tuple[str, str, int], request: bytes) -> Response:
        pool = self.idle.setdefault(key, [])
        reused = bool(pool)
        reader, writer = pool.pop() if pool else await self._connect(*key)
        try:
            writer.write(request)
            await writer.drain()
            line = await reader.readline()
            if not line and reused:  # the server closed an idle connection: once more, fresh
                writer.close()
                reader, writer = await self._connect(*key)
                writer.write(request)
                await writer.drain()
                line = await reader.readline()
            version, _, rest = line.decode("latin-1").strip().partition(" ")
            if not version.startswith("HTTP/1."):
                raise ValueError(f"not an HTTP/1.x answer: {line[:40]!r}")
            code, _, reason = rest.partition(" ")
            status = int(code)
            length, chunked, close = None, False, version == "HTTP/1.0"
            while True:
                header = await reader.readline()
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.decode("latin-1").partition(":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value:
                    chunked = True
                elif name == "connection":
                    close = close or value == "close"
            if chunked:
                while True:
                    size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
                    await reader.readexactly(size + 2) if size else await reader.readline()
                    if not size:
                        break
            elif length is not None:
                await reader.readexactly(min(length, MAX_BODY))
                close = close or length > MAX_BODY
            else:
                await reader.read(MAX_BODY)
                close = True
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self.idle[key].append((reader, writer))
        return Response(status, reason.strip())

    async def close(self) -> None:
        for pool in self.idle.values():
            for _reader, writer in pool:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
        self.idle.clear()
