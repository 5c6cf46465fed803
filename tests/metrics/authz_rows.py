"""Authorization matrix rows of the metrics app (collected by tests/test_authz_matrix.py):
the performance figures, the objectives and the incidents behind a figure are for staff."""

from __future__ import annotations

from tests.authz import Row, api_statuses, page_statuses
from tests.conftest import ROLES

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
