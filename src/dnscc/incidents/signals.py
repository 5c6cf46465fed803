"""How other apps' events reach incidents: an acknowledged message acknowledges its party, a
change of delivery refreshes it, and inbound mail that outreach does not read is read here."""

from __future__ import annotations

from typing import Any


def _message_acknowledged(sender: Any, *, message: Any, via: str, by: str, **_: Any) -> None:
    from dnscc.incidents import services

    services.acknowledge_from_message(message, via=via, by=by)


def _delivery_changed(sender: Any, *, sources: list[tuple[str, str, int]], **_: Any) -> None:
    from dnscc.incidents import services

    by_incident: dict[int, list[int]] = {}
    for source_type, source_id, organization_id in sources:
        if source_type == "incident" and source_id.isdigit():
            by_incident.setdefault(int(source_id), []).append(organization_id)
    for incident_id, organization_ids in by_incident.items():
        services.refresh_delivery(incident_id, organization_ids)


def _inbound_mail(raw: bytes) -> dict[str, Any]:
    from dnscc.incidents.mail import process_incident_mail

    return process_incident_mail(raw)


def connect() -> None:
    """Connected once from IncidentsConfig.ready (filled in by the services' owners)."""
    from dnscc.outreach.signals import delivery_changed, message_acknowledged

    message_acknowledged.connect(_message_acknowledged, dispatch_uid="incidents-party-ack")
    delivery_changed.connect(_delivery_changed, dispatch_uid="incidents-party-delivery")
    from dnscc.outreach.services import register_inbound_reader

    register_inbound_reader("incidents", _inbound_mail)
