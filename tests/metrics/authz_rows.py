"""Authorization matrix rows of the metrics app (collected by tests/test_authz_matrix.py):
the performance figures, the objectives and the incidents behind a figure are for staff."""

from __future__ import annotations

from tests.authz import Row, api_statuses, page_statuses
from tests.conftest import ROLES, World

_M = "/api/v1/metrics"

API_ROWS: list[Row] = [
    Row("GET", _M + "/performance", api_statuses(200)),
    Row("GET", _M + "/objectives", api_statuses(200)),
    Row("GET", _M + "/incidents?figure=time_to_triage", api_statuses(200)),
    Row("GET", _M + "/health", api_statuses(200)),
]

PAGE_ROWS: list[Row] = [
    Row("GET", "/performance/", page_statuses(200)),
    Row("GET", "/performance/incidents?figure=time_to_triage", page_statuses(200)),
    Row("GET", "/performance/health", page_statuses(200)),
]

# /metrics answers to the Prometheus token only: every role of the matrix is refused, a
# staff session too (401: the token is what is missing).
PAGE_ROWS += [Row("GET", "/metrics", dict.fromkeys(ROLES, 401))]


def _drafter() -> object:
    from dnscc.accounts.services import create_user

    return create_user("drafter1", role="coordinator", password="a long enough password 1")


def _draft(world: World) -> dict[str, object]:
    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.metrics import transparency

    drafter = _drafter()
    report = transparency.draft(viewer_for(drafter), audit.Actor("matrix"), "2026-Q3", user=drafter)
    return {"quarter": report.quarter, "version": report.version}


def _published(world: World) -> dict[str, object]:
    from dnscc.accounts import audit
    from dnscc.accounts.services import viewer_for
    from dnscc.metrics import transparency

    drafter = _drafter()
    report = transparency.draft(viewer_for(drafter), audit.Actor("matrix"), "2026-Q3", user=drafter)
    admin = world.users["admin"]
    transparency.publish(viewer_for(admin), audit.Actor("matrix"), "2026-Q3", 1, user=admin)
    return {"quarter": report.quarter, "version": report.version}


def snapshot() -> object:
    from dnscc.metrics.models import TransparencyReport

    return sorted(TransparencyReport.objects.values_list("quarter", "version", "status"))


API_ROWS += [
    Row("GET", _M + "/transparency", api_statuses(200)),
    Row(
        "POST",
        _M + "/transparency",
        api_statuses(201),
        mutates=True,
        body=lambda w: {"quarter": "2026-Q3"},
    ),
    Row(
        "POST",
        _M + "/transparency/{quarter}/{version}/publish",
        api_statuses(200),
        setup=_draft,
        mutates=True,
    ),
]

PAGE_ROWS += [
    Row("GET", "/performance/transparency", page_statuses(200)),
    Row(
        "POST",
        "/performance/transparency",
        page_statuses(302),
        mutates=True,
        body=lambda w: {"action": "draft", "quarter": "2026-Q3"},
    ),
    Row(
        "GET",
        "/performance/transparency/{quarter}/v{version}/",
        page_statuses(200),
        setup=_draft,
    ),
]
# The published report is TLP:CLEAR: anyone reads it, and nobody finds an organisation in it.
_PUBLIC = dict.fromkeys(ROLES, 200)
PAGE_ROWS += [
    Row("GET", "/transparency/", _PUBLIC, setup=_published),
    *(
        Row(
            "GET",
            "/transparency/" + tail,
            _PUBLIC,
            setup=_published,
            secrets=("Alpha Registry", "Bravo Registry"),
            secret_for=ROLES,
        )
        for tail in (
            "{quarter}/",
            "{quarter}/v{version}/",
            "{quarter}/v{version}.json",
            "{quarter}/v{version}.pdf",
        )
    ),
]
