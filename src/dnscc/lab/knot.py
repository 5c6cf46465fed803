"""Knot DNS instances: configuration, start, readiness, DNSKEY/DS, zone copies.

Each instance has its own directory `knot/<name>/` (config, rundir, KASP and journal
databases, log) under the lab directory. Knot 3.2 run as root needs `user: root:root` and a
rundir outside /tmp (GUIDE section 7); the lab directory is used.

Signing: `dnssec-signing: on` with one ECDSAP256SHA256 combined signing key per zone and no
automatic rollover (the fastest policy: the full root's 5,700 zones sign in seconds).
Zone files stay unsigned; the signed zone lives in Knot's journal
(`journal-content: all`, `zonefile-load: difference-no-serial`), so a restart does not
re-sign and a zone-file edit is applied and signed incrementally on `zone-reload`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

from dnscc.core.errors import UnavailableError
from dnscc.lab import procs


@dataclass
class ZoneConf:
    name: str
    file: Path
    signed: bool = True  # False: served as written (pre-signed or deliberately unsigned)
    open_axfr: bool = False
    # ZONEMD (RFC 8976, SIMPLE/SHA-384) generated and signed by Knot, as the real root has
    # carried since December 2023: what `dnscc import rootzone --axfr` verifies.
    zonemd: bool = False


@dataclass
class KnotConf:
    name: str
    directory: Path
    listen: list[str]
    port: int
    tools_address: str
    zones: list[ZoneConf] = field(default_factory=list)
    workers: int = 2
    # kzonesign only (broken-rollover fault): keep a DNSKEY from the zone file that is not
    # in the KASP database, so it is published but signs nothing.
    foreign_dnskey: bool = False

    @property
    def conf_path(self) -> Path:
        return self.directory / "knot.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "knotd.log"

    @property
    def socket_path(self) -> Path:
        return self.directory / "run" / "knot.sock"


def render(conf: KnotConf) -> str:
    d = conf.directory
    listen = ", ".join(f"{a}@{conf.port}" for a in conf.listen)
    user = "  user: root:root\n" if os.geteuid() == 0 else ""
    lines = [
        "server:",
        f"  rundir: {d / 'run'}",
        user.rstrip("\n") if user else None,
        f"  listen: [{listen}]" if conf.listen else None,
        f"  udp-workers: {conf.workers}",
        "  tcp-workers: 2",  # a sweep opens TCP to every server (CONNECTIVITY02, AXFR)
        f"  background-workers: {conf.workers}",
        "  identity: dnscc-lab",
        '  version: ""',  # no software version disclosed (NAMESERVER15)
        "control:",
        f"  listen: {conf.socket_path}",
        "database:",
        f"  storage: {d / 'db'}",
        "log:",
        f"  - target: {conf.log_path}",
        "    any: info",
        "acl:",
        "  - id: tools",
        f"    address: {conf.tools_address}",
        "    action: transfer",
        "  - id: anyone",
        "    address: [0.0.0.0/0, ::/0]",
        "    action: transfer",
        "policy:",
        "  - id: lab",
        "    algorithm: ecdsap256sha256",
        "    single-type-signing: on",
        "    ksk-lifetime: 0",
        "    zsk-lifetime: 0",
        "    rrsig-lifetime: 14d",
        "    rrsig-refresh: 7d",
        "    nsec3: off",
        "    dnskey-management: incremental" if conf.foreign_dnskey else None,
        "    delete-delay: 1d" if conf.foreign_dnskey else None,
        "template:",
        "  - id: default",
        "    dnssec-signing: on",
        "    dnssec-policy: lab",
        "    journal-content: all",
        "    zonefile-load: difference-no-serial",
        "    zonefile-sync: -1",
        "    serial-policy: increment",
        "    semantic-checks: off",
        "    acl: tools",
        "  - id: asis",
        "    dnssec-signing: off",
        "    journal-content: none",
        "    zonefile-load: whole",
        "    zonefile-sync: -1",
        "    semantic-checks: off",
        "    acl: tools",
    ]
    out = [ln for ln in lines if ln is not None]
    if conf.zones:
        out.append("zone:")
        for z in conf.zones:
            out.append(f'  - domain: "{z.name}"')
            out.append(f'    file: "{z.file}"')
            if not z.signed:
                out.append("    template: asis")
            if z.open_axfr:
                out.append("    acl: [tools, anyone]")
            if z.zonemd:
                out.append("    zonemd-generate: zonemd-sha384")
    return "\n".join(out) + "\n"


def write(conf: KnotConf) -> None:
    for sub in ("run", "db"):
        (conf.directory / sub).mkdir(parents=True, exist_ok=True)
    conf.conf_path.write_text(render(conf))


def start(conf: KnotConf, knotd: str) -> int:
    """Write the config and start knotd in the foreground of its own session."""
    write(conf)
    return procs.spawn([knotd, "-c", str(conf.conf_path)], log=conf.directory / "stdout.log")


def reload(conf: KnotConf, knotc: str, *, zone: str | None = None) -> None:
    """Re-read the config (`zone` None) or one zone file, and wait for the command."""
    write(conf)
    argv = [knotc, "-c", str(conf.conf_path), "-s", str(conf.socket_path), "-t", "30"]
    argv += ["zone-reload", zone] if zone else ["reload"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if run.returncode != 0:
        raise UnavailableError(
            f"knotc {' '.join(argv[-2:])} failed on instance {conf.name}: "
            f"{(run.stdout + run.stderr).strip()}",
            hint=f"see {conf.log_path}",
        )


def knotc(conf: KnotConf, knotc_path: str, *args: str) -> str:
    argv = [knotc_path, "-c", str(conf.conf_path), "-s", str(conf.socket_path), "-t", "30", *args]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if run.returncode != 0:
        raise UnavailableError(
            f"knotc {' '.join(args)} failed on instance {conf.name}: "
            f"{(run.stdout + run.stderr).strip()}",
            hint=f"see {conf.log_path}",
        )
    return run.stdout


def query(
    zone: str,
    rdtype: str,
    address: str,
    *,
    port: int = 53,
    timeout: float = 1.0,
    source: str | None = None,
) -> dns.message.Message:
    q = dns.message.make_query(zone, rdtype, want_dnssec=True)
    q.flags &= ~dns.flags.RD
    return dns.query.udp(q, address, port=port, timeout=timeout, source=source)


def wait_signed(
    zones: list[str],
    address: str,
    *,
    port: int,
    deadline: float,
    conf: KnotConf,
    pid: int,
    signed: bool = True,
) -> dict[str, dns.rrset.RRset | None]:
    """Wait until each zone answers (with its DNSKEY when `signed`); return the DNSKEY sets.

    Raises UnavailableError with the log tail when knotd dies or the deadline passes.
    """
    pending = list(zones)
    found: dict[str, dns.rrset.RRset | None] = {}

    def probe(zone: str) -> tuple[str, dns.rrset.RRset | None, bool]:
        try:
            r = query(zone, "DNSKEY" if signed else "SOA", address, port=port, timeout=0.5)
        except (dns.exception.DNSException, OSError):
            return zone, None, False
        if r.rcode() != 0 or not r.flags & dns.flags.AA:
            return zone, None, False
        name = dns.name.from_text(zone)
        if not signed:
            return zone, None, True
        try:
            keys = r.find_rrset(r.answer, name, dns.rdataclass.IN, dns.rdatatype.DNSKEY)
        except KeyError:
            return zone, None, False
        return zone, keys, True

    with ThreadPoolExecutor(max_workers=8) as pool:
        while pending:
            if not procs.alive(pid):
                raise UnavailableError(
                    f"knotd instance {conf.name} exited during startup:\n"
                    f"{procs.tail(conf.log_path)}\n{procs.tail(conf.directory / 'stdout.log', 5)}",
                    hint="fix the problem shown in the log (address in use? bad zone?)",
                )
            still: list[str] = []
            for zone, keys, ok in pool.map(probe, pending):
                if ok:
                    found[zone] = keys
                else:
                    still.append(zone)
            pending = still
            if pending:
                if time.monotonic() > deadline:
                    raise UnavailableError(
                        f"knotd instance {conf.name}: {len(pending)} zone(s) not served in time "
                        f"(first: {pending[0]}):\n{procs.tail(conf.log_path)}",
                        hint="see the log; a slow machine may need a longer --timeout",
                    )
                time.sleep(0.1)
    return found


def axfr_text(zone: str, address: str, *, port: int, source: str) -> str:
    """The zone as served at `address` (AXFR from the tools address), in zone-file text."""
    z = dns.zone.from_xfr(
        dns.query.xfr(
            address, zone, port=port, source=source, timeout=5, lifetime=30, relativize=False
        ),
        relativize=False,
    )
    return z.to_text(relativize=False)


def port_free(address: str, port: int) -> bool:
    """Whether UDP `address:port` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True
