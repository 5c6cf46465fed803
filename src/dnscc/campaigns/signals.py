"""Receivers of other apps' signals: an acknowledged campaign_slice message acknowledges
its slice (outreach never imports campaigns)."""

from __future__ import annotations

from typing import Any


def on_message_acknowledged(sender: Any, message: Any, via: str, by: str, **_: Any) -> None:
    from dnscc.campaigns.services import acknowledge_from_message

    acknowledge_from_message(message, via=via, by=by)


def connect() -> None:
    from dnscc.outreach.signals import message_acknowledged

    message_acknowledged.connect(
        on_message_acknowledged, dispatch_uid="campaigns.acknowledge_from_message"
    )
