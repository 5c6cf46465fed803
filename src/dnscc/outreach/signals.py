"""Signals other apps listen to, so that outreach never imports them.

`message_acknowledged(sender=Message, message=..., via=..., by=...)` is sent once, after the
first acknowledgement of a message is recorded, inside the same transaction: an incident
marks its party acknowledged, a campaign its slice.

`delivery_changed(sender=Message, sources=[(source_type, source_id, organization_id), ...])`
is sent inside the transaction that recorded a delivery outcome (accepted, dead letter,
bounce, retried): the notices' sources recompute what they show (an incident's party is
`notified` only once a message to it was accepted; a campaign's slice `delivered` likewise).
Only messages of notices with a source are announced.
"""

from __future__ import annotations

from django.dispatch import Signal

message_acknowledged = Signal()
delivery_changed = Signal()
