"""Traffic-size histograms on display bins, so that letters with different bucket sets
(an open `288-` bucket or full resolution up to 4096 bytes) add up.

Requests: 16-byte bins up to 287 bytes, then one bin "288 or more" (what most letters
publish). Responses: 16-byte bins up to 4,095 bytes, then "4,096 or more". A letter's open
bucket below the cap is counted in the bin where it starts (it is rare: see docs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dnscc.core.rssac002 import BUCKET_WIDTH, HISTOGRAMS

CAPS = {
    "udp-request-sizes": 288,
    "tcp-request-sizes": 288,
    "udp-response-sizes": 4096,
    "tcp-response-sizes": 4096,
}
LABELS = {
    "udp-request-sizes": "UDP queries",
    "udp-response-sizes": "UDP responses",
    "tcp-request-sizes": "TCP queries",
    "tcp-response-sizes": "TCP responses",
}


def bins(name: str, histogram: Mapping[str, Any]) -> list[int]:
    """A histogram (Histogram.as_dict) on the display bins of `name`: cap/16 + 1 counts."""
    cap = CAPS[name]
    n = cap // BUCKET_WIDTH
    out = [0] * (n + 1)
    counts = histogram.get("counts") or []
    for i, c in enumerate(counts[:n]):
        out[i] = c
    out[n] += sum(counts[n:])
    if histogram.get("open_from") is not None:
        out[min(int(histogram["open_from"]) // BUCKET_WIDTH, n)] += int(histogram["open_count"])
    return out


def add(total: list[int] | None, more: list[int]) -> list[int]:
    if total is None:
        return list(more)
    return [a + b for a, b in zip(total, more, strict=True)]


def month_histograms(days: Iterable[Mapping[str, Any]]) -> dict[str, list[int]]:
    """The display bins of several days' traffic-sizes values, summed per histogram."""
    out: dict[str, list[int]] = {}
    for values in days:
        for name in HISTOGRAMS:
            if name in values:
                out[name] = add(out.get(name), bins(name, values[name]))
    return out


def bin_labels(name: str) -> list[str]:
    cap = CAPS[name]
    return [f"{i}-{i + 15}" for i in range(0, cap, BUCKET_WIDTH)] + [f"{cap} or more"]
