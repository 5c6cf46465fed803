"""Exercise services: plans, making an exercise from a scenario (every check done before
anything is written), the controller's decisions (start, pause, resume, skip or add an
inject, finish, archive), the hot wash and the improvement plan. Staff only; every change is
audited and written to the exercise's own log (Event).

`scores(...)` is the small read-only function other apps (metrics) call for exercise
scores; they never read these tables.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import (
    ConflictError,
    InputError,
    Location,
    NotFoundError,
    ValidationErrors,
)
from dnscc.core.exercise_mark import ref_of
from dnscc.core.text import check_text
from dnscc.core.tlp import Viewer
from dnscc.exercises import scenario as sc
from dnscc.exercises.lab import lab_plan
from dnscc.exercises.models import Event, Exercise, HotWash, Improvement, Inject, Plan

MAX_TIME_SCALE = 3600.0


# --- the risk catalogue ---------------------------------------------------------------------


def threat_event_ids() -> set[str]:
    """The stable identifiers of the risk catalogue's threat events: the shipped file's and
    those loaded into the risk register (dnscc risk catalogue)."""
    import tomllib

    from dnscc.risk.catalogue import SHIPPED
    from dnscc.risk.models import ThreatEvent

    shipped = tomllib.loads(SHIPPED.read_text(encoding="utf-8")).get("events", {})
    return set(shipped) | set(ThreatEvent.objects.values_list("key", flat=True))


def library() -> list[dict[str, Any]]:
    """The shipped scenarios, each with its summary, threat events and plan."""
    found = []
    for scenario_id, path in sc.scenario_files().items():
        data = sc.load_scenario(path.read_text(encoding="utf-8"), file=path.name)
        meta = data["scenario"]
        found.append(
            {
                "id": scenario_id,
                "version": meta["version"],
                "title": meta["title"],
                "summary": meta["summary"].strip(),
                "threat_events": meta.get("threat_events", []),
                "dns_type": meta["dns_type"],
                "injects": len(data["injects"]),
                "parameters": data["parameters"],
                "file": path.name,
                "has_plan": sc.plan_file(scenario_id) is not None,
            }
        )
    return found


def scenario(scenario_id: str) -> dict[str, Any]:
    text, path = sc.read_scenario_file(scenario_id)
    return sc.load_scenario(text, file=path.name, threat_events=threat_event_ids())


# --- plans ---------------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def save_plan(
    viewer: Viewer, actor: audit.Actor, text: str, *, file: str = "plan.toml", note: str = ""
) -> Plan:
    """A new version of a scenario's plan from TOML (checked against the scenario)."""
    staff_only(viewer, "change plans")
    check_text(text, field="plan", max_length=200_000)
    head = sc.load_plan(text, file=file)
    scenario_id = head["plan"]["scenario"]
    data = sc.load_plan(text, file=file, scenario=scenario(scenario_id))
    with transaction.atomic():
        latest = Plan.objects.filter(scenario=scenario_id).aggregate(v=Max("version"))["v"] or 0
        if latest:
            current = Plan.objects.get(scenario=scenario_id, version=latest)
            if current.sha256 == _sha(text):
                return current  # the same text: no new version
        plan = Plan.objects.create(
            scenario=scenario_id,
            version=latest + 1,
            title=data["plan"]["title"],
            content=data,
            source=text,
            sha256=_sha(text),
            created_by=actor.name[:150],
            note=(note or "")[:500],
        )
        audit.record(
            actor,
            "exercise.plan",
            obj=plan,
            summary=f"plan of {scenario_id}: version {plan.version}",
            data={"scenario": scenario_id, "version": plan.version},
        )
    return plan


def current_plan(scenario_id: str) -> Plan | None:
    """The latest version of a scenario's plan; the shipped file becomes version 1 the
    first time it is asked for."""
    plan = Plan.objects.filter(scenario=scenario_id).order_by("-version").first()
    if plan is not None:
        return plan
    path = sc.plan_file(scenario_id)
    if path is None:
        return None
    from dnscc.core.tlp import Role

    system = Viewer(user_id=None, role=Role.ADMIN)
    return save_plan(
        system, audit.SYSTEM, path.read_text(encoding="utf-8"), file=path.name, note="shipped"
    )


