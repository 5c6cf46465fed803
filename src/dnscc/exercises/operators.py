"""Simulated operators: registries that respond to the center on a schedule, so that an
exercise runs unattended as well as with real participants.

Each affected organisation that is not a participant gets one behaviour, drawn from the
exercise's mix with its own seeded generator (the same seed gives the same operators):

| behaviour  | what the simulated registry does                                               |
|------------|--------------------------------------------------------------------------------|
| ack_portal | acknowledges in the portal                                                     |
| ack_api    | acknowledges through the API                                                   |
| ack_mail   | acknowledges by a signed reply                                                 |
| comply     | acknowledges (API), acts in the lab (its registered names suspended, or its    |
|            | faults cleared), reports its outcomes and says it has mitigated                |
| silent     | does nothing                                                                   |

Its action is an inject (source "operator") timed from when the center's notice reached it
(accepted by its mail server, or, for a registry that does not take part, when the notice
would have been sent), after a delay drawn from a log-normal distribution (the scenario's
`median` and `spread`, at most `max`): most answer near the median, a few much later, which
is what coordinators see. Acknowledgements go through the same outreach.acknowledge as the
link, the portal, the API and a verified signed reply (recorded with that channel), so
parties and slices move exactly as they would for a person; the acting account is
`exercise-simcell`, named in every record.
"""

from __future__ import annotations

import io
import math
import random
from datetime import datetime
from typing import Any

from django.utils import timezone

from dnscc.core.errors import ConflictError
from dnscc.exercises import actors
from dnscc.exercises.models import Exercise, Inject
from dnscc.exercises.scenario import OPERATOR_BEHAVIOURS, parse_time

VIA = {"ack_portal": "portal", "ack_api": "api", "ack_mail": "signed-reply", "comply": "api"}
LABELS = {
    "ack_portal": "acknowledges in the portal",
    "ack_api": "acknowledges through the API",
    "ack_mail": "acknowledges by a signed reply",
    "comply": "acknowledges and acts in the lab",
    "silent": "stays silent",
}


def behaviour(exercise: Exercise, organization_id: int) -> tuple[str, float]:
    """(behaviour, delay in scenario seconds) of one organisation's simulated operator."""
    mix = exercise.operator_mix or {}
    rng = random.Random(exercise.seed * 1_000_003 + organization_id)
    draw = rng.random()
    chosen = "silent"
    total = 0.0
    for name in OPERATOR_BEHAVIOURS:
        total += float(mix.get(name, 0) or 0)
        if draw < total:
            chosen = name
            break
    median = parse_time(mix.get("median", 1200))
    spread = float(mix.get("spread", 0.8))
    longest = parse_time(mix.get("max", median * 6))
    delay = min(longest, rng.lognormvariate(math.log(max(median, 1.0)), spread))
    return chosen, round(delay, 3)


def _notified_at(exercise: Exercise) -> dict[int, datetime]:
    """Organisation -> when the center's first notice reached it (or would have)."""
    from dnscc.campaigns.models import Slice
    from dnscc.incidents.models import Party

    found: dict[int, datetime] = {}

    def keep(org_id: int, at: datetime | None) -> None:
        if at is not None and (org_id not in found or at < found[org_id]):
            found[org_id] = at

    for org_id, at in Party.objects.filter(
        incident__exercise=exercise.pk, notified_at__isnull=False
    ).values_list("organization_id", "notified_at"):
        keep(org_id, at)
    for org_id, state, accepted, delivered in Slice.objects.filter(
        campaign__exercise=exercise.pk
    ).values_list("organization_id", "state", "accepted_at", "delivered_at"):
        keep(org_id, accepted or (delivered if state == Slice.SIMULATED else None))
    return found


def affected_organizations(exercise: Exercise) -> dict[int, Any]:
    """The registries of the affected TLDs, by id."""
    from dnscc.directory.models import Organization

    return {
        org.pk: org
        for org in Organization.objects.filter(
            tlds__name__in=list(exercise.affected_tlds)
        ).distinct()
    }


def schedule(exercise: Exercise, *, now: datetime | None = None) -> int:
    """Create the action of each simulated operator the center's notice has reached and
    that has none yet; how many were created."""
    from django.db.models import Max

    from dnscc.exercises.services import exercise_seconds, log

    now = now or timezone.now()
    participants = set(exercise.participants or [])
    planned = set(
        exercise.injects.filter(source=Inject.OPERATOR).values_list("organization_id", flat=True)
    )
    orgs = affected_organizations(exercise)
    reached = _notified_at(exercise)
    created = 0
    seq = exercise.injects.aggregate(m=Max("seq"))["m"] or 0
    for org_id, at in sorted(reached.items(), key=lambda item: item[1]):
        org = orgs.get(org_id)
        if org is None or org.slug in participants or org_id in planned:
            continue
        chosen, delay = behaviour(exercise, org_id)
        start = exercise_seconds(exercise, min(at, now)) or 0.0
        seq += 1
        Inject.objects.create(
            exercise=exercise,
            seq=seq,
            at_seconds=start + delay,
            kind=f"operator.{chosen}",
            title=f"{org.name} {LABELS[chosen]}",
            params={"behaviour": chosen, "delay": delay, "notified_at_seconds": start},
            source=Inject.OPERATOR,
            organization=org,
            created_by="simcell",
        )
        created += 1
        log(
            exercise,
            "operator_planned",
            f"{org.name} {LABELS[chosen]} after {delay:.0f} s of scenario time",
            organization=org,
            data={"behaviour": chosen, "delay": delay},
        )
    return created


