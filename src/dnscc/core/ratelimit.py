"""The one token bucket of the project (probe politeness, outbox rate limits)."""

from __future__ import annotations


class TokenBucket:
    """`rate` tokens per second, bursts up to `burst`; the caller supplies the time.

    `take(now)` either takes a token and returns 0.0, or returns how many seconds to wait
    before asking again. Checked at the moment of sending, so any window of length W holds
    at most `burst + W * rate` takes.
    """

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: float, *, now: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = rate
        self.burst = max(float(burst), 1.0)
        self.tokens = self.burst
        self.stamp = now

    def take(self, now: float) -> float:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate
