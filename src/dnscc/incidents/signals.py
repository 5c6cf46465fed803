"""How other apps' events reach incidents: an acknowledged message acknowledges its party."""

from __future__ import annotations

from typing import Any


def _message_acknowledged(sender: Any, *, message: Any, via: str, by: str, **_: Any) -> None:
    from dnscc.incidents import services

    services.acknowledge_from_message(message, via=via, by=by)


def connect() -> None:
    """Connected once from IncidentsConfig.ready (filled in by the services' owners)."""
    from dnscc.outreach.signals import message_acknowledged

    message_acknowledged.connect(_message_acknowledged, dispatch_uid="incidents-party-ack")
