"""API of verification, the dashboard and exports (mounted inside campaigns.api's router)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["campaigns"])
