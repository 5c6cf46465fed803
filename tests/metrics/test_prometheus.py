"""The Prometheus endpoint /metrics: a bearer token, the text format read back with
prometheus_client's own parser, and values that follow the database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from dnscc.incidents.models import Incident, SlaBreach
from dnscc.monitoring.models import Alert, Finding, Sweep
from dnscc.outreach.models import Message
from tests.conftest import World

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def scraper(settings: Any) -> Client:
    settings.METRICS_TOKEN = TOKEN
    return Client(headers={"Authorization": f"Bearer {TOKEN}"})


def samples(client: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _message(state: str, accepted: bool = False) -> Message:
    return Message.objects.create(
        kind="notice",
        channel=Message.EMAIL,
        address="a@example.org",
        subject="s",
        body="b",
        state=state,
        accepted_at=timezone.now() if accepted else None,
    )


def test_metrics_need_the_token(world: World, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    wrong = Client(headers={"Authorization": "Bearer not-it"})
    assert wrong.get("/metrics").status_code == 401
    # A staff session or a staff API token is not the metrics token.
    assert world.client("admin").get("/metrics").status_code == 401
    assert world.api("admin").get("/metrics").status_code == 401
    assert Client().get("/metrics")["WWW-Authenticate"].startswith("Bearer")


def test_without_a_configured_token_nobody_reads_them(db: Any, settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert Client(headers={"Authorization": "Bearer "}).get("/metrics").status_code == 401


def test_the_figures_follow_the_outbox_alerts_breaches_and_sweeps(db: Any, scraper: Client) -> None:
    now = timezone.now()
    _message(Message.QUEUED)
    _message(Message.QUEUED)
    _message(Message.ACCEPTED, accepted=True)
    _message(Message.DEAD)
    for i, (severity, resolved) in enumerate((("critical", None), ("error", None), ("error", now))):
        finding = Finding.objects.create(
            zone=f"z{i}", code="T01", severity=severity, message="m", first_seen=now, last_seen=now
        )
        Alert.objects.create(
            finding=finding,
            severity=severity,
            title="t",
            opened_at=now,
            resolved_at=resolved,
        )
    inc = Incident.objects.create(ref="DNSCC-2026-0001", title="x", created_at=now)
    SlaBreach.objects.create(incident=inc, kind="triage", due_at=now, breached_at=now)
    Sweep.objects.create(
        started_at=now - dt.timedelta(minutes=5),
        finished_at=now,
        status=Sweep.DONE,
        queries=4321,
        seconds=12.5,
    )
    got = samples(scraper)
    assert got[("dnscc_outbox_messages", (("state", "queued"),))] == 2
    assert got[("dnscc_outbox_messages", (("state", "dead"),))] == 1
    assert got[("dnscc_outbox_accepted_total", ())] == 1
    assert got[("dnscc_alerts_open", (("severity", "critical"),))] == 1
    assert got[("dnscc_alerts_open", (("severity", "error"),))] == 1
    assert got[("dnscc_sla_breaches_open", (("kind", "triage"),))] == 1
    assert got[("dnscc_sla_breaches_open", (("kind", "notify"),))] == 0
    assert got[("dnscc_sweep_last_duration_seconds", ())] == 12.5
    assert got[("dnscc_sweep_last_queries", ())] == 4321


def test_request_latency_is_a_histogram_of_the_requests_served(db: Any, scraper: Client) -> None:
    Client().get("/performance/")  # a redirect to the login: 3xx
    got = samples(scraper)
    count = got[
        ("dnscc_http_request_duration_seconds_count", (("method", "GET"), ("status", "3xx")))
    ]
    assert count >= 1


def test_queued_tasks_and_failures_are_counted_per_queue(db: Any, scraper: Client) -> None:
    from django_tasks_db.models import DBTaskResult

    for status in ("READY", "READY", "FAILED"):
        DBTaskResult.objects.create(
            status=status,
            args_kwargs={"args": [], "kwargs": {}},
            task_path="dnscc.x",
            queue_name="default",
            backend_name="default",
            run_after=timezone.now(),
        )
    got = samples(scraper)
    assert got[("dnscc_task_queue_depth", (("queue", "default"),))] == 2
    assert got[("dnscc_task_failures_total", (("queue", "default"),))] == 1


def test_the_sample_grafana_dashboard_reads_only_metrics_the_endpoint_gives(
    db: Any, scraper: Client
) -> None:
    import json
    import re
    from pathlib import Path

    board = json.loads(
        (Path(__file__).parents[2] / "docs/grafana/dnscc-operations.json").read_text()
    )
    text = scraper.get("/metrics").content.decode()
    names = {f.name for f in text_string_to_metric_families(text)}
    used = {
        re.sub(r"_(bucket|count|sum|total)$", "", m)
        for panel in board["panels"]
        for target in panel["targets"]
        for m in re.findall(r"dnscc_[a-z_]+", target["expr"])
    }
    assert used
    assert used <= names, used - names
