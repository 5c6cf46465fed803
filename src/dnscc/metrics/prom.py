"""Metrics for the people who run the center: a Prometheus text endpoint, `/metrics`.

Computed at each scrape from the database (so every process and machine of the center
answers the same): task queue depths and failures, outbox messages by state and the messages
accepted so far (a counter: `rate()` is the sender's throughput), the last sweep's duration
and queries, open alerts by severity, open SLA breaches by kind. Request latency is a
histogram kept in the process that serves the scrape (`prometheus_client`'s own registry):
with several web processes, scrape each, or read it as a sample.

The endpoint asks for `Authorization: Bearer <DNSCC_METRICS_TOKEN>`; without the setting no
token is right and it answers 401 to everyone (deny by default). The token is compared in
constant time.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dnscc.incidents.models import SlaBreach
from dnscc.monitoring.models import SEVERITY_CHOICES, Alert, Sweep
from dnscc.outreach.models import Message

# Request latency, per method and status class, in this process.
REQUEST_SECONDS = Histogram(
    "dnscc_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and status class (this process).",
    ["method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


class CenterCollector(Collector):
    """Gauges and counters read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        from django_tasks_db.models import DBTaskResult

        depth = GaugeMetricFamily(
            "dnscc_task_queue_depth", "Tasks waiting to run, by queue.", labels=["queue"]
        )
        failed = CounterMetricFamily(
            "dnscc_task_failures", "Tasks that failed (kept task results).", labels=["queue"]
        )
        rows = (
            DBTaskResult.objects.values_list("queue_name", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for queue, status, n in rows:
            if status == "READY":
                depth.add_metric([queue], n)
            elif status == "FAILED":
                failed.add_metric([queue], n)
        yield depth
        yield failed

        outbox = GaugeMetricFamily(
            "dnscc_outbox_messages", "Outbox messages by state.", labels=["state"]
        )
        states = dict(Message.objects.values_list("state").annotate(n=Count("id")).order_by())
        for state, _ in Message.STATE_CHOICES:
            outbox.add_metric([state], states.get(state, 0))
        yield outbox
        accepted = CounterMetricFamily(
            "dnscc_outbox_accepted",
            "Messages accepted by a relay so far (rate() of it is the sender's throughput).",
        )
        accepted.add_metric([], Message.objects.filter(accepted_at__isnull=False).count())
        yield accepted

        last = Sweep.objects.exclude(status=Sweep.RUNNING).order_by("-started_at").first()
        duration = GaugeMetricFamily(
            "dnscc_sweep_last_duration_seconds", "Duration of the last finished sweep."
        )
        queries = GaugeMetricFamily(
            "dnscc_sweep_last_queries", "DNS queries sent by the last finished sweep."
        )
        finished = GaugeMetricFamily(
            "dnscc_sweep_last_finished_timestamp_seconds", "When the last sweep finished."
        )
        if last is not None:
            duration.add_metric([], last.seconds)
            queries.add_metric([], last.queries)
            if last.finished_at:
                finished.add_metric([], last.finished_at.timestamp())
        yield duration
        yield queries
        yield finished
        running = GaugeMetricFamily("dnscc_sweeps_running", "Sweeps running now.")
        running.add_metric([], Sweep.objects.filter(status=Sweep.RUNNING).count())
        yield running

        alerts = GaugeMetricFamily(
            "dnscc_alerts_open", "Alerts not resolved, by severity.", labels=["severity"]
        )
        by_severity = dict(
            Alert.objects.filter(resolved_at__isnull=True)
            .values_list("severity")
            .annotate(n=Count("id"))
            .order_by()
        )
        for severity, _ in SEVERITY_CHOICES:
            alerts.add_metric([severity], by_severity.get(severity, 0))
        yield alerts

        breaches = GaugeMetricFamily(
            "dnscc_sla_breaches_open", "SLA breaches not resolved, by kind.", labels=["kind"]
        )
        by_kind = dict(
            SlaBreach.objects.filter(resolved_at__isnull=True)
            .values_list("kind")
            .annotate(n=Count("id"))
            .order_by()
        )
        for kind, _ in SlaBreach.KIND_CHOICES:
            breaches.add_metric([kind], by_kind.get(kind, 0))
        yield breaches


def exposition() -> bytes:
    """The Prometheus text of the center's metrics and this process's request latency."""
    from prometheus_client import REGISTRY

    registry = CollectorRegistry(auto_describe=False)
    registry.register(CenterCollector())
    return generate_latest(registry) + generate_latest(REGISTRY)


def _authorised(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics: the Prometheus text format, for the bearer of DNSCC_METRICS_TOKEN."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponse("method not allowed\n", status=405, content_type="text/plain")
    if not _authorised(request):
        response = HttpResponse(
            "a metrics token is required (Authorization: Bearer ...)\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="dnscc metrics"'
        return response
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class LatencyMiddleware:
    """Times every request into REQUEST_SECONDS (outermost, so it sees the whole answer)."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        started = time.perf_counter()
        response = self.get_response(request)
        status = f"{getattr(response, 'status_code', 500) // 100}xx"
        method = request.method if request.method in _METHODS else "other"
        REQUEST_SECONDS.labels(method, status).observe(time.perf_counter() - started)
        return response


# Label values from a fixed set: a client cannot grow the series with invented methods.
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
