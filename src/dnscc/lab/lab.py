"""The lab as a whole: `Lab(dir).up()`, `.down()`, `.status()`, `.inject()`, `.clear()`.

The running lab is always derived from (healthy plan + active fault records): `_desired`
computes the Knot configs, zone texts, proxies and Unbound configs that should be running,
and `_reconcile` makes the processes match, restarting only what changed. Injecting a fault
is preparing its data, recording it and reconciling; clearing is forgetting it and
reconciling; an inject that fails part-way is undone by reconciling without it.

Registered names (`register`, `unregister`, `sinkhole`; stored by `registrations`) are part
of each TLD's zone text, so every rewrite keeps them; applying them rewrites the changed
TLD zone files and has Knot reload them (one `knotc zone-reload` per instance, in
parallel), which diffs against the signed zone and re-signs only what changed.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset

from dnscc.core.errors import ConflictError, NotFoundError, UnavailableError, UsageError
from dnscc.core.paths import data_dir, default_root_zone
from dnscc.lab import faults as F
from dnscc.lab import knot, procs, state, unbound, zones
from dnscc.lab import registrations as R
from dnscc.lab.plan import Plan, choose_tlds, make_plan, read_root_zone

TOOLS = ("knotd", "knotc", "keymgr", "kzonesign", "unbound", "unbound-control")


@dataclass
class Desired:
    knot: dict[str, knot.KnotConf]
    zonefiles: dict[str, tuple[str, Path, str]]  # zone -> (instance, path, text)
    proxies: dict[str, list[str]]  # key -> argv
    unbound: dict[str, unbound.UnboundConf]


def default_dir() -> Path:
    return data_dir() / "lab"


class Lab:
    """One lab, kept in `directory` (default: <data dir>/lab)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.dir = (directory or default_dir()).resolve()
        self.state_path = self.dir / "state.json"
        self._tools: dict[str, str] | None = None

    # -- public paths --------------------------------------------------------------------
    @property
    def root_hints(self) -> Path:
        return self.dir / "root.hints"

    @property
    def trust_anchor(self) -> Path:
        """The lab root's DS, in zone-file form (Unbound `trust-anchor-file`)."""
        return self.dir / "root-anchor.ds"

    @property
    def root_zone_file(self) -> Path:
        """The root zone the lab serves (unsigned; Knot signs it): what the center compares
        the root servers' answers with when it measures the lab (RSSAC047 correctness)."""
        return self._zone_path(".")

    @property
    def tools(self) -> dict[str, str]:
        if self._tools is None:
            self._tools = procs.require(*TOOLS)
        return self._tools

    def load(self) -> dict[str, Any] | None:
        return state.load(self.state_path)

    def plan(self) -> Plan:
        st = self.load()
        if st is None:
            raise UnavailableError(f"no lab in {self.dir}", hint="start one: `dnscc lab up`")
        return Plan.from_dict(st["plan"])

    # -- up ------------------------------------------------------------------------------
    def up(
        self,
        *,
        root_zone: Path | None = None,
        tlds: int | None = None,
        slds: int = 2,
        block: int | None = None,
        timeout: float = 180.0,
    ) -> dict[str, Any]:
        """Build and start the lab; a running lab with the same parameters is left as is."""
        if tlds is not None and tlds < 1:
            raise UsageError("--tlds must be at least 1", hint="omit --tlds for the full root")
        if slds < 0:
            raise UsageError("--slds cannot be negative", hint="use --slds 0 for none")
        tools = self.tools
        root_path = (root_zone or default_root_zone()).resolve()
        params = {"root_zone": str(root_path), "tlds": tlds, "slds": slds, "block": block}
        with state.locked(self.dir):
            st = self.load()
            if st is not None:
                if st["params"] != params:
                    raise ConflictError(
                        f"a lab with other parameters runs in {self.dir} ({st['params']})",
                        hint="`dnscc lab down` first, or use another --dir",
                    )
                if all(procs.alive(p) for p in st["pids"].values()):
                    return self._status(st)
                self._down(st)  # partly dead: rebuild from scratch
            root = read_root_zone(root_path)
            chosen = choose_tlds(root, tlds)
            self.dir.mkdir(parents=True, exist_ok=True)
            blk = state.claim_block(self.dir, 53, wanted=block)
            plan = make_plan(root, chosen, block=blk, port=53, slds=slds)
            st = {
                "params": params,
                "plan": plan.as_dict(),
                "ds": {},
                "pids": {},
                "applied": {},
                "faults": {},
                "timings": {},
            }
            try:
                self._build(st, plan, tools, time.monotonic() + timeout)
            except BaseException:
                self._down(st)
                raise
            return self._status(st)

    def _check_free(self, plan: Plan) -> None:
        addresses = [a for i in plan.instances.values() for a in i.addresses]
        addresses += list(plan.resolvers.values())
        busy = [a for a in addresses if not knot.port_free(a, plan.port)]
        if busy:
            raise ConflictError(
                f"{len(busy)} lab address(es) already in use on port {plan.port}, e.g. "
                f"{', '.join(busy[:3])}",
                hint="stop what holds them (`ss -ulpn | grep 127.`), or `dnscc lab down` "
                "the lab that uses them",
            )

    def _build(
        self, st: dict[str, Any], plan: Plan, tools: dict[str, str], deadline: float
    ) -> None:
        t0 = time.monotonic()
        self._check_free(plan)
        for sub in ("zones", "knot", "unbound", "faults", "registrations"):
            shutil.rmtree(self.dir / sub, ignore_errors=True)
            (self.dir / sub).mkdir(parents=True)
        self.state_path.unlink(missing_ok=True)
        state.save(self.state_path, st)
        ds: dict[str, list[str]] = st["ds"]
        stages = [
            [i for i in plan.instances.values() if i.role == "sld"],
            [i for i in plan.instances.values() if i.role == "tld"],
            [plan.instances["root"]],
        ]
        for stage in stages:
            started = []
            for inst in stage:
                conf = self._main_conf(st, plan, inst.name)
                for z in inst.zones:
                    zone_path = self._zone_path(z)
                    zone_path.parent.mkdir(parents=True, exist_ok=True)
                    text = self._zone_text(st, plan, z)
                    zone_path.write_text(text)
                    st["applied"][f"zone:{z}"] = _digest(text)
                pid = knot.start(conf, tools["knotd"])
                st["pids"][f"knot:{inst.name}"] = pid
                st["applied"][f"knot:{inst.name}"] = knot.render(conf)
                started.append((inst, conf, pid))
            state.save(self.state_path, st)
            for inst, conf, pid in started:
                keys = knot.wait_signed(
                    inst.zones, inst.admin, port=plan.port, deadline=deadline, conf=conf, pid=pid
                )
                for z, rrset in keys.items():
                    assert rrset is not None
                    ds[z] = zones.ds_from_dnskeys(z, rrset)
            st["timings"][f"{stage[0].role if stage else 'none'}_ready_s"] = round(
                time.monotonic() - t0, 2
            )
        self.trust_anchor.write_text("".join(f". 86400 IN DS {d}\n" for d in ds["."]))
        self.root_hints.write_text(zones.root_hints(plan))
        for name in plan.resolvers:
            uconf = self._unbound_conf(st, plan, name)
            st["pids"][f"unbound:{name}"] = unbound.start(uconf, tools["unbound"])
            st["applied"][f"unbound:{name}"] = unbound.render(uconf)
        state.save(self.state_path, st)
        self._wait_resolvers(st, plan, deadline)
        st["timings"]["up_s"] = round(time.monotonic() - t0, 2)
        state.save(self.state_path, st)

    def _wait_resolvers(self, st: dict[str, Any], plan: Plan, deadline: float) -> None:
        tld = next(iter(plan.tlds))
        probe = f"nic.{tld}."
        for name, address in plan.resolvers.items():
            conf = self._unbound_conf(st, plan, name)
            while True:
                pid = st["pids"][f"unbound:{name}"]
                if not procs.alive(pid):
                    raise UnavailableError(
                        f"unbound {name} exited:\n{procs.tail(conf.log_path)}\n"
                        f"{procs.tail(conf.directory / 'stdout.log', 5)}",
                        hint="fix the problem in the log (address in use?)",
                    )
                try:
                    q = dns.message.make_query(probe, "A", want_dnssec=True)
                    r = dns.query.udp(q, address, port=plan.port, timeout=1)
                    if r.rcode() == dns.rcode.NOERROR:
                        break
                except (dns.exception.DNSException, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise UnavailableError(
                        f"resolver {name} ({address}) does not resolve {probe}:\n"
                        f"{procs.tail(conf.log_path)}",
                        hint="see the resolver log",
                    )
                time.sleep(0.1)

    # -- derived configuration -----------------------------------------------------------
    def _zone_path(self, zone: str) -> Path:
        if zone == ".":
            return self.dir / "zones" / "root.zone"
        labels = zone.rstrip(".").split(".")
        sub = "tld" if len(labels) == 1 else "sld"
        return self.dir / "zones" / sub / f"{zone.rstrip('.')}.zone"

    def _zone_text(self, st: dict[str, Any], plan: Plan, zone: str) -> str:
        m = F.mods(st["faults"])
        if zone == ".":
            return zones.root_zone(plan, st["ds"], m)
        labels = zone.rstrip(".").split(".")
        if len(labels) == 1:
            regs = R.load(self.dir, labels[0])
            return zones.tld_zone(plan, labels[0], st["ds"], m, regs)
        return zones.sld_zone(plan, zone)

    def _main_conf(self, st: dict[str, Any], plan: Plan, name: str) -> knot.KnotConf:
        inst = plan.instances[name]
        moved = F.moved_addresses(st["faults"])
        presigned = {
            f"{f['tld']}.": Path(f["data"]["file"])
            for f in st["faults"].values()
            if f["kind"] in F.PRESIGNED
        }
        open_axfr = {f"{f['tld']}." for f in st["faults"].values() if f["kind"] == "open-axfr"}
        return knot.KnotConf(
            name=name,
            directory=self.dir / "knot" / name,
            listen=[a for a in inst.addresses if a not in moved],
            port=plan.port,
            tools_address=plan.tools_address,
            zones=[
                knot.ZoneConf(
                    z,
                    presigned.get(z, self._zone_path(z)),
                    signed=z not in presigned,
                    open_axfr=z in open_axfr,
                    zonemd=z == "." and z not in presigned,
                )
                for z in inst.zones
            ],
        )

    def _unbound_conf(self, st: dict[str, Any], plan: Plan, name: str) -> unbound.UnboundConf:
        address = plan.resolvers[name]
        kinds = {f["kind"] for f in st["faults"].values() if f.get("resolver") == name}
        listen = address
        if "nxdomain-rewrite" in kinds:
            listen = _backend(address)
        return unbound.UnboundConf(
            name=name,
            directory=self.dir / "unbound" / name,
            listen=listen,
            outgoing=address,
            port=plan.port,
            root_hints=self.root_hints,
            trust_anchor=self.trust_anchor,
            fixed_source_port="fixed-source-port" in kinds,
        )

    def _desired(self, st: dict[str, Any], plan: Plan) -> Desired:
        confs = {n: self._main_conf(st, plan, n) for n in plan.instances}
        proxies: dict[str, list[str]] = {}
        affected: set[str] = {"."}
        for fid, f in st["faults"].items():
            kind, data = f["kind"], f.get("data", {})
            if f.get("tld"):
                affected.add(f"{f['tld']}.")
            fdir = self.dir / "faults" / F.slug(fid)
            if kind in ("lame", "serial-drift", "hijack"):
                listen = [f["address"]] if kind != "hijack" else list(data["servers"].values())
                confs[f"fault-{F.slug(fid)}"] = knot.KnotConf(
                    name=f"fault-{F.slug(fid)}",
                    directory=fdir / "knot",
                    listen=listen,
                    port=plan.port,
                    tools_address=plan.tools_address,
                    zones=[
                        knot.ZoneConf(z, Path(p), signed=False)
                        for z, p in data.get("zones", {}).items()
                    ],
                    workers=1,
                )
            elif kind in ("slow", "lossy"):
                owner = plan.instance_of_address(f["address"])
                proxies[fid] = [
                    sys.executable,
                    "-m",
                    "dnscc.lab.proxy",
                    "--listen",
                    f["address"],
                    "--port",
                    str(plan.port),
                    "--upstream",
                    owner.admin,
                    "--upstream-port",
                    str(plan.port),
                    "--delay-ms",
                    str(f["params"].get("delay_ms", 0)),
                    "--loss",
                    str(f["params"].get("loss", 0)),
                ]
            elif kind == "nxdomain-rewrite":
                address = plan.resolvers[f["resolver"]]
                proxies[fid] = [
                    sys.executable,
                    "-m",
                    "dnscc.lab.proxy",
                    "--listen",
                    address,
                    "--port",
                    str(plan.port),
                    "--upstream",
                    _backend(address),
                    "--upstream-port",
                    str(plan.port),
                    "--rewrite-nxdomain",
                    data["target"],
                ]
        for fid in st.get("applied_faults", []):
            tld = fid.split(":", 1)[1]
            if "." not in tld.rstrip("."):
                affected.add(f"{tld.rstrip('.')}.")
        zonefiles: dict[str, tuple[str, Path, str]] = {}
        for z in affected:
            if z == "." or z.rstrip(".") in plan.tlds:
                inst = plan.instance_of_zone(z)
                zonefiles[z] = (inst.name, self._zone_path(z), self._zone_text(st, plan, z))
        uconfs = {n: self._unbound_conf(st, plan, n) for n in plan.resolvers}
        return Desired(confs, zonefiles, proxies, uconfs)

    # -- reconcile -----------------------------------------------------------------------
    def _reconcile(self, st: dict[str, Any], plan: Plan, deadline: float) -> None:
        tools = self.tools
        want = self._desired(st, plan)
        pids: dict[str, int] = st["pids"]
        applied: dict[str, str] = st["applied"]

        def save() -> None:
            st["applied_faults"] = sorted(st["faults"])
            state.save(self.state_path, st)

        # 1. stop what goes away or changes (frees addresses for what comes next)
        for key in [k for k in pids if k.startswith("proxy:")]:
            fid = key.split(":", 1)[1]
            if applied.get(key) != " ".join(want.proxies.get(fid, [])):
                procs.stop(pids.pop(key), expect="dnscc.lab.proxy")
                applied.pop(key, None)
        for key in [k for k in pids if k.startswith("knot:fault-")]:
            name = key.split(":", 1)[1]
            conf = want.knot.get(name)
            if conf is None or applied.get(key) != knot.render(conf):
                procs.stop(pids.pop(key), expect="knotd")
                applied.pop(key, None)
        restart_unbound = [
            n for n, c in want.unbound.items() if applied.get(f"unbound:{n}") != unbound.render(c)
        ]
        for n in restart_unbound:
            procs.stop(pids.pop(f"unbound:{n}", None), expect="unbound")
        save()
        # 2. main Knot instances: restart on a listen change, reload on a config change
        restarted: set[str] = set()
        for name, inst in plan.instances.items():
            conf = want.knot[name]
            key = f"knot:{name}"
            old = applied.get(key, "")
            text = knot.render(conf)
            if old == text:
                continue
            old_listen = next((ln for ln in old.splitlines() if ln.startswith("  listen: [")), "")
            new_listen = next((ln for ln in text.splitlines() if ln.startswith("  listen: [")), "")
            if old_listen != new_listen or not procs.alive(pids.get(key)):
                procs.stop(pids.pop(key, None), expect="knotd")
                pids[key] = knot.start(conf, tools["knotd"])
                applied[key] = text
                save()
                knot.wait_signed(
                    inst.zones,
                    inst.admin,
                    port=plan.port,
                    deadline=deadline,
                    conf=conf,
                    pid=pids[key],
                    signed=False,
                )
                restarted.add(name)
            else:
                knot.reload(conf, tools["knotc"])
                applied[key] = text
                for z in conf.zones:  # a zone whose settings changed (signed/as-is): reload it
                    if _zone_block(old, z.name) != _zone_block(text, z.name):
                        if z.signed and "template: asis" in _zone_block(old, z.name):
                            # Back to signing after being served pre-signed: the journal
                            # still holds the pre-signed zone, and an incremental re-sign
                            # on top of it fails Knot's semantic check. Start clean.
                            knot.knotc(conf, tools["knotc"], "-f", "zone-purge", z.name, "+journal")
                        knot.knotc(conf, tools["knotc"], "-b", "zone-reload", z.name)
                save()
        # 3. zone files: TLDs first, then the root (a new DS must find its key published)
        for zname in sorted(want.zonefiles, key=lambda n: n == "."):
            inst_name, path, text = want.zonefiles[zname]
            if applied.get(f"zone:{zname}") == _digest(text):
                continue
            path.write_text(text)
            applied[f"zone:{zname}"] = _digest(text)
            conf = want.knot[inst_name]
            if any(zc.name == zname and zc.signed for zc in conf.zones):
                knot.knotc(conf, tools["knotc"], "-b", "zone-reload", zname)
            save()
        # 4. fault Knot instances, proxies, resolvers
        for name, conf in want.knot.items():
            key = f"knot:{name}"
            if not name.startswith("fault-") or key in pids:
                continue
            pids[key] = knot.start(conf, tools["knotd"])
            applied[key] = knot.render(conf)
            save()
            self._wait_answering(conf.listen[0], plan.port, pids[key], conf.log_path, deadline)
        for fid, argv in want.proxies.items():
            key = f"proxy:{fid}"
            if key in pids:
                continue
            pids[key] = procs.spawn(argv, log=self.dir / "faults" / F.slug(fid) / "proxy.log")
            applied[key] = " ".join(argv)
            save()
            self._wait_bound(
                argv[argv.index("--listen") + 1],
                plan.port,
                pids[key],
                self.dir / "faults" / F.slug(fid) / "proxy.log",
                deadline,
            )
        for n in restart_unbound:
            conf_u = want.unbound[n]
            pids[f"unbound:{n}"] = unbound.start(conf_u, tools["unbound"])
            applied[f"unbound:{n}"] = unbound.render(conf_u)
            save()
            self._wait_bound(
                conf_u.listen, plan.port, pids[f"unbound:{n}"], conf_u.log_path, deadline, tcp=True
            )
        for n, conf_u in want.unbound.items():
            if n not in restart_unbound:
                unbound.flush(conf_u, tools["unbound-control"])
        save()

    def _wait_answering(
        self, address: str, port: int, pid: int, log: Path, deadline: float
    ) -> None:
        while True:
            if not procs.alive(pid):
                raise UnavailableError(
                    f"process {pid} exited:\n{procs.tail(log)}", hint="see the log"
                )
            try:
                dns.query.udp(dns.message.make_query(".", "SOA"), address, port=port, timeout=0.3)
                return
            except (dns.exception.DNSException, OSError):
                pass
            if time.monotonic() > deadline:
                raise UnavailableError(
                    f"{address} does not answer:\n{procs.tail(log)}", hint="see the log"
                )

    def _wait_bound(
        self, address: str, port: int, pid: int, log: Path, deadline: float, *, tcp: bool = False
    ) -> None:
        import socket

        while True:
            if not procs.alive(pid):
                raise UnavailableError(
                    f"process {pid} exited:\n{procs.tail(log)}", hint="see the log"
                )
            with socket.socket() as s:
                s.settimeout(0.3)
                try:
                    s.connect((address, port))
                    return
                except OSError:
                    pass
            if time.monotonic() > deadline:
                raise UnavailableError(
                    f"{address} is not listening:\n{procs.tail(log)}", hint="see the log"
                )
            time.sleep(0.05)

    # -- down / status -------------------------------------------------------------------
    def down(self) -> dict[str, Any]:
        """Stop every process the lab started (by PID) and release its address block."""
        with state.locked(self.dir):
            st = self.load()
            if st is None:
                return {"stopped": 0, "directory": str(self.dir)}
            n = self._down(st)
            return {"stopped": n, "directory": str(self.dir)}

    def _down(self, st: dict[str, Any]) -> int:
        pids: dict[str, int] = st.get("pids", {})
        order = sorted(pids, key=lambda k: (not k.startswith(("unbound", "proxy")), k))
        n = 0
        for key in order:
            pid = pids[key]
            if procs.alive(pid):
                expect = "knotd" if key.startswith("knot") else key.split(":", 1)[0]
                expect = "dnscc.lab.proxy" if key.startswith("proxy") else expect
                procs.stop(pid, expect=expect)
                n += 1
        left = [k for k, p in pids.items() if procs.alive(p)]
        if left:
            raise UnavailableError(
                f"still running after down: {', '.join(left)}", hint="kill them by PID and retry"
            )
        block = st.get("plan", {}).get("block")
        self.state_path.unlink(missing_ok=True)
        if block is not None:
            state.release_block(self.dir, block)
        return n

    def status(self) -> dict[str, Any]:
        st = self.load()
        if st is None:
            return {"running": False, "directory": str(self.dir)}
        return self._status(st)

    def _status(self, st: dict[str, Any]) -> dict[str, Any]:
        plan = Plan.from_dict(st["plan"])
        processes = [
            {"name": k, "pid": p, "alive": procs.alive(p)} for k, p in sorted(st["pids"].items())
        ]
        return {
            "running": all(p["alive"] for p in processes),
            "directory": str(self.dir),
            "block": f"127.{plan.block}.0.0/16",
            "port": plan.port,
            "tlds": len(plan.tlds),
            "slds_per_tld": plan.slds,
            "zones": 1 + len(plan.tlds) + sum(len(v) for v in plan.sld_zones.values()),
            "root_servers": {h: plan.hosts[h] for h in plan.root_ns},
            "instances": {
                n: {
                    "role": i.role,
                    "admin": i.admin,
                    "addresses": len(i.addresses),
                    "zones": len(i.zones),
                }
                for n, i in plan.instances.items()
            },
            "resolvers": plan.resolvers,
            "root_hints": str(self.root_hints),
            "trust_anchor": str(self.trust_anchor),
            "processes": processes,
            "faults": [{k: v for k, v in f.items() if k != "data"} for f in st["faults"].values()],
            "timings": st.get("timings", {}),
        }

    # -- registrations -----------------------------------------------------------------
    def register(
        self,
        tld: str,
        names: R.Names,
        *,
        ns: Sequence[str] | None = None,
    ) -> int:
        """Delegate `names` under `tld` (NS `ns`, default ns1/ns2.example.<tld>; a Mapping
        gives each name its own NS set), or replace their NS set. Idempotent: returns how
        many names changed."""
        plan = self.plan()
        t = R.check_tld(plan, tld)
        return self.apply_registrations({t: R.changes(plan, t, names, ns=ns)})

    def unregister(self, tld: str, names: Iterable[str]) -> int:
        """Remove the delegations of `names` (what a registry does to suspend or hold a
        name). Names not registered are ignored; returns how many were removed."""
        plan = self.plan()
        t = R.check_tld(plan, tld)
        change = R.changes(plan, t, names, ns=None, remove=True)
        return self.apply_registrations({t: change})

    def sinkhole(self, tld: str, names: Iterable[str], ns: Sequence[str]) -> int:
        """Point `names` at the sinkhole NS set `ns` (delegating them if they were not)."""
        plan = self.plan()
        t = R.check_tld(plan, tld)
        change = R.changes(plan, t, names, ns=R.ns_list(ns))
        return self.apply_registrations({t: change})

    def registrations(self, tld: str) -> dict[str, list[str]]:
        """The names delegated in `tld` by `register`/`sinkhole`: name -> NS hosts."""
        return R.load(self.dir, R.check_tld(self.plan(), tld))

    def apply_registrations(self, changes: Mapping[str, Mapping[str, Sequence[str] | None]]) -> int:
        """Many TLDs at once: tld -> {name: NS hosts, or None to remove}. Validates
        everything first, then rewrites each changed TLD zone and has Knot reload them
        (one knotc per instance, in parallel). Returns how many names changed."""
        with state.locked(self.dir):
            st = self._running_state()
            plan = Plan.from_dict(st["plan"])
            checked: dict[str, R.Change] = {}
            for tld, change in changes.items():
                t = R.check_tld(plan, tld)
                if any(f["kind"] in F.PRESIGNED and f["tld"] == t for f in st["faults"].values()):
                    raise ConflictError(
                        f".{t} is served pre-signed by an active fault; its zone cannot change",
                        hint=f"clear the fault first (`dnscc lab clear`), then register in .{t}",
                    )
                reserved = R.reserved_labels(plan, t)
                norm: R.Change = {}
                for name, hosts in change.items():
                    key = R.check_name(name, t, reserved)
                    norm[key] = None if hosts is None else R.ns_list(hosts)
                checked[t] = norm
            new: dict[str, dict[str, list[str]]] = {}
            count = 0
            for t, norm in checked.items():
                current = R.load(self.dir, t)
                n = R.apply(current, norm)
                if n:
                    new[t] = current
                    count += n
            for t, regs in new.items():
                R.save(self.dir, t, regs)
            self._apply_zones(st, plan, [f"{t}." for t in new])
            return count

    def _apply_zones(self, st: dict[str, Any], plan: Plan, zone_names: list[str]) -> None:
        """Rewrite the given TLD zones whose text changed and reload them in Knot."""
        applied: dict[str, str] = st["applied"]
        by_inst: dict[str, list[str]] = {}
        digests: dict[str, str] = {}
        for z in zone_names:
            text = self._zone_text(st, plan, z)
            digest = _digest(text)
            if applied.get(f"zone:{z}") == digest:
                continue
            self._zone_path(z).write_text(text)
            digests[z] = digest
            by_inst.setdefault(plan.instance_of_zone(z).name, []).append(z)
        if not by_inst:
            return
        knotc = self.tools["knotc"]

        def reload(item: tuple[str, list[str]]) -> None:
            name, zs = item
            conf = self._main_conf(st, plan, name)
            # In chunks, so that one blocking knotc stays well inside its 30 s timeout
            # even with hundreds of changed zones on one instance (the full root).
            for i in range(0, len(zs), 32):
                knot.knotc(conf, knotc, "-b", "zone-reload", *zs[i : i + 32])

        with ThreadPoolExecutor(max_workers=len(by_inst)) as pool:
            list(pool.map(reload, by_inst.items()))
        for z, digest in digests.items():
            applied[f"zone:{z}"] = digest
        state.save(self.state_path, st)

    # -- faults --------------------------------------------------------------------------
    def inject(
        self,
        kind: str,
        *,
        tld: str | None = None,
        server: str | None = None,
        resolver: str | None = None,
        delay_ms: int | None = None,
        loss: float | None = None,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        """Inject one fault into the running lab; returns its record."""
        if kind not in F.FAULTS:
            raise NotFoundError(
                f"unknown fault {kind!r}",
                hint=f"one of: {', '.join(F.FAULTS)} (`dnscc lab list-faults`)",
            )
        with state.locked(self.dir):
            st = self._running_state()
            plan = Plan.from_dict(st["plan"])
            f = self._target(plan, kind, tld=tld, server=server, resolver=resolver)
            fid = f["id"]
            if fid in st["faults"]:
                raise ConflictError(
                    f"fault {fid} is already injected",
                    hint=f"clear it first: `dnscc lab clear {fid}`",
                )
            f["params"] = {}
            if kind == "slow":
                f["params"]["delay_ms"] = 1200 if delay_ms is None else delay_ms
            if kind == "lossy":
                f["params"]["loss"] = 60.0 if loss is None else loss
            fdir = self.dir / "faults" / F.slug(fid)
            shutil.rmtree(fdir, ignore_errors=True)
            fdir.mkdir(parents=True)
            f["data"] = self._prepare(st, plan, f, fdir)
            mine = F.resources(f)
            for other in st["faults"].values():
                clash = mine & F.resources(other)
                if clash:
                    raise ConflictError(
                        f"fault {fid} conflicts with active fault {other['id']} "
                        f"(both change {sorted(clash)[0]})",
                        hint=f"clear it first: `dnscc lab clear {other['id']}`",
                    )
            deadline = time.monotonic() + timeout
            st["faults"][fid] = f
            try:
                self._reconcile(st, plan, deadline)
                if kind == "serial-drift":
                    main = self._main_conf(st, plan, plan.instance_of_address(f["address"]).name)
                    for z in f["data"]["stale"]:
                        knot.knotc(main, self.tools["knotc"], "-b", "zone-sign", z)
            except BaseException:
                del st["faults"][fid]
                self._reconcile(st, plan, time.monotonic() + timeout)
                raise
            return {k: v for k, v in f.items() if k != "data"}

    def clear(self, fid: str | None = None, *, timeout: float = 120.0) -> list[str]:
        """Clear one fault (by id, or every fault of a kind), or all faults when `fid` is None."""
        with state.locked(self.dir):
            st = self._running_state()
            plan = Plan.from_dict(st["plan"])
            if fid is None:
                gone = list(st["faults"])
            elif fid in st["faults"]:
                gone = [fid]
            else:
                gone = [k for k, f in st["faults"].items() if f["kind"] == fid]
                if not gone:
                    active = ", ".join(st["faults"]) or "none"
                    raise NotFoundError(
                        f"no active fault {fid!r}",
                        hint=f"active faults: {active} (`dnscc lab status`)",
                    )
            for k in gone:
                del st["faults"][k]
            self._reconcile(st, plan, time.monotonic() + timeout)
            for k in gone:
                shutil.rmtree(self.dir / "faults" / F.slug(k), ignore_errors=True)
            return gone

    def _running_state(self) -> dict[str, Any]:
        st = self.load()
        if st is None:
            raise UnavailableError(f"no lab running in {self.dir}", hint="start it: `dnscc lab up`")
        dead = [k for k, p in st["pids"].items() if not procs.alive(p)]
        if dead:
            raise UnavailableError(
                f"lab processes are not running: {', '.join(dead)}",
                hint="restart the lab: `dnscc lab down && dnscc lab up`",
            )
        return st

    def _target(
        self, plan: Plan, kind: str, *, tld: str | None, server: str | None, resolver: str | None
    ) -> dict[str, Any]:
        scope = F.FAULTS[kind].scope
        f: dict[str, Any] = {
            "kind": kind,
            "tld": None,
            "server": None,
            "address": None,
            "resolver": None,
        }
        if tld is not None:
            t = tld.strip().lower().rstrip(".")
            if t not in plan.tlds:
                some = ", ".join(list(plan.tlds)[:8])
                raise NotFoundError(
                    f"TLD {tld!r} is not in this lab",
                    hint=f"pick one of the lab's TLDs, e.g. {some}",
                )
            f["tld"] = t
        if scope == "resolver":
            r = resolver or "r1"
            if r not in plan.resolvers:
                raise NotFoundError(
                    f"unknown resolver {r!r}", hint=f"one of: {', '.join(plan.resolvers)}"
                )
            if r == "healthy":
                raise ConflictError(
                    "the healthy resolver is the lab's reference and takes no faults",
                    hint="use --resolver r1 or r2",
                )
            f["resolver"] = r
            f["id"] = F.fault_id(kind, r)
            return f
        if resolver is not None:
            raise UsageError(f"{kind} is not a resolver fault", hint="drop --resolver")
        if scope == "zone":
            if f["tld"] is None:
                raise UsageError(f"{kind} needs --tld", hint=f"dnscc lab inject {kind} --tld TLD")
            if server is not None:
                raise UsageError(f"{kind} applies to a whole zone", hint="drop --server")
            f["id"] = F.fault_id(kind, f["tld"])
            return f
        # server scope
        if server is not None:
            s = server.strip().lower()
            by_addr = {a: h for h, a in plan.hosts.items()}
            host = by_addr.get(s) or (s if s.endswith(".") else s + ".")
            if host not in plan.hosts:
                raise NotFoundError(
                    f"name server {server!r} is not in this lab",
                    hint="give a name server host name or address from `dnscc lab status --json`, "
                    f"e.g. {next(iter(plan.tlds.values()))[0]}",
                )
            if f["tld"] is not None and host not in plan.tlds[f["tld"]]:
                raise NotFoundError(
                    f"{host} is not a name server of {f['tld']}",
                    hint=f"its name servers: {', '.join(plan.tlds[f['tld']])}",
                )
        elif f["tld"] is not None:
            host = plan.tlds[f["tld"]][0]
        else:
            raise UsageError(
                f"{kind} needs --server or --tld", hint=f"dnscc lab inject {kind} --tld TLD"
            )
        f["server"] = host
        f["address"] = plan.hosts[host]
        f["id"] = F.fault_id(kind, host)
        return f

    def _prepare(
        self, st: dict[str, Any], plan: Plan, f: dict[str, Any], fdir: Path
    ) -> dict[str, Any]:
        kind, tld = f["kind"], f["tld"]
        b = plan.block
        if kind == "lame":
            return {"zones": {}}
        if kind == "serial-drift":
            host = f["server"]
            owner = plan.instance_of_address(f["address"])
            copies: dict[str, str] = {}
            for z in plan.zones_of_host(host):
                p = fdir / "zones" / ("root.zone" if z == "." else f"{z.rstrip('.')}.zone")
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text(
                    knot.axfr_text(z, owner.admin, port=plan.port, source=plan.tools_address)
                )
                copies[z] = str(p)
            stale = [f"{tld}."] if tld else list(copies)
            return {"zones": copies, "stale": stale}
        if kind == "ns-mismatch":
            ns = list(plan.tlds[tld])
            kept = ns[:-1] if len(ns) > 1 else ns
            servers = {h: plan.hosts[h] for h in kept}
            servers[f"ns-extra.nic.{tld}."] = plan.hosts[ns[0]]
            return {"servers": servers}
        if kind == "missing-glue":
            inb = [h for h in plan.tlds[tld] if h.endswith(f".{tld}.")]
            return {"hosts": inb or list(plan.tlds[tld])}
        if kind == "wrong-glue":
            return {"hosts": {h: f"127.{b}.253.{i + 1}" for i, h in enumerate(plan.tlds[tld])}}
        if kind == "ds-mismatch":
            out = []
            for d in st["ds"][f"{tld}."]:
                tag, alg, dtype, digest = d.split(maxsplit=3)
                digest = digest.replace(" ", "")
                flipped = format(int(digest[:2], 16) ^ 0xFF, "02x") + digest[2:]
                out.append(f"{tag} {alg} {dtype} {flipped}")
            return {"ds": out}
        if kind in F.PRESIGNED:
            return self._presign(st, plan, f, fdir)
        if kind == "hijack":
            taken = {
                a
                for other in st["faults"].values()
                if other["kind"] == "hijack"
                for a in other["data"]["servers"].values()
            }
            free = [f"127.{b}.251.{i}" for i in range(1, 250) if f"127.{b}.251.{i}" not in taken]
            servers = {f"ns1.takeover-dns.{tld}.": free[0], f"ns2.takeover-dns.{tld}.": free[1]}
            p = fdir / "zones" / f"{tld}.zone"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(zones.hijack_zone(tld, servers, f"127.{b}.251.66"))
            return {"servers": servers, "zones": {f"{tld}.": str(p)}, "target": f"127.{b}.251.66"}
        if kind == "nxdomain-rewrite":
            return {"target": f"127.{b}.252.1"}
        return {}

    def _presign(
        self, st: dict[str, Any], plan: Plan, f: dict[str, Any], fdir: Path
    ) -> dict[str, Any]:
        """Sign the TLD offline with kzonesign, at a chosen time, with keys of its own."""
        tld, kind = f["tld"], f["kind"]
        zone = f"{tld}."
        signer = fdir / "signer"
        unsigned = signer / f"{tld}.zone"
        signer.mkdir(parents=True)
        unsigned.write_text(self._zone_text(st, plan, zone))
        conf = knot.KnotConf(
            "signer",
            signer,
            [],
            plan.port,
            plan.tools_address,
            [knot.ZoneConf(zone, unsigned)],
            foreign_dnskey=kind == "broken-rollover",
        )
        knot.write(conf)
        now = int(time.time())
        at = {"expired-rrsig": now - 30 * 86400, "future-rrsig": now + 30 * 86400}.get(kind, now)
        outdir = fdir / "signed"
        outdir.mkdir()

        def run(*argv: str) -> str:
            r = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)
            if r.returncode != 0:
                raise UnavailableError(
                    f"{Path(argv[0]).name} failed: {(r.stdout + r.stderr).strip()}",
                    hint=f"see {signer}",
                )
            return r.stdout

        keymgr, kzonesign = self.tools["keymgr"], self.tools["kzonesign"]
        run(
            keymgr,
            "-c",
            str(conf.conf_path),
            zone,
            "generate",
            "algorithm=13",
            "ksk=yes",
            "zsk=yes",
            f"created={at - 7200}",
            f"publish={at - 7200}",
            f"ready={at - 7200}",
            f"active={at - 7200}",
        )
        new_ds: list[str] = []
        if kind == "broken-rollover":
            # The new-algorithm key lives in a KASP database of its own, so the signer
            # publishes its DNSKEY (from the zone file) without ever signing with it.
            other = knot.KnotConf(
                "newalg",
                fdir / "newalg",
                [],
                plan.port,
                plan.tools_address,
                [knot.ZoneConf(zone, unsigned)],
            )
            knot.write(other)
            run(
                keymgr,
                "-c",
                str(other.conf_path),
                zone,
                "generate",
                "algorithm=15",
                "ksk=yes",
                "zsk=yes",
            )
            dnskey = run(keymgr, "-c", str(other.conf_path), zone, "dnskey").strip()
            with unsigned.open("a") as fh:
                fh.write(f"{dnskey.split()[0]} 3600 IN DNSKEY {' '.join(dnskey.split()[2:])}\n")
            rr = dns.rrset.from_text(zone, 3600, "IN", "DNSKEY", " ".join(dnskey.split()[2:]))
            new_ds = zones.ds_from_dnskeys(zone, rr)
        run(kzonesign, "-c", str(conf.conf_path), "-o", str(outdir), "-t", str(at), zone)
        signed = next(outdir.iterdir())
        ds_out = run(keymgr, "-c", str(conf.conf_path), zone, "ds")
        ds = []
        for line in ds_out.splitlines():
            parts = line.split()
            if len(parts) >= 6 and parts[1] == "DS" and parts[4] == "2":
                ds.append(" ".join(parts[2:]))
        if kind == "broken-rollover":
            ds = new_ds
        if not ds:
            raise UnavailableError(
                f"keymgr gave no DS for {zone}: {ds_out!r}", hint=f"see {signer}"
            )
        return {"file": str(signed), "ds": ds, "signed_at": at}


def _backend(address: str) -> str:
    """Where a proxied resolver's Unbound moves: 127.B.0.1xx -> 127.B.0.1xx+50."""
    a, b, c, d = address.split(".")
    return f"{a}.{b}.{c}.{int(d) + 50}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _zone_block(conf_text: str, zone: str) -> str:
    start = conf_text.find(f'domain: "{zone}"')
    if start < 0:
        return ""
    end = conf_text.find("  - domain:", start + 1)
    return conf_text[start : end if end > 0 else len(conf_text)]
