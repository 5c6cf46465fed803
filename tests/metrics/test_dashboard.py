"""The performance dashboard, its exports, the incidents behind a figure, the API and the CLI,
on the known history of tests/metrics/history.py."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from dnscc.cli import main
from tests.conftest import World
from tests.metrics import history


@pytest.fixture
def known(world: World, settings: Any) -> World:
    settings.CONTACT_VERIFY_DAYS = 180
    history.build()
    return world


def _page(world: World, query: str) -> Any:
    return world.client("coordinator").get("/performance/" + query)


def test_the_dashboard_shows_each_objectives_verdict_and_a_plot_per_objective(
    known: World,
) -> None:
    response = _page(known, "?period=2026-Q3&by=month")
    assert response.status_code == 200
    html = response.content.decode()
    assert "The center&#x27;s performance: 2026-Q3" in html or "performance: 2026-Q3" in html
    assert html.count('class="objective-plot"') == 5
    assert "Median time to first notification at most 15 minutes" in html
    assert "<strong>Met</strong>" in html
    assert "<strong>Missed</strong>" in html
    assert "62.5 % (5 of 8)" in html  # parties reached
    # The acknowledgement objective per region: AF's p90 of 2000 min (33.3 h) misses it.
    assert "Africa: 33.3 h (missed)" in html


def test_each_group_links_to_the_incidents_behind_it(known: World) -> None:
    html = _page(known, "?period=2026-Q3&dimension=region").content.decode()
    assert (
        "incidents?period=2026-Q3&amp;figure=time_to_acknowledge&amp;dimension=region&amp;group=AF"
        in html
    )
    page = known.client("coordinator").get(
        "/performance/incidents?period=2026-Q3&figure=time_to_acknowledge&dimension=region&group=AF"
    )
    body = page.content.decode()
    assert page.status_code == 200
    # AF parties acknowledged in T-1 (A1, A2) and T-2 (A1); T-3's acknowledgement is EU's.
    assert "DNSCC-2026-9001" in body
    assert "DNSCC-2026-9002" in body
    assert "DNSCC-2026-9003" not in body


def test_a_figure_that_counts_no_incidents_says_so(known: World) -> None:
    page = known.client("coordinator").get(
        "/performance/incidents?period=2026-Q3&figure=contacts_stale"
    )
    assert page.status_code == 422
    assert "does not count incidents" in page.content.decode()


def test_the_csv_export_holds_every_cell_through_the_one_csv_writer(known: World) -> None:
    response = _page(known, "?period=2026-Q3&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    cell = {(r["figure"], r["dimension"], r["group"]): r for r in rows}
    assert cell[("time_to_acknowledge", "all", "all")]["median_minutes"] == "200.0"
    assert cell[("time_to_acknowledge", "region", "AF")]["p90_minutes"] == "2000.0"
    assert cell[("parties_reached", "all", "all")]["share"] == "0.625"
    assert cell[("parties_unreachable", "region", "AP")]["count"] == "2"


def test_the_json_export_is_the_apis_answer(known: World) -> None:
    page = json.loads(_page(known, "?period=2026-Q3&format=json").content)
    api = known.api("admin").get("/api/v1/metrics/performance?period=2026-Q3").json()
    assert page["figures"] == api["figures"]
    assert api["figures"]["time_to_triage"]["all"] == {"n": 3, "median": 30, "p90": 60}
    verdicts = {o["key"]: o["verdict"] for o in api["objectives"]}
    assert verdicts["first-notification"] == "met"


def test_the_api_gives_each_objective_month_by_month(known: World) -> None:
    data = known.api("admin").get("/api/v1/metrics/performance?period=2026-Q3&by=month").json()
    series = data["series"]
    assert series["labels"] == ["2026-07", "2026-08", "2026-09"]
    # First notification: T-1 (July) 5 min, T-2 (August) 10 min, T-3 (September) 90 min.
    assert series["objectives"]["first-notification"]["values"] == [5, 10, 90]
    # Acknowledgement p90 per region: AF 100, 300 in July -> 300; 2000 in August; EU in Sept.
    groups = series["objectives"]["acknowledgement-by-region"]["groups"]
    assert groups == {"AF": [300, 2000, None], "EU": [None, None, 60]}


def test_the_api_lists_the_incidents_behind_a_figure(known: World) -> None:
    rows = (
        known.api("coordinator")
        .get("/api/v1/metrics/incidents?figure=parties_unreachable&period=2026-Q3")
        .json()
    )
    assert [r["ref"] for r in rows] == ["DNSCC-2026-9002", "DNSCC-2026-9003"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("period=2026-Q9", "period"),
        ("period=2026-Q3&by=year", "by"),
        ("period=2026-Q3&format=xml", "format"),
        ("period=2000-01-01..2026-12-31&by=week", "by"),
    ],
)
def test_the_api_refuses_bad_input_naming_the_field(known: World, query: str, field: str) -> None:
    response = known.api("admin").get(f"/api/v1/metrics/performance?{query}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


def test_a_bad_period_on_the_dashboard_is_said_not_crashed(known: World) -> None:
    response = _page(known, "?period=someday")
    assert response.status_code == 422
    assert "is not a period" in response.content.decode()


def test_the_cli_prints_figures_per_group_and_verdicts(known: World, capsys: Any) -> None:
    assert main(["metrics", "performance", "--period", "2026-Q3", "--by", "region"]) == 0
    out = capsys.readouterr().out
    assert "Time to acknowledgement" in out
    assert "median 3.3 h, p90 33.3 h (n=4)" in out
    assert "Asia/Australia/Pacific" in out
    assert main(["metrics", "objectives", "--period", "2026-Q3"]) == 0
    out = capsys.readouterr().out
    assert "MET      Median time to first notification at most 15 minutes: 10 min" in out
    assert main(["metrics", "performance", "--period", "2026-Q3", "--csv"]) == 0
    assert capsys.readouterr().out.startswith("period,figure,dimension,group,")
    assert main(["metrics", "objectives", "--period", "2026-Q3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["key"] == "first-notification"


def test_the_cli_refuses_a_bad_period_with_the_input_exit_code(db: Any, capsys: Any) -> None:
    assert main(["metrics", "performance", "--period", "2026-Q0"]) == 65
    assert "is not a period" in capsys.readouterr().err


def test_an_empty_quarter_on_the_dashboard_says_no_data(world: World) -> None:
    html = _page(world, "?period=2025-Q1").content.decode()
    assert "no data" in html
    assert "<strong>No data</strong>" in html