def get_plan(viewer: Viewer, scenario_id: str, version: int | None = None) -> Plan:
    staff_only(viewer, "read plans")
    qs = Plan.objects.filter(scenario=scenario_id)
    plan = qs.filter(version=version).first() if version else current_plan(scenario_id)
    if plan is None:
        raise NotFoundError(f"no plan for {scenario_id!r}" + (f" v{version}" if version else ""))
    return plan


# --- making an exercise ---------------------------------------------------------------------


def _resolve(ref: str, affected: list[str]) -> list[str]:
    if ref == "affected":
        return list(affected)
    index = sc.affected_index(ref)
    if index is not None:
        return [affected[index]] if index < len(affected) else []
    return [ref]


def resolve_tlds(value: Any, affected: list[str]) -> list[str]:
    """An inject's TLD reference(s) ("affected", "affected:N", labels) as TLD labels."""
    refs = value if isinstance(value, list) else [value] if value else []
    found: list[str] = []
    for ref in refs:
        for tld in _resolve(str(ref), affected):
            if tld not in found:
                found.append(tld)
    return found


def _affected(data: dict[str, Any], parameters: dict[str, Any], plan: Any) -> list[str]:
    """The TLDs the exercise affects: the generator's TLDs the lab has (in the
    generator's order), or `candidate_tlds`, or the lab's TLDs that have a registry in the
    directory; the first `tlds` of them."""
    from dnscc.core.dga import get_generator
    from dnscc.directory.models import Tld

    wanted = int(parameters.get("tlds", 1) or 1)
    lab_tlds = list(plan.tlds)
    if parameters.get("candidate_tlds"):
        candidates = [str(t).lower() for t in parameters["candidate_tlds"]]
        missing = [t for t in candidates if t not in plan.tlds]
        if missing:
            raise InputError(
                f"the lab has no TLD {missing[0]!r}",
                location=Location(field="parameters.candidate_tlds"),
                hint="name TLDs of the running lab (`dnscc lab status`)",
            )
    elif parameters.get("generator"):
        candidates = [t for t in get_generator(parameters["generator"]).tlds if t in plan.tlds]
    else:
        operated = set(
            Tld.objects.filter(name__in=lab_tlds, operator__isnull=False).values_list(
                "name", flat=True
            )
        )
        candidates = [t for t in lab_tlds if t in operated]
    if len(candidates) < wanted:
        raise InputError(
            f"the exercise needs {wanted} TLD(s) and the lab has {len(candidates)} that fit",
            location=Location(field="parameters.tlds"),
            hint="ask for fewer TLDs, or run a lab with more (`dnscc lab up --tlds N`)",
        )
    return candidates[:wanted]


def _check_injects(data: dict[str, Any], affected: list[str], plan: Any, file: str) -> None:
    """A TLD the lab does not have, a server it does not run, an inject touching an
    incident that is not this exercise's: refused, naming the line."""
    from dnscc.incidents.models import Incident

    errors: list[InputError] = []
    for i, inject in enumerate(data["injects"]):
        line = inject.get("line")
        for key in ("tld", "tlds", "scope", "from"):
            if key not in inject:
                continue
            for tld in resolve_tlds(inject[key], affected):
                if tld not in plan.tlds:
                    errors.append(
                        InputError(
                            f"the lab has no TLD {tld!r}",
                            location=Location(file, line, f"injects.{i}.{key}"),
                            hint="name a TLD of the running lab, or use affected / affected:N",
                        )
                    )
            refs = inject[key] if isinstance(inject[key], list) else [inject[key]]
            for ref in refs:
                index = sc.affected_index(str(ref))
                if index is not None and index >= len(affected):
                    errors.append(
                        InputError(
                            f"{ref!r}: the exercise affects only {len(affected)} TLD(s)",
                            location=Location(file, line, f"injects.{i}.{key}"),
                        )
                    )
        server = inject.get("server")
        if server and f"{server.rstrip('.')}." not in plan.hosts and server not in plan.hosts:
            errors.append(
                InputError(
                    f"the lab runs no server {server!r}",
                    location=Location(file, line, f"injects.{i}.server"),
                )
            )
        ref = inject.get("incident")
        if ref:
            found = Incident.objects.filter(ref=str(ref).strip().upper()).first()
            what = (
                "does not exist"
                if found is None
                else "is live work"
                if found.exercise is None
                else f"belongs to exercise {ref_of(found.exercise)}"
            )
            errors.append(
                InputError(
                    f"the inject would touch incident {ref} which {what}: an exercise acts "
                    "only on what it creates",
                    location=Location(file, line, f"injects.{i}.incident"),
                    hint="remove the incident reference; the exercise opens its own",
                )
            )
    if errors:
        raise ValidationErrors(errors)


