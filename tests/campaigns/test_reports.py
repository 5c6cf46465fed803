"""The dashboard's data and the exports: coverage, laggards, progress, CSV/JSON, RPZ."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

from django.utils import timezone

from dnscc.campaigns import reports
from dnscc.campaigns.models import Slice, Target
from dnscc.campaigns.views_dashboard import progress_svg
from tests.campaigns.authz_rows import make_results_campaign
from tests.conftest import World


def _act(campaign, world: World) -> None:  # type: ignore[no-untyped-def]
    """org_a: dga0 done and verified, dga1 done but DNS disagrees; org_b silent."""
    now = timezone.now()
    a = Target.objects.filter(campaign=campaign, tld="alpha")
    a.filter(name__in=["dga0.alpha", "dga1.alpha"]).update(outcome=Target.DONE, outcome_at=now)
    a.filter(name="dga0.alpha").update(observed="not_delegated", verified_ok=True, verified_at=now)
    a.filter(name="dga1.alpha").update(
        observed="delegated", verified_ok=False, verified_at=now, mismatch=True
    )
    Slice.objects.filter(campaign=campaign, organization=world.org_a).update(
        acknowledged_at=now, state=Slice.ACKNOWLEDGED, reported=2, verified_ok=1, mismatches=1
    )


def test_coverage_counts_per_tld_region_and_organisation(world: World) -> None:
    world.org_b.resource_constrained = True
    world.org_b.save()
    campaign = make_results_campaign(world)
    _act(campaign, world)

    cov = reports.coverage(campaign)

    assert cov["total"] == {
        "total": 6, "reported": 2, "acted": 2, "verified": 1, "bad": 1, "mismatch": 1,
        "unchecked": 4,
    }  # fmt: skip
    by_tld = {r["tld"]: r for r in cov["per_tld"]}
    assert (by_tld["alpha"]["verified"], by_tld["alpha"]["mismatch"]) == (1, 1)
    assert (by_tld["bravo"]["reported"], by_tld["bravo"]["verified"]) == (0, 0)
    by_region = {r["region"]: r["verified"] for r in cov["per_region"]}
    assert by_region == {"AF": 1, "EU": 0}
    assert [r["organization"] for r in cov["resource_constrained"]] == ["Bravo Registry"]


def test_a_registry_without_a_region_is_not_counted_as_a_name_without_an_operator(
    world: World,
) -> None:
    from dnscc.campaigns.models import NameList

    world.org_b.region = ""
    world.org_b.save()
    campaign = make_results_campaign(world)
    Target.objects.create(
        campaign=campaign,
        slice=None,
        name_list=NameList.objects.get(campaign=campaign),
        name="orphan.unknowntld",
        tld="unknowntld",
        action="suspend",
    )

    rows = {r["region"]: r["total"] for r in reports.coverage(campaign)["per_region"]}

    assert rows == {"AF": 3, "?": 3, "": 1}


def test_laggards_are_the_late_slices_worst_first(world: World) -> None:
    campaign = make_results_campaign(world)
    _act(campaign, world)

    rows = reports.laggards(campaign)

    # Bravo never acknowledged: worse than Alpha, which acknowledged with names unverified.
    assert [r["organization"] for r in rows] == ["Bravo Registry", "Alpha Registry"]
    assert rows[0]["acknowledged"] is False
    assert rows[1]["not_verified"] == 2


def test_a_slice_before_its_deadline_is_no_laggard(world: World) -> None:
    campaign = make_results_campaign(world, deadline_hours=3)
    assert reports.laggards(campaign) == []


def test_progress_points_come_from_snapshots_and_plot_without_styles(world: World) -> None:
    campaign = make_results_campaign(world)
    reports.record_snapshot(campaign, at=timezone.now() - dt.timedelta(hours=2))
    _act(campaign, world)
    reports.record_snapshot(campaign)

    points = reports.progress(campaign)
    svg = progress_svg(points)

    assert [(p["reported"], p["verified_ok"], p["acknowledged_slices"]) for p in points] == [
        (0, 0, 0),
        (2, 1, 1),
    ]
    assert svg.startswith("<svg")
    assert "style" not in svg
    assert "<script" not in svg
    assert progress_svg([]) == ""


def test_the_csv_and_json_reports_have_a_row_per_name_matching_the_database(
    world: World,
) -> None:
    campaign = make_results_campaign(world)
    _act(campaign, world)

    rows = list(csv.DictReader(io.StringIO("".join(reports.report_csv(campaign)))))
    data = json.loads("".join(reports.report_json(campaign)))

    assert list(rows[0]) == list(reports.REPORT_COLUMNS)
    assert len(rows) == len(data["names"]) == 6
    by_name = {r["name"]: r for r in rows}
    assert by_name["dga0.alpha"]["verified_ok"] == "true"
    assert by_name["dga1.alpha"]["mismatch"] == "true"
    assert by_name["dga2.bravo"]["organization"] == "Bravo Registry"
    assert by_name["dga2.bravo"]["verified_ok"] == ""
    js = {item["name"]: item for item in data["names"]}
    assert js["dga1.alpha"]["verified_ok"] is False
    assert js["dga1.alpha"]["mismatch"] is True
    assert js["dga2.bravo"]["verified_ok"] is None
    assert data["incident"] == campaign.incident.ref


def test_a_formula_in_an_organisation_name_is_defused_in_the_csv(world: World) -> None:
    world.org_a.name = "=HYPERLINK(1)"
    world.org_a.save()
    campaign = make_results_campaign(world)
    text = "".join(reports.report_csv(campaign))
    assert "'=HYPERLINK(1)" in text
    assert "\n=HYP" not in text
    assert ",=HYP" not in text


def test_the_rpz_holds_exactly_the_campaigns_names(world: World) -> None:
    campaign = make_results_campaign(world)
    text = "".join(reports.rpz_chunks(campaign))
    origin = reports.rpz_origin(campaign)
    owners = {
        line.split()[0].removesuffix(f".{origin}.")
        for line in text.splitlines()
        if " CNAME " in line and not line.startswith("*.")
    }
    assert owners == set(Target.objects.filter(campaign=campaign).values_list("name", flat=True))


def test_the_api_dashboard_and_exports_answer_staff(world: World) -> None:
    campaign = make_results_campaign(world)
    _act(campaign, world)
    client = world.api("coordinator")

    dash = client.get(f"/api/v1/campaigns/{campaign.slug}/dashboard").json()
    csv_text = b"".join(
        client.get(f"/api/v1/campaigns/{campaign.slug}/report.csv").streaming_content
    ).decode()

    assert dash["coverage"]["total"]["verified"] == 1
    assert next(r["organization"] for r in dash["laggards"]) == "Bravo Registry"
    assert csv_text.count("\n") == 7


def test_an_operator_sees_its_own_slices_results_and_not_another_partys(world: World) -> None:
    campaign = make_results_campaign(world)
    _act(campaign, world)
    slice_a = Slice.objects.get(campaign=campaign, organization=world.org_a)
    url = f"/api/v1/campaigns/{campaign.slug}/slices/{slice_a.pk}/verification"

    own = world.api("operator").get(url)
    other = world.api("outsider").get(url)

    assert own.status_code == 200
    assert {r["name"]: r["mismatch"] for r in own.json()["results"]}["dga1.alpha"] is True
    assert other.status_code == 404
    assert "dga0.alpha" not in other.content.decode()


def test_the_dashboard_page_escapes_what_it_shows(world: World) -> None:
    world.org_b.name = "<script>alert(1)</script>"
    world.org_b.save()
    campaign = make_results_campaign(world)
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/dashboard/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'id="laggards"' in body
    assert "report.csv" in body


def test_the_dashboard_and_reports_do_not_name_a_red_organisation(world: World) -> None:
    world.org_b.tlp = "RED"
    world.org_b.save()
    campaign = make_results_campaign(world)
    _act(campaign, world)
    client = world.api("coordinator")
    dash = client.get(f"/api/v1/campaigns/{campaign.slug}/dashboard").content.decode()
    csv_text = b"".join(
        client.get(f"/api/v1/campaigns/{campaign.slug}/report.csv").streaming_content
    ).decode()
    json_text = b"".join(
        client.get(f"/api/v1/campaigns/{campaign.slug}/report.json").streaming_content
    ).decode()
    page = world.client("coordinator").get(f"/campaigns/{campaign.slug}/dashboard/")
    for text in (dash, csv_text, json_text, page.content.decode()):
        assert "Bravo Registry" not in text
        assert reports.RESTRICTED in text
    assert "Alpha Registry" in csv_text
