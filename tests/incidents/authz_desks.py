"""Authorization matrix rows of duty desks (collected by tests/test_authz_matrix.py)."""

from __future__ import annotations

from tests.authz import Row

API_ROWS: list[Row] = []
PAGE_ROWS: list[Row] = []
