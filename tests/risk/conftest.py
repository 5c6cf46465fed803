"""Fixtures of the risk tests: the catalogue loaded and the world's assets in step."""

from __future__ import annotations

from typing import Any

import pytest

from dnscc.accounts import audit
from dnscc.accounts.services import viewer_for
from dnscc.risk import assets, catalogue
from tests.conftest import World


@pytest.fixture
def risk_world(world: World) -> World:
    catalogue.load_catalogue(audit.SYSTEM)
    assets.sync_assets(audit.SYSTEM)
    return world


@pytest.fixture
def coordinator(world: World) -> tuple[Any, audit.Actor]:
    user = world.users["coordinator"]
    return viewer_for(user), audit.Actor.of(user)
