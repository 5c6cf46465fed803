"""Scoring an exercise on measurable objectives, from what the center's records show.

Every figure is computed from the rows the exercise caused (its reports, alerts, incident,
campaign, messages, parties, slices) and its own log; nothing is typed in. Figures are
real seconds (what a clock on the wall showed) and scenario seconds (real x time_scale);
objectives compare scenario seconds with the profile's targets (profile.toml, laid over by
DNSCC_EXERCISE_PROFILE). A figure that cannot be computed (no incident was opened, no
campaign) is "no data", never zero.

Per organisation (each registry of an affected TLD): notified (a message accepted by its
mail server, or, for one that takes no part, the simulated "would have sent"),
acknowledged (first acknowledgement of the notice or the slice, and the channel), acted
(its simulated operator's action in the lab, or a participant's party set mitigated), and
the share of its names DNS shows acted on at the last verification. Per region: the same,
counted and as medians.
"""

from __future__ import annotations

import statistics
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from dnscc.core.errors import InputError, Location

PROFILE = Path(__file__).with_name("profile.toml")
KINDS = ("time", "share")
FIGURES = (
    "detect",
    "triage",
    "first_notification",
    "all_notified",
    "all_notified_real",
    "acknowledged_share",
    "mitigation_median",
    "verified_share_of_acting",
    "coverage_after_last_action",
)


def load_profile(path: str | None = None) -> dict[str, Any]:
    """The objectives: the shipped profile, with `path`'s (or DNSCC_EXERCISE_PROFILE's)
    tables laid over it. InputError naming the file and field of a bad one."""
    data = tomllib.loads(PROFILE.read_text(encoding="utf-8"))
    path = path or getattr(settings, "EXERCISE_PROFILE", "") or None
    file = str(PROFILE)
    if path:
        file = str(path)
        try:
            over = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(
                f"cannot read the profile: {exc}", location=Location(file=file)
            ) from None
        for key, values in over.get("objectives", {}).items():
            data["objectives"][key] = {**data["objectives"].get(key, {}), **values}
    for key, objective in data["objectives"].items():
        where = Location(file=file, field=f"objectives.{key}")
        if objective.get("kind") not in KINDS:
            raise InputError(f"kind must be one of {', '.join(KINDS)}", location=where)
        if objective.get("figure") not in FIGURES:
            raise InputError(
                f"unknown figure {objective.get('figure')!r}",
                location=where,
                hint="one of " + ", ".join(FIGURES),
            )
        target = "target_seconds" if objective["kind"] == "time" else "target_share"
        if not isinstance(objective.get(target), int | float):
            raise InputError(f"{target} must be a number", location=where)
    return dict(data)


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds(), 3)


def _min(values: list[datetime | None]) -> datetime | None:
    found = [v for v in values if v is not None]
    return min(found) if found else None


def caused(exercise: Any) -> dict[str, list[Any]]:
    """The references of what the exercise caused (its mark in every app)."""
    from dnscc.campaigns.models import Campaign
    from dnscc.incidents.models import Incident, Report
    from dnscc.monitoring.models import Alert
    from dnscc.outreach.models import Message, Notice

    return {
        "incidents": list(
            Incident.objects.filter(exercise=exercise.pk).values_list("ref", flat=True)
        ),
        "reports": list(Report.objects.filter(exercise=exercise.pk).values_list("pk", flat=True)),
        "campaigns": list(
            Campaign.objects.filter(exercise=exercise.pk).values_list("slug", flat=True)
        ),
        "alerts": list(Alert.objects.filter(exercise=exercise.pk).values_list("pk", flat=True)),
        "notices": list(Notice.objects.filter(exercise=exercise.pk).values_list("pk", flat=True)),
        "messages": [Message.objects.filter(exercise=exercise.pk).count()],
    }


