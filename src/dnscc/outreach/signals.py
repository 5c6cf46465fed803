"""Signals other apps listen to, so that outreach never imports them.

`message_acknowledged(sender=Message, message=..., via=..., by=...)` is sent once, after the
first acknowledgement of a message is recorded, inside the same transaction: an incident
marks its party acknowledged, a campaign its slice.
"""

from __future__ import annotations

from django.dispatch import Signal

message_acknowledged = Signal()
