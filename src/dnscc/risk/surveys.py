"""Constituent surveys: versioned questionnaires, rounds sent through the outbox to an
audience, answers in the operator portal or by a signed link, reminders, response rates,
and results aggregated with minimum cell sizes (dnscc.core.survey).

A questionnaire version is frozen when a round is sent with it; a change after that makes
the next version. An answer after the round's close, or from an organisation that was not
invited, is refused; nothing of it is kept.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.models import REGION_CHOICES
from dnscc.accounts.services import staff_only
from dnscc.core.errors import ConflictError, InputError, Location, NotFoundError, PermissionDenied
from dnscc.core.survey import Response, aggregate, check_answers, check_questions, response_rate
from dnscc.core.text import check_text
from dnscc.core.tlp import TLP, Role, Viewer
from dnscc.directory.models import Organization
from dnscc.risk import catalogue
from dnscc.risk.models import Invitation, Questionnaire, SurveyResponse, SurveyRound

SUPPORTED_LANGUAGES = ("en", "fr", "es")
REGIONS = {code for code, _ in REGION_CHOICES}
KINDS = {code for code, _ in Organization.KIND_CHOICES}


# --- questionnaires ----------------------------------------------------------------------


def _languages(value: Any) -> list[str]:
    langs = [str(v).strip().lower() for v in (value or ["en", "fr", "es"])]
    for lang in langs:
        if lang not in SUPPORTED_LANGUAGES:
            raise InputError(
                f"language {lang!r} has no message templates",
                location=Location(field="languages"),
                hint="one of " + ", ".join(SUPPORTED_LANGUAGES),
            )
    if "en" not in langs:
        raise InputError("English is required (the fallback)", location=Location(field="languages"))
    return list(dict.fromkeys(langs))


def _title(value: Any, languages: list[str]) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InputError("the title must be given per language", location=Location(field="title"))
    title = {}
    for lang in languages:
        title[lang] = check_text(
            value.get(lang), field=f"title.{lang}", max_length=200, required=True, one_line=True
        )
    return title


def create_questionnaire(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    key: str,
    title: dict[str, str],
    questions: Any,
    languages: Any = None,
) -> Questionnaire:
    """Version 1 of a new questionnaire (its key must be new)."""
    staff_only(viewer, "write questionnaires")
    slug = check_text(key, field="key", max_length=64, required=True, one_line=True)
    if not slug.replace("-", "").isalnum() or slug != slug.lower():
        raise InputError(
            f"{slug!r} is not a key (lower-case letters, digits, hyphens)",
            location=Location(field="key"),
        )
    if Questionnaire.objects.filter(key=slug).exists():
        raise ConflictError(
            f"questionnaire {slug!r} exists", hint="change it, or make its next version"
        )
    langs = _languages(languages)
    clean = check_questions(questions, languages=langs, events=[e.key for e in catalogue.events()])
    with transaction.atomic():
        q = Questionnaire.objects.create(
            key=slug,
            version=1,
            title=_title(title, langs),
            languages=langs,
            questions=clean,
            created_by=actor.name,
        )
        audit.record(
            actor, "risk.questionnaire_create", obj=q, summary=f"{q} ({len(clean)} questions)"
        )
    return q


def get_questionnaire(key: str, version: int | None = None) -> Questionnaire:
    qs = Questionnaire.objects.filter(key=key)
    q = qs.filter(version=version).first() if version else qs.order_by("-version").first()
    if q is None:
        raise NotFoundError(
            f"no questionnaire {key!r}" + (f" version {version}" if version else "")
        )
    return q


def update_questionnaire(
    viewer: Viewer,
    actor: audit.Actor,
    key: str,
    version: int,
    *,
    title: dict[str, str] | None = None,
    questions: Any = None,
) -> Questionnaire:
    """Change a version nobody was sent yet. A sent version is frozen: make a new one."""
    staff_only(viewer, "write questionnaires")
    q = get_questionnaire(key, version)
    if q.frozen_at is not None:
        raise ConflictError(
            f"{q} was sent on {q.frozen_at:%Y-%m-%d} and cannot change",
            hint="make its next version (`dnscc risk questionnaire new-version`)",
        )
    langs = list(q.languages)
    new_title = _title(title, langs) if title is not None else q.title
    new_questions = (
        check_questions(questions, languages=langs, events=[e.key for e in catalogue.events()])
        if questions is not None
        else q.questions
    )
    with transaction.atomic():
        # Freezing is a compare-and-set too: a round sent meanwhile wins.
        if (
            Questionnaire.objects.filter(pk=q.pk, frozen_at__isnull=True).update(
                title=new_title, questions=new_questions
            )
            != 1
        ):
            raise ConflictError(f"{q} was sent meanwhile; make its next version")
        q.refresh_from_db()
        audit.record(actor, "risk.questionnaire_update", obj=q, summary=f"{q} changed")
    return q


def new_version(
    viewer: Viewer,
    actor: audit.Actor,
    key: str,
    *,
    title: dict[str, str] | None = None,
    questions: Any = None,
) -> Questionnaire:
    """The next version of a questionnaire, from the latest one with the changes given."""
    staff_only(viewer, "write questionnaires")
    latest = get_questionnaire(key)
    langs = list(latest.languages)
    new_title = _title(title, langs) if title is not None else latest.title
    new_questions = (
        check_questions(questions, languages=langs, events=[e.key for e in catalogue.events()])
        if questions is not None
        else latest.questions
    )
    with transaction.atomic():
        q = Questionnaire.objects.create(
            key=latest.key,
            version=latest.version + 1,
            title=new_title,
            languages=langs,
            questions=new_questions,
            created_by=actor.name,
        )
        audit.record(
            actor, "risk.questionnaire_version", obj=q, summary=f"{q} from v{latest.version}"
        )
    return q


# --- rounds -------------------------------------------------------------------------------


def check_audience(audience: Any) -> dict[str, Any]:
    """{"regions": [...], "kinds": [...], "resource_constrained": true|false|null,
    "languages": [...], "organizations": [slugs]} checked; empty lists mean "any"."""
    if audience is None:
        audience = {}
    if not isinstance(audience, dict):
        raise InputError("the audience must be an object", location=Location(field="audience"))
    unknown = set(audience) - {
        "regions",
        "kinds",
        "resource_constrained",
        "languages",
        "organizations",
    }
    if unknown:
        raise InputError(
            f"unknown audience field(s): {', '.join(sorted(unknown))}",
            location=Location(field="audience"),
        )
    clean: dict[str, Any] = {}
    for field, allowed in (("regions", REGIONS), ("kinds", KINDS)):
        values = [str(v).strip() for v in audience.get(field) or []]
        if field == "regions":
            values = [v.upper() for v in values]
        for v in values:
            if v not in allowed:
                raise InputError(
                    f"unknown {field[:-1]} {v!r}",
                    location=Location(field=f"audience.{field}"),
                    hint="one of " + ", ".join(sorted(allowed)),
                )
        clean[field] = values
    rc = audience.get("resource_constrained")
    if rc not in (None, True, False):
        raise InputError(
            "resource_constrained must be true, false or null",
            location=Location(field="audience.resource_constrained"),
        )
    clean["resource_constrained"] = rc
    clean["languages"] = [str(v).strip().lower() for v in audience.get("languages") or []]
    clean["organizations"] = [str(v).strip() for v in audience.get("organizations") or []]
    return clean


def audience_organizations(audience: dict[str, Any]) -> list[Organization]:
    """The organisations an audience names (what the directory says now)."""
    qs = Organization.objects.all()
    if audience.get("regions"):
        qs = qs.filter(region__in=audience["regions"])
    if audience.get("kinds"):
        qs = qs.filter(kind__in=audience["kinds"])
    if audience.get("resource_constrained") is not None:
        qs = qs.filter(resource_constrained=audience["resource_constrained"])
    if audience.get("organizations"):
        slugs = audience["organizations"]
        found = set(Organization.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        missing = [s for s in slugs if s not in found]
        if missing:
            raise InputError(
                f"unknown organisation(s): {', '.join(missing[:10])}",
                location=Location(field="audience.organizations"),
            )
        qs = qs.filter(slug__in=slugs)
    orgs = list(qs.order_by("name"))
    langs = set(audience.get("languages") or [])
    if langs:
        orgs = [
            o
            for o in orgs
            if any((lang or "").split("-")[0].lower() in langs for lang in (o.languages or []))
        ]
    return orgs


def _language_for(org: Organization, languages: list[str]) -> str:
    for tag in org.languages or []:
        base = (tag or "").split("-")[0].lower()
        if base in languages:
            return base
    return "en"


def survey_url(invitation: Invitation) -> str:
    return f"{settings.BASE_URL}/risk/s/{invitation.token}/"


def _closes(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def send_round(
    viewer: Viewer,
    actor: audit.Actor,
    *,
    questionnaire: str,
    version: int | None = None,
    title: str,
    audience: Any,
    closes_at: dt.datetime,
    min_cell: int = 5,
    user: Any = None,
) -> tuple[SurveyRound, dict[str, Any]]:
    """Send a questionnaire (which freezes that version) to every organisation of the
    audience, each in its language, through the outbox; returns the round and what the
    outbox queued (unreachable organisations listed)."""
    staff_only(viewer, "send surveys")
    q = get_questionnaire(questionnaire, version)
    name = check_text(title, field="title", max_length=200, required=True, one_line=True)
    clean = check_audience(audience)
    now = timezone.now()
    if closes_at <= now:
        raise InputError("the round must close in the future", location=Location(field="closes_at"))
    if not 1 <= int(min_cell) <= 100:
        raise InputError(
            "the minimum cell size is between 1 and 100", location=Location(field="min_cell")
        )
    orgs = audience_organizations(clean)
    if not orgs:
        raise InputError("the audience names no organisation", location=Location(field="audience"))
    with transaction.atomic():
        Questionnaire.objects.filter(pk=q.pk, frozen_at__isnull=True).update(frozen_at=now)
        rnd = SurveyRound.objects.create(
            questionnaire=q,
            title=name,
            audience=clean,
            min_cell=int(min_cell),
            opens_at=now,
            closes_at=closes_at,
            sent_at=now,
            created_by=actor.name,
        )
        invitations = Invitation.objects.bulk_create(
            [
                Invitation(
                    round=rnd,
                    organization=o,
                    language=_language_for(o, list(q.languages)),
                    region=o.region,
                    kind=o.kind,
                )
                for o in orgs
            ]
        )
        queued = _notify(viewer, actor, rnd, invitations, kind="survey_invitation", user=user)
        rnd.notice_id = queued["notice"]
        rnd.save(update_fields=["notice"])
        audit.record(
            actor,
            "risk.survey_send",
            obj=rnd,
            summary=f"survey {name!r} ({q}) to {len(orgs)} organisation(s)",
            data={"questionnaire": str(q), "invited": len(orgs), **queued},
        )
    return rnd, queued


def _notify(
    viewer: Viewer,
    actor: audit.Actor,
    rnd: SurveyRound,
    invitations: list[Invitation],
    *,
    kind: str,
    user: Any = None,
) -> dict[str, Any]:
    from dnscc.outreach import services as outreach

    q = rnd.questionnaire
    by_org = {inv.organization_id: inv for inv in invitations}
    per_org = {
        org_id: {"survey_url": survey_url(inv), "survey_title": q.title_in(inv.language)}
        for org_id, inv in by_org.items()
    }
    queued = outreach.notify(
        viewer,
        actor,
        kind=kind,
        context={
            "closes": _closes(rnd.closes_at),
            "min_cell": rnd.min_cell,
            "survey_title": rnd.title,
        },
        organizations=[inv.organization for inv in invitations],
        tlp=TLP(rnd.tlp),
        source=("risk.survey", str(rnd.pk)),
        requires_ack=False,
        user=user,
        per_organization=per_org,
    )
    return queued.as_dict()


def get_round(viewer: Viewer, round_id: int) -> SurveyRound:
    staff_only(viewer, "see survey rounds")
    rnd = SurveyRound.objects.select_related("questionnaire").filter(pk=round_id).first()
    if rnd is None:
        raise NotFoundError(f"no survey round {round_id}")
    return rnd


def is_open(rnd: SurveyRound, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return rnd.opens_at <= now < rnd.closes_at


def send_reminders(
    viewer: Viewer, actor: audit.Actor, round_id: int, *, user: Any = None
) -> dict[str, Any]:
    """Remind every invited organisation that has not answered (the round must be open)."""
    rnd = get_round(viewer, round_id)
    if not is_open(rnd):
        raise ConflictError(f"survey round {rnd.pk} closed on {_closes(rnd.closes_at)}")
    silent = list(rnd.invitations.filter(responded_at__isnull=True).select_related("organization"))
    if not silent:
        return {"reminded": 0}
    with transaction.atomic():
        queued = _notify(viewer, actor, rnd, silent, kind="survey_reminder", user=user)
        now = timezone.now()
        Invitation.objects.filter(pk__in=[i.pk for i in silent]).update(
            reminders=F("reminders") + 1
        )
        SurveyRound.objects.filter(pk=rnd.pk).update(
            reminders_sent=F("reminders_sent") + 1, last_reminder_at=now
        )
        audit.record(
            actor,
            "risk.survey_remind",
            obj=rnd,
            summary=f"reminded {len(silent)} organisation(s)",
            data={"reminded": len(silent), **queued},
        )
    return {"reminded": len(silent), **queued}


def due_reminders(actor: audit.Actor = audit.SYSTEM, *, now: dt.datetime | None = None) -> int:
    """The scheduler's job: remind the silent organisations of open rounds once
    SURVEY_REMINDER_DAYS passed since the invitation or the last reminder, at most
    SURVEY_MAX_REMINDERS times. Returns the rounds reminded."""
    now = now or timezone.now()
    every = dt.timedelta(days=settings.SURVEY_REMINDER_DAYS)
    staff = Viewer(user_id=None, role=Role.COORDINATOR)  # the scheduler acts for the center
    count = 0
    rounds = SurveyRound.objects.filter(
        closes_at__gt=now, sent_at__isnull=False, reminders_sent__lt=settings.SURVEY_MAX_REMINDERS
    ).filter(
        Q(last_reminder_at__lte=now - every)
        | Q(last_reminder_at__isnull=True, sent_at__lte=now - every)
    )
    for rnd in rounds:
        if send_reminders(staff, actor, rnd.pk).get("reminded"):
            count += 1
    return count


# --- answers ------------------------------------------------------------------------------


def _store_answer(
    inv: Invitation, answers: Any, *, via: str, by: str, actor: audit.Actor
) -> SurveyResponse:
    rnd = inv.round
    now = timezone.now()
    if now >= rnd.closes_at:
        raise ConflictError(
            f"the survey closed on {_closes(rnd.closes_at)}; answers are no longer taken"
        )
    if now < rnd.opens_at:
        raise ConflictError("the survey is not open yet")
    clean = check_answers(rnd.questionnaire.questions, answers)
    with transaction.atomic():
        response, created = SurveyResponse.objects.update_or_create(
            invitation=inv,
            defaults={"answers": clean, "via": via, "by": by[:150], "submitted_at": now},
        )
        Invitation.objects.filter(pk=inv.pk).update(responded_at=now)
        inv.responded_at = now
        audit.record(
            actor,
            "risk.survey_answer",
            obj=rnd,
            summary=f"{inv.organization.name} answered ({via})"
            if created
            else f"{inv.organization.name} changed its answers ({via})",
            data={"invitation": inv.pk, "via": via, "questions": sorted(clean)},
        )
    return response


def invitation_by_token(token: str) -> Invitation:
    inv = (
        Invitation.objects.select_related("round__questionnaire", "organization")
        .filter(token=str(token or "")[:48])
        .first()
    )
    if inv is None or not token:
        raise NotFoundError("no survey at this link")
    return inv


def answer_by_link(token: str, answers: Any) -> SurveyResponse:
    """Answers from the signed link of an invitation."""
    inv = invitation_by_token(token)
    return _store_answer(
        inv,
        answers,
        via="link",
        by="signed link",
        actor=audit.Actor(f"link:{inv.organization.slug}"),
    )


def invitation_for(viewer: Viewer, round_id: int) -> Invitation:
    """The invitation of the viewer's organisation to a round, or PermissionDenied when the
    organisation is not in the round's audience."""
    if viewer.role is None or viewer.organization_id is None:
        raise PermissionDenied("only a member of an invited organisation may answer a survey")
    inv = (
        Invitation.objects.select_related("round__questionnaire", "organization")
        .filter(round_id=round_id, organization_id=viewer.organization_id)
        .first()
    )
    if inv is None:
        if not SurveyRound.objects.filter(pk=round_id).exists():
            raise NotFoundError(f"no survey round {round_id}")
        raise PermissionDenied("your organisation is not in this survey's audience")
    return inv


