"""The acceptance test of campaigns on the lab: 110 registries, 55,000 names, delivered,
acted on (or not) in the lab's zones, verified by DNS, escalated, reported and exported.

Every count asserted is what the test itself did in the lab: the compliers' names are
removed (suspend) or delegated to the sinkhole set (sinkhole) in their TLD's zone.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.campaigns import reports, services
from dnscc.campaigns.escalation import escalate
from dnscc.campaigns.models import Campaign, Slice, Target
from dnscc.campaigns.verification import verify_campaign
from dnscc.core.errors import UnavailableError
from dnscc.directory import lookup
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents.models import Incident, TimelineEntry
from dnscc.lab.lab import Lab
from dnscc.outreach.models import Message
from tests.conftest import World

pytestmark = [pytest.mark.lab, pytest.mark.django_db(transaction=False)]

TLDS = 110
NAMES = 500
SINKHOLE_NS = ["ns1.sinkhole.example", "ns2.sinkhole.example"]
REGIONS = ["AF", "AP", "EU", "LAC", "NA"]


@dataclass
class BigLab:
    lab: Lab
    tlds: list[str]
    servers: dict[str, list[str]]  # tld -> addresses
    hosts: dict[str, dict[str, str]]  # tld -> {host: address}
    up_seconds: float
    timings: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BigLab]:
    """A lab of its own with 110 TLDs and no second-level zones (the session's has 4)."""
    if os.environ.get("DNSCC_LAB_SKIP") == "1":
        pytest.skip("DNSCC_LAB_SKIP=1: lab tests skipped")
    lab = Lab(Path(tmp_path_factory.mktemp("dnscc-lab-110")))
    started = time.monotonic()
    try:
        lab.up(tlds=TLDS, slds=0, timeout=180)
    except UnavailableError as exc:
        pytest.fail(f"the lab cannot start: {exc}\n(set DNSCC_LAB_SKIP=1 to skip lab tests)")
    up_seconds = time.monotonic() - started
    try:
        plan = lab.plan()
        tlds = sorted(plan.tlds)[:TLDS]
        hosts = {t: {h: plan.hosts[h] for h in plan.tlds[t]} for t in tlds}
        servers = {t: sorted(set(hosts[t].values())) for t in tlds}
        yield BigLab(lab, tlds, servers, hosts, up_seconds)
    finally:
        lab.down()


def _directory(big: BigLab) -> dict[str, Organization]:
    """A registry per TLD, each with a contact with an email; every tenth resource-constrained."""
    orgs = {}
    for i, tld in enumerate(big.tlds):
        org = Organization.objects.create(
            name=f"Registry of .{tld}",
            slug=f"registry-{tld}",
            kind=Organization.TLD_REGISTRY,
            region=REGIONS[i % len(REGIONS)],
            resource_constrained=i % 10 == 0,
        )
        Tld.objects.update_or_create(
            name=tld,
            defaults={
                "kind": Tld.GTLD,
                "operator": org,
                "ns": sorted(big.hosts[tld]),
                "glue": {h: [a] for h, a in big.hosts[tld].items()},
            },
        )
        Contact.objects.create(organization=org, name="Security", email=f"security@nic.{tld}.test")
        orgs[tld] = org
    lookup.invalidate()
    return orgs


def _names(tld: str) -> list[str]:
    return [f"dga{i:03d}x{tld}.{tld}" for i in range(NAMES)]


def _ns(tld: str) -> list[str]:
    return [f"ns1.example.{tld}", f"ns2.example.{tld}"]


def _upload(names: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join(names) + "\n").encode())


def _outcomes(names: list[str], outcome: str) -> io.BytesIO:
    return io.BytesIO(("name,outcome\n" + "".join(f"{n},{outcome}\n" for n in names)).encode())


