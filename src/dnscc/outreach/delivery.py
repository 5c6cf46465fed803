"""Pure delivery policy: retry backoff, outcome classification, rate limits."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from dnscc.core.ratelimit import TokenBucket


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave. `permanent` failures are not retried. `channel_down`: the
    channel itself failed (the relay refused the connection or timed out, a webhook host
    did not answer or answered 5xx), not this recipient: it counts against the channel's
    health (models.ChannelHealth)."""

    ok: bool
    reply: str = ""
    permanent: bool = False
    channel_down: bool = False

    @classmethod
    def accepted(cls, reply: str) -> Outcome:
        return cls(True, reply[:500])

    @classmethod
    def temporary(cls, reply: str, *, channel_down: bool = False) -> Outcome:
        return cls(False, reply[:500], channel_down=channel_down)

    @classmethod
    def refused(cls, reply: str) -> Outcome:
        return cls(False, reply[:500], permanent=True)


def backoff_seconds(
    attempt: int, *, base: float, cap: float = 6 * 3600, jitter: float = 0.2
) -> float:
    """Exponential backoff after `attempt` failed tries (1-based), with +-jitter."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    return delay * (1 + random.uniform(-jitter, jitter))


def smtp_outcome(code: int, text: str) -> Outcome:
    """RFC 5321: 2xx accepted, 4xx try again later, 5xx refused for good."""
    reply = f"{code} {text}".strip()
    if 200 <= code < 300:
        return Outcome.accepted(reply)
    if 400 <= code < 500:
        # 421: the relay is closing the connection (shutting down, overloaded).
        return Outcome.temporary(reply, channel_down=code == 421)
    return Outcome.refused(reply)


def http_outcome(status: int, reason: str = "") -> Outcome:
    reply = f"HTTP {status} {reason}".strip()
    if 200 <= status < 300:
        return Outcome.accepted(reply)
    if 300 <= status < 400:
        return Outcome.refused(f"{reply}: redirects are not followed; register the final URL")
    if status in (408, 425, 429) or status >= 500:
        return Outcome.temporary(reply, channel_down=status >= 500)
    return Outcome.refused(reply)


class RateLimits:
    """Per-recipient and per-host buckets, created on first use."""

    def __init__(
        self,
        *,
        per_recipient: float,
        per_host: float,
        burst: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_recipient = per_recipient
        self.per_host = per_host
        self.burst = burst
        self.clock = clock
        self.buckets: dict[str, TokenBucket] = {}

    def _bucket(self, name: str, rate: float) -> TokenBucket:
        bucket = self.buckets.get(name)
        if bucket is None:
            burst = max(1.0, min(self.burst, rate * 60))
            bucket = self.buckets[name] = TokenBucket(rate, burst, now=self.clock())
        return bucket

    async def acquire(self, recipient: str, host: str) -> None:
        for name, rate in ((f"r:{recipient}", self.per_recipient), (f"h:{host}", self.per_host)):
            bucket = self._bucket(name, rate)
            while (delay := bucket.take(self.clock())) > 0:
                await asyncio.sleep(delay)