def answer_in_portal(
    viewer: Viewer, actor: audit.Actor, round_id: int, answers: Any
) -> SurveyResponse:
    inv = invitation_for(viewer, round_id)
    return _store_answer(inv, answers, via="portal", by=actor.name, actor=actor)


def owed_surveys(viewer: Viewer) -> list[Invitation]:
    """Open rounds the viewer's organisation has not answered: what it owes the center."""
    if viewer.organization_id is None:
        return []
    now = timezone.now()
    return list(
        Invitation.objects.filter(
            organization_id=viewer.organization_id,
            responded_at__isnull=True,
            round__opens_at__lte=now,
            round__closes_at__gt=now,
        ).select_related("round__questionnaire")
    )


# --- results ------------------------------------------------------------------------------


def results(rnd: SurveyRound, *, by: str | None = "region") -> dict[str, Any]:
    """Response rates and the aggregate answers with the round's minimum cell size. Free
    text never appears; only how many answered it."""
    invitations = list(rnd.invitations.all())
    responses = list(
        SurveyResponse.objects.filter(invitation__round=rnd).select_related("invitation")
    )
    rates: dict[str, dict[str, Any]] = {}
    for inv in invitations:
        group = (inv.region or "unknown") if by == "region" else (inv.kind or "unknown")
        cell = rates.setdefault(group, {"invited": 0, "responded": 0})
        cell["invited"] += 1
        cell["responded"] += 1 if inv.responded_at else 0
    for cell in rates.values():
        cell["rate"] = response_rate(cell["invited"], cell["responded"])
    answered = [
        Response(
            groups={
                "region": r.invitation.region or "unknown",
                "kind": r.invitation.kind or "unknown",
            },
            answers=r.answers,
        )
        for r in responses
    ]
    q = rnd.questionnaire
    return {
        "round": rnd.pk,
        "title": rnd.title,
        "questionnaire": {"key": q.key, "version": q.version},
        "min_cell": rnd.min_cell,
        "invited": len(invitations),
        "responded": len(responses),
        "response_rate": response_rate(len(invitations), len(responses)),
        "rates_by": by,
        "rates": dict(sorted(rates.items())),
        "reminders_sent": rnd.reminders_sent,
        "closes_at": rnd.closes_at.isoformat(),
        "open": is_open(rnd),
        "questions": [
            {
                "id": item["id"],
                "text": item["text"].get("en", ""),
                "event": item.get("event"),
                "kind": item["kind"],
                "choices": {c["id"]: c["text"].get("en", "") for c in item.get("choices", [])},
            }
            for item in q.questions
        ],
        "answers": aggregate(q.questions, answered, min_cell=rnd.min_cell, by=by),
    }


def describe_round(rnd: SurveyRound) -> dict[str, Any]:
    q = rnd.questionnaire
    invited = rnd.invitations.count()
    responded = rnd.invitations.filter(responded_at__isnull=False).count()
    return {
        "id": rnd.pk,
        "title": rnd.title,
        "questionnaire": q.key,
        "version": q.version,
        "audience": rnd.audience,
        "min_cell": rnd.min_cell,
        "opens_at": rnd.opens_at.isoformat(),
        "closes_at": rnd.closes_at.isoformat(),
        "open": is_open(rnd),
        "invited": invited,
        "responded": responded,
        "response_rate": response_rate(invited, responded),
        "reminders_sent": rnd.reminders_sent,
    }


def describe_questionnaire(q: Questionnaire) -> dict[str, Any]:
    return {
        "key": q.key,
        "version": q.version,
        "title": q.title,
        "languages": q.languages,
        "questions": q.questions,
        "frozen": q.frozen_at is not None,
        "frozen_at": q.frozen_at.isoformat() if q.frozen_at else None,
    }
