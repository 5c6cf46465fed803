"""DNS verification of a campaign's names against each TLD's own authoritative servers.

The probe (dnscc.probe.verify.verify_names) classifies each name at its TLD's servers:
not_delegated / delegated / sinkholed / error. Whether that shows the action done depends
on the action:

    block, suspend    done when the name is not delegated
    sinkhole          done when the name is delegated to the campaign's sinkhole set
    transfer          DNS cannot tell: observed is stored, verified_ok stays unknown
    release           any answer (the block ends)

A name whose check failed (error) stays unknown too. A mismatch is an outcome reported as
done or not_registered while DNS shows the action not done. Verdicts are written with
set-based updates (names grouped by verdict, `filter(pk__in=...)` in chunks), then the
per-slice counters by one aggregate, then a Snapshot for the progress plot.

Where the servers come from: the directory's Tld rows (ns + glue) unless `servers` maps a
TLD to its addresses (the lab's in tests). Politeness: DNSCC_CAMPAIGN_VERIFY_RATE queries
per second per server address.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.campaigns.models import (
    SINKHOLE,
    Campaign,
    Slice,
    Target,
    VerificationRun,
)
from dnscc.campaigns.reports import record_snapshot
from dnscc.core import egress
from dnscc.directory.models import Tld

log = logging.getLogger(__name__)

NOT_DELEGATED, DELEGATED, SINKHOLED, ERROR = "not_delegated", "delegated", "sinkholed", "error"
_CHUNK = 900  # below SQLite's bound on query parameters


def expected_ok(action: str, observed: str) -> bool | None:
    """Whether `observed` shows `action` done (dnscc.probe.verify's table); None when DNS
    cannot tell or the check failed."""
    from dnscc.probe.verify import ACTIONS

    wanted = ACTIONS.get(action)
    if wanted is None or observed == ERROR or not observed:
        return None
    return observed in wanted


NO_SERVER_ADDRESS = "no address for the TLD's name servers"


def _host_key(host: str) -> str:
    return host.strip().lower().rstrip(".")


def servers_from_directory(tlds: set[str]) -> dict[str, list[str]]:
    """TLD -> addresses of its name servers (the root zone's glue kept in the directory).

    A TLD whose name servers are out of bailiwick has no glue of its own; their addresses
    are then taken from the glue of the other TLDs (the root zone holds glue for many
    shared hosts). A TLD with no address at all is left out (verified as an error)."""
    result: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {}
    for tld in Tld.objects.filter(name__in=tlds):
        glue = {_host_key(h): a for h, a in (tld.glue or {}).items()}
        addresses = [a for host in tld.ns for a in glue.get(_host_key(host), [])]
        if addresses:
            result[tld.name] = addresses
        elif tld.ns:
            missing[tld.name] = [_host_key(h) for h in tld.ns]
    if missing:
        wanted = {h for hosts in missing.values() for h in hosts}
        known: dict[str, list[str]] = {}
        for glue in Tld.objects.exclude(glue={}).values_list("glue", flat=True).iterator():
            for host, addrs in (glue or {}).items():
                key = _host_key(host)
                if key in wanted:
                    known.setdefault(key, [])
                    known[key].extend(a for a in addrs if a not in known[key])
        for name, hosts in missing.items():
            addresses = [a for host in hosts for a in known.get(host, [])]
            if addresses:
                result[name] = addresses
    return result


def refresh_mismatches(targets: Any) -> int:
    """Flag as mismatches the names of `targets` (a Target QuerySet) reported done or not
    registered that DNS shows not done; clear the others. Returns the mismatches left."""
    acted = Q(outcome__in=(Target.DONE, Target.NOT_REGISTERED))
    targets.filter(acted, verified_ok=False).exclude(mismatch=True).update(mismatch=True)
    targets.filter(mismatch=True).exclude(acted & Q(verified_ok=False)).update(mismatch=False)
    return int(targets.filter(mismatch=True).count())


def _probe(
    names_by_tld: dict[str, list[str]],
    actions: dict[str, str],
    servers: dict[str, list[str]],
    *,
    sinkhole_ns: list[str],
    rate: float,
    port: int,
) -> tuple[dict[str, tuple[str, bool | None, str]], int]:
    """name -> (observed, ok, evidence) from dnscc.probe.verify, and the queries sent."""
    import asyncio

    from dnscc.probe.transport import TransportConfig, UdpTransport
    from dnscc.probe.verify import Expectation, verify_names

    items = [
        Expectation(name=name, action=actions[name], tld=tld)
        for tld, names in names_by_tld.items()
        for name in names
    ]

    async def run() -> tuple[list[Any], int]:
        # The probe's own transport, made here only to count the queries it sent.
        async with UdpTransport(TransportConfig(qps_per_server=rate)) as transport:
            verdicts = await verify_names(
                items, servers=servers, sinkhole_ns=sinkhole_ns, transport=transport, port=port
            )
            return verdicts, transport.queries

    verdicts, queries = asyncio.run(run())
    return {v.name.rstrip("."): (v.observed, v.ok, v.evidence[:300]) for v in verdicts}, queries


def _probe_groups(
    names_by_tld: dict[str, list[str]],
    actions: dict[str, str],
    servers: dict[str, list[str]],
    *,
    sinkhole_ns: list[str],
    rate: float,
    port: int,
) -> tuple[dict[str, tuple[str, bool | None, str]], int]:
    """_probe over every TLD at once; when the probe refuses its input (InputError), again
    one TLD at a time so that one bad group leaves its names as errors, not the others."""
    from dnscc.core.errors import InputError

    try:
        return _probe(names_by_tld, actions, servers, sinkhole_ns=sinkhole_ns, rate=rate, port=port)
    except InputError:
        log.warning("verification input refused as a whole; checking one TLD at a time")
    verdicts: dict[str, tuple[str, bool | None, str]] = {}
    queries = 0
    for tld, names in names_by_tld.items():
        try:
            found, sent = _probe(
                {tld: names},
                actions,
                {tld: servers[tld]},
                sinkhole_ns=sinkhole_ns,
                rate=rate,
                port=port,
            )
        except InputError as exc:
            for name in names:
                verdicts[name] = (ERROR, None, f"not checked: {exc.problem}"[:300])
            continue
        verdicts.update(found)
        queries += sent
    return verdicts, queries


def verify_campaign(
    campaign: Campaign,
    *,
    now: datetime | None = None,
    servers: dict[str, list[str]] | None = None,
    rate: float | None = None,
    port: int = 53,
    actor: audit.Actor | None = None,
) -> VerificationRun:
    """Check every name of the campaign (or those due) with dnscc.probe.verify; store the
    per-name verdicts and per-slice counters with set-based updates; flag mismatches
    (reported done, DNS says otherwise); record a Snapshot. `servers` maps a TLD to its
    server addresses (default: from the directory's Tld.ns/glue); `port` is theirs (the
    lab's in tests)."""
    now = now or timezone.now()
    rate = rate or settings.CAMPAIGN_VERIFY_RATE
    run = VerificationRun.objects.create(campaign=campaign, started_at=now)

    pks: dict[str, int] = {}
    actions: dict[str, str] = {}
    names_by_tld: dict[str, list[str]] = defaultdict(list)
    rows = Target.objects.filter(campaign=campaign).values_list("pk", "name", "tld", "action")
    for pk, name, tld, action in rows.iterator(chunk_size=5000):
        pks[name] = pk
        actions[name] = action
        names_by_tld[tld].append(name)

    if servers is None:
        servers = default_servers(set(names_by_tld))
    known = {tld: names for tld, names in names_by_tld.items() if servers.get(tld)}
    unknown = sorted(set(names_by_tld) - set(known))
    servers, outside = _within_egress(servers, known)
    if outside and not any(tld not in outside for tld in known):
        return _not_run(run, campaign, outside, actor)
    verdicts: dict[str, tuple[str, bool | None, str]] = {}
    for tld in outside:
        for name in known.pop(tld):
            verdicts[name] = (ERROR, None, outside[tld])
    queries = 0
    sinkhole_ns = list(campaign.sinkhole_ns or [])
    if not sinkhole_ns:
        # A sinkhole name cannot be judged without the sinkhole set (loading refuses such
        # a list; an older one stays unverified instead of failing the whole campaign).
        for tld, names in list(known.items()):
            for name in [n for n in names if actions[n] == SINKHOLE]:
                verdicts[name] = (ERROR, None, "the campaign has no sinkhole NS set")
            known[tld] = [n for n in names if actions[n] != SINKHOLE]
        known = {tld: names for tld, names in known.items() if names}
    if known:
        verdicts_probed, queries = _probe_groups(
            known,
            actions,
            {tld: list(servers[tld]) for tld in known},
            sinkhole_ns=sinkhole_ns,
            rate=rate,
            port=port,
        )
        verdicts.update(verdicts_probed)
    for tld in unknown:
        for name in names_by_tld[tld]:
            verdicts[name] = (ERROR, None, NO_SERVER_ADDRESS)

    # Group the names by what is written, then write each group in chunks.
    groups: dict[tuple[str, bool | None, str], list[int]] = defaultdict(list)
    for name, (verdict, ok, evidence) in verdicts.items():
        if name in pks:
            groups[(verdict, ok, evidence if verdict == ERROR else "")].append(pks[name])
    counts = {"ok": 0, "bad": 0, "errors": 0, "unknown": 0}
    finished = timezone.now()
    with transaction.atomic():
        for (verdict, ok, evidence), ids in groups.items():
            for i in range(0, len(ids), _CHUNK):
                Target.objects.filter(pk__in=ids[i : i + _CHUNK]).update(
                    observed=verdict, verified_ok=ok, verified_at=now, evidence=evidence
                )
            if verdict == ERROR:
                counts["errors"] += len(ids)
            elif ok is None:
                counts["unknown"] += len(ids)
            else:
                counts["ok" if ok else "bad"] += len(ids)
        refresh_mismatches(Target.objects.filter(campaign=campaign))
        _update_slices(campaign, now)
        run.finished_at = finished
        run.names = len(verdicts)
        run.ok = counts["ok"]
        run.bad = counts["bad"]
        run.errors = counts["errors"]
        run.queries = queries
        run.detail = {"unknown": counts["unknown"], "tlds_without_servers": unknown[:100]}
        run.save()
        record_snapshot(campaign, at=now)
        audit.record(
            actor or audit.SYSTEM,
            "campaign.verified",
            obj=campaign,
            summary=f"verified {run.names} name(s): {run.ok} ok, {run.bad} not done,"
            f" {run.errors} error(s)",
            data={"run": run.pk, **counts, "queries": queries},
        )
    return run


def _within_egress(
    servers: dict[str, list[str]], tlds: dict[str, list[str]]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """The servers the egress rule allows (dnscc.core.egress), and for each TLD left with
    none, why its names are not checked. Nothing is sent where the rule does not allow."""
    policy = egress.current()
    kept: dict[str, list[str]] = {}
    outside: dict[str, str] = {}
    for tld in tlds:
        allowed, refused = policy.split(servers.get(tld, []))
        if allowed:
            kept[tld] = allowed
        else:
            shown = ", ".join(refused[:3]) + (" ..." if len(refused) > 3 else "")
            outside[tld] = (
                f"not checked: the servers of .{tld} ({shown}) are outside the networks the"
                f" center may query ({policy.describe()})"
            )
    return kept, outside


def _not_run(
    run: VerificationRun,
    campaign: Campaign,
    outside: dict[str, str],
    actor: audit.Actor | None,
) -> VerificationRun:
    """Record a run that sent nothing because every server is outside the egress rule: the
    names keep their earlier verdicts, and the run says why."""
    policy = egress.current()
    run.not_run = (
        f"not run: the servers of all {len(outside)} TLD(s) are outside the networks the"
        f" center may query ({policy.describe()}); start the lab (dnscc lab up) or set"
        f" {egress.SETTING} to include them"
    )
    run.finished_at = timezone.now()
    run.detail = {"tlds_outside_egress": sorted(outside)[:100]}
    run.save()
    audit.record(
        actor or audit.SYSTEM,
        "campaign.verification_not_run",
        obj=campaign,
        summary=run.not_run,
        data={"run": run.pk, "tlds": len(outside)},
    )
    log.warning("verification of campaign %s %s", campaign.slug, run.not_run)
    return run


def _update_slices(campaign: Campaign, now: datetime) -> None:
    """Per-slice counters from one aggregate query. An acknowledged slice whose every name
    is verified becomes complete; only acknowledged ones: for a block, "not delegated" is
    also what a registry that never read the slice shows. A complete slice whose names are
    no longer all verified goes back (to acknowledged, or delivered)."""
    per_slice = (
        Target.objects.filter(campaign=campaign, slice__isnull=False)
        .values("slice")
        .annotate(
            ok=Count("pk", filter=Q(verified_ok=True)),
            bad=Count("pk", filter=Q(verified_ok=False)),
            mismatches=Count("pk", filter=Q(mismatch=True)),
            reported=Count("pk", filter=~Q(outcome="")),
            total=Count("pk"),
        )
    )
    for row in per_slice:
        changes: dict[str, Any] = {
            "verified_ok": row["ok"],
            "verified_bad": row["bad"],
            "mismatches": row["mismatches"],
            "last_verified_at": now,
        }
        Slice.objects.filter(pk=row["slice"]).update(**changes)
        if row["total"] and row["ok"] == row["total"]:
            Slice.objects.filter(
                pk=row["slice"], state=Slice.ACKNOWLEDGED, acknowledged_at__isnull=False
            ).update(state=Slice.COMPLETE)
        else:
            complete = Slice.objects.filter(pk=row["slice"], state=Slice.COMPLETE)
            complete.filter(acknowledged_at__isnull=False).update(state=Slice.ACKNOWLEDGED)
            # Not acknowledged: back to what its delivery says (accepted or not).
            complete.filter(acknowledged_at__isnull=True, accepted_at__isnull=False).update(
                state=Slice.DELIVERED
            )
            complete.filter(acknowledged_at__isnull=True, accepted_at__isnull=True).update(
                state=Slice.QUEUED
            )


def verify_due(*, now: datetime | None = None) -> dict[str, Any]:
    """Run by the scheduler: verify active campaigns whose interval elapsed
    (DNSCC_CAMPAIGN_VERIFY_INTERVAL_SECONDS since their last run)."""
    now = now or timezone.now()
    interval = timedelta(seconds=settings.CAMPAIGN_VERIFY_INTERVAL_SECONDS)
    done: list[dict[str, Any]] = []
    for campaign in Campaign.objects.filter(status=Campaign.ACTIVE).order_by("pk"):
        last = campaign.runs.order_by("-started_at").values_list("started_at", flat=True).first()
        if last is not None and last + interval > now:
            continue
        try:
            run = verify_campaign(campaign, now=now)
        except Exception:
            # One campaign's failure must not stop the others; it is logged with its cause.
            log.exception("verification of campaign %s failed", campaign.slug)
            done.append({"campaign": campaign.slug, "error": True})
            continue
        done.append({"campaign": campaign.slug, "run": run.pk, "ok": run.ok, "bad": run.bad})
    return {"verified": done}


def default_servers(tlds: set[str]) -> dict[str, list[str]]:
    """Where the center looks for each TLD's servers, as its monitoring does: from the root
    (DNSCC_ROOT_HINTS, else the running lab's hints: the demo) when there are hints, else
    from the directory's glue."""
    from dnscc.core.errors import UnavailableError
    from dnscc.monitoring.runner import hints_and_anchor

    try:
        hints, _anchor = hints_and_anchor()
    except UnavailableError:
        return servers_from_directory(tlds)
    return servers_from_hints(str(hints), tlds)


def servers_from_hints(hints_path: str, tlds: set[str], *, port: int = 53) -> dict[str, list[str]]:
    """TLD -> addresses of its name servers, from the root's referrals (the glue), found
    from a root hints file (`dnscc campaign verify --hints`, e.g. the lab's)."""
    import asyncio

    import dns.name

    from dnscc.probe.transport import UdpTransport
    from dnscc.probe.zone import find_delegation, read_hints

    hints = read_hints(hints_path)

    async def walk() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        untested: list[str] = []
        async with UdpTransport() as transport:
            for tld in sorted(tlds):
                zone = dns.name.from_text(tld + ".")
                deleg = await find_delegation(zone, hints, transport, port=port, untested=untested)
                if deleg is not None:
                    addresses = [a for addrs in deleg.glue.values() for a in addrs]
                    if addresses:
                        found[tld] = addresses
        return found

    return asyncio.run(walk())
