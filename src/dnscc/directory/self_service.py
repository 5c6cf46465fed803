"""An organisation's members keep its contacts: add, edit, remove, each change audited and
every new or changed address verified by the center's token mail (the same token mail a
coordinator sends: directory.services.start_verification, through the one outbox).

An address a member enters is used at once (a notice must not wait for a click), shown as
"unverified" until its owner follows the link; the center sees who changed what in the
audit log. A member cannot remove the last contact that has a way to reach the
organisation: its parties would turn unreachable.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.tlp import Viewer
from dnscc.directory import validation
from dnscc.directory.models import Contact, Organization
from dnscc.directory.services import _token_digest, send_verification

# What a member edits (the TLP of a contact and its verification are the center's).
MEMBER_FIELDS = (
    "name",
    "kind",
    "email",
    "webhook_url",
    "phone",
    "language",
    "is_24x7",
    "pgp_key",
    "exercise_opt_in",
)


def own_organization(viewer: Viewer) -> Organization:
    """The viewer's own organisation; PermissionDenied for staff (who use the directory)
    and for accounts without one."""
    if viewer.is_staff or viewer.role is None or viewer.organization_id is None:
        raise PermissionDenied("Only an organisation's own members keep its contacts here.")
    org = Organization.objects.filter(pk=viewer.organization_id).first()
    if org is None:
        raise NotFoundError("your organisation is not in the directory")
    return org


def own_contacts(viewer: Viewer) -> list[Contact]:
    return list(own_organization(viewer).contacts.order_by("name", "pk"))


def _own_contact(viewer: Viewer, contact_id: int) -> Contact:
    org = own_organization(viewer)
    contact = org.contacts.filter(pk=contact_id).first()
    if contact is None:
        raise NotFoundError(f"no contact {contact_id} in {org.name}")
    return contact


def _clean(data: dict[str, Any], current: Contact | None) -> dict[str, Any]:
    raw = {k: data.get(k, "") for k in MEMBER_FIELDS}
    raw["tlp"] = current.tlp if current else ""
    clean = validation.clean_contact(raw)
    clean.pop("tlp", None)
    return clean


def _send_token(actor: audit.Actor, contact: Contact) -> None:
    """The center's token mail to the contact's address (as start_verification does)."""
    token = secrets.token_urlsafe(24)
    link = f"{settings.BASE_URL}/directory/verify/{contact.pk}/{token}/"
    contact.verification_digest = _token_digest(contact.pk, token)
    contact.verification_sent_at = timezone.now()
    contact.save(update_fields=["verification_digest", "verification_sent_at"])
    audit.record(actor, "contact.verification_sent", obj=contact, summary=contact.email)
    send_verification(actor, contact, link)


def add_own_contact(viewer: Viewer, actor: audit.Actor, data: dict[str, Any]) -> Contact:
    """A member adds a contact to its organisation; its address gets the token mail."""
    org = own_organization(viewer)
    clean = _clean(data, None)
    if clean["email"] and org.contacts.filter(email=clean["email"]).exists():
        raise ConflictError(
            f"{org.name} already has a contact with {clean['email']}",
            hint="edit that contact instead",
        )
    with transaction.atomic():
        contact = Contact.objects.create(organization=org, **clean)
        audit.record(
            actor,
            "contact.create",
            obj=contact,
            summary=f"{contact} for {org.name} (by a member)",
            data={"fields": sorted(k for k, v in clean.items() if v not in ("", None, []))},
        )
        if contact.email:
            _send_token(actor, contact)
    return contact


def update_own_contact(
    viewer: Viewer,
    actor: audit.Actor,
    contact_id: int,
    data: dict[str, Any],
    *,
    seen: str,
) -> Contact:
    """A member edits a contact. `seen`: the contact's updated_at as the form showed it; a
    change made meanwhile (another member, the center) is a conflict, never overwritten.
    A new address is unverified until its owner follows the token mail."""
    contact = _own_contact(viewer, contact_id)
    try:
        seen_at = datetime.fromisoformat(seen)
    except (TypeError, ValueError):
        raise InputError(
            "the form is missing its version", location=Location(field="seen")
        ) from None
    clean = _clean(data, contact)
    changed = {k: v for k, v in clean.items() if getattr(contact, k) != v}
    if not changed:
        return contact
    email_changed = "email" in changed
    if email_changed and clean["email"]:
        duplicate = contact.organization.contacts.filter(email=clean["email"]).exclude(
            pk=contact.pk
        )
        if duplicate.exists():
            raise ConflictError(f"another contact already has {clean['email']}")
    now = timezone.now()
    fields = {**changed, "updated_at": now}
    if email_changed:
        fields.update(verified_at=None, verification_digest="", verification_sent_at=None)
    with transaction.atomic():
        if not Contact.objects.filter(pk=contact.pk, updated_at=seen_at).update(**fields):
            raise ConflictError(
                f"{contact.name} was changed by someone else since you opened the form",
                hint="reload the page to see the current values, then make your change again",
            )
        contact.refresh_from_db()
        audit.record(
            actor,
            "contact.update",
            obj=contact,
            summary=f"{contact} of {contact.organization.name}: {', '.join(sorted(changed))}",
            data={"fields": sorted(changed), "by_member": True},
        )
        if email_changed and contact.email:
            _send_token(actor, contact)
    return contact


def remove_own_contact(viewer: Viewer, actor: audit.Actor, contact_id: int) -> None:
    """A member removes a contact, never the last one that can be reached."""
    contact = _own_contact(viewer, contact_id)
    others = contact.organization.contacts.exclude(pk=contact.pk)
    if not [c for c in others if c.email or c.webhook_url]:
        raise ConflictError(
            f"{contact.name} is the last way to reach {contact.organization.name}",
            hint="add another contact first: without one, notices cannot reach you",
        )
    with transaction.atomic():
        audit.record(
            actor,
            "contact.delete",
            obj=contact,
            summary=f"{contact} of {contact.organization.name} (by a member)",
        )
        contact.delete()


def resend_verification(viewer: Viewer, actor: audit.Actor, contact_id: int) -> Contact:
    contact = _own_contact(viewer, contact_id)
    if not contact.email:
        raise InputError("this contact has no email address", location=Location(field="email"))
    with transaction.atomic():
        _send_token(actor, contact)
    return contact
