"""Run a sweep of the namespace from the center: every delegated TLD of the directory plus
the root, against the configured root hints, and record the results."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings

from dnscc.core import egress
from dnscc.core.errors import UnavailableError
from dnscc.directory.models import Tld
from dnscc.monitoring import services
from dnscc.monitoring.models import Sweep


def hints_and_anchor() -> tuple[Path, Path | None]:
    """DNSCC_ROOT_HINTS/DNSCC_TRUST_ANCHOR, else the running lab's (the demo and tests)."""
    if settings.ROOT_HINTS:
        hints = Path(settings.ROOT_HINTS)
        anchor = Path(settings.TRUST_ANCHOR) if settings.TRUST_ANCHOR else None
    else:
        from dnscc.lab.lab import Lab

        lab = Lab()
        hints, anchor = lab.root_hints, lab.trust_anchor
    if not hints.exists():
        raise UnavailableError(
            f"no root hints at {hints}",
            hint="set DNSCC_ROOT_HINTS to a root hints file, or start the lab (dnscc lab up)",
        )
    return hints, anchor if anchor is not None and anchor.exists() else None


def run_sweep(
    *,
    trigger: str,
    zones: Sequence[str] | None = None,
    hints_path: Path | None = None,
    anchor_path: Path | None = None,
    concurrency: int = 200,
) -> Sweep:
    """Sweep the root and the given TLDs (default: every delegated TLD) and record it."""
    from dnscc.probe.profile import load_profile
    from dnscc.probe.sweep import sweep as probe_sweep
    from dnscc.probe.transport import UdpTransport
    from dnscc.probe.zone import Baseline, read_hints, read_trust_anchor

    # The lab rewrites every address of the real root zone to loopback by design, so against
    # it only NS names are compared with the directory's baseline. Against the real namespace
    # (DNSCC_ROOT_HINTS configured) glue is part of the baseline too.
    compare_glue = bool(settings.ROOT_HINTS)
    if hints_path is None:
        hints_path, anchor_path = hints_and_anchor()
    profile = load_profile(settings.PROBE_PROFILE or None)
    hints = read_hints(str(hints_path))
    anchor = read_trust_anchor(str(anchor_path)) if anchor_path else None
    tlds = Tld.objects.filter(delegated=True)
    if zones is not None:
        tlds = tlds.filter(name__in=[z.lower().strip(".") for z in zones])
    baselines = {f"{t.name}.": Baseline.of(t.ns, t.glue if compare_glue else None) for t in tlds}
    names = [".", *sorted(baselines)]
    sweep = services.start_sweep(trigger=trigger, hints=str(hints_path), zones_total=len(names))
    policy = egress.current()
    allowed, refused = policy.split(a for addresses in hints.values() for a in addresses)
    if not allowed:
        # Every root server is outside the egress rule: nothing is sent, and the sweep says so.
        return services.finish_sweep(
            sweep,
            zones_done=0,
            zones_untested=0,
            queries=0,
            new=0,
            resolved=0,
            error=f"not run: the root servers of {hints_path} ({', '.join(refused[:3])} ...)"
            f" are outside the networks the center may query ({policy.describe()})",
            not_run=True,
        )

    async def run() -> list[Any]:
        async with UdpTransport(profile.transport) as transport:
            return [
                r
                async for r in probe_sweep(
                    names,
                    hints=hints,
                    profile=profile,
                    transport=transport,
                    baselines=baselines,
                    trust_anchor=anchor,
                    concurrency=concurrency,
                )
            ]

    try:
        reports = asyncio.run(run())
    except Exception as exc:  # noqa: BLE001 - a failed sweep is recorded, not lost
        return services.finish_sweep(
            sweep,
            zones_done=0,
            zones_untested=0,
            queries=0,
            new=0,
            resolved=0,
            error=f"{type(exc).__name__}: {exc}",
        )
    new = resolved = untested = queries = 0
    for report in reports:
        counts = services.record_zone_report(sweep, report)
        new += counts["new"]
        resolved += counts["resolved"]
        untested += bool(report.untested)
        queries += report.queries
    return services.finish_sweep(
        sweep,
        zones_done=len(reports),
        zones_untested=untested,
        queries=queries,
        new=new,
        resolved=resolved,
    )


def probe_now(
    zone: str,
    *,
    ns: Sequence[str] = (),
    ds: Sequence[str] = (),
    hints_path: Path | None = None,
    anchor_path: Path | None = None,
) -> Any:
    """Probe one zone now and return its report (nothing stored). With `ns` (NAME or
    NAME/IP) it is an undelegated test, as registries run Zonemaster before a delegation:
    the zone is tested at those servers, with `ds` (KEYTAG,ALG,DIGTYPE,DIGEST) as its DS.
    Raises InputError for a bad name, NS or DS value; UnavailableError without hints."""
    from dnscc.core.errors import InputError
    from dnscc.probe.output import parse_ds, parse_ns
    from dnscc.probe.profile import load_profile
    from dnscc.probe.transport import UdpTransport
    from dnscc.probe.zone import Undelegated, _name, probe_zone, read_hints, read_trust_anchor

    try:
        _name(zone)
    except (InputError, ValueError, UnicodeError) as exc:
        raise InputError(f"invalid zone name {zone!r}: {exc}") from None
    if ds and not ns:
        raise InputError("ds needs ns: an undelegated test names the zone's servers")
    undelegated = Undelegated(parse_ns(ns), parse_ds(ds)) if ns else None
    if hints_path is None:
        hints_path, anchor_path = hints_and_anchor()
    profile = load_profile(settings.PROBE_PROFILE or None)
    hints = read_hints(str(hints_path))
    anchor = read_trust_anchor(str(anchor_path)) if anchor_path else None

    async def run() -> Any:
        async with UdpTransport(profile.transport) as transport:
            return await probe_zone(
                zone,
                hints=hints,
                profile=profile,
                transport=transport,
                trust_anchor=anchor,
                undelegated=undelegated,
            )

    return asyncio.run(run())
