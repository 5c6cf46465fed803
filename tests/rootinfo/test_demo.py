"""The demo's root server part: the real sample, a synthetic flood on k-root that opens an
alert to RIPE NCC's desk, a root-level incident with a status note; idempotent."""

from __future__ import annotations

from typing import Any

from dnscc.accounts.services import create_user
from dnscc.core.paths import default_root_zone
from dnscc.demo_rootinfo import INCIDENT_TITLE, load_rootinfo
from dnscc.directory.rootzone_import import import_root_zone
from dnscc.incidents.models import Incident, StatusNote
from dnscc.monitoring.models import Alert
from dnscc.rootinfo.models import DailyFile


def test_the_demo_shows_the_sample_an_anomaly_and_a_root_incident(db: Any) -> None:
    import_root_zone(default_root_zone())
    create_user("coordinator", role="coordinator", password="x" * 20, check_password=False)
    lines = load_rootinfo(with_lab=False, password="correct horse battery staple")
    assert len(lines) == 4
    assert DailyFile.objects.filter(source__contains="synthetic").count() == 26
    alert = Alert.objects.get()
    assert "k-root (RIPE NCC)" in alert.title
    assert "2024-06-15" in alert.title
    assert alert.organization is not None
    assert alert.organization.name == "RIPE NCC"
    incident = Incident.objects.get(title=INCIDENT_TITLE)
    assert incident.parties.filter(organization__kind="root_server_operator").count() == 12
    assert StatusNote.objects.get().organization.name == "RIPE NCC"
    assert load_rootinfo(with_lab=False, password="correct horse battery staple") == []
