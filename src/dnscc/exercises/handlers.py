"""What each kind of inject does. One function per kind, registered in HANDLERS; each takes
the exercise and the inject, acts through the center's own services (so everything it
causes carries the exercise's mark) or on the lab, and returns a JSON-able result kept on
the inject. A handler raises a DnsccError to fail its inject (the exercise goes on and its
log says why).

Scenario injects: report, alert, registry_mail, lab.fault, lab.clear, lab.register, note.
Plan steps (the center's own actions, taken by the runner in an unattended exercise):
action.open_incident, action.notify_parties, action.start_campaign,
action.deliver_campaign, action.verify_campaign.
Simulated operators: operator.ack_portal, operator.ack_api, operator.ack_mail,
operator.comply, operator.silent (exercises.operators).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

from dnscc.core.errors import ConflictError, InputError, Location
from dnscc.core.exercise_mark import ref_of
from dnscc.exercises import actors
from dnscc.exercises.lab import (
    BOTNET_NS,
    exercise_names,
    lab_for,
    registered_subset,
    tld_hosts,
    tld_servers,
)
from dnscc.exercises.models import Exercise, Inject
from dnscc.exercises.services import log, resolve_tlds

Handler = Callable[[Exercise, Inject], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn

    return register


def _tlds(exercise: Exercise, inject: Inject, key: str) -> list[str]:
    return resolve_tlds(inject.params.get(key), list(exercise.affected_tlds))


def _organization_of(tld: str) -> Any:
    from dnscc.directory.models import Tld

    row = Tld.objects.filter(name=tld).select_related("operator").first()
    return row.operator if row else None


# --- the exercise's own objects ---------------------------------------------------------------


def incident_of(exercise: Exercise) -> Any:
    """The exercise's incident (the first it opened), or None."""
    from dnscc.incidents.models import Incident

    return Incident.objects.filter(exercise=exercise.pk).order_by("created_at", "pk").first()


def campaign_of(exercise: Exercise) -> Any:
    from dnscc.campaigns.models import Campaign

    return Campaign.objects.filter(exercise=exercise.pk).order_by("created_at", "pk").first()


def exercise_reports(exercise: Exercise, state: str = "") -> Any:
    from dnscc.incidents.models import Report

    qs = Report.objects.filter(exercise=exercise.pk).order_by("created_at", "pk")
    return qs.filter(state=state) if state else qs


# --- scenario injects --------------------------------------------------------------------------


