"""What a notice will say, before it is sent: one version per language its recipients get.

`versions` follows `services.notify` recipient by recipient (each contact with an address
or a webhook, in the language `templating.choose_language` picks from the organisation's
languages and the contact's own), renders each language once for its first recipient, and
lists who gets it; organisations without any usable contact are listed apart (the notice
cannot reach them). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dnscc.directory.models import Contact, Organization
from dnscc.outreach import templating

ACK_PLACEHOLDER = "(each recipient gets a link of its own)"


@dataclass
class Version:
    """One language's text and who reads it."""

    language: str
    subject: str
    body: str
    recipients: list[str] = field(default_factory=list)  # "Org (contact <address>)"
    organizations: list[str] = field(default_factory=list)


@dataclass
class Preview:
    versions: list[Version]
    unreachable: list[str]  # organisations without a usable contact

    @property
    def recipient_count(self) -> int:
        return sum(len(v.recipients) for v in self.versions)


def versions(
    kind: str,
    context: dict[str, Any],
    organizations: Iterable[Organization],
    *,
    per_organization: dict[int, dict[str, Any]] | None = None,
) -> Preview:
    """The notice `kind` with `context` as each language's first recipient would read it."""
    per_organization = per_organization or {}
    orgs = list(organizations)
    by_org: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(organization__in=orgs).order_by("pk"):
        if contact.email or contact.webhook_url:
            by_org.setdefault(contact.organization_id, []).append(contact)
    found: dict[str, Version] = {}
    unreachable: list[str] = []
    for org in orgs:
        contacts = by_org.get(org.pk, [])
        if not contacts:
            unreachable.append(org.name)
            continue
        for contact in contacts:
            language = templating.choose_language(kind, [*(org.languages or []), contact.language])
            version = found.get(language)
            if version is None:
                rendered = templating.render(
                    kind,
                    language,
                    {
                        **context,
                        **per_organization.get(org.pk, {}),
                        "organization": org.name,
                        "contact_name": contact.name,
                        "ack_url": ACK_PLACEHOLDER,
                        "center": "dnscc",
                    },
                )
                version = found[language] = Version(language, rendered.subject, rendered.body)
            address = contact.email or contact.webhook_url
            version.recipients.append(f"{org.name} ({contact.name} <{address}>)")
            if org.name not in version.organizations:
                version.organizations.append(org.name)
    return Preview(sorted(found.values(), key=lambda v: v.language), unreachable)