def _check_participants(
    slugs: list[str], file: str, line: int | None, field: str = "participants"
) -> list[str]:
    """Organisation slugs taking part with real people: each must exist and have a contact
    who opted in to exercises (else InputError naming the line / field)."""
    from dnscc.directory.models import Organization

    errors: list[InputError] = []
    clean: list[str] = []
    for i, slug in enumerate(slugs):
        slug = str(slug).strip()
        org = Organization.objects.filter(slug=slug).first()
        where = Location(file if line else None, line, f"{field}[{i}]")
        if org is None:
            errors.append(InputError(f"no organisation {slug!r}", location=where))
            continue
        if not org.contacts.filter(exercise_opt_in=True).exists():
            errors.append(
                InputError(
                    f"{org.name} has no contact who opted in to exercises",
                    location=where,
                    hint="a participant's contact opts in on the directory page first",
                )
            )
            continue
        clean.append(slug)
    if errors:
        raise ValidationErrors(errors)
    return clean


def _injects_of(data: dict[str, Any], plan: Plan | None, mode: str) -> list[dict[str, Any]]:
    rows = [
        {
            "at_seconds": i["at_seconds"],
            "kind": i["kind"],
            "title": i.get("title") or i.get("subject") or i["kind"],
            "params": {k: v for k, v in i.items() if k not in ("at", "at_seconds", "line")},
            "source": Inject.SCENARIO,
            "line": i.get("line"),
        }
        for i in data["injects"]
    ]
    if plan is not None and mode == Exercise.UNATTENDED:
        for step in plan.content.get("steps", []):
            if not step.get("auto") or step["action"] not in sc.AUTOMATIC_ACTIONS:
                continue
            if step.get("at_seconds") is None:
                continue
            rows.append(
                {
                    "at_seconds": step["at_seconds"],
                    "kind": f"action.{step['action']}",
                    "title": step["title"],
                    "params": {"step": step["id"], "role": step.get("role", "")},
                    "source": Inject.PLAN,
                    "line": step.get("line"),
                }
            )
    rows.sort(key=lambda r: (r["at_seconds"], 0 if r["source"] == Inject.SCENARIO else 1))
    return rows


