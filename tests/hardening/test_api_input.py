"""Issue 18, defects 8, 9 and 11: what the fuzzer and the importers found in the API.
Integers beyond 64 bits, multipart without a boundary, nested JSON, NUL characters and
anonymous unsafe calls get a clear 4xx, never a 500 and never a CSRF message."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.conftest import World

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/outreach/messages?notice={BIG}",
        f"/api/v1/audit/events?after={BIG}",
        f"/api/v1/monitoring/sweeps?limit={BIG}",
    ],
)
def test_an_integer_beyond_64_bits_in_a_query_is_a_422_naming_it(world: World, path: str) -> None:
    response = world.api("coordinator").get(path)
    assert response.status_code == 422, response.content
    assert "out of range" in response.json()["detail"]


def test_an_integer_beyond_64_bits_in_a_body_is_a_422(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/tokens", json.dumps({"name": "x", "n": int(BIG)}), content_type="application/json"
    )
    assert response.status_code == 422
    assert "n is out of range" in response.json()["detail"]


def test_the_schema_states_the_64_bit_range() -> None:
    from dnscc.api import INT_MAX, api

    schema = json.dumps(api.get_openapi_schema())
    assert f'"maximum": {INT_MAX}' in schema


def test_multipart_without_a_boundary_is_a_400(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/directory/import/contacts", b"x", content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "multipart" in response.json()["detail"]


UPLOADS = [
    "/api/v1/directory/import/rootzone",
    "/api/v1/directory/import/contacts",
    "/api/v1/rootinfo/runs",
    "/api/v1/incidents/INC-1/attachments",
    "/api/v1/campaigns/c/names",
    "/api/v1/campaigns/c/slices/1/outcomes",
    "/api/v1/sharing/imports/stix",
    "/api/v1/sharing/imports/misp",
]


@pytest.mark.parametrize("role", ["coordinator", "operator", "anonymous"])
def test_every_upload_without_a_boundary_is_a_4xx_for_every_role(world: World, role: str) -> None:
    # The fuzzer found the body parsed (and failing) before the role check: a 500 for anyone.
    client = Client() if role == "anonymous" else world.api(role)
    for path in UPLOADS:
        response = client.post(path, b"x", content_type="multipart/form-data")
        assert 400 <= response.status_code < 500, (path, response.status_code, response.content)
        assert response.json()["detail"], path


def test_deeply_nested_json_is_a_422_not_a_500(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/tokens", "[" * 100_000, content_type="application/json"
    )
    assert response.status_code == 422
    assert "nested deeper" in response.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/directory/organizations?q=a%00b",
        "/api/v1/directory/tlds?q=a%00b",
        "/api/v1/outreach/messages?state=sent%00",
    ],
)
def test_a_nul_in_a_query_is_refused_with_the_parameter_named(world: World, path: str) -> None:
    response = world.api("coordinator").get(path)
    assert response.status_code == 422, response.content
    assert "contains a NUL character" in response.json()["detail"]


def test_a_nul_in_a_body_is_refused_with_the_field_named(world: World) -> None:
    response = world.api("coordinator").post(
        "/api/v1/tokens", json.dumps({"name": "a\x00b"}), content_type="application/json"
    )
    assert response.status_code == 422
    assert "name contains a NUL character" in response.json()["detail"]


def test_an_anonymous_unsafe_call_is_told_to_authenticate() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/tokens", "{}", content_type="application/json")
    assert response.status_code == 401
    assert response.json()["detail"] == "authentication required"


def test_a_nul_in_a_portal_search_or_form_is_a_400_naming_it(world: World) -> None:
    client = world.client("coordinator")
    response = client.get("/directory/?q=a%00b")
    assert response.status_code == 400
    assert b"'q' contains a NUL character" in response.content
    # A form names the field on the page; nothing is written.
    client.post("/directory/org/alpha-registry/edit", {"name": "Evil\x00 Org"})
    world.org_a.refresh_from_db()
    assert world.org_a.name == "Alpha Registry"
    response = client.post("/account/tokens/", {"name": "t\x00"}, follow=True)
    assert response.status_code == 200
    assert b"NUL" in response.content
