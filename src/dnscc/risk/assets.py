"""Assets of the risk register, drawn from the directory and kept in step with it.

`sync_assets` computes the set the directory implies and makes the table match it:

    root-zone            the root zone                           very high
    root-servers         the root server system (its letters)    very high
    center               the center itself                       high
    tld:NAME             each delegated TLD                      moderate (arpa: very high)
    org:SLUG             each registry operator                  moderate; high when it
                         (a back-end provider when it runs       runs 2-9 TLDs, very high
                         two or more TLDs)                       from 10
    org:SLUG             registrars, resolver operators          moderate

What the criticality rests on is kept in `criticality_basis`. A coordinator may override it
with a reason (audited). An asset the directory no longer implies is retired, never
deleted: risks and assessments keep naming it.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import InputError, Location, NotFoundError
from dnscc.core.riskscale import check_level
from dnscc.core.text import check_text
from dnscc.core.tlp import Viewer
from dnscc.directory.models import Organization, RootServer, Tld
from dnscc.risk.models import Asset


def _provider_level(tlds: int) -> str:
    if tlds >= 10:
        return "very high"
    if tlds >= 2:
        return "high"
    return "moderate"


def expected_assets() -> dict[str, dict[str, Any]]:
    """key -> fields of every asset the directory implies now."""
    wanted: dict[str, dict[str, Any]] = {
        "root-zone": {
            "kind": "root_zone",
            "name": "The root zone",
            "criticality": "very high",
            "criticality_basis": {"why": "every name in the DNS depends on it"},
        },
        "root-servers": {
            "kind": "root_server_system",
            "name": "The root server system",
            "criticality": "very high",
            "criticality_basis": {"letters": RootServer.objects.count()},
        },
        "center": {
            "kind": "center",
            "name": "The coordination center",
            "criticality": "high",
            "criticality_basis": {"why": "coordinates the response of every operator"},
        },
    }
    for tld in Tld.objects.filter(delegated=True).only(
        "pk", "name", "unicode_name", "kind", "region", "operator_id"
    ):
        level = "very high" if tld.kind == Tld.INFRASTRUCTURE else "moderate"
        wanted[f"tld:{tld.name}"] = {
            "kind": "tld",
            "name": tld.display_name,
            "tld_id": tld.pk,
            "organization_id": tld.operator_id,
            "region": tld.region,
            "criticality": level,
            "criticality_basis": {"tld_kind": tld.kind},
        }
    orgs = Organization.objects.filter(
        kind__in=[
            Organization.TLD_REGISTRY,
            Organization.REGISTRAR,
            Organization.RESOLVER_OPERATOR,
        ]
    ).annotate(n_tlds=Count("tlds", filter=Q(tlds__delegated=True), distinct=True))
    for org in orgs.only("pk", "slug", "name", "kind", "region"):
        if org.kind == Organization.TLD_REGISTRY:
            n = org.n_tlds
            if n == 0:
                continue  # no delegated TLD in the directory: nothing at stake yet
            kind = "backend_provider" if n >= 2 else "registry"
            level, basis = _provider_level(n), {"tlds": n}
        else:
            kind = "registrar" if org.kind == Organization.REGISTRAR else "resolver_operator"
            level, basis = "moderate", {"organization_kind": org.kind}
        wanted[f"org:{org.slug}"] = {
            "kind": kind,
            "name": org.name,
            "organization_id": org.pk,
            "region": org.region,
            "criticality": level,
            "criticality_basis": basis,
        }
    return wanted


_FIELDS = (
    "kind",
    "name",
    "organization_id",
    "tld_id",
    "region",
    "criticality",
    "criticality_basis",
)


def sync_assets(actor: audit.Actor = audit.SYSTEM) -> dict[str, int]:
    """Make the asset table match the directory (set-based; idempotent)."""
    wanted = expected_assets()
    now = timezone.now()
    created = updated = retired = revived = 0
    with transaction.atomic():
        existing = {a.key: a for a in Asset.objects.all()}
        new_rows = []
        changed = []
        for key, fields in wanted.items():
            row = existing.get(key)
            full = {"organization_id": None, "tld_id": None, "region": "", **fields}
            if row is None:
                new_rows.append(Asset(key=key, **full))
                continue
            dirty = False
            for name in _FIELDS:
                if getattr(row, name) != full[name]:
                    setattr(row, name, full[name])
                    dirty = True
            if row.retired_at is not None:
                row.retired_at = None
                revived += 1
                dirty = True
            if dirty:
                changed.append(row)
        gone = [a for key, a in existing.items() if key not in wanted and a.retired_at is None]
        for row in gone:
            row.retired_at = now
        Asset.objects.bulk_create(new_rows, batch_size=500)
        Asset.objects.bulk_update(changed + gone, [*_FIELDS, "retired_at"], batch_size=500)
        created, updated, retired = len(new_rows), len(changed), len(gone)
        result = {"created": created, "updated": updated, "retired": retired, "revived": revived}
        if created or updated or retired:
            audit.record(
                actor,
                "risk.assets_sync",
                object_type="risk.asset",
                summary=f"assets: {created} new, {updated} updated, {retired} retired",
                data=result,
            )
    return result


def ensure_assets() -> None:
    if not Asset.objects.exists():
        sync_assets()


def get_asset(key: str, *, field: str = "asset") -> Asset:
    ensure_assets()
    asset = Asset.objects.filter(key=str(key or "").strip()).first()
    if asset is None:
        raise InputError(
            f"unknown asset {key!r}",
            location=Location(field=field),
            hint="assets are named tld:NAME, org:SLUG, root-zone, root-servers or center",
        )
    return asset


def set_criticality(
    viewer: Viewer, actor: audit.Actor, key: str, *, level: str, reason: str
) -> Asset:
    """Override an asset's computed criticality (or clear the override with level "")."""
    staff_only(viewer, "change an asset's criticality")
    asset = Asset.objects.filter(key=key).first()
    if asset is None:
        raise NotFoundError(f"no asset {key!r}")
    reason = check_text(reason, field="reason", max_length=500, required=True, one_line=True)
    value = check_level(level, field="criticality") if str(level or "").strip() else ""
    with transaction.atomic():
        before = asset.effective_criticality
        asset.criticality_override = value
        asset.criticality_reason = reason
        asset.save(update_fields=["criticality_override", "criticality_reason", "updated_at"])
        audit.record(
            actor,
            "risk.asset_criticality",
            obj=asset,
            summary=f"{asset.key}: criticality {before} -> {asset.effective_criticality}",
            data={"from": before, "to": asset.effective_criticality, "reason": reason},
        )
    return asset


def describe(asset: Asset) -> dict[str, Any]:
    return {
        "key": asset.key,
        "kind": asset.kind,
        "name": asset.name,
        "region": asset.region,
        "organization": asset.organization.slug
        if asset.organization_id and asset.organization
        else None,
        "criticality": asset.effective_criticality,
        "computed_criticality": asset.criticality,
        "criticality_basis": asset.criticality_basis,
        "criticality_reason": asset.criticality_reason,
        "retired": asset.retired_at is not None,
    }
