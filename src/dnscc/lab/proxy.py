"""A small DNS proxy that misbehaves on purpose; run as `python -m dnscc.lab.proxy`.

Used where the real servers cannot be made to misbehave:
- `--delay-ms` / `--loss`: a slow or lossy name server. netem is the better tool, but the
  kernel here has no `sch_netem` ("Specified qdisc kind is unknown"), so the lab puts this
  proxy on the server's address and forwards to the real Knot instance.
- `--rewrite-nxdomain ADDR`: a resolver that turns NXDOMAIN for A queries into an answer
  (the "wildcarding" some ISPs did); it fronts a real Unbound.

UDP and TCP are both proxied. Loss applies to UDP datagrams (a dropped TCP query would only
show up as a slow connection).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import struct
import sys
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


def rewrite(wire: bytes, target: str | None) -> bytes:
    if target is None:
        return wire
    try:
        msg = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return wire
    if msg.rcode() != dns.rcode.NXDOMAIN or not msg.question:
        return wire
    q = msg.question[0]
    if q.rdtype != dns.rdatatype.A:
        return wire
    msg.set_rcode(dns.rcode.NOERROR)
    msg.flags &= ~dns.flags.AD
    msg.authority = []
    msg.answer = [dns.rrset.from_text(q.name, 60, "IN", "A", target)]
    return msg.to_wire()


class Udp(asyncio.DatagramProtocol):
    def __init__(self, opts: argparse.Namespace) -> None:
        self.opts = opts
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.opts.loss and random.random() * 100 < self.opts.loss:
            return
        asyncio.get_running_loop().create_task(self.relay(data, addr))

    async def relay(self, data: bytes, addr: tuple[str, int]) -> None:
        if self.opts.delay_ms:
            await asyncio.sleep(self.opts.delay_ms / 1000)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[bytes] = loop.create_future()

        class Once(asyncio.DatagramProtocol):
            def datagram_received(self, reply: bytes, _a: tuple[str, int]) -> None:
                if not fut.done():
                    fut.set_result(reply)

        transport, _ = await loop.create_datagram_endpoint(
            Once, remote_addr=(self.opts.upstream, self.opts.upstream_port)
        )
        try:
            transport.sendto(data)
            reply = await asyncio.wait_for(fut, 5)
        except (TimeoutError, OSError):
            return
        finally:
            transport.close()
        if self.transport is not None:
            self.transport.sendto(rewrite(reply, self.opts.rewrite_nxdomain), addr)


async def tcp_client(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, opts: argparse.Namespace
) -> None:
    try:
        up_r, up_w = await asyncio.open_connection(opts.upstream, opts.upstream_port)
    except OSError:
        writer.close()
        return
    try:
        while True:
            head = await reader.readexactly(2)
            body = await reader.readexactly(struct.unpack("!H", head)[0])
            if opts.delay_ms:
                await asyncio.sleep(opts.delay_ms / 1000)
            up_w.write(head + body)
            await up_w.drain()
            # an AXFR answers with several messages; relay until the upstream pauses
            while True:
                try:
                    rhead = await asyncio.wait_for(up_r.readexactly(2), 0.5)
                except TimeoutError:
                    break
                rbody = await up_r.readexactly(struct.unpack("!H", rhead)[0])
                out = rewrite(rbody, opts.rewrite_nxdomain)
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
    except (asyncio.IncompleteReadError, OSError):
        pass
    finally:
        up_w.close()
        writer.close()


async def serve(opts: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    udp, _ = await loop.create_datagram_endpoint(
        lambda: Udp(opts), local_addr=(opts.listen, opts.port)
    )
    tcp = await asyncio.start_server(lambda r, w: tcp_client(r, w, opts), opts.listen, opts.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"proxy {opts.listen}:{opts.port} -> {opts.upstream}:{opts.upstream_port}", flush=True)
    await stop.wait()
    udp.close()
    tcp.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dnscc.lab.proxy")
    p.add_argument("--listen", required=True)
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--upstream", required=True)
    p.add_argument("--upstream-port", type=int, default=53)
    p.add_argument("--delay-ms", type=int, default=0)
    p.add_argument("--loss", type=float, default=0.0, help="percent of UDP queries dropped")
    p.add_argument("--rewrite-nxdomain", default=None, metavar="ADDR")
    asyncio.run(serve(p.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
