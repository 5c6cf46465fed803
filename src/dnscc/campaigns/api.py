"""The campaigns API, at /api/v1/campaigns/."""

from __future__ import annotations

from ninja import Router

from dnscc.campaigns.api_results import router as results

router = Router(tags=["campaigns"])

# Verification, dashboard and exports live in api_results.py (keep this line).
router.add_router("/", results)
