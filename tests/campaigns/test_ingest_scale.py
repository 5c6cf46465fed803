"""Loading at scale: many TLDs and registries, tens of thousands of names, bounded memory.
(The million-name figure is bench/campaign.py's; this keeps the design honest in CI.)"""

from __future__ import annotations

import gzip
import io
import tracemalloc

from django.db.models import Count

from dnscc.campaigns.models import Campaign, Slice, Target
from dnscc.directory import lookup
from dnscc.directory.models import Organization, Tld
from tests.campaigns.test_services import load, make_campaign
from tests.conftest import World

TLDS = 300
REGISTRIES = 60
NAMES = 30_000


def _directory() -> list[str]:
    orgs = Organization.objects.bulk_create(
        Organization(name=f"Registry {i}", slug=f"registry-{i}", kind=Organization.TLD_REGISTRY)
        for i in range(REGISTRIES)
    )
    Tld.objects.bulk_create(
        Tld(name=f"t{i:03d}", kind=Tld.GTLD, operator=orgs[i % REGISTRIES]) for i in range(TLDS)
    )
    lookup.invalidate()
    return [f"t{i:03d}" for i in range(TLDS)]


def _names(tlds: list[str], start: int = 0) -> bytes:
    return b"".join(
        b"name%06d.%s\n" % (i, tlds[i % len(tlds)].encode()) for i in range(start, start + NAMES)
    )


def test_thirty_thousand_names_split_over_sixty_registries(world: World) -> None:
    tlds = _directory()
    campaign = make_campaign(world)
    name_list = load(world, campaign, gzip.compress(_names(tlds)), name="big.txt.gz")
    assert name_list.added == NAMES
    slices = Slice.objects.filter(campaign=campaign)
    assert slices.count() == REGISTRIES
    assert sum(s.names for s in slices) == NAMES
    assert all(len(s.tlds) == TLDS // REGISTRIES for s in slices)
    per_slice = {s.pk: s.names for s in slices}
    assert per_slice == {
        row["slice_id"]: row["n"]
        for row in Target.objects.filter(campaign=campaign)
        .values("slice_id")
        .order_by()
        .annotate(n=Count("id"))
    }
    campaign.refresh_from_db()
    assert campaign.names_total == NAMES


def test_an_overlapping_second_list_adds_only_the_new_names(world: World) -> None:
    tlds = _directory()
    campaign = make_campaign(world)
    load(world, campaign, _names(tlds))
    second = load(world, campaign, _names(tlds, start=NAMES // 2), name="second.txt")
    assert second.added == NAMES // 2
    assert second.duplicates == NAMES // 2
    assert Campaign.objects.get(pk=campaign.pk).names_total == NAMES + NAMES // 2


def test_loading_does_not_hold_the_list_in_memory(world: World) -> None:
    tlds = _directory()
    campaign = make_campaign(world)
    data = _names(tlds)
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        from dnscc.accounts import audit
        from dnscc.accounts.services import viewer_for
        from dnscc.campaigns import services

        user = world.users["coordinator"]
        base, _ = tracemalloc.get_traced_memory()
        services.load_names(
            viewer_for(user),
            audit.Actor.of(user),
            campaign,
            stream,
            filename="x.txt",
            action="block",
            legal_basis="court_order",
            legal_reference="Case 1",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The dedup set (~100 bytes a name) and one batch of rows; not a model object per name
    # (a Target instance alone is ~1 KiB: 30,000 of them would be ~30 MB).
    assert peak - base < 12 * 1024 * 1024, f"{(peak - base) / 2**20:.1f} MiB"
