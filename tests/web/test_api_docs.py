"""The API documentation page is served from our own static files, and every operation of
the schema says what it does."""

from __future__ import annotations

import re

from django.test import Client

from dnscc.api import api


def test_the_api_docs_page_is_served_from_our_own_origin(db: None) -> None:
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    external = [u for u in re.findall(r'(?:src|href)="([^"]+)"', html) if "://" in u]
    assert not external, f"the docs page loads from elsewhere: {external}"
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy


def test_every_api_operation_has_a_description() -> None:
    schema = api.get_openapi_schema()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if len((operation.get("description") or "").strip()) < 15
    ]
    assert not missing, f"operations without a description (write a docstring): {missing}"
