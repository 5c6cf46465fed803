"""Receivers of other apps' signals: an acknowledged campaign_slice message acknowledges
its slice (outreach never imports campaigns)."""

from __future__ import annotations

from typing import Any


def on_message_acknowledged(sender: Any, message: Any, via: str, by: str, **_: Any) -> None:
    from dnscc.campaigns.services import acknowledge_from_message

    acknowledge_from_message(message, via=via, by=by)


def on_delivery_changed(sender: Any, sources: list[tuple[str, str, int]], **_: Any) -> None:
    from dnscc.campaigns.services import SLICE_KIND, refresh_delivery

    ids = [int(s) for t, s, _org in sources if t == SLICE_KIND and s.isdigit()]
    if ids:
        refresh_delivery(ids)


def connect() -> None:
    from dnscc.outreach.signals import delivery_changed, message_acknowledged

    delivery_changed.connect(on_delivery_changed, dispatch_uid="campaigns.refresh_delivery")
    message_acknowledged.connect(
        on_message_acknowledged, dispatch_uid="campaigns.acknowledge_from_message"
    )