# --- what a simulated operator does ------------------------------------------------------------


def _messages(exercise: Exercise, org: Any) -> list[Any]:
    """The exercise's messages to the organisation that ask for an acknowledgement, oldest
    first (the incident notice and the slice's manifest)."""
    from dnscc.outreach.models import Message

    return list(
        Message.objects.filter(
            exercise=exercise.pk,
            organization=org,
            parent__isnull=True,
            notice__requires_ack=True,
            notice__source_type__in=("incident", "campaign_slice"),
        ).order_by("created_at", "pk")
    )


def _acknowledge(exercise: Exercise, inject: Inject, via: str) -> dict[str, Any]:
    from dnscc.outreach import services as outreach

    org = inject.organization
    _viewer, actor = actors.simcell(exercise.pk, org)
    done: list[str] = []
    sources: set[tuple[str, str]] = set()
    for message in _messages(exercise, org):
        source = (message.notice.source_type, message.notice.source_id)
        if source in sources:
            continue  # one acknowledgement per thing asked (not per contact)
        sources.add(source)
        if outreach.acknowledge(message, via=via, by=actor.name, actor=actor):
            done.append(message.key)
    if not sources:
        raise ConflictError(f"nothing reached {org.name} to acknowledge")
    return {"acknowledged": done, "via": via}


def _handler(kind: str) -> Any:
    from dnscc.exercises.handlers import handler

    return handler(kind)


@_handler("operator.ack_portal")
def ack_portal(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    return _acknowledge(exercise, inject, "portal")


@_handler("operator.ack_api")
def ack_api(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    return _acknowledge(exercise, inject, "api")


@_handler("operator.ack_mail")
def ack_mail(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    return _acknowledge(exercise, inject, "signed-reply")


@_handler("operator.silent")
def silent(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    return {"silent": True}


@_handler("operator.comply")
def comply(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """Acknowledge, act in the lab on the organisation's TLDs, report outcomes, mitigated."""
    from dnscc.campaigns import services as campaigns
    from dnscc.campaigns.models import SINKHOLE, Slice
    from dnscc.exercises.handlers import active_faults, registered_names
    from dnscc.exercises.lab import lab_for
    from dnscc.incidents import services as incidents
    from dnscc.incidents.models import Party

    org = inject.organization
    viewer, actor = actors.simcell(exercise.pk, org)
    result: dict[str, Any] = {}
    try:
        result.update(_acknowledge(exercise, inject, "api"))
    except ConflictError:
        result["acknowledged"] = []
    own = set(org.tlds.values_list("name", flat=True)) & set(exercise.affected_tlds)
    lab = lab_for(exercise.lab_dir)
    # Its registered names: suspended (or sinkholed) in its own zones.
    registered = registered_names(exercise)
    sinkhole = exercise.parameters.get("action") == SINKHOLE
    changes: dict[str, dict[str, Any]] = {}
    for tld in sorted(own):
        names = registered.get(tld, [])
        if names:
            ns = list(exercise.parameters.get("sinkhole_ns") or []) if sinkhole else None
            changes[tld] = dict.fromkeys(names, ns)
    if changes:
        result["lab_names"] = lab.apply_registrations(changes)
    # Its faults: cleared (the registry fixed its servers or its DS).
    cleared: list[str] = []
    for fid in active_faults(exercise):
        record = (lab.load() or {}).get("faults", {}).get(fid, {})
        if record.get("tld") in own:
            cleared += lab.clear(fid)
    if cleared:
        result["cleared"] = cleared
    # Its outcomes: every name of its slice done.
    slice_ = (
        Slice.objects.filter(campaign__exercise=exercise.pk, organization=org)
        .exclude(state=Slice.PENDING)
        .first()
    )
    if slice_ is not None:
        names = list(slice_.targets.values_list("name", flat=True))
        if names:
            csv = "name,outcome\n" + "".join(f"{n},done\n" for n in names)
            campaigns.record_outcomes(
                viewer, actor, slice_, io.BytesIO(csv.encode()), filename="outcomes.csv"
            )
            result["outcomes"] = len(names)
    # Its party: mitigated.
    party = Party.objects.filter(incident__exercise=exercise.pk, organization=org).first()
    if party is not None and party.status not in (Party.MITIGATED, Party.NOT_AFFECTED):
        incidents.set_party_status(
            viewer,
            actor,
            party,
            Party.MITIGATED,
            version=party.version,
            via="api",
            note="exercise: the simulated registry acted in the lab",
        )
        result["party"] = Party.MITIGATED
    result["acted_at"] = timezone.now().isoformat()
    return result
