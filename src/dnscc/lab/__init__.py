"""The DNS lab: the namespace on loopback, on the servers operators actually run.

A pure library (no Django). `Lab(directory).up()` reads a root zone file (default: the
shipped real root, 1,438 TLDs) and builds:

- one Knot DNS instance for the root, a handful for the TLDs and one or two for the
  second-level zones, so that no instance serves both a parent and its child;
- every name server host of every TLD gets its own address in the lab's block
  127.B.0.0/16 (NS set sizes and names are kept; all addresses are rewritten to loopback,
  so the real Internet is never queried);
- every zone DNSSEC-signed by Knot (ECDSAP256SHA256), the DS of each child published in its
  parent, the root's DS written out as the lab's trust anchor next to the root hints;
- three validating Unbound resolvers: "healthy" (never faulted), "r1" and "r2".

Faults (`dnscc.lab.faults.FAULTS`) are injected and cleared on the running lab, and names
are registered in, removed from, or sinkholed in its TLDs as a registry would
(`Lab.register`, `unregister`, `sinkhole`, `apply_registrations` for many TLDs at once). The lab's
state is one JSON file; what runs is always derived from the healthy plan plus the active
faults, and `_reconcile` restarts or reloads only what changed. `down` stops every process
by its recorded PID.

Modules: plan (addresses and instances), zones (zone texts), knot, unbound, proxy (the
misbehaving DNS proxy), faults (catalogue), registrations (registered names: validation,
storage), state (state file, lock, block registry),
lab (orchestration), cli, pytest_plugin.
"""

from dnscc.lab.faults import FAULTS
from dnscc.lab.lab import Lab

__all__ = ["FAULTS", "Lab"]