def organization_rows(exercise: Any) -> list[dict[str, Any]]:
    """What happened to each registry of an affected TLD."""
    from dnscc.campaigns.models import Slice
    from dnscc.exercises.models import Inject
    from dnscc.exercises.operators import affected_organizations
    from dnscc.incidents.models import Party
    from dnscc.outreach.models import Message

    orgs = affected_organizations(exercise)
    messages: dict[int, list[Any]] = {}
    for m in Message.objects.filter(exercise=exercise.pk, organization_id__in=list(orgs)).only(
        "organization_id",
        "state",
        "accepted_at",
        "created_at",
        "acknowledged_at",
        "acknowledged_via",
        "parent_id",
    ):
        messages.setdefault(m.organization_id, []).append(m)
    operators = {
        i.organization_id: i
        for i in Inject.objects.filter(exercise=exercise, source=Inject.OPERATOR)
    }
    parties = {p.organization_id: p for p in Party.objects.filter(incident__exercise=exercise.pk)}
    slices = {s.organization_id: s for s in Slice.objects.filter(campaign__exercise=exercise.pk)}
    participants = set(exercise.participants or [])
    rows = []
    for org_id, org in sorted(orgs.items(), key=lambda item: item[1].name):
        mine = messages.get(org_id, [])
        accepted = _min([m.accepted_at for m in mine])
        simulated = _min([m.created_at for m in mine if m.state == "simulated"])
        acks = sorted(
            (m.acknowledged_at, m.acknowledged_via) for m in mine if m.acknowledged_at is not None
        )
        operator = operators.get(org_id)
        party = parties.get(org_id)
        slice_ = slices.get(org_id)
        acted = None
        if operator is not None and operator.kind == "operator.comply" and operator.state == "done":
            acted = operator.done_at
        elif org.slug in participants and party is not None:
            acted = party.mitigated_at
        rows.append(
            {
                "organization": org.slug,
                "name": org.name,
                "region": org.region or "",
                "tlds": sorted(
                    set(org.tlds.values_list("name", flat=True)) & set(exercise.affected_tlds)
                ),
                "role": "participant" if org.slug in participants else "simulated",
                "behaviour": operator.params.get("behaviour") if operator else None,
                "notified_at": accepted or simulated,
                "notified_how": "accepted" if accepted else "simulated" if simulated else None,
                "acknowledged_at": acks[0][0] if acks else None,
                "acknowledged_via": acks[0][1] if acks else "",
                "acted_at": acted,
                "party_status": party.status if party else None,
                "slice_state": slice_.state if slice_ else None,
                "names": slice_.names if slice_ else 0,
                "verified_ok": slice_.verified_ok if slice_ else 0,
            }
        )
    return rows


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def figures(exercise: Any, rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The figures, in real seconds (shares 0..1), None where there is no data."""
    from dnscc.exercises.handlers import exercise_reports, incident_of
    from dnscc.exercises.models import Event, Inject
    from dnscc.monitoring.models import Alert

    rows = organization_rows(exercise) if rows is None else rows
    first_event = (
        exercise.injects.filter(source=Inject.SCENARIO, fired_at__isnull=False)
        .order_by("fired_at")
        .values_list("fired_at", flat=True)
        .first()
    )
    first_report = exercise_reports(exercise).values_list("created_at", flat=True).first()
    first_alert = (
        Alert.objects.filter(exercise=exercise.pk)
        .order_by("opened_at")
        .values_list("opened_at", flat=True)
        .first()
    )
    first_signal = _min([first_report, first_alert])
    incident = incident_of(exercise)
    opened = incident.created_at if incident else None
    notified = [r["notified_at"] for r in rows]
    everyone = bool(rows) and all(n is not None for n in notified)
    last_notified = max(n for n in notified if n is not None) if any(notified) else None
    accepted_only = [r["notified_at"] for r in rows if r["notified_how"] == "accepted"]
    acted = [r for r in rows if r["acted_at"] is not None]
    mitigation = [s for r in acted if (s := _seconds(r["acted_at"], r["notified_at"])) is not None]
    acting_names = sum(r["names"] for r in acted)
    verified_share = (
        round(sum(r["verified_ok"] for r in acted) / acting_names, 4) if acting_names else None
    )
    # When verification first showed every acting registry's names done, after the last
    # action (from the verification log: per organisation, names shown done).
    coverage = None
    last_action = max((r["acted_at"] for r in acted), default=None)
    if last_action is not None and acting_names:
        acting_ids = {
            str(o.pk) for o in _orgs_by_slug(exercise, [r["organization"] for r in acted])
        }
        for event in Event.objects.filter(exercise=exercise, kind="verified", at__gte=last_action):
            per = event.data.get("result", event.data).get("organizations", {})
            if acting_ids and all(
                str(o) in per and per[str(o)][0] >= per[str(o)][1] for o in acting_ids
            ):
                coverage = _seconds(event.at, last_action)
                break
    return {
        "first_event_at": first_event,
        "first_signal_at": first_signal,
        "incident_opened_at": opened,
        "last_notified_at": last_notified,
        "last_action_at": last_action,
        "detect": _seconds(first_signal, first_event),
        "triage": _seconds(opened, first_signal),
        "first_notification": _seconds(_min(notified), opened),
        "all_notified": _seconds(last_notified, first_report) if everyone else None,
        "all_notified_real": (
            _seconds(max(accepted_only), first_report)
            if accepted_only and len(accepted_only) == len(rows)
            else None
        ),
        "acknowledged_share": (
            round(sum(1 for r in rows if r["acknowledged_at"]) / len(rows), 4) if rows else None
        ),
        "mitigation_median": _median(mitigation),
        "verified_share_of_acting": verified_share,
        "coverage_after_last_action": coverage,
        "registries": len(rows),
        "notified": sum(1 for n in notified if n is not None),
        "notified_accepted": len(accepted_only),
        "notified_simulated": sum(1 for r in rows if r["notified_how"] == "simulated"),
        "acknowledged": sum(1 for r in rows if r["acknowledged_at"]),
        "acted": len(acted),
    }


def _orgs_by_slug(exercise: Any, slugs: list[str]) -> list[Any]:
    from dnscc.directory.models import Organization

    return list(Organization.objects.filter(slug__in=slugs))


def regions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per region: registries, notified, acknowledged, acted, median times (real seconds)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row["region"] or "—", []).append(row)
    result = []
    for region, group in sorted(found.items()):
        result.append(
            {
                "region": region,
                "registries": len(group),
                "notified": sum(1 for r in group if r["notified_at"]),
                "acknowledged": sum(1 for r in group if r["acknowledged_at"]),
                "acted": sum(1 for r in group if r["acted_at"]),
                "median_acknowledge": _median(
                    [
                        s
                        for r in group
                        if (s := _seconds(r["acknowledged_at"], r["notified_at"])) is not None
                    ]
                ),
                "median_act": _median(
                    [
                        s
                        for r in group
                        if (s := _seconds(r["acted_at"], r["notified_at"])) is not None
                    ]
                ),
            }
        )
    return result


def score(exercise: Any) -> dict[str, Any]:
    """The whole score: figures, objectives with their verdicts, per organisation and per
    region; JSON-able (kept on the exercise when it finishes)."""
    import json

    rows = organization_rows(exercise)
    found = figures(exercise, rows)
    profile = exercise.profile or load_profile()
    scale = exercise.time_scale or 1.0
    objectives = []
    for key, objective in profile["objectives"].items():
        value = found.get(objective["figure"])
        if objective["kind"] == "time":
            scenario = None if value is None else round(value * scale, 3)
            target = objective["target_seconds"]
            verdict = "no data" if scenario is None else "met" if scenario <= target else "missed"
        else:
            scenario = value
            target = objective["target_share"]
            verdict = "no data" if value is None else "met" if value >= target else "missed"
        objectives.append(
            {
                "key": key,
                "label": objective["label"],
                "kind": objective["kind"],
                "what": objective.get("what", ""),
                "real": value,
                "value": scenario,
                "target": target,
                "verdict": verdict,
            }
        )
    document = {
        "objectives": objectives,
        "figures": found,
        "organizations": rows,
        "regions": regions(rows),
        "time_scale": scale,
    }
    return dict(json.loads(json.dumps(document, default=str)))
