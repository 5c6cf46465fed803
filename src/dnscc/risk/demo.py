"""The risk framework in the demo: the catalogue and assets, a register with scores,
treatments and actions, who already responds (a national CERT, a global body) with one
incident referred, a survey round answered by the demo registries in their languages and
closed, a signed-off baseline of the previous year, and this year's annual assessment,
which differs from it (one risk up, one down, one new, coverage gained), open for comments.

Idempotent: nothing is made again once the baseline exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.directory.models import Organization, Tld
from dnscc.risk import assessments, assets, catalogue, gaps, register, surveys
from dnscc.risk.models import Assessment, Risk, SurveyRound

BASELINE_TITLE = "DNS risk baseline (demo)"
ANNUAL_TITLE = "Annual DNS risk assessment (demo)"


def _t(en: str, fr: str, es: str) -> dict[str, str]:
    return {"en": en, "fr": fr, "es": es}


QUESTIONS = [
    {
        "id": "ddos",
        "kind": "choice",
        "event": "ddos-tld",
        "required": True,
        "text": _t(
            "Did a DDoS reach your name servers in the last twelve months?",
            "Une attaque DDoS a-t-elle atteint vos serveurs de noms ces douze derniers mois ?",
            "¿Un ataque DDoS alcanzó sus servidores de nombres en los últimos doce meses?",
        ),
        "choices": [
            {"id": "yes", "text": _t("Yes", "Oui", "Sí")},
            {"id": "no", "text": _t("No", "Non", "No")},
            {"id": "unsure", "text": _t("We do not know", "Nous ne savons pas", "No lo sabemos")},
        ],
    },
    {
        "id": "rollover",
        "kind": "scale",
        "event": "dnssec-failure",
        "min": 1,
        "max": 5,
        "text": _t(
            "How ready are you for a DNSSEC key rollover (1 not at all, 5 fully)?",
            "Êtes-vous prêts pour un roulement de clés DNSSEC (1 pas du tout, 5 tout à fait) ?",
            "¿Qué tan preparados están para un cambio de claves DNSSEC (1 nada, 5 totalmente)?",
        ),
    },
    {
        "id": "responder",
        "kind": "text",
        "text": _t(
            "Who helps you respond to an incident today?",
            "Qui vous aide aujourd'hui à répondre à un incident ?",
            "¿Quién les ayuda hoy a responder a un incidente?",
        ),
    },
]

ANSWERS = [
    {"ddos": "yes", "rollover": 2, "responder": "our national CERT"},
    {"ddos": "no", "rollover": 4, "responder": "nobody yet"},
    {"ddos": "yes", "rollover": 3},
    {"ddos": "unsure", "rollover": 5, "responder": "our back-end provider"},
    {"ddos": "no", "rollover": 4},
]


def load_risk_demo(viewer: Any, actor: audit.Actor, user: Any) -> list[str]:
    """Build the demo's risk work once; the lines say what was made."""
    if Assessment.objects.filter(title=BASELINE_TITLE).exists():
        return []
    with transaction.atomic():  # all or nothing
        return _build(viewer, actor, user)


def _risk(viewer: Any, actor: audit.Actor, **kwargs: Any) -> Risk:
    return register.create_risk(viewer, actor, **kwargs)


