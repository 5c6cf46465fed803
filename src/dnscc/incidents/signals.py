"""How other apps' events reach incidents: an acknowledged message acknowledges its party."""

from __future__ import annotations


def connect() -> None:
    """Connected once from IncidentsConfig.ready (filled in by the services' owners)."""
