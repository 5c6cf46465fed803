"""Baseline and annual assessments: the register, the threat survey, the constituent survey
and the gap matrix frozen at a date, then draft -> comments from a named audience ->
signed off, and compared with the previous signed assessment.

The snapshot is written once, with the SHA-256 of its canonical JSON; nothing changes it
afterwards (a later look at the same period is a new version that supersedes a draft).
What an assessment may still change: its summary while it is a draft, its comments while
they are open. A signed assessment changes no more.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import staff_only
from dnscc.core.assessment import compare
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Viewer, can_see
from dnscc.risk import assets, catalogue, gaps, register, surveys
from dnscc.risk.models import Assessment, AssessmentComment, Asset, Referral, Risk, SurveyRound
from dnscc.risk.threat_survey import threat_survey

SNAPSHOT_FORMAT = 1


def canonical(snapshot: dict[str, Any]) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str).encode()


def _risk_row(risk: Risk) -> dict[str, Any]:
    data = register.describe(risk)
    open_actions = [a for a in data.pop("actions") if not a["done_at"]]
    data.pop("description", None)
    data.pop("version", None)
    data["open_actions"] = len(open_actions)
    data["overdue_actions"] = sum(
        1 for a in open_actions if a["due_date"] < timezone.now().date().isoformat()
    )
    return data


def build_snapshot(
    *,
    kind: str,
    period_start: dt.date,
    period_end: dt.date,
    tlp: TLP,
    survey_round: SurveyRound | None,
    previous: Assessment | None,
) -> dict[str, Any]:
    """Everything the assessment states, as plain data (what the report is drawn from)."""
    catalogue.ensure_catalogue()
    assets.ensure_assets()
    included, withheld = [], 0
    for risk in (
        Risk.objects.filter(retired_at__isnull=True)
        .select_related("event", "asset", "owner")
        .prefetch_related("actions")
    ):
        label = TLP(risk.tlp)
        if label is TLP.RED or label.rank > tlp.rank:
            withheld += 1
            continue
        included.append(_risk_row(risk))
    live_assets = Asset.objects.filter(retired_at__isnull=True)
    survey = None
    if survey_round is not None:
        survey = surveys.results(survey_round)
    matrix = gaps.matrix()
    snapshot: dict[str, Any] = {
        "format": SNAPSHOT_FORMAT,
        "kind": kind,
        "period": {"start": period_start.isoformat(), "end": period_end.isoformat()},
        "tlp": tlp.value,
        "catalogue": [
            {
                "key": e.key,
                "name": e.name,
                "relevance": e.relevance,
                "source_types": sorted({s.type for s in e.sources.all()}),
            }
            for e in catalogue.events()
        ],
        "assets": {
            "total": live_assets.count(),
            "by_kind": dict(Counter(live_assets.values_list("kind", flat=True))),
        },
        "risks": included,
        "risks_withheld": withheld,
        "threats": threat_survey(period_start, period_end),
        "survey": survey,
        "gaps": {
            k: matrix[k]
            for k in ("events", "regions", "state", "gaps", "partial", "by_region", "responders")
        },
        "referrals": dict(Counter(Referral.objects.values_list("status", flat=True))),
        "previous": (
            {
                "id": previous.pk,
                "title": previous.title,
                "version": previous.version,
                "period": previous.snapshot.get("period"),
            }
            if previous
            else None
        ),
    }
    snapshot["comparison"] = compare(previous.snapshot if previous else None, snapshot)
    return snapshot


def visible_assessments(viewer: Viewer) -> list[Assessment]:
    if viewer.role is None:
        raise PermissionDenied("Your account has no role in the center yet.")
    rows = Assessment.objects.prefetch_related("reviewers")
    return [a for a in rows if _may_see(viewer, a)]


def _may_see(viewer: Viewer, a: Assessment) -> bool:
    if not can_see(viewer, a.labelled()):
        return False
    if viewer.is_staff:
        return True
    # Members see a draft only when they are named to comment on it.
    return a.status == Assessment.SIGNED or viewer.user_id in {u.pk for u in a.reviewers.all()}


def get_assessment(viewer: Viewer, assessment_id: int) -> Assessment:
    if viewer.role is None:
        raise PermissionDenied("Your account has no role in the center yet.")
    a = Assessment.objects.prefetch_related("reviewers").filter(pk=assessment_id).first()
    if a is None or not _may_see(viewer, a):
        raise NotFoundError(f"no assessment {assessment_id}")
    return a


def _reviewers(names: list[str]) -> list[Any]:
    users = []
    for name in names or []:
        user = get_user_model().objects.filter(username=str(name).strip(), is_active=True).first()
        if user is None:
            raise InputError(f"no user {name!r}", location=Location(field="reviewers"))
        users.append(user)
    return users


def create_assessment(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    title: str,
    kind: str,
    period_start: dt.date,
    period_end: dt.date,
    tlp: str = "AMBER",
    survey_round: int | None = None,
    reviewers: list[str] | None = None,
    summary: str = "",
    user: Any = None,
) -> Assessment:
    """Freeze the register, the threat survey of the period, a survey round's results and
    the gap matrix into a new draft assessment, compared with the last signed one."""
    staff_only(viewer, "make assessments")
    name = check_text(title, field="title", max_length=200, required=True, one_line=True)
    if kind not in (Assessment.BASELINE, Assessment.ANNUAL):
        raise InputError(
            f"kind {kind!r} is not baseline or annual", location=Location(field="kind")
        )
    if period_end < period_start:
        raise InputError("the period ends before it starts", location=Location(field="period_end"))
    label = TLP.parse(str(tlp or "AMBER"))
    if label is TLP.RED:
        raise InputError(
            "an assessment is shared with an audience: not TLP:RED", location=Location(field="tlp")
        )
    rnd = None
    if survey_round is not None:
        rnd = SurveyRound.objects.select_related("questionnaire").filter(pk=survey_round).first()
        if rnd is None:
            raise InputError(
                f"no survey round {survey_round}", location=Location(field="survey_round")
            )
    people = _reviewers(reviewers or [])
    text = check_text(summary, field="summary", max_length=50000)
    previous = (
        Assessment.objects.filter(status=Assessment.SIGNED, period_end__lte=period_end)
        .exclude(period_start=period_start, period_end=period_end)
        .order_by("-period_end", "-version")
        .first()
    )
    if kind == Assessment.ANNUAL and previous is None:
        raise ConflictError(
            "an annual assessment compares with a signed one: sign off a baseline first",
            hint="make this one a baseline",
        )
    snapshot = build_snapshot(
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        tlp=label,
        survey_round=rnd,
        previous=previous,
    )
    creator = user if getattr(user, "is_authenticated", False) else None
    if creator is None and viewer.user_id:
        creator = get_user_model().objects.filter(pk=viewer.user_id).first()
    with transaction.atomic():
        a = Assessment.objects.create(
            title=name,
            kind=kind,
            period_start=period_start,
            period_end=period_end,
            as_of=timezone.now(),
            tlp=label.value,
            snapshot=snapshot,
            sha256=hashlib.sha256(canonical(snapshot)).hexdigest(),
            summary=text,
            previous=previous,
            created_by=creator,
        )
        a.reviewers.set(people)
        audit.record(
            actor,
            "risk.assessment_freeze",
            obj=a,
            summary=f"{a}: frozen ({len(snapshot['risks'])} risks)",
            data={"sha256": a.sha256, "previous": previous.pk if previous else None},
        )
    return a


def new_version(viewer: Viewer, actor: audit.Actor, assessment_id: int) -> Assessment:
    """Freeze the same period again as the next version; the old draft stays, superseded."""
    old = get_assessment(viewer, assessment_id)
    staff_only(viewer, "make assessments")
    if old.status == Assessment.SIGNED:
        raise ConflictError(f"{old} is signed off and frozen; make next year's assessment instead")
    if Assessment.objects.filter(supersedes=old).exists():
        raise ConflictError(f"{old} was already superseded")
    snapshot = build_snapshot(
        kind=old.kind,
        period_start=old.period_start,
        period_end=old.period_end,
        tlp=TLP(old.tlp),
        survey_round=_round_of(old),
        previous=old.previous,
    )
    with transaction.atomic():
        a = Assessment.objects.create(
            title=old.title,
            kind=old.kind,
            version=old.version + 1,
            period_start=old.period_start,
            period_end=old.period_end,
            as_of=timezone.now(),
            tlp=old.tlp,
            snapshot=snapshot,
            sha256=hashlib.sha256(canonical(snapshot)).hexdigest(),
            summary=old.summary,
            previous=old.previous,
            supersedes=old,
            created_by=old.created_by,
        )
        a.reviewers.set(old.reviewers.all())
        audit.record(
            actor,
            "risk.assessment_freeze",
            obj=a,
            summary=f"{a}: supersedes v{old.version}",
            data={"sha256": a.sha256, "supersedes": old.pk},
        )
    return a


def _round_of(a: Assessment) -> SurveyRound | None:
    survey = a.snapshot.get("survey") or {}
    if not survey.get("round"):
        return None
    return SurveyRound.objects.select_related("questionnaire").filter(pk=survey["round"]).first()


def _frozen(a: Assessment, what: str) -> ConflictError:
    return ConflictError(
        f"{a} is {a.get_status_display().lower()}: {what} no more",
        hint="a frozen assessment does not change; freeze a new version or next year's",
    )


def update_summary(
    viewer: Viewer, actor: audit.Actor, assessment_id: int, summary: str
) -> Assessment:
    a = get_assessment(viewer, assessment_id)
    staff_only(viewer, "edit assessments")
    if a.status != Assessment.DRAFT:
        raise _frozen(a, "its summary changes")
    text = check_text(summary, field="summary", max_length=50000)
    with transaction.atomic():
        if Assessment.objects.filter(pk=a.pk, status=Assessment.DRAFT).update(summary=text) != 1:
            raise _frozen(a, "its summary changes")
        a.summary = text
        audit.record(actor, "risk.assessment_summary", obj=a, summary=f"{a}: summary edited")
    return a


def open_comments(viewer: Viewer, actor: audit.Actor, assessment_id: int) -> Assessment:
    a = get_assessment(viewer, assessment_id)
    staff_only(viewer, "open assessments for comments")
    if a.status != Assessment.DRAFT:
        raise _frozen(a, "it opens for comments")
    if Assessment.objects.filter(supersedes=a).exists():
        raise ConflictError(f"{a} was superseded by a newer version")
    with transaction.atomic():
        now = timezone.now()
        if (
            Assessment.objects.filter(pk=a.pk, status=Assessment.DRAFT).update(
                status=Assessment.COMMENTS, comments_opened_at=now
            )
            != 1
        ):
            raise _frozen(a, "it opens for comments")
        a.status, a.comments_opened_at = Assessment.COMMENTS, now
        audit.record(
            actor,
            "risk.assessment_comments",
            obj=a,
            summary=f"{a}: open for comments",
            data={"reviewers": sorted(u.get_username() for u in a.reviewers.all())},
        )
    return a


def add_comment(
    viewer: Viewer, actor: audit.Actor, assessment_id: int, text: str
) -> AssessmentComment:
    """A comment from staff or a named reviewer, while comments are open."""
    a = get_assessment(viewer, assessment_id)
    if not viewer.is_staff and viewer.user_id not in {u.pk for u in a.reviewers.all()}:
        raise PermissionDenied("only the named audience may comment on this assessment")
    if a.status != Assessment.COMMENTS:
        raise ConflictError(f"{a} is {a.get_status_display().lower()}: comments are not open")
    body = check_text(text, field="text", max_length=20000, required=True)
    org = ""
    if viewer.organization_id:
        from dnscc.directory.models import Organization

        org = (
            Organization.objects.filter(pk=viewer.organization_id)
            .values_list("name", flat=True)
            .first()
            or ""
        )
    with transaction.atomic():
        comment = AssessmentComment.objects.create(
            assessment=a, author=actor.name, organization=org, text=body, at=timezone.now()
        )
        audit.record(
            actor, "risk.assessment_comment", obj=a, summary=f"{a}: comment by {actor.name}"
        )
    return comment


def sign_off(viewer: Viewer, actor: audit.Actor, assessment_id: int) -> Assessment:
    """Sign off after the comments: the assessment is final and the next one compares to it."""
    a = get_assessment(viewer, assessment_id)
    staff_only(viewer, "sign off assessments")
    if a.status == Assessment.SIGNED:
        raise _frozen(a, "it is signed")
    if a.status != Assessment.COMMENTS:
        raise ConflictError(f"{a} is a draft: open it for comments from its audience first")
    with transaction.atomic():
        now = timezone.now()
        if (
            Assessment.objects.filter(pk=a.pk, status=Assessment.COMMENTS).update(
                status=Assessment.SIGNED, signed_at=now, signed_by=actor.name
            )
            != 1
        ):
            raise _frozen(a, "it is signed")
        a.status, a.signed_at, a.signed_by = Assessment.SIGNED, now, actor.name
        audit.record(
            actor,
            "risk.assessment_sign",
            obj=a,
            summary=f"{a}: signed off",
            data={"sha256": a.sha256},
        )
    return a


def describe(a: Assessment, *, snapshot: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": a.pk,
        "title": a.title,
        "kind": a.kind,
        "version": a.version,
        "period_start": a.period_start.isoformat(),
        "period_end": a.period_end.isoformat(),
        "as_of": a.as_of.isoformat(),
        "status": a.status,
        "tlp": a.tlp,
        "sha256": a.sha256,
        "summary": a.summary,
        "previous": a.previous_id,
        "supersedes": a.supersedes_id,
        "reviewers": sorted(u.get_username() for u in a.reviewers.all()),
        "signed_by": a.signed_by or None,
        "signed_at": a.signed_at.isoformat() if a.signed_at else None,
        "comments": [
            {
                "author": c.author,
                "organization": c.organization,
                "text": c.text,
                "at": c.at.isoformat(),
            }
            for c in a.comments.all()
        ],
        "comparison": a.snapshot.get("comparison"),
    }
    if snapshot:
        data["snapshot"] = a.snapshot
    return data
