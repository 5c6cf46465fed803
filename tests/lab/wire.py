"""Packet capture on the loopback interface, for assertions about what goes on the wire."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

ETH_P_ALL = 0x0003


@dataclass
class Capture:
    """UDP datagrams seen on `lo` while the `with` block ran: (src, sport, dst, dport)."""

    packets: list[tuple[str, int, str, int]] = field(default_factory=list)

    def source_ports(self, src: str, dport: int = 53) -> set[int]:
        return {sp for s, sp, _d, dp in self.packets if s == src and dp == dport}


@contextlib.contextmanager
def capture_udp(*, settle: float = 0.3) -> Iterator[Capture]:
    """Capture IPv4 UDP on `lo` with an AF_PACKET socket (needs root, as the lab does)."""
    cap = Capture()
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind(("lo", 0))
    sock.settimeout(0.1)
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                frame, meta = sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if meta[2] == socket.PACKET_OUTGOING:  # lo shows each packet twice
                continue
            ip = frame[14:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 0x0F) * 4
            sport, dport = struct.unpack("!HH", ip[ihl : ihl + 4])
            cap.packets.append(
                (socket.inet_ntoa(ip[12:16]), sport, socket.inet_ntoa(ip[16:20]), dport)
            )

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield cap
        time.sleep(settle)
    finally:
        stop.set()
        thread.join(2)
        sock.close()
