"""A socket-level guard for a whole process tree: put this directory on PYTHONPATH and set
DNSCC_SOCKET_GUARD_LOG to a file. Every Python process started with it then refuses, and
writes to that file, any connect or send to an address outside loopback, and any name
lookup that would ask the system's resolver (on this kind of machine the resolver is off
loopback, so a lookup is a packet that leaves). Each armed process appends its pid and
command line to `<log>.armed`, so a test can tell the guard was there.

A test helper, not part of dnscc: tests/test_demo_egress.py runs the demo and the scheduler
under it.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import sys
import traceback

_LOG = os.environ.get("DNSCC_SOCKET_GUARD_LOG")


def _hosts_names() -> set[str]:
    """Names /etc/hosts maps to loopback: looked up in the file, no packet."""
    names = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}
    try:
        with open("/etc/hosts", encoding="utf-8") as fh:
            for line in fh:
                fields = line.split("#", 1)[0].split()
                if len(fields) >= 2 and _is_loopback(fields[0]):
                    names.update(f.lower() for f in fields[1:])
    except OSError:
        pass
    return names


def _is_loopback(host: object) -> bool | None:
    """True/False for an IP address; None for a name."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ip = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _arm(log: str) -> None:
    local = _hosts_names()

    def violation(what: str, destination: object) -> OSError:
        stack = "".join(traceback.format_stack(limit=12)[:-2])
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"pid {os.getpid()} {what} {destination!r}\n{stack}\n")
        return OSError(errno.ENETUNREACH, f"socket guard: {what} {destination!r} refused")

    def check_address(what: str, address: object) -> None:
        if not isinstance(address, tuple) or not address:
            return  # a unix socket path
        host = address[0]
        verdict = _is_loopback(host)
        if verdict is None and str(host).lower().rstrip(".") in local:
            return
        if not verdict:
            raise violation(what, address)

    def check_name(what: str, host: object) -> None:
        if host is None or host == "":
            return
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if _is_loopback(host) is not None:
            return  # a literal address: no lookup; its use is checked at connect/send
        if str(host).lower().rstrip(".") not in local:
            raise violation(what, host)

    cls = socket.socket
    connect, connect_ex, sendto, sendmsg = cls.connect, cls.connect_ex, cls.sendto, cls.sendmsg

    def guarded_connect(self: socket.socket, address: object) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check_address("connect", address)
        return connect(self, address)  # type: ignore[arg-type]

    def guarded_connect_ex(self: socket.socket, address: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check_address("connect", address)
        return connect_ex(self, address)  # type: ignore[arg-type]

    def guarded_sendto(self: socket.socket, data: bytes, *args: object) -> int:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            check_address("sendto", args[-1])
        return sendto(self, data, *args)  # type: ignore[call-overload,no-any-return]

    def guarded_sendmsg(self: socket.socket, buffers: object, *args: object) -> int:
        if len(args) >= 3 and self.family in (socket.AF_INET, socket.AF_INET6):
            check_address("sendmsg", args[2])
        return sendmsg(self, buffers, *args)  # type: ignore[arg-type]

    cls.connect = guarded_connect  # type: ignore[method-assign]
    cls.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    cls.sendto = guarded_sendto  # type: ignore[method-assign,assignment]
    cls.sendmsg = guarded_sendmsg  # type: ignore[method-assign]

    getaddrinfo, gethostbyname = socket.getaddrinfo, socket.gethostbyname
    gethostbyname_ex, gethostbyaddr = socket.gethostbyname_ex, socket.gethostbyaddr

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        check_name("lookup", host)
        return getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    def guarded_gethostbyname(host: str) -> str:
        check_name("lookup", host)
        return gethostbyname(host)

    def guarded_gethostbyname_ex(host: str) -> object:
        check_name("lookup", host)
        return gethostbyname_ex(host)

    def guarded_gethostbyaddr(host: str) -> object:
        verdict = _is_loopback(host)
        if verdict is False:
            raise violation("reverse lookup", host)
        if verdict is None:
            check_name("lookup", host)
        return gethostbyaddr(host)

    socket.getaddrinfo = guarded_getaddrinfo  # type: ignore[assignment]
    socket.gethostbyname = guarded_gethostbyname
    socket.gethostbyname_ex = guarded_gethostbyname_ex  # type: ignore[assignment]
    socket.gethostbyaddr = guarded_gethostbyaddr  # type: ignore[assignment]

    with open(log + ".armed", "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()} {' '.join(sys.argv)[:200]}\n")


if _LOG:
    _arm(_LOG)
