"""The portal's pages as a browser sees them: a Content-Security-Policy on every page, no
console errors (a CSP violation by htmx or an inline style would be one), no failed
requests, and a directory page that renders."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The console message of an inline style blocked by the CSP (a bug this suite found).
INLINE_STYLE_ON_ORG_PAGE = re.compile(
    r"^Applying inline style violates .*'style-src 'self''.* at \S*/directory/org/[\w-]+/$"
)


def unexpected(problems: Problems) -> list[str]:
    return list(problems.all())


def test_every_page_of_a_coordinators_walk_has_a_csp_and_no_console_errors(
    page: Page, problems: Problems, live_server: Any, login: Any
) -> None:
    pages: dict[str, str | None] = {}  # URL -> its Content-Security-Policy
    fragments: dict[str, str | None] = {}  # the same for htmx's partial responses

    def record_policy(response: Any) -> None:
        request = response.request
        if request.headers.get("hx-request"):
            fragments[response.url] = response.headers.get("content-security-policy")
        elif request.resource_type == "document":
            pages[response.url] = response.headers.get("content-security-policy")

    page.on("response", record_policy)
    login(page, "coord1")
    nav = page.get_by_role("navigation", name="Main")
    # Every page of the main navigation, whatever it holds today, clicked as a person would.
    links = nav.get_by_role("link").all_inner_texts()
    assert {"Directory", "Import", "API tokens"} <= set(links), links
    for link in [*links, "Duty console"]:
        with page.expect_navigation(wait_until="load") as visit:
            nav.get_by_role("link", name=link, exact=True).click()
        response = visit.value
        assert response is not None
        assert response.status == 200, f"{link}: {response.status} {response.url}"
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    # htmx at work under the policy: a search and a filter, then an organisation page.
    with page.expect_navigation(wait_until="load"):
        nav.get_by_role("link", name="Directory").click()
    page.wait_for_function("() => window.htmx !== undefined")
    with page.expect_response(re.compile(r"/directory/\?q=alpha&")):
        page.locator("#q").press_sequentially("alpha")
    # Leaving the box fires its `change`, which the form's hx-trigger also listens to: the
    # same search again. Wait for it here, or the navigation below aborts it midway.
    with page.expect_response(re.compile(r"/directory/\?q=alpha&")):
        page.locator("#q").press("Tab")
    with page.expect_response(re.compile(r"/directory/\?.*kind=\w")):
        page.get_by_label("Kind").select_option(index=1)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="Alpha Registry").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alpha Registry")
    with page.expect_navigation(wait_until="load"):
        nav.get_by_role("link", name="Lookup").click()

    assert len(pages) >= len(links) + 2, list(pages)  # and the login page, an organisation
    assert len(fragments) >= 2, list(fragments)
    policies = {**pages, **fragments}
    missing = [url for url, csp in policies.items() if not csp]
    assert missing == [], f"responses without a Content-Security-Policy: {missing}"
    for csp in policies.values():
        assert "script-src 'self'" in str(csp)
        assert "unsafe-inline" not in str(csp)
        assert "unsafe-eval" not in str(csp)
    assert unexpected(problems) == [], "\n".join(unexpected(problems))


def test_the_organization_page_has_no_inline_style_for_the_csp_to_block(
    page: Page, problems: Problems, live_server: Any, login: Any
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/org/alpha-registry/", wait_until="load")
    assert [p for p in problems.console if INLINE_STYLE_ON_ORG_PAGE.search(p)] == []


def test_the_browser_finds_a_favicon(page: Page, live_server: Any, login: Any) -> None:
    login(page, "coord1")
    # Where a browser looks: the page's icon link, or else /favicon.ico. Chromium does not
    # fetch it at a predictable moment, so fetch it here the same way, with the session.
    icon = page.evaluate(
        "() => document.querySelector('link[rel~=icon]')?.href"
        " ?? new URL('/favicon.ico', location.href).href"
    )
    response = page.request.get(icon)
    assert response.ok, f"{response.status} for {icon}"
    assert response.headers.get("content-type", "").startswith("image/")


def test_a_screenshot_of_the_directory_is_a_png(
    page: Page, problems: Problems, live_server: Any, login: Any, tmp_path: Path
) -> None:
    login(page, "coord1")
    page.goto(f"{live_server.url}/directory/", wait_until="load")
    expect(page.locator("#org-total")).to_have_text("3")
    # The stylesheet applied: the header is the dark flex bar, not bare HTML.
    expect(page.locator("header.top")).to_have_css("display", "flex")
    expect(page.locator("header.top")).to_have_css("background-color", "rgb(15, 39, 64)")
    shot = tmp_path / "directory.png"
    page.screenshot(path=shot)
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 800)
    assert len(data) > 10_000  # a blank page compresses to far less
    assert unexpected(problems) == [], "\n".join(unexpected(problems))
