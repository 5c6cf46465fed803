"""The root operators' space in an incident: status notes that the members of root server
operators party to an incident post and read among themselves (and the center reads), and,
on a root-level incident, the letters' latest RSSAC002 figures beside the center's own
measurements (from dnscc.rootinfo, a floor below).

Who sees a note: the center's staff, and the members of the root server operators party to
the incident (once their party was notified, as for the incident itself), as far as the
note's TLP allows (core.tlp.can_see, the audience being those operators). RED is refused:
it names individuals, and this is a shared space.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.core.errors import InputError, Location, PermissionDenied
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Labelled, Viewer, can_see
from dnscc.directory.models import Organization
from dnscc.incidents import timeline
from dnscc.incidents.models import Incident, Party, StatusNote

MAX_TEXT = 10_000
ROOT = "."


def root_space(incident: Incident) -> set[int]:
    """The root server operators party to the incident that the center has told of it."""
    return set(
        Party.objects.filter(
            incident=incident, organization__kind=Organization.ROOT_SERVER_OPERATOR
        )
        .filter(Q(notified_at__isnull=False) | ~Q(status=Party.NOT_CONTACTED))
        .values_list("organization_id", flat=True)
    )


def in_space(viewer: Viewer, incident: Incident) -> bool:
    """Whether the viewer reads the space: staff, or a member of an operator in it."""
    if viewer.is_staff:
        return True
    return viewer.organization_id is not None and viewer.organization_id in root_space(incident)


def labelled(note: StatusNote, space: set[int]) -> Labelled:
    return Labelled(
        tlp=TLP(note.tlp),
        owner_organization_id=note.organization_id,
        author_user_id=note.author_id,
        recipient_organization_ids=frozenset(space),
    )


def visible_notes(viewer: Viewer, incident: Incident) -> list[StatusNote]:
    """The status notes of the incident the viewer may read (none outside the space)."""
    if not in_space(viewer, incident):
        return []
    space = root_space(incident)
    notes = incident.status_notes.select_related("organization")
    return [n for n in notes if can_see(viewer, labelled(n, space))]


def post(
    viewer: Viewer, actor: audit.Actor, incident: Incident, text: str, tlp: str = "AMBER"
) -> StatusNote:
    """A member of a root server operator party to the incident posts a status note."""
    if viewer.is_staff or viewer.organization_id is None:
        raise PermissionDenied(
            "Status notes are the root server operators' own; the center writes notes."
        )
    if viewer.organization_id not in root_space(incident):
        raise PermissionDenied(
            "Only root server operators party to this incident post status notes on it."
        )
    label = TLP.parse(tlp or "AMBER")
    if label is TLP.RED:
        raise InputError(
            "TLP:RED is for named people; status notes are shared among the operators",
            location=Location(field="tlp"),
            hint="use AMBER+STRICT to keep it to the operators and the center",
        )
    body = check_text(text, field="text", max_length=MAX_TEXT, required=True)
    org = Organization.objects.get(pk=viewer.organization_id)
    now = timezone.now()
    with transaction.atomic():
        note = StatusNote.objects.create(
            incident=incident,
            organization=org,
            author_id=viewer.user_id,
            author_name=actor.name,
            tlp=label.value,
            text=body,
            created_at=now,
        )
        party = Party.objects.filter(incident=incident, organization=org).first()
        timeline.add(
            incident,
            "note",
            f"status note from {org.name} ({label.label})",
            actor=actor.name,
            party=party,
            data={"status_note": note.pk, "tlp": label.value},
        )
        audit.record(
            actor,
            "incident.status_note",
            obj=note,
            summary=f"{incident.ref}: status note from {org.name}",
            data={"tlp": label.value},
        )
    return note


def is_root_level(incident: Incident) -> bool:
    scope = incident.scope or {}
    return ROOT in (scope.get("tlds") or []) or ROOT in (scope.get("names") or [])


def root_panel(viewer: Viewer, incident: Incident) -> list[dict[str, Any]] | None:
    """On a root-level incident, per letter its latest published figures beside our latest
    measurement; None when the incident is not root-level or the viewer is not in the
    root information space."""
    from dnscc.rootinfo import access, figures, rssac047
    from dnscc.rootinfo.anomalies import operator_name

    if not is_root_level(incident) or not (access.may_view(viewer) and in_space(viewer, incident)):
        return None
    latest = figures.latest_per_letter()
    rows = []
    for letter in "abcdefghijklm":
        info = latest.get(letter) or {}
        rows.append(
            {
                "letter": letter,
                "operator": operator_name(letter),
                "day": info.get("day"),
                "queries": info.get("queries"),
                "rcodes": info.get("rcodes") or [],
                "load": info.get("load"),
                "measured": rssac047.latest_summary(letter),
            }
        )
    return rows