def test_a_campaign_on_110_registries_is_verified_escalated_and_reported_exactly(
    world: World, big_lab: BigLab
) -> None:
    t0 = time.monotonic()
    lab, tlds = big_lab.lab, big_lab.tlds
    coordinator = world.users["coordinator"]
    staff, actor = viewer_for(coordinator), audit.Actor.of(coordinator)
    orgs = _directory(big_lab)
    sinkhole_tlds = set(tlds[::11])  # 10 TLDs are asked to sinkhole, the rest to suspend
    # What each registry does: comply, acknowledge only, report done without acting, silence.
    groups = {"comply": tlds[0::4], "ack": tlds[1::4], "liar": tlds[2::4], "silent": tlds[3::4]}
    every_name = [n for t in tlds for n in _names(t)]

    # The names exist in the lab: delegated in their TLD's zone (all TLDs in one reload).
    lab.apply_registrations({t: {n: _ns(t) for n in _names(t)} for t in tlds})
    big_lab.timings["register"] = time.monotonic() - t0

    incident = Incident.objects.create(
        ref="DNSCC-2026-0001", title="Avalanche-like botnet", created_at=timezone.now()
    )
    campaign = services.create_campaign(
        staff,
        actor,
        incident_ref=incident.ref,
        title="DGA takedown",
        due_date=(timezone.now() + timedelta(days=2)).date(),
        sinkhole_ns=SINKHOLE_NS,
        user=coordinator,
    )
    suspend = [n for t in tlds if t not in sinkhole_tlds for n in _names(t)]
    sinkhole = [n for t in sorted(sinkhole_tlds) for n in _names(t)]
    for action, names in (("suspend", suspend), ("sinkhole", sinkhole)):
        services.load_names(
            staff,
            actor,
            campaign,
            _upload(names),
            filename=f"{action}.txt",
            action=action,
            legal_basis="court_order",
            legal_reference="LG Verden 2016/1",
        )
    services.deliver(staff, actor, campaign, user=coordinator)
    campaign.refresh_from_db()
    slices = {s.tlds[0]: s for s in Slice.objects.filter(campaign=campaign)}
    assert campaign.status == Campaign.ACTIVE
    assert len(slices) == TLDS
    for tld, s in slices.items():
        assert s.names == NAMES
        assert s.organization == orgs[tld]
        sent = Message.objects.filter(
            notice__source_type="campaign_slice", notice__source_id=str(s.pk)
        )
        assert [m.address for m in sent] == [f"security@nic.{tld}.test"]

    # The registries act (or not), in the lab and through the center.
    lab.apply_registrations(
        {
            t: {n: SINKHOLE_NS if t in sinkhole_tlds else None for n in _names(t)}
            for t in groups["comply"]
        }
    )
    for tld in [*groups["comply"], *groups["ack"], *groups["liar"]]:
        services.acknowledge_slice(staff, actor, slices[tld], via="portal")
    for tld in [*groups["comply"], *groups["liar"]]:
        services.record_outcomes(
            staff, actor, slices[tld], _outcomes(_names(tld), "done"), filename="done.csv"
        )

    t1 = time.monotonic()
    run = verify_campaign(campaign, servers=big_lab.servers, rate=5000)
    big_lab.timings["verify"] = time.monotonic() - t1
    complied = len(groups["comply"]) * NAMES
    assert (run.names, run.ok, run.bad, run.errors) == (
        TLDS * NAMES,
        complied,
        TLDS * NAMES - complied,
        0,
    )
    ok_names = set(
        Target.objects.filter(campaign=campaign, verified_ok=True).values_list("name", flat=True)
    )
    assert ok_names == {n for t in groups["comply"] for n in _names(t)}
    for tld, s in slices.items():
        s.refresh_from_db()
        did = tld in groups["comply"]
        lied = tld in groups["liar"]
        assert (s.verified_ok, s.verified_bad, s.mismatches) == (
            NAMES if did else 0,
            0 if did else NAMES,
            NAMES if lied else 0,
        ), tld
        assert s.state == (Slice.COMPLETE if did else s.state)
    expected_observed = {
        t: ("sinkholed" if t in sinkhole_tlds else "not_delegated")
        if t in groups["comply"]
        else "delegated"
        for t in tlds
    }
    observed = dict(
        Target.objects.filter(campaign=campaign).values_list("tld", "observed").distinct()
    )
    assert observed == expected_observed

    # After the deadline: the silent are reminded, then handed to the duty desk.
    deadline = max(s.deadline for s in slices.values())
    first = escalate(deadline + timedelta(hours=1))
    second = escalate(deadline + timedelta(hours=25))
    silent_orgs = {orgs[t].pk for t in groups["silent"]}
    reminded = set(
        Message.objects.filter(kind="campaign_reminder").values_list("organization_id", flat=True)
    )
    assert first["reminders"] == len(groups["silent"])
    assert reminded == silent_orgs
    assert second["desk"] == len(groups["silent"])
    desk_entries = TimelineEntry.objects.filter(incident=incident, kind="escalation", data__level=2)
    assert {e.data["organization"] for e in desk_entries} == {
        f"registry-{t}" for t in groups["silent"]
    }

    # The dashboard and the reports agree with the lab.
    dash = reports.dashboard(campaign, now=deadline + timedelta(hours=26))
    per_tld = {r["tld"]: r for r in dash["coverage"]["per_tld"]}
    for tld in tlds:
        did = tld in groups["comply"]
        assert per_tld[tld]["verified"] == (NAMES if did else 0)
        assert per_tld[tld]["reported"] == (NAMES if did or tld in groups["liar"] else 0)
        assert per_tld[tld]["mismatch"] == (NAMES if tld in groups["liar"] else 0)
    assert dash["coverage"]["total"]["verified"] == complied
    lag = dash["laggards"]
    assert {r["organization_slug"] for r in lag} == {
        f"registry-{t}" for t in tlds if t not in groups["comply"]
    }
    assert all(not r["acknowledged"] for r in lag[: len(groups["silent"])])
    assert all(r["desk"] for r in lag if not r["acknowledged"])
    assert {r["organization"] for r in dash["coverage"]["resource_constrained"]} == {
        orgs[t].name for i, t in enumerate(tlds) if i % 10 == 0
    }

    rows = list(csv.DictReader(io.StringIO("".join(reports.report_csv(campaign)))))
    data = json.loads("".join(reports.report_json(campaign)))
    assert len(rows) == len(data["names"]) == TLDS * NAMES
    csv_ok = {r["name"] for r in rows if r["verified_ok"] == "true"}
    json_ok = {i["name"] for i in data["names"] if i["verified_ok"] is True}
    assert csv_ok == json_ok == ok_names
    assert {r["name"] for r in rows if r["mismatch"] == "true"} == {
        n for t in groups["liar"] for n in _names(t)
    }

    rpz = "".join(reports.rpz_chunks(campaign))
    suffix = f".{reports.rpz_origin(campaign)}."
    triggers = {
        line.split()[0].removesuffix(suffix)
        for line in rpz.splitlines()
        if " CNAME " in line and not line.startswith("*.")
    }
    assert triggers == set(every_name)
    big_lab.timings["test"] = time.monotonic() - t0
    print(f"\nlab up {big_lab.up_seconds:.1f} s; {big_lab.timings}")