@handler("note")
def note(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    return {"text": inject.params.get("text", "")}


@handler("report")
def report(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """A synthetic report through the API's service, as a partner CSIRT sends one."""
    from dnscc.incidents import intake

    viewer, actor, user = actors.runner(exercise.pk, "report inject")
    tlds = _tlds(exercise, inject, "scope") if "scope" in inject.params else []
    data = {
        "title": inject.params.get("title") or inject.title,
        "description": inject.params.get("description", ""),
        "dns_type": inject.params.get("dns_type") or exercise.scenario["scenario"]["dns_type"],
        "tlp": inject.params.get("tlp", "AMBER"),
        "scope": {"names": [], "tlds": tlds, "ips": [], "resolvers": []},
        "reporter_name": f"Partner CSIRT (exercise {ref_of(exercise.pk)})",
    }
    found = intake.submit_report(viewer, actor, data, user=user, exercise=exercise.pk)
    return {"report": found.pk, "tlds": len(tlds)}


@handler("alert")
def alert(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """A monitoring alert per TLD (marked; it opens a marked report for the desk)."""
    from dnscc.monitoring import services as monitoring

    opened = []
    for tld in _tlds(exercise, inject, "tlds"):
        org = _organization_of(tld)
        found = monitoring.report_finding(
            zone=tld,
            code=inject.params["code"],
            severity=inject.params["severity"],
            message=inject.params.get("message") or inject.title,
            title=f"{inject.params['code']} on .{tld}: "
            f"{inject.params.get('message') or inject.title}",
            organization=org,
            desk=(org.region if org else "") or "",
            server=f"exercise:{ref_of(exercise.pk)}",
            exercise=exercise.pk,
        )
        if found is not None:
            opened.append(found.pk)
    return {"alerts": opened}


@handler("registry_mail")
def registry_mail(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """A mail from a registry to the reports address (what incidents.mail files as a
    report), marked. Simulated: no mail crosses a wire."""
    from dnscc.incidents import intake

    tld = _tlds(exercise, inject, "from")[0]
    org = _organization_of(tld)
    contact = org.contacts.exclude(email="").first() if org else None
    sender = contact.email if contact else f"hostmaster@nic.{tld}"
    found = intake.create_mail_report(
        title=inject.params["subject"],
        text=inject.params["text"],
        sender=sender,
        organization=org,
        exercise=exercise.pk,
    )
    return {"report": found.pk, "from": sender}


def _fault_targets(exercise: Exercise, inject: Inject) -> list[dict[str, Any]]:
    """The lab.inject calls one fault inject makes (several with all_servers)."""
    params = inject.params
    base: dict[str, Any] = {}
    if params.get("delay_ms"):
        base["delay_ms"] = int(params["delay_ms"])
    if params.get("loss") is not None:
        base["loss"] = float(params["loss"]) * 100  # the lab counts per cent
    if params.get("resolver"):
        return [{**base, "resolver": params["resolver"]}]
    if params.get("server"):
        return [{**base, "server": params["server"]}]
    targets = []
    plan = lab_for(exercise.lab_dir).plan()
    for tld in _tlds(exercise, inject, "tld"):
        if params.get("all_servers"):
            targets += [{**base, "server": host, "tld": tld} for host in tld_hosts(plan, tld)]
        else:
            targets.append({**base, "tld": tld})
    return targets


@handler("lab.fault")
def lab_fault(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """Inject a real fault into the lab (several servers with all_servers). Idempotent: a
    fault this exercise already injected (a runner restarted mid-inject) is not an error."""
    lab = lab_for(exercise.lab_dir)
    kind = inject.params["fault"]
    faults = []
    for target in _fault_targets(exercise, inject):
        args = {k: v for k, v in target.items() if not (k == "tld" and "server" in target)}
        try:
            record = lab.inject(kind, **args)
        except ConflictError as exc:
            if "already injected" not in exc.message:
                raise
            fid = exc.message.split("fault ", 1)[1].split(" ", 1)[0]
            record = {"id": fid, "tld": target.get("tld")}
        faults.append({"id": record["id"], "tld": record.get("tld") or target.get("tld")})
    return {"faults": faults}


@handler("lab.clear")
def lab_clear(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """Clear the faults of that kind (and target) this exercise injected."""
    lab = lab_for(exercise.lab_dir)
    wanted = {
        t.get("server") or t.get("resolver") or t.get("tld")
        for t in _fault_targets(exercise, inject)
    }
    cleared = []
    for fid in active_faults(exercise):
        kind, _, target = fid.partition(":")
        if kind != inject.params["fault"]:
            continue
        if wanted and target.rstrip(".") not in {str(w).rstrip(".") for w in wanted}:
            continue
        cleared += lab.clear(fid)
    return {"cleared": cleared}


def active_faults(exercise: Exercise) -> list[str]:
    """Fault ids this exercise injected and that are still active in the lab."""
    mine: list[str] = []
    for inject in exercise.injects.filter(kind="lab.fault", state=Inject.DONE):
        mine += [f["id"] for f in inject.result.get("faults", [])]
    lab = lab_for(exercise.lab_dir)
    state = lab.load() or {}
    live = set((state.get("faults") or {}).keys())
    return [f for f in dict.fromkeys(mine) if f in live]


def faulted_tlds(exercise: Exercise) -> set[str]:
    """The TLDs of this exercise's faults (what a real sweep would find and mark)."""
    found: set[str] = set()
    for inject in exercise.injects.filter(kind="lab.fault", state__in=(Inject.DONE, Inject.FIRING)):
        found |= {f["tld"] for f in inject.result.get("faults", []) if f.get("tld")}
    return found


@handler("lab.register")
def lab_register(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """The botnet's operators register a share of the exercise's names in the lab."""
    names = exercise_names(exercise.parameters, list(exercise.affected_tlds))
    share = float(inject.params.get("share", exercise.parameters.get("registered_share", 0)))
    chosen = registered_subset(names, share)
    lab = lab_for(exercise.lab_dir)
    changed = lab.apply_registrations(
        {tld: {name: list(BOTNET_NS) for name in group} for tld, group in chosen.items()}
    )
    return {"registered": chosen, "names": sum(len(g) for g in chosen.values()), "changed": changed}


def registered_names(exercise: Exercise) -> dict[str, list[str]]:
    """TLD -> the names this exercise's lab.register injects delegated."""
    found: dict[str, list[str]] = {}
    for inject in exercise.injects.filter(kind="lab.register", state=Inject.DONE):
        for tld, names in inject.result.get("registered", {}).items():
            found.setdefault(tld, []).extend(names)
    return found


# --- the plan's steps: the center's own actions ------------------------------------------------


@handler("action.open_incident")
def open_incident(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """Open the incident from the exercise's first report waiting for triage (and merge the
    other waiting ones into it), or from the scenario when no report came."""
    from dnscc.incidents import intake, services

    existing = incident_of(exercise)
    if existing is not None:
        return {"incident": existing.ref, "already": True}
    viewer, actor, user = actors.runner(exercise.pk, "open incident")
    meta = exercise.scenario["scenario"]
    fields = {"impact": meta.get("impact", "medium"), "urgency": meta.get("urgency", "medium")}
    waiting = list(exercise_reports(exercise, "new"))
    if waiting:
        incident = intake.open_report(viewer, actor, waiting[0], fields, user=user)
        for other in waiting[1:]:
            intake.merge_report(viewer, actor, other, incident.ref)
        merged = len(waiting) - 1
    else:
        incident = services.create_incident(
            viewer,
            actor,
            {
                "title": meta["title"],
                "summary": meta["summary"].strip(),
                "dns_type": meta["dns_type"],
                "scope": {"tlds": list(exercise.affected_tlds)},
                **fields,
            },
            user=user,
            exercise=exercise.pk,
        )
        merged = 0
    # The campaign and notices reach every affected registry: the scope has them all.
    scope = dict(incident.scope or {})
    missing = [t for t in exercise.affected_tlds if t not in scope.get("tlds", [])]
    if missing:
        scope["tlds"] = [*scope.get("tlds", []), *missing]
        incident = services.update_incident(
            viewer, actor, incident, {"scope": scope}, version=incident.version
        )
    if incident.status == "new":
        incident = services.update_incident(
            viewer, actor, incident, {"status": "open"}, version=incident.version
        )
    return {"incident": incident.ref, "reports": len(waiting), "merged": merged}


def _require_incident(exercise: Exercise) -> Any:
    incident = incident_of(exercise)
    if incident is None:
        raise ConflictError("no incident yet: the step that opens it has not run")
    return incident


@handler("action.notify_parties")
def notify_parties(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    from dnscc.incidents import services

    incident = _require_incident(exercise)
    viewer, actor, user = actors.runner(exercise.pk, "notify parties")
    result = services.notify_parties(viewer, actor, incident, user=user)
    return {k: result[k] for k in ("parties", "messages", "unreachable") if k in result} | {
        "simulated": result.get("simulated", [])
    }


@handler("action.start_campaign")
def start_campaign(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    """The campaign of the exercise's incident, with the scenario's generated names."""
    from dnscc.campaigns import services as campaigns

    existing = campaign_of(exercise)
    if existing is not None:
        return {"campaign": existing.slug, "already": True}
    incident = _require_incident(exercise)
    names = exercise_names(exercise.parameters, list(exercise.affected_tlds))
    if not names:
        raise InputError(
            "the scenario generates no names (no generator in its parameters)",
            location=Location(field="parameters.generator"),
        )
    viewer, actor, user = actors.runner(exercise.pk, "start campaign")
    params = exercise.parameters
    campaign = campaigns.create_campaign(
        viewer,
        actor,
        incident_ref=incident.ref,
        title=f"{exercise.title} ({ref_of(exercise.pk)})"[:300],
        due_date=(timezone.now() + timedelta(days=1)).date(),
        description=f"Exercise {ref_of(exercise.pk)}: the names of {params.get('day')}",
        user=user,
    )
    listed = campaigns.load_names(
        viewer,
        actor,
        campaign,
        io.BytesIO(("\n".join(names) + "\n").encode()),
        filename=f"{params.get('generator')}-{params.get('day')}.txt",
        action=str(params.get("action", "block")),
        legal_basis="registry_waiver",
        legal_reference=str(params.get("legal_reference") or f"exercise {ref_of(exercise.pk)}"),
    )
    return {"campaign": campaign.slug, "names": listed.added, "unassigned": listed.unassigned}


@handler("action.deliver_campaign")
def deliver_campaign(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    from dnscc.campaigns import services as campaigns

    campaign = campaign_of(exercise)
    if campaign is None:
        raise ConflictError("no campaign yet: the step that starts it has not run")
    viewer, actor, user = actors.runner(exercise.pk, "deliver campaign")
    result = campaigns.deliver(viewer, actor, campaign, user=user)
    return {k: result[k] for k in ("slices", "messages", "unreachable")}


@handler("action.verify_campaign")
def verify_campaign(exercise: Exercise, inject: Inject) -> dict[str, Any]:
    return verify(exercise, why=inject.title)


def verify(exercise: Exercise, *, why: str) -> dict[str, Any]:
    """DNS verification of the exercise's campaign at the lab's TLD servers."""
    from dnscc.campaigns.verification import verify_campaign as run_verification

    campaign = campaign_of(exercise)
    if campaign is None:
        return {"skipped": "no campaign"}
    _viewer, actor, _user = actors.runner(exercise.pk, "verify")
    plan = lab_for(exercise.lab_dir).plan()
    run = run_verification(
        campaign, servers=tld_servers(plan, list(exercise.affected_tlds)), actor=actor
    )
    per_org = {
        str(org): [ok, names]
        for org, ok, names in campaign.slices.values_list("organization_id", "verified_ok", "names")
    }
    result = {
        "run": run.pk,
        "names": run.names,
        "ok": run.ok,
        "bad": run.bad,
        "errors": run.errors,
        "organizations": per_org,
    }
    log(
        exercise,
        "verified",
        f"DNS verification ({why}): {run.ok} of {run.names} names show the action done",
        data=result,
    )
    return result


# The simulated operators' kinds are registered by exercises.operators.
from dnscc.exercises import operators as _operators  # noqa: E402, F401
