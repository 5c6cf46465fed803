"""Authorization matrix rows of the metrics app (collected by tests/test_authz_matrix.py):
the performance figures, the objectives and the incidents behind a figure are for staff."""

from __future__ import annotations

from tests.authz import Row, api_statuses, page_statuses

_M = "/api/v1/metrics"

API_ROWS: list[Row] = [
    Row("GET", _M + "/performance", api_statuses(200)),
    Row("GET", _M + "/objectives", api_statuses(200)),
    Row("GET", _M + "/incidents?figure=time_to_triage", api_statuses(200)),
]

PAGE_ROWS: list[Row] = [
    Row("GET", "/performance/", page_statuses(200)),
    Row("GET", "/performance/incidents?figure=time_to_triage", page_statuses(200)),
]
