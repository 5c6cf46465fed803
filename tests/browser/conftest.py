"""Browser fixtures: one headless Debian chromium for the package, a fresh context per test.

Playwright cannot download its own browsers here, so it drives /usr/bin/chromium with the
flags from the environment notes: without the background-networking flags chromium keeps
trying to reach Google's hosts, which this machine's closed network refuses.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.urls import get_resolver
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    Response,
    sync_playwright,
)

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # the suite runs as root in a container
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for the tests of this package only.

    The sync API keeps an asyncio event loop running in the test thread for as long as the
    driver is started. Two consequences:

    - Django takes every test for async code and raises SynchronousOnlyOperation on ORM use
      (fixtures, database assertions). Setting DJANGO_ALLOW_ASYNC_UNSAFE is the workaround
      Django documents for this case (docs: topics/async, "Async safety"); it is set only
      while the driver runs, so the rest of the suite keeps Django's guard.
    - asyncio.run() raises "cannot be called from a running event loop" in any test that runs
      while the driver is up. A session-scoped driver would break every later async test of
      the suite (probe, lab), so the scope is this package: in random order the browser
      modules may be scattered among others, and chromium then starts once per run of
      consecutive browser tests (about half a second each).
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            yield pw
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One chromium for the package's tests (see `playwright` for why not the session).

    launch() gives chromium a new, empty user data dir of its own (and deletes it on close);
    Playwright refuses a --user-data-dir argument here, and each test still gets a fresh
    context, so no cookie or storage crosses from one test to the next."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@dataclass
class Problems:
    """What went wrong in the browser while a test ran: console errors (CSP violations are
    reported there), requests that failed outright, and responses with an error status."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    bad_status: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.console.append(f"uncaught: {exc}"))
        page.on("requestfailed", self._on_failed)
        page.on("response", self._on_response)

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.console.append(f"{msg.text} at {msg.location.get('url')}")

    def _on_failed(self, request: Request) -> None:
        # Chromium fetches the icon in the background and cancels that fetch when the page
        # navigates or closes first (net::ERR_ABORTED): the browser's doing, not the
        # server's. test_the_browser_finds_a_favicon checks that the icon itself is served.
        if request.url.endswith("/favicon.svg") and request.failure == "net::ERR_ABORTED":
            return
        self.failed.append(f"{request.method} {request.url}: {request.failure}")

    def _on_response(self, response: Response) -> None:
        if response.status >= 400:
            self.bad_status.append(f"{response.status} {response.request.method} {response.url}")

    def all(self) -> list[str]:
        return [*self.console, *self.failed, *self.bad_status]


def _new_context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT, **options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = _new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def problems(page: Page) -> Problems:
    found = Problems()
    found.watch(page)
    return found


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Make extra contexts with options (no JavaScript, say); closed after the test."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        made.append(_new_context(browser, **options))
        return made[-1]

    yield make
    for context in made:
        context.close()


def fill_login_form(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as a person would, and wait for the page after it."""
    page.goto(f"{base_url}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


@pytest.fixture
def login(live_server: Any, world: Any) -> Callable[[Page, str], Page]:
    """`login(page, "coord1")` logs the page in through the login form as that user (one of
    the `world` fixture's) and checks that it lands on the dashboard."""

    def log_in(page: Page, username: str) -> Page:
        # The first request imports every URL module and API router (seconds on a loaded
        # machine, longer than a page load may take): done here, before the clock runs.
        get_resolver().url_patterns  # noqa: B018
        fill_login_form(page, live_server.url, username)
        assert page.url == f"{live_server.url}/", f"login as {username} landed on {page.url}"
        return page

    return log_in
