"""Authorization matrix rows of reports and intake (collected by tests/test_authz_matrix.py)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dnscc.incidents.models import Report
from tests.authz import Row, api_statuses, page_statuses, statuses
from tests.conftest import World

SECRET_TITLE = "Matrix secret report about ns1.nic.alpha"
REPORT_SECRETS = (SECRET_TITLE, "matrix-reporter@example.net")
MEMBERS_NO_DATA = ("operator", "partner", "outsider")
# Fixed keys, so that the completeness test can resolve the page rows without their setup.
REPORT_ID = 990001
STATUS_TOKEN = "matrix-status-token"


def _report(world: World) -> dict[str, Any]:
    """A confirmed web report by an anonymous reporter: staff see it, members do not."""
    report = Report.objects.create(
        pk=REPORT_ID,
        status_token=STATUS_TOKEN,
        source=Report.WEB,
        state=Report.NEW,
        title=SECRET_TITLE,
        description="seen at 10:00",
        reporter_email="matrix-reporter@example.net",
        tlp="AMBER",
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    return {"report_id": report.pk}


def _decision(action: str, ok: int, body: dict[str, Any] | None = None) -> Row:
    return Row(
        "POST",
        "/api/v1/reports/{report_id}/" + action,
        api_statuses(ok),
        body=(lambda w: body) if body is not None else (lambda w: {}),
        secrets=REPORT_SECRETS,
        setup=_report,
        mutates=True,
    )


API_ROWS: list[Row] = [
    Row(
        "POST",
        "/api/v1/reports/",
        api_statuses(201, members=201),
        body=lambda w: {"title": "Matrix report", "scope": "alpha"},
        mutates=True,
    ),
    Row(
        "GET",
        "/api/v1/reports/",
        api_statuses(200, members=200),
        secrets=REPORT_SECRETS,
        secret_for=MEMBERS_NO_DATA,
        setup=_report,
    ),
    Row(
        "GET",
        "/api/v1/reports/{report_id}",
        api_statuses(200, members=404),
        secrets=REPORT_SECRETS,
        setup=_report,
    ),
    _decision("open", 200, {"impact": "high"}),
    _decision("merge", 404, {"ref": "DNSCC-2000-0001"}),  # no such incident
    _decision("link", 404, {"ref": "DNSCC-2000-0001"}),
    _decision("reject", 200, {"reason": "not DNS"}),
]

PAGE_ROWS: list[Row] = [
    Row("GET", "/incidents/reports/", page_statuses(200), secrets=REPORT_SECRETS, setup=_report),
    Row(
        "GET",
        "/incidents/reports/990001/",
        page_statuses(200),
        secrets=REPORT_SECRETS,
        setup=_report,
    ),
    Row(
        "POST",
        "/incidents/reports/990001/reject",
        page_statuses(302),
        body=lambda w: {"reason": "not DNS"},
        secrets=REPORT_SECRETS,
        setup=_report,
        mutates=True,
    ),
    # The public form: anyone. An empty submission is refused with the form (nothing kept).
    Row("GET", "/report/", statuses(200)),
    Row("POST", "/report/", statuses(200), body=lambda w: {"title": ""}, mutates=True),
    Row("GET", "/report/sent/", statuses(200)),
    # Capability links: a wrong confirmation token finds nothing, GET or POST.
    Row("GET", "/report/confirm/not-the-token/", statuses(404)),
    Row("POST", "/report/confirm/not-the-token/", statuses(404), mutates=True),
    Row("GET", "/report/status/matrix-status-token/", statuses(200), setup=_report),
    Row("GET", "/report/status/not-the-token/", statuses(404)),
]


def snapshot() -> list[tuple[Any, ...]]:
    """What a refused request must leave as it was: every report's state and decision."""
    return list(
        Report.objects.order_by("pk").values_list(
            "pk", "state", "incident_id", "decided_by", "rejection_reason"
        )
    )