def _build(viewer: Any, actor: audit.Actor, user: Any) -> list[str]:
    catalogue.load_catalogue(actor)
    synced = assets.sync_assets(actor)
    today = timezone.now().date()
    year1 = (today - dt.timedelta(days=730), today - dt.timedelta(days=366))
    year2 = (today - dt.timedelta(days=365), today)

    # Who already responds: the demo's national CERT in Africa, a global body for DNSSEC
    # and the root, and the ccTLD registries' own teams for their own TLDs.
    cert = Organization.objects.get(slug="demo-national-cert")
    oarc, _ = Organization.objects.get_or_create(
        slug="demo-dns-operations-centre",
        defaults={
            "name": "DNS operations analysis centre (demo)",
            "kind": Organization.OTHER,
            "vetting": Organization.TRUSTED,
        },
    )
    for event in ("ddos-tld", "registry-compromise", "registrar-account-hijack"):
        gaps.add_coverage(
            viewer,
            actor,
            organization=cert.slug,
            event=event,
            region="AF",
            capabilities=["detect", "coordinate", "mitigate"],
        )
    for event in ("dnssec-failure", "ddos-root", "cache-poisoning"):
        gaps.add_coverage(
            viewer,
            actor,
            organization=oarc.slug,
            event=event,
            region="*",
            capabilities=["detect", "coordinate"],
        )
    ke = Tld.objects.filter(name="ke").first()
    if ke is not None:
        gaps.link_csirt(viewer, actor, tld="ke", csirt=cert.slug)

    # The hijack incident is the national CERT's to handle: referred, sent, accepted.
    from dnscc.incidents.models import Incident

    hijack = Incident.objects.filter(dns_type="domain-hijack").order_by("created_at").first()
    if hijack is not None:
        referral = gaps.refer_incident(
            viewer,
            actor,
            incident=hijack.ref,
            responder=cert.slug,
            reason="the affected ccTLDs are in the CERT's constituency; it already handles them",
        )
        gaps.set_referral_status(viewer, actor, referral.pk, status="sent")
        gaps.set_referral_status(viewer, actor, referral.pk, status="accepted", note="on it")

    # The register, as the baseline year left it.
    r1 = _risk(
        viewer,
        actor,
        event="ddos-tld",
        asset_class="tld",
        likelihood="moderate",
        impact="high",
        reason="three floods against African ccTLD servers reported by the desk",
    )
    register.update_risk(
        viewer,
        actor,
        r1.ref,
        {
            "decision": "treat",
            "treatment": "mitigate",
            "residual_likelihood": "low",
            "residual_impact": "high",
        },
        reason="anycast offered through the back-end providers",
    )
    register.add_action(
        viewer,
        actor,
        r1.ref,
        title="Anycast secondaries for resource-constrained ccTLDs",
        due_date=today + dt.timedelta(days=120),
        owner="coordinator",
    )
    r2 = _risk(
        viewer,
        actor,
        event="dnssec-failure",
        asset_class="tld",
        likelihood="high",
        impact="high",
        reason="expired signatures seen by the sweeps",
    )
    r3 = _risk(
        viewer,
        actor,
        event="registrar-account-hijack",
        asset_class="registrar",
        likelihood="moderate",
        impact="moderate",
        reason="takeovers of registrar accounts in the region",
    )
    _risk(
        viewer,
        actor,
        event="ddos-root",
        asset="root-servers",
        likelihood="low",
        impact="very high",
        reason="the root server system has absorbed every flood so far",
    )
    sn = Tld.objects.filter(name="sn").select_related("operator").first()
    if sn is not None and sn.operator is not None:
        _risk(
            viewer,
            actor,
            event="registry-failure",
            asset=f"org:{sn.operator.slug}",
            likelihood="moderate",
            impact="high",
            reason="a resource-constrained registry with one operator on call",
        )

    # The constituent survey: the demo registries answer in their languages; the round closes.
    registries = list(
        Organization.objects.filter(
            slug__in=[
                t.operator.slug
                for t in Tld.objects.filter(name__in=["ke", "sn", "cl", "fr", "jp"]).select_related(
                    "operator"
                )
                if t.operator
            ]
        )
    )
    surveys.create_questionnaire(
        viewer,
        actor,
        key="dns-risk-survey",
        title=_t(
            "DNS risk survey",
            "Enquête sur les risques du DNS",
            "Encuesta sobre los riesgos del DNS",
        ),
        questions=QUESTIONS,
    )
    rnd, _ = surveys.send_round(
        viewer,
        actor,
        questionnaire="dns-risk-survey",
        title="DNS risk survey (demo round)",
        audience={"organizations": [o.slug for o in registries]},
        closes_at=timezone.now() + dt.timedelta(days=1),
        min_cell=2,
        user=user,
    )
    for inv, answers in zip(rnd.invitations.order_by("organization__slug"), ANSWERS, strict=False):
        surveys.answer_by_link(inv.token, answers)
    SurveyRound.objects.filter(pk=rnd.pk).update(closes_at=timezone.now())  # the round is over

    # The baseline of last year: frozen, commented by the partner, signed off.
    baseline = assessments.create_assessment(
        viewer,
        actor,
        title=BASELINE_TITLE,
        kind="baseline",
        period_start=year1[0],
        period_end=year1[1],
        survey_round=rnd.pk,
        reviewers=["partner"],
        user=user,
        summary="The first system-wide look: DNSSEC operations and floods against ccTLD "
        "servers lead; Africa has a national CERT, other regions rely on global bodies.",
    )
    assessments.open_comments(viewer, actor, baseline.pk)
    from django.contrib.auth import get_user_model

    from dnscc.accounts.services import viewer_for

    partner = get_user_model().objects.get(username="partner")
    assessments.add_comment(
        viewer_for(partner),
        audit.Actor.of(partner),
        baseline.pk,
        "Our constituency sees more registrar-account takeovers than the register says.",
    )
    assessments.sign_off(viewer, actor, baseline.pk)

    # A year later: floods grew, rollovers were automated, a new risk, more coverage.
    register.update_risk(
        viewer,
        actor,
        r1.ref,
        {"likelihood": "high", "impact": "very high"},
        reason="this year's floods took two ccTLDs offline for hours",
    )
    register.update_risk(
        viewer,
        actor,
        r2.ref,
        {"likelihood": "low", "impact": "high"},
        reason="most registries now sign with automatic key rollover",
    )
    _risk(
        viewer,
        actor,
        event="malicious-registrations",
        asset_class="tld",
        likelihood="high",
        impact="moderate",
        reason="Conficker B campaign of this year",
    )
    register.update_risk(
        viewer,
        actor,
        r3.ref,
        {"decision": "treat", "treatment": "transfer"},
        reason="registrars' own security teams take it on",
    )
    gaps.add_coverage(
        viewer,
        actor,
        organization=cert.slug,
        event="ddos-tld",
        region="EU",
        capabilities=["coordinate"],
    )
    annual = assessments.create_assessment(
        viewer,
        actor,
        title=ANNUAL_TITLE,
        kind="annual",
        period_start=year2[0],
        period_end=year2[1],
        reviewers=["partner"],
        user=user,
    )
    assessments.open_comments(viewer, actor, annual.pk)
    change = annual.snapshot["comparison"]["risks"]
    answered = rnd.invitations.filter(responded_at__isnull=False).count()
    return [
        f"risk: {synced['created']} assets, {Risk.objects.count()} risks, a survey answered by "
        f"{answered} of {rnd.invitations.count()} registries",
        f"risk: baseline signed off; annual assessment open for comments ({len(change['up'])} up, "
        f"{len(change['down'])} down, {len(change['new'])} new)",
    ]