def create_exercise(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    scenario_id: str = "",
    scenario_text: str = "",
    title: str = "",
    parameters: dict[str, Any] | None = None,
    operators: dict[str, Any] | None = None,
    participants: list[str] | None = None,
    mode: str = Exercise.UNATTENDED,
    time_scale: float = 1.0,
    seed: int = 1,
    lab_dir: str = "",
) -> Exercise:
    """Make an exercise (ready to run) from a shipped scenario or a scenario file's text.
    Everything is checked first (the file, the lab, the TLDs, the participants, the plan);
    a refusal writes nothing."""
    staff_only(viewer, "run exercises")
    file = f"{scenario_id}.toml" if scenario_id else "scenario.toml"
    if scenario_text:
        check_text(scenario_text, field="scenario", max_length=200_000)
        data = sc.load_scenario(scenario_text, file=file, threat_events=threat_event_ids())
        text = scenario_text
    elif scenario_id:
        text, path = sc.read_scenario_file(scenario_id)
        file = path.name
        data = sc.load_scenario(text, file=file, threat_events=threat_event_ids())
    else:
        raise InputError(
            "name a scenario or give a scenario file", location=Location(field="scenario")
        )
    if mode not in dict(Exercise.MODE_CHOICES):
        raise InputError(
            f"unknown mode {mode!r}",
            location=Location(field="mode"),
            hint="unattended or live",
        )
    try:
        scale = float(time_scale)
    except (TypeError, ValueError):
        scale = 0.0
    if not 0 < scale <= MAX_TIME_SCALE:
        raise InputError(
            f"time_scale must be above 0 and at most {MAX_TIME_SCALE:g}",
            location=Location(field="time_scale"),
        )
    params = {**data["parameters"], **(parameters or {})}
    mix = {**data["operators"], **(operators or {})}
    shares = [float(mix.get(b, 0) or 0) for b in sc.OPERATOR_BEHAVIOURS]
    if any(s < 0 for s in shares) or (any(shares) and abs(sum(shares) - 1) > 0.001):
        raise InputError(
            "the operators' shares must be between 0 and 1 and add up to 1",
            location=Location(field="operators"),
        )
    plan_lab = lab_plan(lab_dir)
    affected = _affected(data, params, plan_lab)
    _check_injects(data, affected, plan_lab, file)
    located = sc.Located.of(text, file)
    from_file = list(data["scenario"].get("participants", []))
    chosen = _check_participants(
        from_file, file, located.line("scenario", None, "participants")
    ) + _check_participants(participants or [], "", None)
    meta = data["scenario"]
    plan = current_plan(meta["id"]) if not scenario_text else None
    with transaction.atomic():
        exercise = Exercise.objects.create(
            title=(title or meta["title"])[:300],
            scenario_id=meta["id"],
            scenario_version=meta["version"],
            scenario=data,
            scenario_sha256=_sha(text),
            plan=plan,
            mode=mode,
            parameters=params,
            affected_tlds=affected,
            participants=sorted(set(chosen)),
            operator_mix=mix,
            time_scale=scale,
            seed=int(seed) % (2**31),
            lab_dir=str(lab_dir or ""),
            profile=objectives_profile(),
            created_by=actor.name[:150],
        )
        Inject.objects.bulk_create(
            [
                Inject(exercise=exercise, seq=seq, created_by=actor.name[:150], **row)
                for seq, row in enumerate(_injects_of(data, plan, mode), start=1)
            ]
        )
        log(
            exercise,
            "created",
            f"{exercise.ref} made from {file}",
            actor=actor.name,
            data={"affected": affected, "participants": exercise.participants},
        )
        audit.record(
            actor,
            "exercise.create",
            obj=exercise,
            summary=f"{exercise.ref}: {exercise.title}",
            data={"scenario": meta["id"], "tlds": len(affected), "mode": mode},
        )
    return exercise


def objectives_profile() -> dict[str, Any]:
    from dnscc.exercises.scoring import load_profile

    return load_profile()


# --- reading --------------------------------------------------------------------------------


def get_exercise(viewer: Viewer, ref_or_id: str | int) -> Exercise:
    """Staff only; NotFoundError for an unknown reference (EX-0007, or 7)."""
    staff_only(viewer, "see exercises")
    text = str(ref_or_id).strip().upper()
    number = text[3:] if text.startswith("EX-") else text
    try:
        pk = int(number)
    except ValueError:
        raise NotFoundError(f"no exercise {ref_or_id!r}", hint="e.g. EX-0001") from None
    exercise = Exercise.objects.filter(pk=pk).select_related("plan").first()
    if exercise is None:
        raise NotFoundError(f"no exercise {ref_or_id!r}")
    return exercise


def list_exercises(viewer: Viewer, *, scenario_id: str = "", status: str = "") -> list[Exercise]:
    staff_only(viewer, "see exercises")
    qs = Exercise.objects.all()
    if scenario_id:
        qs = qs.filter(scenario_id=scenario_id)
    if status:
        qs = qs.filter(status=status)
    return list(qs[:500])


