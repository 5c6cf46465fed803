"""Directory services: what the portal, API and CLI do with organisations and contacts.

Visibility is decided by dnscc.core.tlp.can_see (through `visible_*` here); every change
and every disclosure of contact data is written to the audit log in the same transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    UnavailableError,
)
from dnscc.core.names import normalize_name
from dnscc.core.regions import Region
from dnscc.core.tlp import Viewer, can_see
from dnscc.directory import lookup, validation
from dnscc.directory.constrained import constrained_evidence
from dnscc.directory.models import Contact, Organization, Tld

# --- visibility -------------------------------------------------------------------------


def visible_organizations(
    viewer: Viewer, qs: QuerySet[Organization] | None = None
) -> list[Organization]:
    qs = Organization.objects.all() if qs is None else qs
    return [o for o in qs if can_see(viewer, o.labelled())]


def get_organization(viewer: Viewer, slug: str) -> Organization:
    """The organisation if the viewer may see it; NotFoundError otherwise (never a hint)."""
    org = Organization.objects.filter(slug=slug).first()
    if org is None or not can_see(viewer, org.labelled()):
        raise NotFoundError(f"no organization {slug!r}")
    return org


def visible_contacts(viewer: Viewer, org: Organization) -> list[Contact]:
    return [c for c in org.contacts.all() if can_see(viewer, c.labelled())]


def disclose_contacts(
    viewer: Viewer, actor: audit.Actor, org: Organization, *, how: str
) -> list[Contact]:
    """The contacts `viewer` may see, with the disclosure written to the audit log."""
    contacts = visible_contacts(viewer, org)
    if contacts:
        audit.disclosed(
            actor,
            "directory.contact",
            ids=[c.pk for c in contacts],
            how=how,
            organization=org.slug,
        )
    return contacts


def unique_slug(name: str, *, exclude: int | None = None) -> str:
    base = slugify(name)[:90] or "organization"
    slug, n = base, 2
    taken = Organization.objects.exclude(pk=exclude) if exclude else Organization.objects
    while taken.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrgFilters:
    q: str = ""
    region: str = ""
    kind: str = ""
    resource_constrained: bool | None = None
    vetting: str = ""
    inferred: bool | None = None
    unverified_contacts: bool = False


def unverified_cutoff() -> Any:
    return timezone.now() - timedelta(days=settings.CONTACT_VERIFY_DAYS)


def unverified_q(prefix: str = "") -> Q:
    """Contacts never verified, or verified longer ago than DNSCC_CONTACT_VERIFY_DAYS."""
    return Q(**{f"{prefix}verified_at__isnull": True}) | Q(
        **{f"{prefix}verified_at__lt": unverified_cutoff()}
    )


def search_organizations(viewer: Viewer, filters: OrgFilters) -> list[Organization]:
    qs = Organization.objects.annotate(
        tld_count=Count("tlds", filter=Q(tlds__delegated=True), distinct=True),
        contact_count=Count("contacts", distinct=True),
    )
    if filters.q:
        term = filters.q.strip()
        name_q = Q(name__icontains=term) | Q(slug__icontains=term)
        try:
            tld = normalize_name(term.lstrip("."))
        except InputError:
            tld = ""
        if tld:
            name_q |= Q(tlds__name=tld) | Q(tlds__name=tld.rsplit(".", 1)[-1])
        qs = qs.filter(name_q)
    if filters.region:
        qs = qs.filter(region=filters.region)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.resource_constrained is not None:
        qs = qs.filter(resource_constrained=filters.resource_constrained)
    if filters.vetting:
        qs = qs.filter(vetting=filters.vetting)
    if filters.inferred is not None:
        qs = qs.filter(inferred=filters.inferred)
    if filters.unverified_contacts:
        qs = qs.filter(unverified_q("contacts__")).filter(contacts__isnull=False)
    return visible_organizations(viewer, qs.distinct().order_by("name"))


def dashboard_summary(viewer: Viewer) -> dict[str, Any]:
    if not viewer.is_staff:
        org = Organization.objects.filter(pk=viewer.organization_id).first()
        return {
            "staff": False,
            "organization": org,
            "organization_tlds": org.tlds.filter(delegated=True).count() if org else 0,
            "organization_contacts": org.contacts.count() if org else 0,
        }
    by_region = []
    tld_counts = Counter(
        Tld.objects.filter(delegated=True).exclude(region="").values_list("region", flat=True)
    )
    org_counts = Counter(Organization.objects.exclude(region="").values_list("region", flat=True))
    for r in Region:
        by_region.append(
            {
                "label": r.label,
                "tlds": tld_counts.get(r.value, 0),
                "organizations": org_counts.get(r.value, 0),
            }
        )
    return {
        "staff": True,
        "tlds": Tld.objects.filter(delegated=True).count(),
        "organizations": Organization.objects.count(),
        "inferred": Organization.objects.filter(inferred=True).count(),
        "contacts": Contact.objects.count(),
        "unverified_contacts": Contact.objects.filter(unverified_q()).count(),
        "resource_constrained": Organization.objects.filter(resource_constrained=True).count(),
        "by_region": by_region,
    }


# --- organisation changes -------------------------------------------------------------


def _staff(viewer: Viewer) -> None:
    staff_only(viewer, "change the directory")


def create_organization(viewer: Viewer, actor: audit.Actor, data: dict[str, Any]) -> Organization:
    _staff(viewer)
    clean = validation.clean_organization(data)
    if "tlp" in data:
        clean["tlp"] = validation.tlp(data["tlp"])
    if "notes" in data:
        clean["notes"] = validation.text(data["notes"], "notes", max_length=10_000)
    name = clean.pop("name", "") or validation.text(
        data.get("name"), "name", max_length=200, required=True
    )
    if Organization.objects.filter(name__iexact=name).exists():
        raise ConflictError(
            f"an organization named {name!r} already exists",
            hint="update that one, or choose a distinguishing name",
        )
    clean.update(constrained_evidence(None, clean, data, actor))
    with transaction.atomic():
        org = Organization.objects.create(name=name, slug=unique_slug(name), **clean)
        audit.record(actor, "organization.create", obj=org, summary=name, data=_jsonable(clean))
    return org


def update_organization(
    viewer: Viewer, actor: audit.Actor, org: Organization, data: dict[str, Any]
) -> Organization:
    _staff(viewer)
    clean = validation.clean_organization(data)
    if "tlp" in data:
        clean["tlp"] = validation.tlp(data["tlp"])
    if "notes" in data:
        clean["notes"] = validation.text(data["notes"], "notes", max_length=10_000)
    new_name = clean.get("name")
    if new_name and Organization.objects.filter(name__iexact=new_name).exclude(pk=org.pk).exists():
        raise ConflictError(f"an organization named {new_name!r} already exists")
    clean.update(constrained_evidence(org, clean, data, actor))
    changes = {k: [getattr(org, k), v] for k, v in clean.items() if getattr(org, k) != v}
    if not changes:
        return org
    with transaction.atomic():
        for key, (_, value) in changes.items():
            setattr(org, key, value)
        org.save()
        audit.record(
            actor, "organization.update", obj=org, summary=org.name, data=_jsonable(changes)
        )
    return org


def confirm_organization(
    viewer: Viewer, actor: audit.Actor, org: Organization, user: Any
) -> Organization:
    """A coordinator confirms an inferred operator: it is no longer marked inferred."""
    _staff(viewer)
    with transaction.atomic():
        org.inferred = False
        org.confirmed_by = user if getattr(user, "pk", None) else None
        org.confirmed_at = timezone.now()
        org.kind = org.kind or Organization.TLD_REGISTRY
        org.save()
        audit.record(actor, "organization.confirm", obj=org, summary=org.name)
    return org


def set_vetting(
    viewer: Viewer, actor: audit.Actor, org: Organization, level: str, user: Any
) -> Organization:
    _staff(viewer)
    level = validation.choice(level, "vetting", Organization.VETTING_CHOICES, "")
    with transaction.atomic():
        before = org.vetting
        org.vetting = level
        org.vetted_by = user if getattr(user, "pk", None) else None
        org.vetted_at = timezone.now() if level != Organization.UNVETTED else None
        org.save()
        audit.record(
            actor,
            "organization.vet",
            obj=org,
            summary=f"{before} -> {level}",
            data={"before": before, "after": level},
        )
    return org


def merge_organizations(
    viewer: Viewer, actor: audit.Actor, target: Organization, sources: list[Organization]
) -> Organization:
    """Move every TLD, contact, root server and account of `sources` into `target`."""
    _staff(viewer)
    sources = [s for s in sources if s.pk != target.pk]
    if not sources:
        raise InputError(
            "nothing to merge",
            location=Location(field="sources"),
            hint="choose at least one other organization",
        )
    from dnscc.accounts.models import Account
    from dnscc.directory.models import RootServer

    with transaction.atomic():
        ids = [s.pk for s in sources]
        moved = {
            "tlds": list(Tld.objects.filter(operator_id__in=ids).values_list("name", flat=True)),
            "contacts": Contact.objects.filter(organization_id__in=ids).count(),
        }
        Tld.objects.filter(operator_id__in=ids).update(operator=target)
        # The IANA manager side moves too, and the target answers to the IANA name from now
        # on (a re-import finds it, instead of creating the merged manager again).
        Tld.objects.filter(manager_id__in=ids).update(manager=target)
        if not target.iana_name:
            iana = next((s.iana_name for s in sources if s.iana_name), "")
            if iana:
                target.iana_name = iana
                target.save(update_fields=["iana_name"])
        for contact in Contact.objects.filter(organization_id__in=ids):
            if contact.email and target.contacts.filter(email=contact.email).exists():
                contact.delete()  # the same mailbox already on the target
            else:
                contact.organization = target
                contact.save(update_fields=["organization"])
        RootServer.objects.filter(operator_id__in=ids).update(operator=target)
        Account.objects.filter(organization_id__in=ids).update(organization=target)
        names = [s.name for s in sources]
        for s in sources:
            s.delete()
        audit.record(
            actor,
            "organization.merge",
            obj=target,
            summary=f"merged {', '.join(names)}",
            data={"merged": names, **moved},
        )
    lookup.invalidate()
    return target


def link_manager(
    viewer: Viewer, actor: audit.Actor, manager: Organization, operator: Organization
) -> list[str]:
    """The TLDs `manager` holds (as IANA records it) take `operator` as their technical
    operator: a coordinator's word on who runs the servers of a manager's TLDs. Returns
    the TLDs that changed."""
    _staff(viewer)
    names = list(
        Tld.objects.filter(manager=manager).order_by("name").values_list("name", flat=True)
    )
    if not names:
        raise InputError(
            f"{manager.name} manages no TLD in the directory",
            location=Location(field="manager"),
            hint="import the IANA root zone database (dnscc import iana-rootdb) first",
        )
    with transaction.atomic():
        changed = list(
            Tld.objects.filter(manager=manager)
            .exclude(operator=operator)
            .order_by("name")
            .values_list("name", flat=True)
        )
        Tld.objects.filter(name__in=changed).update(operator=operator)
        audit.record(
            actor,
            "organization.link_manager",
            obj=manager,
            summary=f"the TLDs of {manager.name} are run by {operator.name}",
            data={"operator": operator.slug, "tlds": changed},
        )
    lookup.invalidate()
    return changed


def split_organization(
    viewer: Viewer, actor: audit.Actor, org: Organization, tld_names: list[str], new_name: str
) -> Organization:
    """Move the named TLDs of `org` into a new organisation called `new_name`."""
    _staff(viewer)
    new_name = validation.text(new_name, "name", max_length=200, required=True)
    names = sorted({normalize_name(n.lstrip(".")) for n in tld_names if n.strip()})
    if not names:
        raise InputError("choose at least one TLD to split off", location=Location(field="tlds"))
    owned = set(org.tlds.filter(name__in=names).values_list("name", flat=True))
    missing = [n for n in names if n not in owned]
    if missing:
        raise InputError(
            f"{', '.join('.' + m for m in missing)} not operated by {org.name}",
            location=Location(field="tlds"),
        )
    if Organization.objects.filter(name__iexact=new_name).exists():
        raise ConflictError(f"an organization named {new_name!r} already exists")
    with transaction.atomic():
        new = Organization.objects.create(
            name=new_name,
            slug=unique_slug(new_name),
            kind=org.kind,
            region=org.region,
            country=org.country,
            tlp=org.tlp,
            inferred=False,
            confirmed_at=timezone.now(),
        )
        Tld.objects.filter(operator=org, name__in=names).update(operator=new)
        audit.record(
            actor,
            "organization.split",
            obj=org,
            summary=f"{len(names)} TLDs to {new_name}",
            data={"tlds": names, "new_organization": new.slug},
        )
    lookup.invalidate()
    return new


# --- contacts -----------------------------------------------------------------------------


def add_contact(
    viewer: Viewer, actor: audit.Actor, org: Organization, data: dict[str, Any]
) -> Contact:
    _staff(viewer)
    clean = validation.clean_contact(data)
    if clean["email"] and org.contacts.filter(email=clean["email"]).exists():
        raise ConflictError(
            f"{org.name} already has a contact with {clean['email']}",
            hint="edit that contact instead",
        )
    with transaction.atomic():
        contact = Contact.objects.create(organization=org, **clean)
        audit.record(actor, "contact.create", obj=contact, summary=f"{contact} for {org.name}")
    return contact


def delete_contact(viewer: Viewer, actor: audit.Actor, contact: Contact) -> None:
    _staff(viewer)
    with transaction.atomic():
        audit.record(actor, "contact.delete", obj=contact, summary=str(contact))
        contact.delete()


def contact_status(contact: Contact, now: Any = None) -> str:
    """'verified', 'stale' (verified too long ago) or 'unverified'."""
    if contact.verified_at is None:
        return "unverified"
    if contact.verified_at < (now or timezone.now()) - timedelta(days=settings.CONTACT_VERIFY_DAYS):
        return "stale"
    return "verified"


# The mail that carries a verification link goes through the one outbox, which is outreach's,
# a floor above: OutreachConfig.ready sets the mailer here, and directory never imports it.
VerificationMailer = Callable[[audit.Actor, Contact, str], Any]
_verification_mailer: VerificationMailer | None = None


def set_verification_mailer(mailer: VerificationMailer) -> None:
    """`mailer(actor, contact, link)` queues the mail carrying a contact's verification link,
    inside the caller's transaction (its row commits with the token or not at all)."""
    global _verification_mailer
    _verification_mailer = mailer


