"""Styled error pages in every mode: development mode (DEBUG) must not show Django's
technical pages, which list every URL of the center and, on a 500, its settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from django.test import Client, override_settings
from django.urls import path

from dnscc.urls import urlpatterns as real_patterns
from tests.conftest import World


def _boom(request: Any) -> Any:
    raise RuntimeError("a bug in a view")


def _missing(request: Any) -> Any:
    raise Http404("nothing")


urlpatterns = [path("test-boom/", _boom), path("test-missing/", _missing), *real_patterns]
handler404 = "dnscc.web.views.not_found"
handler500 = "dnscc.web.views.server_error"


@pytest.mark.parametrize("debug", [True, False])
def test_a_path_that_leads_nowhere_gets_the_styled_404_in_every_mode(
    world: World, debug: bool
) -> None:
    client = world.client("operator")
    with override_settings(DEBUG=debug):
        response = client.get("/no/such/page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Not found" in text
    assert 'class="error-page"' in text
    assert "URLconf" not in text
    assert "incidents/" not in text.split("<main>")[1].split("</main>")[0]
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("debug", [True, False])
@override_settings(ROOT_URLCONF=__name__)
def test_a_view_that_fails_gets_the_styled_500_and_the_error_is_logged(
    world: World, debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.users["operator"])
    with override_settings(DEBUG=debug):
        response = client.get("/test-boom/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong" in text
    assert "RuntimeError" not in text
    assert "Traceback" not in text
    assert "SECRET_KEY" not in text
    assert any("a bug in a view" in str(r.exc_info) for r in caplog.records if r.exc_info)


@override_settings(ROOT_URLCONF=__name__, DEBUG=True)
def test_a_view_raising_not_found_in_development_mode_gets_the_styled_404(world: World) -> None:
    response = world.client("coordinator").get("/test-missing/")
    assert response.status_code == 404
    assert 'class="error-page"' in response.content.decode()


@override_settings(DEBUG=True)
def test_an_unknown_api_path_answers_json_in_development_mode(world: World) -> None:
    response = world.api("coordinator").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_a_missing_slash_is_still_redirected_not_refused(world: World) -> None:
    response = world.client("coordinator").get("/incidents")
    assert response.status_code == 301
    assert response["Location"] == "/incidents/"
