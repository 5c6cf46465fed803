"""The risk issue's acceptance test, end to end on real components.

The catalogue and the assets load; a sweep of the lab (real Knot and Unbound) finds a lame
server and an expired signature, and the lame server's alert becomes an incident: both feed
the threat survey. A questionnaire goes to 50 operators in three languages through the
outbox to a real SMTP server; 20 answer, half in the portal and half by their signed link.
The gap matrix shows a region nobody covers. The baseline is commented on by its named
audience and signed off; a second assessment a year later shows what moved; its PDF opens
with its heat map.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from typing import Any

import pypdf
import pytest
from django.test import Client

from dnscc.accounts import audit
from dnscc.accounts.services import create_user, viewer_for
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents import intake
from dnscc.incidents.models import Report
from dnscc.monitoring.runner import run_sweep
from dnscc.outreach.sender import drain
from dnscc.outreach.sinks import SmtpSink
from dnscc.risk import assessments, assets, catalogue, gaps, register, surveys
from dnscc.risk.models import Assessment, Asset, SurveyResponse
from dnscc.risk.threat_survey import threat_survey
from tests.conftest import PASSWORD, World
from tests.outreach.conftest import center_key_file, outbox, smtp_sink  # noqa: F401
from tests.risk.helpers import QUESTIONS, t

pytestmark = [pytest.mark.lab, pytest.mark.django_db(transaction=True)]

REGIONS = ("AF", "EU", "LAC")
LANGUAGES = ("en", "fr", "es")


def _lab_directory(lab: Any) -> None:
    """The lab's TLDs in the directory, each run by a European registry."""
    for name in lab.tlds:
        org = Organization.objects.create(
            name=f"Registry of .{name}",
            slug=f"lab-{name}",
            kind=Organization.TLD_REGISTRY,
            region="EU",
            languages=["de"],
        )
        Tld.objects.create(name=name, kind=Tld.CCTLD, operator=org, region="EU", ns=[])