def send_verification(actor: audit.Actor, contact: Contact, link: str) -> None:
    """Queue the mail carrying `link` to the contact's address, through the set mailer."""
    if _verification_mailer is None:
        raise UnavailableError(
            "no outbox to carry the verification mail",
            hint="the outreach app sets it at start-up: is dnscc.outreach installed?",
        )
    _verification_mailer(actor, contact, link)


def webhook_secret(contact_id: int) -> bytes:
    """The per-contact HMAC secret of a webhook contact: outreach signs what it sends with it,
    the contact's page shows it to the operator. Derived, so it is never stored."""
    master = settings.OUTREACH_WEBHOOK_SECRET or settings.SECRET_KEY
    return (
        hmac.new(master.encode(), f"webhook:{contact_id}".encode(), hashlib.sha256)
        .hexdigest()[:48]
        .encode()
    )


def _token_digest(contact_id: int, token: str) -> str:
    return hmac.new(
        settings.SECRET_KEY.encode(), f"{contact_id}:{token}".encode(), hashlib.sha256
    ).hexdigest()


def start_verification(viewer: Viewer, actor: audit.Actor, contact: Contact) -> str:
    """Issue a verification token and queue the message that carries it; returns the link."""
    _staff(viewer)
    if not contact.email:
        raise InputError(
            "this contact has no email address to verify", location=Location(field="email")
        )
    token = secrets.token_urlsafe(24)
    link = f"{settings.BASE_URL}/directory/verify/{contact.pk}/{token}/"
    with transaction.atomic():
        contact.verification_digest = _token_digest(contact.pk, token)
        contact.verification_sent_at = timezone.now()
        contact.save(update_fields=["verification_digest", "verification_sent_at"])
        audit.record(actor, "contact.verification_sent", obj=contact, summary=contact.email)
        # The one outbox carries this mail too: its row commits with the token or not at all.
        send_verification(actor, contact, link)
    return link


def confirm_verification(contact_id: int, token: str) -> Contact:
    """The contact followed the link: record when. Expired or wrong tokens are refused."""
    contact = Contact.objects.filter(pk=contact_id).select_related("organization").first()
    if (
        contact is None
        or not contact.verification_digest
        or not hmac.compare_digest(contact.verification_digest, _token_digest(contact_id, token))
    ):
        raise NotFoundError("this verification link is not valid")
    sent = contact.verification_sent_at
    if sent is None or timezone.now() - sent > timedelta(hours=settings.CONTACT_TOKEN_HOURS):
        raise ConflictError(
            "this verification link has expired", hint="ask the center to send a new one"
        )
    with transaction.atomic():
        contact.verified_at = timezone.now()
        contact.verification_digest = ""
        contact.save(update_fields=["verified_at", "verification_digest"])
        audit.record(audit.Actor(f"contact:{contact.email}"), "contact.verified", obj=contact)
    return contact


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v if isinstance(v, (str, int, bool, list, type(None))) else str(v))
        for k, v in data.items()
    }
