"""Trust groups: members, the vetting level they need, the sharing agreement they accepted.

Vetting gates twice: an organisation below the group's level cannot join, and a member whose
vetting was lowered since, or who has not accepted the latest agreement, gets nothing (the
group is not even shown to it: `active_groups`). Every change is audited.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Viewer
from dnscc.directory.models import Organization
from dnscc.sharing.models import (
    VETTING_RANK,
    Agreement,
    Collection,
    Membership,
    TrustGroup,
)

DEFAULT_COLLECTIONS = [
    ("incidents", "Incidents", True, False),
    ("campaigns", "Campaigns and their names", True, False),
    ("advisories", "Advisories", True, False),
    ("sightings", "Monitoring sightings", True, False),
    ("submissions", "Members' submissions (members may write)", False, True),
]


def _vetting(value: str) -> str:
    value = (value or "").strip().lower()
    if value not in VETTING_RANK:
        raise InputError(
            f"unknown vetting level {value!r}",
            location=Location(field="min_vetting"),
            hint="one of unvetted, vetted, trusted",
        )
    return value


def create_group(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    name: str,
    min_vetting: str = "vetted",
    tlp_ceiling: str = "AMBER",
    agreement: str,
    description: str = "",
    slug: str = "",
) -> TrustGroup:
    """Staff only. A group with its first agreement (version 1) and its collections."""
    staff_only(viewer, "create trust groups")
    name = check_text(name, field="name", max_length=200, required=True, one_line=True)
    text = check_text(agreement, field="agreement", max_length=100_000, required=True)
    description = check_text(description, field="description", max_length=5000)
    ceiling = TLP.parse(tlp_ceiling or "AMBER", field="tlp_ceiling")
    if ceiling is TLP.RED:
        raise InputError(
            "TLP:RED is never published to a group",
            location=Location(field="tlp_ceiling"),
            hint="use AMBER+STRICT at most",
        )
    slug = slugify(slug or name)[:64]
    if not slug:
        raise InputError("the name gives no usable slug", location=Location(field="slug"))
    if TrustGroup.objects.filter(slug=slug).exists():
        raise ConflictError(f"a trust group {slug!r} exists already")
    with transaction.atomic():
        group = TrustGroup.objects.create(
            slug=slug,
            name=name,
            description=description,
            min_vetting=_vetting(min_vetting),
            tlp_ceiling=ceiling.value,
            created_by=actor.name[:150],
        )
        Agreement.objects.create(group=group, version=1, text=text, created_by=actor.name[:150])
        for kind, title, read, write in DEFAULT_COLLECTIONS:
            Collection.objects.create(
                group=group, kind=kind, title=title, member_read=read, member_write=write
            )
        audit.record(
            actor,
            "sharing.group.create",
            obj=group,
            summary=f"trust group {slug}",
            data={"min_vetting": group.min_vetting, "tlp_ceiling": ceiling.value},
        )
    return group


def get_group(slug: str) -> TrustGroup:
    group = TrustGroup.objects.filter(slug=slug).first()
    if group is None:
        raise NotFoundError(f"no trust group {slug!r}")
    return group


def current_version(group: TrustGroup) -> int:
    return int(group.agreements.aggregate(v=Max("version"))["v"] or 0)


def current_agreement(group: TrustGroup) -> Agreement:
    return group.agreements.order_by("-version").first()  # type: ignore[return-value]


def new_agreement(viewer: Viewer, actor: audit.Actor, group: TrustGroup, text: str) -> Agreement:
    """Staff only. A new version: every member must accept it again before pulling."""
    staff_only(viewer, "change sharing agreements")
    text = check_text(text, field="agreement", max_length=100_000, required=True)
    with transaction.atomic():
        version = current_version(group) + 1
        agreement = Agreement.objects.create(
            group=group, version=version, text=text, created_by=actor.name[:150]
        )
        audit.record(
            actor,
            "sharing.agreement.new",
            obj=group,
            summary=f"{group.slug} agreement v{version}",
            data={"version": version},
        )
    return agreement


def _check_level(group: TrustGroup, org: Organization) -> None:
    if VETTING_RANK.get(org.vetting, 0) < VETTING_RANK[group.min_vetting]:
        raise PermissionDenied(
            f"{org.name} is {org.vetting}; {group.name} requires {group.min_vetting} members",
            hint="vet the organisation in the directory first (dnscc directory vet)",
        )


def add_member(
    viewer: Viewer,
    actor: audit.Actor,
    group: TrustGroup,
    org: Organization,
    *,
    accept_version: int = 0,
    accepted_by: str = "",
) -> Membership:
    """Staff only. Refused below the group's vetting level; without an accepted agreement
    (`accept_version`, the latest) the organisation is invited and can accept it itself."""
    staff_only(viewer, "add members to trust groups")
    _check_level(group, org)
    if Membership.objects.filter(group=group, organization=org).exists():
        raise ConflictError(f"{org.name} is already a member of {group.name}")
    with transaction.atomic():
        membership = Membership.objects.create(
            group=group, organization=org, added_by=actor.name[:150]
        )
        audit.record(
            actor,
            "sharing.member.add",
            obj=membership,
            summary=f"{org.slug} invited to {group.slug}",
            data={"group": group.slug, "organization": org.slug},
        )
        if accept_version:
            _accept(actor, membership, accept_version, accepted_by or actor.name)
    return membership


def _accept(actor: audit.Actor, membership: Membership, version: int, by: str) -> None:
    latest = current_version(membership.group)
    if version != latest:
        raise ConflictError(
            f"the agreement of {membership.group.name} is at version {latest}, not {version}",
            hint="read the latest version and accept that one",
        )
    membership.accepted_version = version
    membership.accepted_by = by[:150]
    membership.accepted_at = timezone.now()
    membership.save(update_fields=["accepted_version", "accepted_by", "accepted_at"])
    audit.record(
        actor,
        "sharing.agreement.accept",
        obj=membership,
        summary=f"{membership.organization.slug} accepted {membership.group.slug} v{version}",
        data={"group": membership.group.slug, "version": version, "by": by},
    )


def accept_agreement(
    viewer: Viewer, actor: audit.Actor, group: TrustGroup, org: Organization, *, version: int
) -> Membership:
    """A member organisation (its own users) or staff on its behalf accepts a version."""
    if not viewer.is_staff and viewer.organization_id != org.pk:
        raise NotFoundError(f"no trust group {group.slug!r}")
    membership = Membership.objects.filter(group=group, organization=org).first()
    if membership is None:
        raise NotFoundError(f"{org.name} is not invited to {group.name}")
    _check_level(group, org)
    with transaction.atomic():
        _accept(actor, membership, version, actor.name)
    return membership


def remove_member(viewer: Viewer, actor: audit.Actor, group: TrustGroup, org: Organization) -> None:
    staff_only(viewer, "remove members from trust groups")
    with transaction.atomic():
        deleted, _ = Membership.objects.filter(group=group, organization=org).delete()
        if not deleted:
            raise NotFoundError(f"{org.name} is not a member of {group.name}")
        audit.record(
            actor,
            "sharing.member.remove",
            obj=group,
            summary=f"{org.slug} removed from {group.slug}",
            data={"organization": org.slug},
        )


def member_state(group: TrustGroup, membership: Membership, version: int | None = None) -> str:
    """In readable words: active, or why the member gets nothing."""
    org = membership.organization
    if VETTING_RANK.get(org.vetting, 0) < VETTING_RANK[group.min_vetting]:
        return f"suspended: {org.vetting}, the group requires {group.min_vetting}"
    latest = current_version(group) if version is None else version
    if membership.accepted_version != latest:
        if membership.accepted_version == 0:
            return f"invited: agreement v{latest} not accepted yet"
        return f"suspended: accepted v{membership.accepted_version}, the agreement is at v{latest}"
    return "active"


def active_org_ids(group: TrustGroup) -> frozenset[int]:
    """The organisations that may receive the group's content now."""
    latest = current_version(group)
    floor = VETTING_RANK[group.min_vetting]
    allowed = [level for level, rank in VETTING_RANK.items() if rank >= floor]
    return frozenset(
        Membership.objects.filter(
            group=group, accepted_version=latest, organization__vetting__in=allowed
        ).values_list("organization_id", flat=True)
    )


