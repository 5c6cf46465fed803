"""The demo's risk work on a small directory shaped like the demo's (the five featured
registries, the national CERT, the partner), then every risk page as a coordinator sees it
with that data: what a newcomer finds in the portal."""

from __future__ import annotations

import io
from typing import Any

import pypdf
import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from dnscc.accounts import audit
from dnscc.accounts.services import create_user, viewer_for
from dnscc.directory.models import Contact, Organization, Tld
from dnscc.incidents import services as incidents
from dnscc.risk.demo import ANNUAL_TITLE, BASELINE_TITLE, load_risk_demo
from dnscc.risk.models import Assessment, Referral, SurveyRound
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

FEATURED = [  # TLD, region, language
    ("ke", "AF", "en"),
    ("sn", "AF", "fr"),
    ("cl", "LAC", "es"),
    ("fr", "EU", "fr"),
    ("jp", "AP", "en"),
]


@pytest.fixture
def demo_risk() -> dict[str, Any]:
    for name, region, language in FEATURED:
        org = Organization.objects.create(
            name=f"Registry of .{name}",
            slug=f"nic-{name}",
            kind=Organization.TLD_REGISTRY,
            region=region,
            languages=[language],
        )
        Contact.objects.create(organization=org, name="Security", email=f"sec@nic.{name}.example")
        Tld.objects.create(name=name, kind=Tld.CCTLD, operator=org, region=region)
    cert = Organization.objects.create(
        name="Demo National CERT",
        slug="demo-national-cert",
        kind=Organization.CSIRT,
        region="AF",
    )
    coordinator = create_user("coordinator", role="coordinator", password=PASSWORD, desks=["AF"])
    create_user("partner", role="partner", password=PASSWORD, organization=cert)
    viewer, actor = viewer_for(coordinator), audit.Actor.of(coordinator)
    incidents.create_incident(
        viewer,
        actor,
        {
            "title": "Registrar account takeovers",
            "dns_type": "domain-hijack",
            "impact": "high",
            "urgency": "high",
            "scope": {"tlds": ["ke"]},
        },
    )
    lines = load_risk_demo(viewer, actor, coordinator)
    return {"lines": lines, "coordinator": coordinator, "viewer": viewer, "actor": actor}


def test_the_demo_signs_a_baseline_after_a_survey_round_and_opens_an_annual_assessment_that_differs(
    demo_risk: dict[str, Any],
) -> None:
    baseline = Assessment.objects.get(title=BASELINE_TITLE)
    annual = Assessment.objects.get(title=ANNUAL_TITLE)
    assert (baseline.status, annual.status) == (Assessment.SIGNED, Assessment.COMMENTS)
    assert annual.previous_id == baseline.pk
    assert baseline.comments.count() == 1
    survey = baseline.snapshot["survey"]
    assert (survey["invited"], survey["responded"], survey["open"]) == (5, 5, False)
    rnd = SurveyRound.objects.get()
    assert rnd.closes_at <= timezone.now()
    assert {i.language for i in rnd.invitations.all()} == {"en", "fr", "es"}
    change = annual.snapshot["comparison"]
    assert [len(change["risks"][k]) for k in ("up", "down", "new")] == [1, 1, 1]
    assert change["coverage"]["gained"]
    assert Referral.objects.get().status == Referral.ACCEPTED
    assert demo_risk["lines"][1].endswith("(1 up, 1 down, 1 new)")
    # Idempotent: a second run makes nothing.
    assert load_risk_demo(demo_risk["viewer"], demo_risk["actor"], demo_risk["coordinator"]) == []


def test_every_risk_page_shows_the_demos_work_to_a_coordinator(demo_risk: dict[str, Any]) -> None:
    from django.test import Client

    client = Client()
    client.force_login(demo_risk["coordinator"])
    annual = Assessment.objects.get(title=ANNUAL_TITLE)
    rnd = SurveyRound.objects.get()
    expect = {
        "/risk/": ["R-0001", "<svg"],
        "/risk/risks/R-0001/": ["anycast offered through the back-end providers"],
        "/risk/catalogue/": ["Cache poisoning", "CONNECTIVITY01"],
        "/risk/assets/": ["Root server system", "Registry of .ke"],
        "/risk/threats/": ["<svg", "DDoS against TLD name servers"],
        "/risk/surveys/": ["DNS risk survey (demo round)"],
        f"/risk/surveys/{rnd.pk}/": ["5 of 5", "<svg"],
        "/risk/gaps/": ["Demo National CERT", "Accepted by the responder", "<svg"],
        "/risk/assessments/": [BASELINE_TITLE, ANNUAL_TITLE],
        f"/risk/assessments/{annual.pk}/": ["1 risk(s) up, 1 down, 1 new", "Heat map"],
    }
    for url, words in expect.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        for word in words:
            assert word in page, f"{url} lacks {word!r}"
    pdf = client.get(f"/risk/assessments/{annual.pk}/report.pdf")
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    assert ANNUAL_TITLE in reader.pages[0].extract_text()
    partner = Client()
    partner.force_login(get_user_model().objects.get(username="partner"))
    assert partner.get(f"/risk/assessments/{annual.pk}/").status_code == 200
    assert partner.get("/risk/").status_code in (302, 403, 404)