def _operators() -> list[Organization]:
    orgs = []
    for i in range(50):
        org = Organization.objects.create(
            name=f"Operator {i:02d}",
            slug=f"operator-{i:02d}",
            kind=Organization.TLD_REGISTRY,
            region=REGIONS[i % 3],
            languages=[LANGUAGES[(i // 3) % 3]],
        )
        Contact.objects.create(
            organization=org, name="Security", email=f"security@op{i:02d}.example"
        )
        orgs.append(org)
    return orgs


def test_a_baseline_and_an_annual_assessment_from_the_lab_to_the_pdf(
    world: World,
    lab: Any,
    outbox: SmtpSink,  # noqa: F811
    settings: Any,
) -> None:
    # A lame server is a WARNING at Zonemaster's levels: the center alerts from warnings here.
    settings.ALERT_MIN_SEVERITY = "warning"
    coordinator = world.users["coordinator"]
    viewer, actor = viewer_for(coordinator), audit.Actor.of(coordinator)
    today = dt.date.today()
    year1 = (today - dt.timedelta(days=730), today - dt.timedelta(days=366))
    year2 = (today - dt.timedelta(days=365), today)

    # 1. The catalogue and the assets load.
    _lab_directory(lab)
    loaded = catalogue.load_catalogue(actor)
    assert loaded["created"]["events"] == 10
    assets.sync_assets(actor)
    assert Asset.objects.filter(key__in=[f"tld:{n}" for n in lab.tlds]).count() == len(lab.tlds)
    assert Asset.objects.get(key="root-zone").effective_criticality == "very high"

    # 2. The lab's faults: findings, an alert, an incident; the threat survey counts them.
    lame, expired = lab.tlds[0], lab.tlds[1]
    with lab.fault("lame", tld=lame), lab.fault("expired-rrsig", tld=expired):
        sweep = run_sweep(
            trigger="test",
            zones=[lame, expired],
            hints_path=lab.root_hints,
            anchor_path=lab.trust_anchor,
        )
    assert sweep.status == "done"
    report = Report.objects.get(alert__finding__zone=lame, alert__finding__code="DELEGATION04")
    incident = intake.open_report(
        viewer, actor, report, {"impact": "high", "urgency": "high"}, user=coordinator
    )
    survey_now = threat_survey(*year2)
    failure = survey_now["events"]["registry-failure"]
    assert failure["incidents"] == 1
    assert failure["codes"].get("DELEGATION04", 0) >= 1
    assert failure["regions"] == {"EU": 1}
    assert survey_now["events"]["dnssec-failure"]["codes"].get("DNSSEC04", 0) >= 1
    assert threat_survey(*year1)["totals"] == {"incidents": 0, "findings": 0, "campaigns": 0}

    # 3. A questionnaire to 50 operators in three languages, through the outbox.
    orgs = _operators()
    surveys.create_questionnaire(
        viewer, actor, key="dns-risk", title=t("DNS risk survey"), questions=QUESTIONS
    )
    rnd, queued = surveys.send_round(
        viewer,
        actor,
        questionnaire="dns-risk",
        title="DNS risk survey, year one",
        audience={"kinds": ["tld_registry"], "languages": list(LANGUAGES)},
        closes_at=dt.datetime.combine(
            today + dt.timedelta(days=21), dt.time(23, 59), tzinfo=dt.UTC
        ),
        min_cell=5,
        user=coordinator,
    )
    assert (rnd.invitations.count(), queued["messages"]) == (50, 50)
    drain()
    received = outbox.received.messages
    assert len({tuple(m["rcpt_tos"]) for m in received}) == 50
    languages = Counter(i.language for i in rnd.invitations.all())
    assert languages == Counter(o.languages[0] for o in orgs)
    assert set(languages) == set(LANGUAGES)
    subjects = {m.language: m.subject for m in rnd.notice.messages.all()} if rnd.notice else {}
    assert subjects["es"].startswith("[dnscc] Encuesta: DNS risk survey (es)")

    # 4. Twenty answer: ten by their signed link, ten in the portal.
    invitations = list(
        rnd.invitations.select_related("organization").order_by("organization__slug")
    )
    anonymous = Client()
    for inv in invitations[:10]:
        page = anonymous.get(f"/risk/s/{inv.token}/")
        assert page.status_code == 200
        response = anonymous.post(
            f"/risk/s/{inv.token}/", {"q_ddos": "yes", "q_readiness": "3", "q_helper": "our CERT"}
        )
        assert response.status_code == 302
    for i, inv in enumerate(invitations[10:20]):
        user = create_user(
            f"survey-op{i}", role="operator", password=PASSWORD, organization=inv.organization
        )
        client = Client()
        client.force_login(user)
        assert inv.round_id in [x.round_id for x in surveys.owed_surveys(viewer_for(user))]
        response = client.post(
            f"/risk/surveys/{rnd.pk}/answer/", {"q_ddos": "no", "q_readiness": "4"}
        )
        assert response.status_code == 302
    assert Counter(SurveyResponse.objects.values_list("via", flat=True)) == {
        "link": 10,
        "portal": 10,
    }
    results = surveys.results(rnd)
    assert (results["responded"], results["response_rate"]) == (20, 0.4)
    assert results["answers"][0]["overall"]["counts"] == {"yes": 10, "no": 10}

    # 5. Who responds: a national CERT in Africa, a global body for DNSSEC; the gaps.
    oarc = Organization.objects.create(
        name="DNS operations analysis centre", slug="oarc-like", kind=Organization.OTHER
    )
    gaps.add_coverage(
        viewer,
        actor,
        organization=world.csirt.slug,
        event="ddos-tld",
        region="AF",
        capabilities=["detect", "coordinate", "mitigate", "recover"],
    )
    gaps.add_coverage(
        viewer,
        actor,
        organization=oarc.slug,
        event="dnssec-failure",
        region="*",
        capabilities=["detect"],
    )
    matrix = gaps.matrix()
    assert matrix["state"]["ddos-tld"]["AF"] == "covered"
    assert {"event": "ddos-tld", "region": "NA"} in matrix["gaps"]
    assert matrix["state"]["dnssec-failure"]["NA"] == "partial"

    # 6. The register and the baseline: comments from its named audience, then sign-off.
    register.create_risk(
        viewer,
        actor,
        event="ddos-tld",
        asset_class="tld",
        likelihood="moderate",
        impact="high",
        reason="floods seen",
    )
    register.create_risk(
        viewer,
        actor,
        event="registry-failure",
        asset=f"tld:{lame}",
        likelihood="low",
        impact="high",
        reason="lame servers",
    )
    reviewer = world.users["partner"]
    baseline = assessments.create_assessment(
        viewer,
        actor,
        title="DNS risk baseline",
        kind="baseline",
        period_start=year1[0],
        period_end=year1[1],
        survey_round=rnd.pk,
        reviewers=[reviewer.get_username()],
        user=coordinator,
    )
    staff = Client()
    staff.force_login(coordinator)
    assert staff.post(f"/risk/assessments/{baseline.pk}/open").status_code == 302
    partner = Client()
    partner.force_login(reviewer)
    assert (
        partner.post(
            f"/risk/assessments/{baseline.pk}/comment", {"text": "Add the Caribbean registries."}
        ).status_code
        == 302
    )
    refused = staff.post(f"/risk/assessments/{baseline.pk}/sign")  # no confirmation ticked
    baseline.refresh_from_db()
    assert (refused.status_code, baseline.status) == (302, Assessment.COMMENTS)
    staff.post(f"/risk/assessments/{baseline.pk}/sign", {"confirm": "yes"})
    baseline.refresh_from_db()
    assert baseline.status == Assessment.SIGNED
    assert baseline.snapshot["survey"]["responded"] == 20

    # 7. A year later: one risk up, one new, coverage gained in North America.
    register.update_risk(
        viewer,
        actor,
        "R-0001",
        {"likelihood": "high", "impact": "very high"},
        reason="the incident of this year",
    )
    register.create_risk(
        viewer,
        actor,
        event="dnssec-failure",
        asset=f"tld:{expired}",
        likelihood="moderate",
        impact="high",
        reason="signatures expired",
    )
    gaps.add_coverage(
        viewer,
        actor,
        organization=world.csirt.slug,
        event="ddos-tld",
        region="NA",
        capabilities=["coordinate"],
    )
    annual = assessments.create_assessment(
        viewer,
        actor,
        title="DNS risk assessment, year two",
        kind="annual",
        period_start=year2[0],
        period_end=year2[1],
    )
    change = annual.snapshot["comparison"]
    assert annual.previous_id == baseline.pk
    assert [r["ref"] for r in change["risks"]["up"]] == ["R-0001"]
    assert [r["ref"] for r in change["risks"]["new"]] == ["R-0003"]
    assert {"event": "ddos-tld", "region": "NA", "from": "uncovered", "to": "partial"} in change[
        "coverage"
    ]["gained"]
    assert any(c["event"] == "registry-failure" for c in change["threats"])
    page = staff.get(f"/risk/assessments/{annual.pk}/").content.decode()
    assert "1 risk(s) up, 0 down, 1 new" in page

    # 8. The PDF opens, with its heat map.
    response = staff.get(f"/risk/assessments/{annual.pk}/report.pdf")
    assert response["Content-Type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Heat map: risks by likelihood and impact" in text
    assert re.search(r"Likelihood", text)
    assert "DNS risk assessment, year two" in text
    assert incident.ref  # the incident that fed the survey stays what it was
