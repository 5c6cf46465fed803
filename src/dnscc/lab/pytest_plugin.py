"""pytest plugin: a session-scoped small lab for the whole suite.

Register with `pytest_plugins = ["dnscc.lab.pytest_plugin"]` in a conftest. The `lab`
fixture starts 4 TLDs (nl, se, dk, ch), 2 second-level zones each, all signed, three Unbound
resolvers, under pytest's temporary directory, and stops it at the end of the session.

Knot or Unbound missing is a failure (CI installs them), not a skip, unless the environment
sets DNSCC_LAB_SKIP=1.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from dnscc.core.errors import UnavailableError
from dnscc.lab import procs
from dnscc.lab.lab import TOOLS, Lab
from dnscc.lab.plan import Plan

LAB_TLDS = 4
LAB_SLDS = 2


@dataclass
class LabHandle:
    """What tests need from the running lab."""

    lab: Lab
    plan: Plan

    @property
    def root_hints(self) -> Path:
        return self.lab.root_hints

    @property
    def trust_anchor(self) -> Path:
        return self.lab.trust_anchor

    @property
    def resolver(self) -> str:
        """The healthy (never faulted) resolver's address."""
        return self.plan.resolvers["healthy"]

    @property
    def resolvers(self) -> dict[str, str]:
        return dict(self.plan.resolvers)

    @property
    def tlds(self) -> list[str]:
        return list(self.plan.tlds)

    @property
    def root_servers(self) -> dict[str, str]:
        return {h: self.plan.hosts[h] for h in self.plan.root_ns}

    def tld_servers(self, tld: str) -> dict[str, str]:
        """NS host name -> loopback address, for one TLD."""
        return {h: self.plan.hosts[h] for h in self.plan.tlds[tld]}

    def sld_zones(self, tld: str) -> list[str]:
        return list(self.plan.sld_zones[tld])

    def admin_address(self, instance: str) -> str:
        return self.plan.instances[instance].admin

    def query(
        self,
        qname: str,
        rdtype: str = "A",
        *,
        server: str | None = None,
        dnssec: bool = True,
        recurse: bool | None = None,
        tcp: bool = False,
        timeout: float = 3.0,
        source: str | None = None,
    ) -> dns.message.Message:
        """One query with dnspython; to the healthy resolver unless `server` is given.

        `recurse` defaults to True for resolvers and False for authoritative servers.
        """
        where = server or self.resolver
        q = dns.message.make_query(qname, rdtype, want_dnssec=dnssec)
        is_resolver = where in self.plan.resolvers.values()
        if not (is_resolver if recurse is None else recurse):
            q.flags &= ~dns.flags.RD
        if tcp:
            return dns.query.tcp(q, where, port=self.plan.port, timeout=timeout, source=source)
        return dns.query.udp(q, where, port=self.plan.port, timeout=timeout, source=source)

    def inject(self, kind: str, **kwargs: Any) -> dict[str, Any]:
        return self.lab.inject(kind, **kwargs)

    def clear(self, fid: str | None = None) -> list[str]:
        return self.lab.clear(fid)

    def register(self, tld: str, names: Any, *, ns: Sequence[str] | None = None) -> int:
        """Delegate `names` in `tld` (see `Lab.register`); undo with `unregister`."""
        return self.lab.register(tld, names, ns=ns)

    def unregister(self, tld: str, names: Iterable[str]) -> int:
        return self.lab.unregister(tld, names)

    def sinkhole(self, tld: str, names: Iterable[str], ns: Sequence[str]) -> int:
        return self.lab.sinkhole(tld, names, ns)

    @contextlib.contextmanager
    def registered(
        self, tld: str, names: Sequence[str], *, ns: Sequence[str] | None = None
    ) -> Iterator[list[str]]:
        """Names delegated for the duration of a `with` block; always unregistered after
        (the lab is shared by the session)."""
        self.lab.register(tld, names, ns=ns)
        try:
            yield list(names)
        finally:
            self.lab.unregister(tld, names)

    @contextlib.contextmanager
    def fault(self, kind: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Inject a fault for the duration of a `with` block; always cleared after."""
        f = self.lab.inject(kind, **kwargs)
        try:
            yield f
        finally:
            self.lab.clear(f["id"])

    def healthy(self, tld: str, *, resolver: str = "healthy", wait: float = 5.0) -> bool:
        """Whether `nic.<tld>` resolves with AD through `resolver` (retrying up to `wait` s)."""
        deadline = time.monotonic() + wait
        while True:
            with contextlib.suppress(Exception):
                r = self.query(f"nic.{tld}.", server=self.plan.resolvers[resolver])
                if r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD and r.answer:
                    return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)


@pytest.fixture
def lab_servers() -> dict[str, str]:
    """For tests that start labs of their own: the server programs, or a clear failure."""
    if os.environ.get("DNSCC_LAB_SKIP") == "1":
        pytest.skip("DNSCC_LAB_SKIP=1: lab tests skipped")
    try:
        return procs.require(*TOOLS)
    except UnavailableError as exc:
        pytest.fail(f"{exc}\n(set DNSCC_LAB_SKIP=1 to skip lab tests)")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    """A running small lab, shared by the session; tests inject and clear their own faults."""
    if os.environ.get("DNSCC_LAB_SKIP") == "1":
        pytest.skip("DNSCC_LAB_SKIP=1: lab tests skipped")
    the_lab = Lab(tmp_path_factory.mktemp("dnscc-lab"))
    try:
        the_lab.up(tlds=LAB_TLDS, slds=LAB_SLDS, timeout=120)
    except UnavailableError as exc:
        pytest.fail(f"the lab cannot start: {exc}\n(set DNSCC_LAB_SKIP=1 to skip lab tests)")
    try:
        yield LabHandle(the_lab, the_lab.plan())
    finally:
        the_lab.down()