def log(
    exercise: Exercise,
    kind: str,
    summary: str,
    *,
    actor: str = "",
    organization: Any = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> Event:
    """One line of the exercise's log."""
    return Event.objects.create(
        exercise=exercise,
        at=at or timezone.now(),
        kind=kind,
        summary=summary[:500],
        organization=organization,
        data=json.loads(json.dumps(data or {}, default=str)),
        actor=actor[:150],
    )


def exercise_seconds(exercise: Exercise, at: datetime | None = None) -> float | None:
    """Scenario seconds since the start at the real time `at` (pauses excluded)."""
    if exercise.started_at is None:
        return None
    at = at or timezone.now()
    paused = exercise.paused_seconds
    if exercise.paused_at is not None and at > exercise.paused_at:
        paused += (at - exercise.paused_at).total_seconds()
    return max(0.0, ((at - exercise.started_at).total_seconds() - paused) * exercise.time_scale)


def due_time(exercise: Exercise, at_seconds: float) -> datetime | None:
    """The real time an inject at `at_seconds` falls due (None while not started)."""
    from datetime import timedelta

    if exercise.started_at is None:
        return None
    return exercise.started_at + timedelta(
        seconds=exercise.paused_seconds + at_seconds / exercise.time_scale
    )


# --- the controller -------------------------------------------------------------------------


def _change(exercise: Exercise, allowed: tuple[str, ...], **fields: Any) -> Exercise:
    updated = Exercise.objects.filter(
        pk=exercise.pk, status__in=allowed, version=exercise.version
    ).update(version=exercise.version + 1, **fields)
    if not updated:
        exercise.refresh_from_db()
        raise ConflictError(
            f"{exercise.ref} is {exercise.get_status_display().lower()}",
            hint="reload the page: it changed meanwhile",
        )
    exercise.refresh_from_db()
    return exercise


def start(viewer: Viewer, actor: audit.Actor, exercise: Exercise) -> Exercise:
    staff_only(viewer, "run exercises")
    lab_plan(exercise.lab_dir)  # the lab must run before anything is injected
    with transaction.atomic():
        exercise = _change(
            exercise, (Exercise.DRAFT,), status=Exercise.RUNNING, started_at=timezone.now()
        )
        log(exercise, "started", f"{exercise.ref} started", actor=actor.name)
        audit.record(actor, "exercise.start", obj=exercise, summary=exercise.ref)
    return exercise


def pause(viewer: Viewer, actor: audit.Actor, exercise: Exercise) -> Exercise:
    staff_only(viewer, "control exercises")
    with transaction.atomic():
        exercise = _change(
            exercise, (Exercise.RUNNING,), status=Exercise.PAUSED, paused_at=timezone.now()
        )
        log(exercise, "paused", "the controller paused the exercise", actor=actor.name)
        audit.record(actor, "exercise.pause", obj=exercise, summary=exercise.ref)
    return exercise


def resume(viewer: Viewer, actor: audit.Actor, exercise: Exercise) -> Exercise:
    staff_only(viewer, "control exercises")
    now = timezone.now()
    paused_for = (now - exercise.paused_at).total_seconds() if exercise.paused_at else 0.0
    with transaction.atomic():
        exercise = _change(
            exercise,
            (Exercise.PAUSED,),
            status=Exercise.RUNNING,
            paused_at=None,
            paused_seconds=exercise.paused_seconds + paused_for,
        )
        log(exercise, "resumed", f"resumed after {paused_for:.0f} s", actor=actor.name)
        audit.record(actor, "exercise.resume", obj=exercise, summary=exercise.ref)
    return exercise


def skip(viewer: Viewer, actor: audit.Actor, exercise: Exercise, inject_id: int) -> Inject:
    staff_only(viewer, "control exercises")
    inject = exercise.injects.filter(pk=inject_id).first()
    if inject is None:
        raise NotFoundError(f"no inject {inject_id} in {exercise.ref}")
    with transaction.atomic():
        if not Inject.objects.filter(pk=inject.pk, state=Inject.PENDING).update(
            state=Inject.SKIPPED, done_at=timezone.now()
        ):
            raise ConflictError(
                f"inject {inject.seq} is {inject.get_state_display().lower()}: only one "
                "still due can be skipped"
            )
        inject.refresh_from_db()
        log(
            exercise,
            "skipped",
            f"the controller skipped: {inject.title}",
            actor=actor.name,
            data={"inject": inject.seq},
        )
        audit.record(actor, "exercise.skip", obj=exercise, summary=f"{exercise.ref} #{inject.seq}")
    return inject


def add_inject(
    viewer: Viewer, actor: audit.Actor, exercise: Exercise, data: dict[str, Any]
) -> Inject:
    """The controller's inject: the same kinds and fields as a scenario's (checked by the
    same schema), at a scenario time or "now"."""
    staff_only(viewer, "control exercises")
    if exercise.status in (Exercise.FINISHED, Exercise.ARCHIVED):
        raise ConflictError(f"{exercise.ref} is over: nothing can be added")
    raw = {k: v for k, v in dict(data).items() if v not in (None, "")}
    when = raw.get("at", "now")
    if when == "now":
        raw["at"] = round(exercise_seconds(exercise) or 0.0, 3)
    wrapper = {
        "scenario": {"id": "x", "version": 1, "title": "x", "summary": "x", "dns_type": "other"},
        "injects": [raw],
    }
    text_errors = sc._schema_errors(wrapper, "scenario", sc.Located.of("", "inject"))
    if text_errors:
        raise ValidationErrors(
            [
                InputError(
                    e.problem,
                    location=Location(field=(e.location.field or "").replace("injects.0.", "")),
                )
                for e in text_errors
            ]
        )
    try:
        at = sc.parse_time(raw["at"])
    except ValueError as exc:
        raise InputError(str(exc), location=Location(field="at")) from None
    _check_injects(
        {"injects": [{**raw, "line": None}]},
        list(exercise.affected_tlds),
        lab_plan(exercise.lab_dir),
        "inject",
    )
    with transaction.atomic():
        seq = (exercise.injects.aggregate(m=Max("seq"))["m"] or 0) + 1
        inject = Inject.objects.create(
            exercise=exercise,
            seq=seq,
            at_seconds=at,
            kind=raw["kind"],
            title=str(raw.get("title") or raw.get("subject") or raw["kind"])[:300],
            params={k: v for k, v in raw.items() if k != "at"},
            source=Inject.CONTROLLER,
            created_by=actor.name[:150],
        )
        log(
            exercise,
            "added",
            f"the controller added at T+{at:g}s: {inject.title}",
            actor=actor.name,
            data={"inject": seq, "kind": inject.kind},
        )
        audit.record(actor, "exercise.inject_add", obj=exercise, summary=f"{exercise.ref} #{seq}")
    return inject


def finish(viewer: Viewer, actor: audit.Actor, exercise: Exercise) -> Exercise:
    """Clear what the exercise did to the lab, verify a last time, score, and close it."""
    from dnscc.exercises import runner

    staff_only(viewer, "control exercises")
    if exercise.status in (Exercise.FINISHED, Exercise.ARCHIVED):
        raise ConflictError(f"{exercise.ref} is already finished")
    return runner.finish(exercise, actor=actor)


def archive(viewer: Viewer, actor: audit.Actor, exercise: Exercise) -> dict[str, Any]:
    """The exercise as one JSON document (scenario, plan, injects, log, score, hot wash,
    improvements, the references of what it caused); the exercise becomes archived."""
    from dnscc.exercises.scoring import caused

    staff_only(viewer, "archive exercises")
    if exercise.status not in (Exercise.FINISHED, Exercise.ARCHIVED):
        raise ConflictError(f"{exercise.ref} is not finished: finish it first")
    document = {
        "exercise": exercise.ref,
        "title": exercise.title,
        "scenario": exercise.scenario,
        "plan": exercise.plan.content if exercise.plan else None,
        "parameters": exercise.parameters,
        "affected_tlds": exercise.affected_tlds,
        "participants": exercise.participants,
        "started_at": exercise.started_at,
        "finished_at": exercise.finished_at,
        "injects": [
            {
                "seq": i.seq,
                "at_seconds": i.at_seconds,
                "kind": i.kind,
                "title": i.title,
                "source": i.source,
                "state": i.state,
                "due_at": i.due_at,
                "fired_at": i.fired_at,
                "result": i.result,
                "error": i.error,
            }
            for i in exercise.injects.all()
        ],
        "log": [
            {"at": e.at, "kind": e.kind, "summary": e.summary, "data": e.data}
            for e in exercise.events.all()
        ],
        "score": exercise.score,
        "hot_wash": [
            {
                "author": h.author,
                "went_well": h.went_well,
                "went_badly": h.went_badly,
                "to_improve": h.to_improve,
                "at": h.created_at,
            }
            for h in exercise.hot_washes.all()
        ],
        "improvements": [
            {"text": i.text, "status": i.status, "due_date": i.due_date}
            for i in exercise.improvements.all()
        ],
        "caused": caused(exercise),
    }
    with transaction.atomic():
        if exercise.status != Exercise.ARCHIVED:
            exercise = _change(
                exercise,
                (Exercise.FINISHED,),
                status=Exercise.ARCHIVED,
                archived_at=timezone.now(),
            )
            log(exercise, "archived", f"{exercise.ref} archived", actor=actor.name)
        audit.record(actor, "exercise.archive", obj=exercise, summary=exercise.ref)
    return json.loads(json.dumps(document, default=str))


# --- hot wash and improvement plan ----------------------------------------------------------


def add_hot_wash(
    viewer: Viewer, actor: audit.Actor, exercise: Exercise, data: dict[str, Any]
) -> HotWash:
    staff_only(viewer, "write the hot wash")
    if exercise.status == Exercise.DRAFT:
        raise ConflictError(f"{exercise.ref} has not run yet")
    fields = {
        k: check_text(data.get(k, ""), field=k, max_length=10_000)
        for k in ("went_well", "went_badly", "to_improve")
    }
    if not any(fields.values()):
        raise InputError("the hot wash is empty", location=Location(field="went_well"))
    with transaction.atomic():
        wash = HotWash.objects.create(exercise=exercise, author=actor.name[:150], **fields)
        log(exercise, "hot_wash", f"hot wash by {actor.name}", actor=actor.name)
        audit.record(actor, "exercise.hot_wash", obj=exercise, summary=exercise.ref)
    return wash


def add_improvement(
    viewer: Viewer, actor: audit.Actor, exercise: Exercise, data: dict[str, Any]
) -> Improvement:
    """An item of the improvement plan (a task: text, owner, due date, objective)."""
    from django.contrib.auth import get_user_model

    staff_only(viewer, "plan improvements")
    text = check_text(data.get("text"), field="text", max_length=500, required=True, one_line=True)
    owner = None
    if data.get("owner"):
        owner = get_user_model().objects.filter(username=str(data["owner"]).strip()).first()
        if owner is None:
            raise InputError(f"no user {data['owner']!r}", location=Location(field="owner"))
    due = data.get("due_date")
    if due and not isinstance(due, date):
        try:
            due = date.fromisoformat(str(due))
        except ValueError:
            raise InputError(
                f"{due!r} is not a date (YYYY-MM-DD)", location=Location(field="due_date")
            ) from None
    objective = str(data.get("objective") or "")[:64]
    with transaction.atomic():
        item = Improvement.objects.create(
            exercise=exercise,
            text=text,
            owner=owner,
            due_date=due or None,
            objective=objective,
            created_by=actor.name[:150],
        )
        log(exercise, "improvement", f"improvement: {text}", actor=actor.name)
        audit.record(actor, "exercise.improvement", obj=item, summary=text)
    return item


def close_improvement(viewer: Viewer, actor: audit.Actor, item: Improvement) -> Improvement:
    staff_only(viewer, "plan improvements")
    with transaction.atomic():
        if not Improvement.objects.filter(pk=item.pk, status=Improvement.OPEN).update(
            status=Improvement.DONE, done_at=timezone.now()
        ):
            raise ConflictError("this improvement is already done")
        item.refresh_from_db()
        audit.record(actor, "exercise.improvement_done", obj=item, summary=item.text)
    return item


# --- for other apps (metrics) ---------------------------------------------------------------


def scores(*, since: datetime | None = None, until: datetime | None = None) -> list[dict[str, Any]]:
    """Finished exercises' scores, oldest first: ref, scenario, finished_at and each
    objective's value, target and verdict (what scoring.score computed at the finish).
    Read-only; for the metrics app, which must not read these tables itself."""
    qs = Exercise.objects.filter(status__in=(Exercise.FINISHED, Exercise.ARCHIVED))
    if since is not None:
        qs = qs.filter(finished_at__gte=since)
    if until is not None:
        qs = qs.filter(finished_at__lt=until)
    return [
        {
            "exercise": e.ref,
            "scenario": e.scenario_id,
            "title": e.title,
            "finished_at": e.finished_at,
            "objectives": (e.score or {}).get("objectives", []),
        }
        for e in qs.order_by("finished_at", "pk")
    ]
