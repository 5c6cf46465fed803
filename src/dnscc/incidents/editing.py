"""Editing an incident in the portal: what a scope change does to the parties (shown before
it is saved), and what a notice will say to each party in each language (shown before it
is sent).

Scope changes. The scope decides the computed parties (services.compute_parties). A new
scope adds the organisations it covers now; of the computed parties it no longer covers,
those never contacted are removed, and those already contacted are set *not affected*
("no longer in the incident's scope"). A party that has acknowledged (or is further along)
is not dropped silently: the change asks for confirmation (`confirm_drop`). Parties added
by hand stay whatever the scope says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from dnscc.core.errors import ConflictError, PermissionDenied
from dnscc.core.text import check_text
from dnscc.core.tlp import Viewer
from dnscc.incidents import services
from dnscc.incidents.models import Incident, Party

# Statuses in which dropping a party needs a person's confirmation: it answered already.
ANSWERED = (Party.ACKNOWLEDGED, Party.MITIGATING, Party.MITIGATED)
OUT_OF_SCOPE_NOTE = "no longer in the incident's scope"


@dataclass
class ScopeDiff:
    """What saving `scope` would change."""

    scope: dict[str, list[str]]
    entries_added: dict[str, list[str]] = field(default_factory=dict)
    entries_removed: dict[str, list[str]] = field(default_factory=dict)
    added: list[tuple[Any, str]] = field(default_factory=list)  # (organisation, why)
    removed: list[Party] = field(default_factory=list)  # never contacted: deleted
    dropped: list[Party] = field(default_factory=list)  # contacted: set not affected
    kept: list[Party] = field(default_factory=list)  # added by hand: stay
    unknown: list[str] = field(default_factory=list)  # entries no known operator covers

    @property
    def acknowledged(self) -> list[Party]:
        """Dropped parties that answered already: the change asks before dropping them."""
        return [p for p in self.dropped if p.status in ANSWERED or p.acknowledged_at]

    @property
    def changed(self) -> bool:
        return any(self.entries_added.values()) or any(self.entries_removed.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "entries_added": self.entries_added,
            "entries_removed": self.entries_removed,
            "parties_added": [{"organization": o.slug, "reason": why} for o, why in self.added],
            "parties_removed": [p.organization.slug for p in self.removed],
            "parties_not_affected": [p.organization.slug for p in self.dropped],
            "acknowledged": [p.organization.slug for p in self.acknowledged],
            "parties_kept": [p.organization.slug for p in self.kept],
            "unknown": self.unknown,
        }


def scope_diff(incident: Incident, scope: Any) -> ScopeDiff:
    """What changing the incident's scope to `scope` would do (nothing is written)."""
    from dnscc.directory.models import Organization

    new = services.normalize_scope(scope)
    old = {**{k: [] for k in services.SCOPE_KEYS}, **(incident.scope or {})}
    diff = ScopeDiff(
        scope=new,
        entries_added={k: [e for e in new[k] if e not in old[k]] for k in services.SCOPE_KEYS},
        entries_removed={k: [e for e in old[k] if e not in new[k]] for k in services.SCOPE_KEYS},
    )
    probe = SimpleNamespace(scope=new)
    wanted = dict(services.compute_parties(probe))  # type: ignore[arg-type]
    diff.unknown = services.unknown_scope(probe)  # type: ignore[arg-type]
    parties = list(incident.parties.select_related("organization"))
    present = {p.organization_id for p in parties}
    orgs = Organization.objects.in_bulk([o for o in wanted if o not in present])
    diff.added = sorted(
        ((orgs[o], why) for o, why in wanted.items() if o in orgs), key=lambda x: x[0].name
    )
    for party in parties:
        if party.organization_id in wanted:
            continue
        if party.source == Party.MANUAL:
            diff.kept.append(party)
        elif party.status == Party.NOT_CONTACTED and party.notified_at is None:
            diff.removed.append(party)
        elif party.status != Party.NOT_AFFECTED:
            diff.dropped.append(party)
    return diff


def check_drop(diff: ScopeDiff, *, confirm_drop: bool) -> None:
    """ConflictError when the change would drop parties that answered, unconfirmed."""
    answered = diff.acknowledged
    if answered and not confirm_drop:
        names = ", ".join(p.organization.name for p in answered[:5])
        more = f" and {len(answered) - 5} more" if len(answered) > 5 else ""
        raise ConflictError(
            f"the new scope no longer covers {names}{more}, which acknowledged already;"
            " confirm to set them not affected",
            hint="confirm the drop (the portal asks; the API and CLI take confirm_drop)",
        )


def drop_out_of_scope(viewer: Viewer, actor: Any, diff: ScopeDiff) -> None:
    """Set the contacted parties the scope no longer covers `not_affected`, each from its
    current version (a change since the preview is a conflict, as for any stale form)."""
    for party in diff.dropped:
        current = Party.objects.select_related("organization", "incident").get(pk=party.pk)
        if current.status == Party.NOT_AFFECTED:
            continue
        services.set_party_status(
            viewer,
            actor,
            current,
            Party.NOT_AFFECTED,
            version=current.version,
            via="portal",
            note=OUT_OF_SCOPE_NOTE,
        )


# -- notices --------------------------------------------------------------------------------


def notice_preview(
    viewer: Viewer, incident: Incident, party_ids: list[int] | None, message: str = ""
) -> dict[str, Any]:
    """The incident notice for these parties (default: those not reached yet), as each
    language's recipients will read it, with the free-text addition: {"parties",
    "versions", "unreachable", "message"}."""
    from dnscc.outreach import preview

    if not viewer.is_staff:
        raise PermissionDenied("Only center staff may notify parties.")
    message = check_text(message, field="message", max_length=20000)
    parties = services.parties_to_notify(incident, party_ids)
    context, per_org = services.notice_context(incident, parties, message)
    found = preview.versions(
        "incident_notice",
        context,
        [p.organization for p in parties],
        per_organization=per_org,
    )
    return {
        "parties": parties,
        "versions": found.versions,
        "unreachable": found.unreachable,
        "recipients": found.recipient_count,
        "message": message,
    }


def check_versions(incident: Incident, seen: dict[int, int]) -> None:
    """ConflictError when a party changed since the form showing it was loaded (another
    coordinator notified it, say): nothing is sent twice on a stale page."""
    for party in incident.parties.filter(pk__in=list(seen)).select_related("organization"):
        if party.version != seen[party.pk]:
            raise services.stale_conflict(
                f"the party of {party.organization.name}",
                party.status_changed_by,
                party.status_changed_at,
            )
