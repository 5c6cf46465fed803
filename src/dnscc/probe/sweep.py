"""Sweeping many zones: the root first, then every zone, many at a time on one transport.

The per-server rate limit lives in the shared transport, so however many zones are in
flight, no server receives more than the profile's rate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import dns.rrset

from dnscc.probe.delegation import Servers
from dnscc.probe.model import ZoneReport
from dnscc.probe.profile import Profile
from dnscc.probe.transport import Transport
from dnscc.probe.zone import Baseline, probe_zone

Progress = Callable[[int, int, ZoneReport], None]


async def sweep(
    zones: Sequence[str],
    *,
    hints: Servers,
    profile: Profile,
    transport: Transport,
    baselines: Mapping[str, Baseline] | None = None,
    trust_anchor: dns.rrset.RRset | None = None,
    concurrency: int = 200,
    port: int = 53,
    axfr: bool = True,
    progress: Progress | None = None,
) -> AsyncIterator[ZoneReport]:
    """Probe every zone (include "." for root server health); reports as they complete.

    A zone whose probe fails unexpectedly still yields a report, with the failure in
    `untested`: one bad zone never stops the sweep.
    """
    sem = asyncio.Semaphore(concurrency)
    baselines = baselines or {}

    async def one(zone: str) -> ZoneReport:
        async with sem:
            key = zone.lower().rstrip(".") + "." if zone.strip(".") else "."
            try:
                return await probe_zone(
                    zone,
                    hints=hints,
                    profile=profile,
                    transport=transport,
                    baseline=baselines.get(key),
                    trust_anchor=trust_anchor,
                    port=port,
                    axfr=axfr,
                )
            except Exception as exc:  # noqa: BLE001 - recorded as untested, the sweep goes on
                return ZoneReport(zone, (), (f"probe failed: {type(exc).__name__}: {exc}",))

    tasks = [asyncio.ensure_future(one(z)) for z in zones]
    done = 0
    try:
        for fut in asyncio.as_completed(tasks):
            report = await fut
            done += 1
            if progress is not None:
                progress(done, len(tasks), report)
            yield report
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def sweep_all(zones: Sequence[str], **kwargs: object) -> list[ZoneReport]:
    """`sweep` collected into a list, in input order."""
    order = {z: i for i, z in enumerate(zones)}
    out = [r async for r in sweep(zones, **kwargs)]  # type: ignore[arg-type]
    return sorted(out, key=lambda r: order.get(r.zone, order.get(r.zone.rstrip("."), len(order))))
