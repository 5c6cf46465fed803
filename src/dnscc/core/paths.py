"""Where dnscc keeps its state. Pure: reads the environment only."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    """The data directory: DNSCC_DATA_DIR, else $XDG_DATA_HOME/dnscc (~/.local/share/dnscc)."""
    explicit = os.environ.get("DNSCC_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return (Path(base) / "dnscc").resolve()


def default_root_zone() -> Path:
    """The real root zone shipped beside the project (../shared/data/root-zone/root.zone)."""
    explicit = os.environ.get("DNSCC_ROOT_ZONE")
    if explicit:
        return Path(explicit).expanduser().resolve()
    here = Path(__file__).resolve()
    # src/dnscc/core/paths.py -> repository root is parents[3]; shared/ sits beside it.
    repo = here.parents[3]
    return (repo.parent / "shared" / "data" / "root-zone" / "root.zone").resolve()
