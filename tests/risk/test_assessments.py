"""Assessments: frozen snapshots, draft -> comments -> sign-off, comparison, the report."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest
from django.utils import timezone

from dnscc.accounts.services import viewer_for
from dnscc.core.errors import ConflictError, NotFoundError, PermissionDenied
from dnscc.incidents.models import Incident
from dnscc.monitoring.models import Finding
from dnscc.risk import assessments, gaps, register, report
from dnscc.risk.models import Assessment
from dnscc.risk.threat_survey import threat_survey
from tests.conftest import World
from tests.risk.helpers import ACTOR

pytestmark = pytest.mark.django_db
YEAR1 = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
YEAR2 = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def test_the_threat_survey_counts_incidents_findings_and_durations_per_event(
    risk_world: World,
) -> None:
    Incident.objects.create(
        ref="DNSCC-2025-0001",
        title="a",
        dns_type="ddos-dns",
        severity="critical",
        created_at=_at(dt.date(2025, 3, 1)),
        mitigated_at=_at(dt.date(2025, 3, 1), 18),
    )
    Incident.objects.create(
        ref="DNSCC-2025-0002",
        title="b",
        dns_type="dnssec-failure",
        severity="high",
        created_at=_at(dt.date(2025, 5, 2)),
        desk="EU",
    )
    Incident.objects.create(
        ref="DNSCC-2024-0001", title="old", dns_type="ddos-dns", created_at=_at(dt.date(2024, 5, 2))
    )
    # Open 10 days inside the period, and one open since before it and still open at its end.
    Finding.objects.create(
        zone="alpha",
        code="DNSSEC04",
        severity="critical",
        message="m",
        first_seen=_at(dt.date(2025, 2, 1), 0),
        last_seen=_at(dt.date(2025, 2, 11), 0),
        resolved_at=_at(dt.date(2025, 2, 11), 0),
    )
    Finding.objects.create(
        zone="bravo",
        code="DNSSEC04",
        severity="critical",
        message="m",
        server="x",
        first_seen=_at(dt.date(2024, 6, 1)),
        last_seen=_at(dt.date(2025, 6, 1)),
    )
    # A second DNSSEC code on .alpha: one more finding, not one more zone.
    Finding.objects.create(
        zone="alpha",
        code="DNSSEC08",
        severity="error",
        message="m",
        first_seen=_at(dt.date(2025, 2, 1), 0),
        last_seen=_at(dt.date(2025, 2, 3), 0),
        resolved_at=_at(dt.date(2025, 2, 3), 0),
    )
    data = threat_survey(*YEAR1)
    ddos = data["events"]["ddos-tld"]
    assert ddos["incidents"] == 1
    assert ddos["severity"]["critical"] == 1
    assert ddos["median_hours_to_mitigate"] == 6.0
    assert data["events"]["ddos-root"]["incidents"] == 1  # one record, every event it evidences
    dnssec = data["events"]["dnssec-failure"]
    assert (dnssec["incidents"], dnssec["findings"], dnssec["finding_zones"]) == (1, 3, 2)
    # 10 days, 2 days, and the whole year (365) for the one open throughout: mean 125.67
    assert dnssec["mean_days_open"] == 125.67
    assert dnssec["codes"] == {"DNSSEC04": 2, "DNSSEC08": 1}
    assert dnssec["frequency"][1] == 2  # the February findings
    assert dnssec["frequency"][4] == 1  # the May incident
    assert data["by_region"]["EU"]["dnssec-failure"]["incidents"] == 1
    assert data["totals"] == {"incidents": 2, "findings": 3, "campaigns": 0}


def _baseline(world: World, coordinator: Any) -> Assessment:
    viewer, actor = coordinator
    register.create_risk(
        viewer,
        actor,
        event="ddos-tld",
        asset="tld:alpha",
        likelihood="moderate",
        impact="high",
        reason="r",
    )
    register.create_risk(
        viewer,
        actor,
        event="dnssec-failure",
        asset="tld:bravo",
        likelihood="high",
        impact="high",
        reason="r",
    )
    return assessments.create_assessment(
        viewer,
        actor,
        title="Baseline 2025",
        kind="baseline",
        period_start=YEAR1[0],
        period_end=YEAR1[1],
        reviewers=[world.users["partner"].get_username()],
    )


def test_a_baseline_goes_from_draft_through_comments_to_sign_off_and_then_never_changes(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    a = _baseline(risk_world, coordinator)
    assert a.status == Assessment.DRAFT
    assert len(a.snapshot["risks"]) == 2
    frozen = (a.sha256, a.snapshot)
    register.update_risk(
        viewer, actor, "R-0001", {"likelihood": "very high", "impact": "very high"}, reason="later"
    )
    a.refresh_from_db()
    assert (a.sha256, a.snapshot) == frozen  # the register moved on; the assessment did not
    with pytest.raises(ConflictError, match="draft: open it for comments"):
        assessments.sign_off(viewer, actor, a.pk)
    partner = viewer_for(risk_world.users["partner"])
    operator = viewer_for(risk_world.users["operator"])
    with pytest.raises(NotFoundError):
        assessments.get_assessment(operator, a.pk)  # not in the named audience
    assessments.open_comments(viewer, actor, a.pk)
    assessments.add_comment(partner, ACTOR, a.pk, "The .bravo rollover risk is understated.")
    with pytest.raises(ConflictError, match="summary changes no more"):
        assessments.update_summary(viewer, actor, a.pk, "late edit")
    with pytest.raises(PermissionDenied):
        assessments.sign_off(partner, ACTOR, a.pk)
    assessments.sign_off(viewer, actor, a.pk)
    for attempt in (
        lambda: assessments.update_summary(viewer, actor, a.pk, "x"),
        lambda: assessments.add_comment(viewer, actor, a.pk, "x"),
        lambda: assessments.sign_off(viewer, actor, a.pk),
        lambda: assessments.new_version(viewer, actor, a.pk),
    ):
        with pytest.raises(ConflictError):
            attempt()
    a.refresh_from_db()
    assert (a.status, a.summary, a.comments.count()) == (Assessment.SIGNED, "", 1)
    with pytest.raises(NotFoundError):  # signed, but TLP:AMBER and the operator is not named
        assessments.get_assessment(operator, a.pk)
    assert assessments.get_assessment(partner, a.pk).status == Assessment.SIGNED


def test_a_second_annual_assessment_shows_what_moved(risk_world: World, coordinator: Any) -> None:
    viewer, actor = coordinator
    with pytest.raises(ConflictError, match="sign off a baseline first"):
        assessments.create_assessment(
            viewer, actor, title="2026", kind="annual", period_start=YEAR2[0], period_end=YEAR2[1]
        )
    a = _baseline(risk_world, coordinator)
    assessments.open_comments(viewer, actor, a.pk)
    assessments.sign_off(viewer, actor, a.pk)
    register.update_risk(
        viewer,
        actor,
        "R-0001",
        {"likelihood": "very high", "impact": "very high"},
        reason="attacks grew",
    )
    register.update_risk(
        viewer,
        actor,
        "R-0002",
        {"likelihood": "low", "impact": "high"},
        reason="rollovers automated",
    )
    register.create_risk(
        viewer,
        actor,
        event="registry-failure",
        asset="org:alpha-registry",
        likelihood="low",
        impact="very high",
        reason="r",
    )
    gaps.add_coverage(
        viewer,
        actor,
        organization=risk_world.csirt.slug,
        event="ddos-tld",
        region="AF",
        capabilities=["detect", "coordinate"],
    )
    b = assessments.create_assessment(
        viewer,
        actor,
        title="Annual 2026",
        kind="annual",
        period_start=YEAR2[0],
        period_end=YEAR2[1],
    )
    c = b.snapshot["comparison"]
    assert b.previous_id == a.pk
    assert [x["ref"] for x in c["risks"]["up"]] == ["R-0001"]
    assert [x["ref"] for x in c["risks"]["down"]] == ["R-0002"]
    assert [x["ref"] for x in c["risks"]["new"]] == ["R-0003"]
    assert c["coverage"]["gained"] == [
        {"event": "ddos-tld", "region": "AF", "from": "uncovered", "to": "partial"}
    ]
    html = report.report_html(b)
    assert "1 risk(s) up, 1 down, 1 new" in html


def test_the_report_pdf_opens_with_its_heat_map_and_tlp(
    risk_world: World, coordinator: Any
) -> None:
    a = _baseline(risk_world, coordinator)
    pdf = report.report_pdf(a)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Heat map: risks by likelihood and impact" in text
    assert "Likelihood" in text
    assert "Impact" in text
    assert "TLP:AMBER" in text
    assert "Baseline 2025" in text
    assert reader.metadata is not None
    assert reader.metadata.title == "Baseline 2025 (v1) · TLP:AMBER"
    assert report.report_pdf(a) == pdf  # kept while nothing it shows changes


def test_entries_with_a_stricter_tlp_than_the_assessment_are_withheld(
    risk_world: World, coordinator: Any
) -> None:
    viewer, actor = coordinator
    register.create_risk(
        viewer, actor, event="ddos-tld", asset="tld:alpha", tlp="GREEN", title="Public one"
    )
    register.create_risk(
        viewer, actor, event="ddos-tld", asset="tld:bravo", tlp="AMBER", title="Amber one"
    )
    a = assessments.create_assessment(
        viewer,
        actor,
        title="Shared",
        kind="baseline",
        period_start=YEAR1[0],
        period_end=YEAR1[1],
        tlp="GREEN",
    )
    assert [r["title"] for r in a.snapshot["risks"]] == ["Public one"]
    assert a.snapshot["risks_withheld"] == 1
    assert timezone.now() >= a.as_of


def test_the_heat_map_counts_risks_in_their_cells_coloured_by_table_i2() -> None:
    svg = report.heat_map_svg(
        [
            {"likelihood": "moderate", "impact": "very high"},
            {"likelihood": "moderate", "impact": "very high"},
            {"likelihood": None, "impact": None},
        ]
    )
    # the cell moderate x very high holds 2 and has the colour of "high" (Table I-2)
    assert "moderate, very high: 2" in svg
    assert report.LEVEL_COLORS["high"] in svg


def test_the_threat_survey_counts_campaigns_with_their_names_tlds_and_verified_share(
    risk_world: World,
) -> None:
    from dnscc.campaigns.models import Campaign, Slice

    def campaign(
        slug: str, dns_type: str, day: dt.date, slices: list[tuple[str, int, int]]
    ) -> None:
        incident = Incident.objects.create(
            ref=f"DNSCC-{slug.upper()}", title=slug, dns_type=dns_type, created_at=_at(day)
        )
        made = Campaign.objects.create(
            incident=incident,
            slug=slug,
            title=slug,
            due_date=day,
            names_total=sum(names for _, names, _ in slices),
        )
        Campaign.objects.filter(pk=made.pk).update(created_at=_at(day))
        for tld, names, verified in slices:
            Slice.objects.create(
                campaign=made,
                organization=risk_world.org_a if tld == "alpha" else risk_world.org_b,
                tlds=[tld],
                names=names,
                deadline=_at(day),
                verified_ok=verified,
            )

    campaign(
        "conficker", "dga-botnet", dt.date(2025, 4, 1), [("alpha", 600, 300), ("bravo", 400, 100)]
    )
    campaign("spam", "malicious-registrations", dt.date(2025, 9, 1), [("alpha", 1000, 1000)])
    campaign("old", "dga-botnet", dt.date(2024, 9, 1), [("alpha", 50, 0)])  # before the period
    data = threat_survey(*YEAR1)
    bad = data["events"]["malicious-registrations"]
    assert (bad["campaigns"], bad["campaign_names"], bad["campaign_tlds"]) == (2, 2000, 2)
    assert bad["campaign_verified_share"] == 0.7  # (300 + 100 + 1000) of 2000 names
    assert data["events"]["ddos-tld"]["campaigns"] == 0
    assert data["events"]["ddos-tld"]["campaign_verified_share"] is None
    assert data["totals"]["campaigns"] == 2