def is_active_member(group: TrustGroup, org_id: int | None) -> bool:
    return org_id is not None and org_id in active_org_ids(group)


def may_use(viewer: Viewer, group: TrustGroup) -> bool:
    """Staff (the center) and the users of active member organisations."""
    if viewer.role is None or viewer.user_id is None:
        return False
    return viewer.is_staff or is_active_member(group, viewer.organization_id)


def active_groups(viewer: Viewer) -> list[TrustGroup]:
    """The groups the viewer may use (staff: all; a member: where it is active)."""
    if viewer.role is None or viewer.user_id is None:
        return []
    groups = list(TrustGroup.objects.all())
    if viewer.is_staff:
        return groups
    return [g for g in groups if is_active_member(g, viewer.organization_id)]


def visible_group(viewer: Viewer, slug: str) -> TrustGroup:
    """The group, or NotFoundError when it does not exist or the viewer may not use it: the
    answer is the same, so nobody learns which groups exist."""
    group = TrustGroup.objects.filter(slug=slug).first()
    if group is None or not may_use(viewer, group):
        raise NotFoundError(f"no trust group {slug!r}")
    return group


def get_group_for_invitee(viewer: Viewer, slug: str) -> TrustGroup:
    """The group for staff, or for a user whose organisation is invited to or member of it
    (active or not: it must be able to read and accept the agreement). Else NotFoundError."""
    group = TrustGroup.objects.filter(slug=slug).first()
    invited = (
        group is not None
        and viewer.role is not None
        and (
            viewer.is_staff
            or Membership.objects.filter(
                group=group, organization_id=viewer.organization_id
            ).exists()
        )
    )
    if invited:
        return group  # type: ignore[return-value]
    raise NotFoundError(f"no trust group {slug!r}")


def my_invitations(viewer: Viewer) -> list[Membership]:
    """Memberships of the viewer's organisation (invited, active or suspended)."""
    if viewer.role is None or viewer.organization_id is None:
        return []
    return list(
        Membership.objects.filter(organization_id=viewer.organization_id).select_related(
            "group", "organization"
        )
    )


def group_summary(group: TrustGroup) -> dict[str, Any]:
    latest = current_version(group)
    members = list(group.memberships.select_related("organization"))
    return {
        "slug": group.slug,
        "name": group.name,
        "description": group.description,
        "min_vetting": group.min_vetting,
        "tlp_ceiling": group.tlp_ceiling,
        "agreement_version": latest,
        "members": [
            {
                "organization": m.organization.slug,
                "name": m.organization.name,
                "vetting": m.organization.vetting,
                "accepted_version": m.accepted_version,
                "accepted_by": m.accepted_by,
                "accepted_at": m.accepted_at,
                "state": member_state(group, m, latest),
            }
            for m in members
        ],
    }
