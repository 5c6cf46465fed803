"""Delivery status notifications (RFC 3464) arriving at the center's inbound address.

A DSN is matched to the message it reports on by, in order: the VERP envelope address we
sent from (bounces+KEY@domain), the ORIGINAL-ENVELOPE-ID, or the Message-ID <KEY@domain>
in the returned headers. Pure: no Django.
"""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from email.message import Message

KEY_RE = re.compile(r"\b([0-9a-f]{32})\b")
VERP_RE = re.compile(r"bounces\+([0-9a-f]{32})@", re.IGNORECASE)
MSGID_RE = re.compile(r"<([0-9a-f]{32})@[^>]+>")


@dataclass(frozen=True)
class Report:
    key: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # e.g. 5.1.1
    recipient: str
    diagnostic: str

    @property
    def permanent_failure(self) -> bool:
        return self.action == "failed" or self.status.startswith("5")


def _fields(block: Message) -> dict[str, str]:
    return {k.lower(): str(v) for k, v in block.items()}


def _parse_status_blocks(part: Message) -> list[dict[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses message/delivery-status
        return [_fields(block) for block in payload if isinstance(block, Message)]
    text = payload if isinstance(payload, str) else ""
    blocks = []
    for chunk in re.split(r"\r?\n\r?\n", text.strip()):
        block = email.message_from_string(chunk + "\n\n")
        blocks.append(_fields(block))
    return blocks


def parse(raw: bytes) -> list[Report]:
    """Reports found in one inbound message; [] when it is not a DSN we can match."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if msg.get_content_type() != "multipart/report":
        return []
    key = ""
    for header in ("to", "delivered-to", "x-original-to", "envelope-to"):
        for value in msg.get_all(header, []):
            if m := VERP_RE.search(str(value)):
                key = m.group(1).lower()
    status_part: Message | None = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            status_part = part
        elif ctype in ("message/rfc822", "text/rfc822-headers") and not key:
            payload = part.get_payload()
            first = payload[0] if isinstance(payload, list) and payload else payload
            text = first.as_string() if isinstance(first, Message) else str(first)
            if m := MSGID_RE.search(text):
                key = m.group(1).lower()
    if status_part is None:
        return []
    blocks = _parse_status_blocks(status_part)
    if not blocks:
        return []
    per_message = blocks[0]
    envid = per_message.get("original-envelope-id", "")
    if not key and (m := KEY_RE.search(envid)):
        key = m.group(1)
    if not key:
        return []
    reports = []
    for block in blocks[1:] or blocks:
        if "action" not in block:
            continue
        recipient = block.get("final-recipient") or block.get("original-recipient") or ""
        reports.append(
            Report(
                key=key,
                action=block["action"].strip().lower(),
                status=block.get("status", "").strip(),
                recipient=recipient.split(";")[-1].strip(),
                diagnostic=" ".join(block.get("diagnostic-code", "").split())[:400],
            )
        )
    return reports
