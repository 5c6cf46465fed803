"""Where dnscc keeps its state and finds its shipped data. Pure: reads the environment only."""

from __future__ import annotations

import os
from pathlib import Path

# The package's own data (src/dnscc/data/, described by its README.md). It ships in the wheel
# and in the repository, so a clone alone has everything the demo, tests and benchmarks read.
SHIPPED_DATA = Path(__file__).resolve().parents[1] / "data"


def data_dir() -> Path:
    """The data directory: DNSCC_DATA_DIR, else $XDG_DATA_HOME/dnscc (~/.local/share/dnscc)."""
    explicit = os.environ.get("DNSCC_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return (Path(base) / "dnscc").resolve()


def shipped(name: str) -> Path:
    """A file of the package's shipped data (src/dnscc/data/NAME)."""
    return SHIPPED_DATA / name


def default_root_zone() -> Path:
    """The root zone to import or serve by default: DNSCC_ROOT_ZONE, else the shipped snapshot."""
    explicit = os.environ.get("DNSCC_ROOT_ZONE")
    if explicit:
        return Path(explicit).expanduser().resolve()
    return shipped("root.zone")


def default_iana_rootdb() -> Path:
    """The IANA Root Zone Database snapshot shipped with the package (CSV)."""
    return shipped("iana-root-db.csv")


def default_trust_anchor() -> Path:
    """The root trust anchor (DS records) for fetched zones: DNSCC_TRUST_ANCHOR, else the
    IANA anchors shipped with the package."""
    explicit = os.environ.get("DNSCC_TRUST_ANCHOR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    return shipped("root-anchors.ds")
