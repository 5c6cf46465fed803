"""Unbound resolvers: validating, with the lab root hints and trust anchor, on loopback.

Each resolver sends its queries from its own address (`outgoing-interface`), so the
authoritative side (and a packet capture) can tell resolvers apart.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from dnscc.lab import procs

FIXED_PORT = 33333


@dataclass
class UnboundConf:
    name: str
    directory: Path
    listen: str  # where clients reach it (may be a proxy's upstream address)
    outgoing: str  # source address of its queries
    port: int
    root_hints: Path
    trust_anchor: Path
    fixed_source_port: bool = False

    @property
    def conf_path(self) -> Path:
        return self.directory / "unbound.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "unbound.log"

    @property
    def control_socket(self) -> Path:
        return self.directory / "control.sock"


def render(conf: UnboundConf) -> str:
    d = conf.directory
    lines = [
        "server:",
        f"  interface: {conf.listen}@{conf.port}",
        f"  outgoing-interface: {conf.outgoing}",
        "  do-ip6: no",
        "  do-daemonize: no",
        '  username: ""',
        '  chroot: ""',
        f'  directory: "{d}"',
        f'  pidfile: "{d / "unbound.pid"}"',
        f'  logfile: "{conf.log_path}"',
        "  use-syslog: no",
        "  verbosity: 1",
        "  val-log-level: 2",
        "  num-threads: 1",
        "  access-control: 127.0.0.0/8 allow",
        # the lab lives on loopback: let Unbound query it
        "  do-not-query-localhost: no",
        f'  root-hints: "{conf.root_hints}"',
        f'  trust-anchor-file: "{conf.trust_anchor}"',
        "  harden-glue: yes",
        "  harden-dnssec-stripped: yes",
        "  qname-minimisation: no",
        "  aggressive-nsec: no",
        "  prefetch: no",
        "  minimal-responses: no",
        "  cache-max-ttl: 5",
        "  cache-max-negative-ttl: 5",
        "  infra-host-ttl: 5",
        "  serve-expired: no",
        "  val-bogus-ttl: 1",
    ]
    if conf.fixed_source_port:
        # The weakness Kaminsky exploited: every query from one predictable port.
        lines += [
            "  outgoing-port-avoid: 0-65535",
            f"  outgoing-port-permit: {FIXED_PORT}",
            "  outgoing-range: 1",
        ]
    lines += [
        "remote-control:",
        "  control-enable: yes",
        f'  control-interface: "{conf.control_socket}"',
        "  control-use-cert: no",
    ]
    return "\n".join(lines) + "\n"


def flush(conf: UnboundConf, unbound_control: str) -> None:
    """Forget cached answers, keys and server state so the next query sees the lab as is."""
    for cmd in (["flush_zone", "."], ["flush_bogus"], ["flush_infra", "all"], ["flush_negative"]):
        subprocess.run(
            [unbound_control, "-c", str(conf.conf_path), *cmd],
            capture_output=True,
            timeout=10,
            check=False,
        )


def start(conf: UnboundConf, unbound: str) -> int:
    conf.directory.mkdir(parents=True, exist_ok=True)
    conf.conf_path.write_text(render(conf))
    return procs.spawn(
        [unbound, "-d", "-c", str(conf.conf_path)], log=conf.directory / "stdout.log"
    )
