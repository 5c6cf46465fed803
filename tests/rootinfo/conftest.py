"""Fixtures of the root server information tests: the real RSSAC002 sample (shipped as
package data) and a database holding it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dnscc.core import rssac002

SAMPLE = Path(rssac002.__file__).resolve().parent.parent / "data" / "rssac002"


@pytest.fixture
def sample() -> Path:
    return SAMPLE


@pytest.fixture
def loaded(db: Any) -> Any:
    """The whole real sample ingested (440 files)."""
    from dnscc.rootinfo.ingest import ingest

    return ingest(SAMPLE, jobs=1)
