"""The risk register: a threat event against an asset (or a class of assets), taken through
the ISO 31000:2018 stages (identification 6.4.2, analysis 6.4.3, evaluation 6.4.4,
treatment 6.5) and scored on the NIST SP 800-30 Rev. 1 scales (dnscc.core.riskscale).

Every change of a score, a decision or a treatment needs a reason; each change is one
RiskChange row (field -> [before, after], the reason) and one audit entry, in the
transaction of the change. A change names the version it was made against when it comes
from a form: a stale one is refused (two coordinators editing at once).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError
from dnscc.core.riskscale import check_level, risk_level, risk_score
from dnscc.core.text import check_text
from dnscc.core.threats import ASSET_KINDS
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.risk import assets, catalogue
from dnscc.risk.models import Risk, RiskChange, TreatmentAction

SCORE_FIELDS = ("likelihood", "impact", "residual_likelihood", "residual_impact")
DECISION_FIELDS = ("decision", "treatment")
TEXT_FIELDS = ("title", "description", "owner", "tlp")
EDITABLE = SCORE_FIELDS + DECISION_FIELDS + TEXT_FIELDS
TREATMENTS = [value for value, _ in Risk.TREATMENT_CHOICES]


def visible_risks(viewer: Viewer, *, include_retired: bool = False) -> list[Risk]:
    """The register as `viewer` may see it (staff only; TLP per entry)."""
    staff_only(viewer, "see the risk register")
    qs = Risk.objects.select_related("event", "asset", "owner")
    if not include_retired:
        qs = qs.filter(retired_at__isnull=True)
    return [r for r in qs if can_see(viewer, r.labelled())]


def get_risk(viewer: Viewer, ref: str) -> Risk:
    staff_only(viewer, "see the risk register")
    risk = Risk.objects.select_related("event", "asset", "owner").filter(ref=ref).first()
    if risk is None or not can_see(viewer, risk.labelled()):
        raise NotFoundError(f"no risk {ref!r}")
    return risk


def _next_ref() -> str:
    last = Risk.objects.order_by("-id").values_list("ref", flat=True).first()
    number = int(last.split("-")[1]) + 1 if last else 1
    return f"R-{number:04d}"


def _user(username: Any, *, field: str) -> Any:
    name = str(username or "").strip()
    if not name:
        return None
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None:
        raise InputError(f"no user {name!r}", location=Location(field=field))
    return user


def _tlp(value: Any) -> str:
    return TLP.parse(str(value or "AMBER")).value


def create_risk(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    event: str,
    asset: str = "",
    asset_class: str = "",
    title: str = "",
    description: str = "",
    likelihood: str = "",
    impact: str = "",
    owner: str = "",
    tlp: str = "AMBER",
    reason: str = "",
    user: Any = None,
) -> Risk:
    """Identify a risk (and analyse it when a likelihood and an impact are given). A risk
    without a threat event, or without an asset or asset class, is refused."""
    staff_only(viewer, "add risks")
    if not str(event or "").strip():
        raise InputError("a risk needs a threat event", location=Location(field="event"))
    threat = catalogue.get_event(event)
    if threat.retired:
        raise ConflictError(f"threat event {threat.key!r} is retired")
    target = assets.get_asset(asset) if str(asset or "").strip() else None
    klass = str(asset_class or "").strip()
    if target is None and not klass:
        raise InputError(
            "a risk needs an asset or an asset class",
            location=Location(field="asset"),
            hint="name an asset (tld:ke, org:SLUG, root-zone...) or a class ("
            + ", ".join(ASSET_KINDS)
            + ")",
        )
    if klass and klass not in ASSET_KINDS:
        raise InputError(
            f"unknown asset class {klass!r}",
            location=Location(field="asset_class"),
            hint="one of " + ", ".join(ASSET_KINDS),
        )
    if target is not None and target.retired_at is not None:
        raise ConflictError(f"asset {target.key!r} is retired (no longer in the directory)")
    name = check_text(
        title or f"{threat.name}: {target.name if target else klass.replace('_', ' ')}",
        field="title",
        max_length=300,
        required=True,
        one_line=True,
    )
    text = check_text(description, field="description", max_length=20000)
    li = check_level(likelihood, field="likelihood") if str(likelihood or "").strip() else ""
    im = check_level(impact, field="impact") if str(impact or "").strip() else ""
    if bool(li) != bool(im):
        raise InputError(
            "give both a likelihood and an impact, or neither",
            location=Location(field="impact" if li else "likelihood"),
        )
    why = check_text(reason, field="reason", max_length=2000) or ("first analysis" if li else "")
    owner_user = _user(owner, field="owner")
    label = _tlp(tlp)
    creator = user if getattr(user, "is_authenticated", False) else None
    if creator is None and viewer.user_id:
        creator = get_user_model().objects.filter(pk=viewer.user_id).first()
    if label == TLP.RED.value and creator is None:
        raise InputError(
            "a TLP:RED risk needs a named author",
            location=Location(field="tlp"),
            hint="use AMBER+STRICT",
        )
    for _attempt in range(20):
        try:
            with transaction.atomic():
                risk = Risk.objects.create(
                    ref=_next_ref(),
                    title=name,
                    description=text,
                    event=threat,
                    asset=target,
                    asset_class="" if target else klass,
                    owner=owner_user,
                    tlp=label,
                    created_by=creator,
                )
                changes: dict[str, list[Any]] = {"stage": [None, Risk.IDENTIFIED]}
                if li:
                    _apply(risk, {"likelihood": li, "impact": im}, changes)
                    risk.save()
                RiskChange.objects.create(
                    risk=risk,
                    at=timezone.now(),
                    actor=actor.name,
                    changes=changes,
                    reason=why or "identified",
                )
                audit.record(
                    actor,
                    "risk.create",
                    obj=risk,
                    summary=f"{risk.ref}: {risk.title}",
                    data={
                        "event": threat.key,
                        "asset": target.key if target else klass,
                        **_flat(changes),
                    },
                )
                return risk
        except IntegrityError:
            continue  # another writer took this number first
    raise ConflictError("could not allocate a risk number; try again")


def _flat(changes: dict[str, list[Any]]) -> dict[str, Any]:
    return {k: v[1] for k, v in changes.items()}


def _apply(risk: Risk, values: dict[str, Any], changes: dict[str, list[Any]]) -> None:
    """Set the values, recompute level, score and stage, and note each change."""
    for field, value in values.items():
        before = getattr(risk, field)
        if field == "owner":
            before = risk.owner.get_username() if risk.owner_id and risk.owner else ""
            after = value.get_username() if value is not None else ""
            if before != after:
                risk.owner = value
                changes[field] = [before, after]
            continue
        if before != value:
            setattr(risk, field, value)
            changes[field] = [before, value]
    if risk.likelihood and risk.impact:
        level, score = (
            risk_level(risk.likelihood, risk.impact),
            risk_score(risk.likelihood, risk.impact),
        )
        for field, value in (("level", level), ("score", score)):
            if getattr(risk, field) != value:
                changes[field] = [getattr(risk, field), value]
                setattr(risk, field, value)
    if risk.residual_likelihood and risk.residual_impact:
        level = risk_level(risk.residual_likelihood, risk.residual_impact)
        score = risk_score(risk.residual_likelihood, risk.residual_impact)
        for field, value in (("residual_level", level), ("residual_score", score)):
            if getattr(risk, field) != value:
                changes[field] = [getattr(risk, field), value]
                setattr(risk, field, value)
    stage = Risk.IDENTIFIED
    if risk.likelihood and risk.impact:
        stage = Risk.ANALYSED
        if risk.decision:
            stage = Risk.EVALUATED
            if risk.treatment:
                stage = Risk.TREATED
    if stage != risk.stage:
        changes["stage"] = [risk.stage, stage]
        risk.stage = stage


def update_risk(
    viewer: Viewer,
    actor: audit.Actor,
    ref: str,
    data: dict[str, Any],
    *,
    reason: str = "",
    version: int | None = None,
) -> Risk:
    """Change a risk: scores (likelihood, impact, residual_*), the evaluation's decision
    (treat or accept), the treatment (accept, mitigate, transfer, avoid), title,
    description, owner, TLP. A score, decision or treatment change needs a `reason`.
    The ISO 31000 order holds: evaluate after analysis, treat after evaluation."""
    risk = get_risk(viewer, ref)
    if risk.retired_at is not None:
        raise ConflictError(f"{risk.ref} is retired; it can no longer change")
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise InputError(
            f"cannot change {', '.join(sorted(unknown))}",
            location=Location(field=sorted(unknown)[0]),
            hint="changeable: " + ", ".join(EDITABLE),
        )
    values: dict[str, Any] = {}
    for field in SCORE_FIELDS:
        if field in data:
            raw = data[field]
            values[field] = check_level(raw, field=field) if str(raw or "").strip() else ""
    if "decision" in data:
        decision = str(data["decision"] or "").strip().lower()
        if decision not in ("", Risk.TREAT, Risk.ACCEPT):
            raise InputError(
                f"decision {decision!r} is not treat or accept", location=Location(field="decision")
            )
        values["decision"] = decision
    if "treatment" in data:
        treatment = str(data["treatment"] or "").strip().lower()
        if treatment and treatment not in TREATMENTS:
            raise InputError(
                f"treatment {treatment!r} is not one of {', '.join(TREATMENTS)}",
                location=Location(field="treatment"),
            )
        values["treatment"] = treatment
    if "title" in data:
        values["title"] = check_text(
            data["title"], field="title", max_length=300, required=True, one_line=True
        )
    if "description" in data:
        values["description"] = check_text(
            data["description"], field="description", max_length=20000
        )
    if "owner" in data:
        values["owner"] = _user(data["owner"], field="owner")
    if "tlp" in data:
        values["tlp"] = _tlp(data["tlp"])
    why = check_text(reason, field="reason", max_length=2000)

    # The ISO 31000 order, checked on the values the risk will have.
    li = values.get("likelihood", risk.likelihood)
    im = values.get("impact", risk.impact)
    if bool(li) != bool(im):
        raise InputError("give both a likelihood and an impact", location=Location(field="impact"))
    rli = values.get("residual_likelihood", risk.residual_likelihood)
    rim = values.get("residual_impact", risk.residual_impact)
    if bool(rli) != bool(rim):
        raise InputError(
            "give both a residual likelihood and a residual impact",
            location=Location(field="residual_impact"),
        )
    decision = values.get("decision", risk.decision)
    treatment = values.get("treatment", risk.treatment)
    if decision and not li:
        raise ConflictError(
            "evaluate a risk after its analysis: give its likelihood and impact first",
            hint="ISO 31000:2018 6.4.4 compares the analysed level with the criteria",
        )
    if treatment and not decision:
        raise ConflictError(
            "choose a treatment after the evaluation: decide treat or accept first",
            hint="ISO 31000:2018 6.5",
        )
    if decision == Risk.ACCEPT and treatment not in ("", "accept"):
        raise InputError(
            "an accepted risk's treatment is accept", location=Location(field="treatment")
        )
    if decision == Risk.TREAT and treatment == "accept":
        raise InputError(
            "a risk to treat needs mitigate, transfer or avoid",
            location=Location(field="treatment"),
        )
    with transaction.atomic():
        if version is not None:
            moved = Risk.objects.filter(pk=risk.pk, version=version).update(version=version + 1)
            if moved != 1:
                raise ConflictError(
                    f"{risk.ref} changed since you opened it (now version {risk.version})",
                    hint="reload it and make your change again",
                )
            risk.version = version + 1
        changes: dict[str, list[Any]] = {}
        _apply(risk, values, changes)
        if not changes:
            return risk
        scored = [f for f in changes if f in (*SCORE_FIELDS, *DECISION_FIELDS)]
        if scored and not why:
            raise InputError(
                f"say why {', '.join(scored)} changed",
                location=Location(field="reason"),
                hint="every score, decision or treatment change is recorded with its reason",
            )
        if version is None:
            risk.version += 1
        risk.save()
        RiskChange.objects.create(
            risk=risk, at=timezone.now(), actor=actor.name, changes=changes, reason=why or "edited"
        )
        audit.record(
            actor,
            "risk.update",
            obj=risk,
            summary=f"{risk.ref}: "
            + ", ".join(f"{k} {v[0]} -> {v[1]}" for k, v in changes.items())[:250],
            data={"changes": changes, "reason": why},
        )
    return risk


def retire_risk(viewer: Viewer, actor: audit.Actor, ref: str, *, reason: str) -> Risk:
    """Take a risk out of the register (kept, and named by past assessments)."""
    risk = get_risk(viewer, ref)
    why = check_text(reason, field="reason", max_length=2000, required=True)
    if risk.retired_at is not None:
        raise ConflictError(f"{risk.ref} is already retired")
    with transaction.atomic():
        risk.retired_at = timezone.now()
        risk.version += 1
        risk.save(update_fields=["retired_at", "version", "updated_at"])
        RiskChange.objects.create(
            risk=risk,
            at=risk.retired_at,
            actor=actor.name,
            changes={"retired": [False, True]},
            reason=why,
        )
        audit.record(
            actor, "risk.retire", obj=risk, summary=f"{risk.ref} retired", data={"reason": why}
        )
    return risk


def add_action(
    viewer: Viewer,
    actor: audit.Actor,
    ref: str,
    *,
    title: str,
    due_date: dt.date | str,
    owner: str = "",
) -> TreatmentAction:
    """A treatment action with its due date (and who does it)."""
    risk = get_risk(viewer, ref)
    if risk.retired_at is not None:
        raise ConflictError(f"{risk.ref} is retired")
    name = check_text(title, field="title", max_length=300, required=True, one_line=True)
    who = check_text(owner, field="owner", max_length=150, one_line=True)
    if isinstance(due_date, str):
        try:
            due = dt.date.fromisoformat(due_date.strip())
        except ValueError:
            raise InputError(
                f"{due_date!r} is not a date",
                location=Location(field="due_date"),
                hint="YYYY-MM-DD",
            ) from None
    else:
        due = due_date
    with transaction.atomic():
        action = TreatmentAction.objects.create(risk=risk, title=name, owner=who, due_date=due)
        audit.record(
            actor,
            "risk.action_add",
            obj=risk,
            summary=f"{risk.ref}: action {name!r} due {due}",
            data={"action": action.pk, "due": due.isoformat(), "owner": who},
        )
    return action


def complete_action(
    viewer: Viewer, actor: audit.Actor, ref: str, action_id: int
) -> TreatmentAction:
    risk = get_risk(viewer, ref)
    action = TreatmentAction.objects.filter(risk=risk, pk=action_id).first()
    if action is None:
        raise NotFoundError(f"no action {action_id} on {risk.ref}")
    if action.done_at is not None:
        raise ConflictError(f"action {action_id} is already done")
    with transaction.atomic():
        action.done_at = timezone.now()
        action.save(update_fields=["done_at"])
        audit.record(
            actor, "risk.action_done", obj=risk, summary=f"{risk.ref}: action {action.title!r} done"
        )
    return action


def describe(risk: Risk, *, history: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "ref": risk.ref,
        "title": risk.title,
        "description": risk.description,
        "event": risk.event.key,
        "event_name": risk.event.name,
        "asset": risk.asset.key if risk.asset_id and risk.asset else None,
        "asset_name": risk.asset.name if risk.asset_id and risk.asset else None,
        "asset_class": risk.asset_class or None,
        "region": risk.asset.region if risk.asset_id and risk.asset else "",
        "stage": risk.stage,
        "likelihood": risk.likelihood or None,
        "impact": risk.impact or None,
        "level": risk.level or None,
        "score": risk.score,
        "decision": risk.decision or None,
        "treatment": risk.treatment or None,
        "residual_likelihood": risk.residual_likelihood or None,
        "residual_impact": risk.residual_impact or None,
        "residual_level": risk.residual_level or None,
        "residual_score": risk.residual_score,
        "owner": risk.owner.get_username() if risk.owner_id and risk.owner else None,
        "tlp": risk.tlp,
        "version": risk.version,
        "retired": risk.retired_at is not None,
        "actions": [
            {
                "id": a.pk,
                "title": a.title,
                "owner": a.owner,
                "due_date": a.due_date.isoformat(),
                "done_at": a.done_at.isoformat() if a.done_at else None,
            }
            for a in risk.actions.all()
        ],
    }
    if history:
        data["history"] = [
            {"at": c.at.isoformat(), "actor": c.actor, "changes": c.changes, "reason": c.reason}
            for c in risk.changes.all()
        ]
    return data
