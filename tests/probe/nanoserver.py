"""A tiny in-process DNS server on loopback (dnspython's nanonameserver idea), UDP and TCP.

A handler gets the raw query and its parse and returns what to send back: a Message, raw
bytes (garbage, a wrong id...), a list of those (several datagrams), or None (silence).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import dns.message

_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
Reply = dns.message.Message | bytes | list[dns.message.Message | bytes] | None
Handler = Callable[[dns.message.Message, bool], Reply]


@dataclass
class Server:
    address: str
    port: int
    arrivals: list[float] = field(default_factory=list)  # monotonic times of UDP queries
    tcp_queries: int = 0


def _wire(r: dns.message.Message | bytes) -> bytes:
    return r if isinstance(r, bytes) else r.to_wire()


def _list(reply: Reply) -> list[dns.message.Message | bytes]:
    if reply is None:
        return []
    return reply if isinstance(reply, list) else [reply]


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: Server, handler: Handler, delay: float) -> None:
        self.server, self.handler, self.delay = server, handler, delay
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.server.arrivals.append(time.monotonic())
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - a test server ignores what it cannot read
            return
        replies = [_wire(r) for r in _list(self.handler(query, False))]
        loop = asyncio.get_running_loop()
        for w in replies:
            if self.delay:
                loop.call_later(self.delay, self._send, w, addr)
            else:
                self._send(w, addr)

    def _send(self, wire: bytes, addr: tuple[str | int, ...]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(wire, addr)


@contextlib.asynccontextmanager
async def serve(
    handler: Handler, *, address: str = "127.0.0.1", delay: float = 0.0
) -> AsyncIterator[Server]:
    """Run a server on `address` (a free port) for the duration of the block."""
    loop = asyncio.get_running_loop()
    server = Server(address, 0)

    async def on_tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            (n,) = struct.unpack("!H", await reader.readexactly(2))
            query = dns.message.from_wire(await reader.readexactly(n))
            server.tcp_queries += 1
            for r in _list(handler(query, True)):
                w = _wire(r)
                writer.write(struct.pack("!H", len(w)) + w)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    # One port for UDP and TCP: take a free TCP port, then UDP on it (retry if taken).
    for _ in range(20):
        tcp = await asyncio.start_server(on_tcp, address, 0)
        server.port = tcp.sockets[0].getsockname()[1]
        try:
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _Udp(server, handler, delay), local_addr=(address, server.port)
            )
        except OSError:
            tcp.close()
            await tcp.wait_closed()
            continue
        break
    else:
        raise OSError("no free port for the test server")
    try:
        yield server
    finally:
        udp.close()
        tcp.close()
        await tcp.wait_closed()


class Recorder:
    """A UDP server in its own thread that answers every query and records the kernel's
    arrival time of each (SO_TIMESTAMPNS), so rates are measured as they hit the wire."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self.sock.bind((address, 0))
        self.sock.settimeout(0.05)
        self.address, self.port = self.sock.getsockname()
        self.arrivals: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, anc, _f, addr = self.sock.recvmsg(65535, 64)
            except TimeoutError:
                continue
            except OSError:
                return
            for level, kind, blob in anc:
                if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", blob[:16])
                    self.arrivals.append(sec + nsec / 1e9)
            q = dns.message.from_wire(data)
            self.sock.sendto(dns.message.make_response(q).to_wire(), addr)
