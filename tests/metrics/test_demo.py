"""The demo's metrics: a quarter of history on a small directory, its dashboard with a plot
per objective, and a published transparency report; run twice, made once."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dnscc.accounts import audit
from dnscc.accounts.services import create_user, viewer_for
from dnscc.directory.models import Organization, Tld
from dnscc.incidents.models import Incident
from dnscc.metrics import figures
from dnscc.metrics.demo import TITLE, last_quarter, load_metrics_demo
from dnscc.metrics.models import TransparencyReport
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_shows_a_quarters_dashboard_and_a_published_report() -> None:
    for name, region in (("ke", "AF"), ("fr", "EU"), ("jp", "AP"), ("cl", "LAC")):
        org = Organization.objects.create(
            name=f"Registry of .{name}", slug=f"nic-{name}", region=region, kind="tld_registry"
        )
        Tld.objects.create(name=name, kind=Tld.CCTLD, operator=org, region=region)
    coordinator = create_user("coordinator", role="coordinator", password=PASSWORD)
    create_user("admin", role="admin", password=PASSWORD)
    viewer, actor = viewer_for(coordinator), audit.Actor.of(coordinator)
    lines = load_metrics_demo(viewer, actor, coordinator)
    quarter = last_quarter()
    assert f"/transparency/{quarter.label}/v1/" in lines[0]
    assert Incident.objects.filter(title__startswith=TITLE).count() == 60
    report = TransparencyReport.objects.get(quarter=quarter.label)
    assert report.status == "published"
    assert report.published_by.username == "admin"  # not the drafter: two-person rule
    perf = figures.performance(quarter)
    assert perf["figures"]["time_to_triage"]["all"]["n"] == 60
    client = Client()
    client.force_login(coordinator)
    html = client.get(f"/performance/?period={quarter.label}").content.decode()
    assert html.count('class="objective-plot"') == 5
    assert Client().get(f"/transparency/{quarter.label}/v1/").status_code == 200
    assert load_metrics_demo(viewer, actor, coordinator) == []


def test_without_organisations_the_demo_makes_nothing(settings: Any) -> None:
    coordinator = create_user("coordinator", role="coordinator", password=PASSWORD)
    assert load_metrics_demo(viewer_for(coordinator), audit.Actor("t"), coordinator) == []
