"""Fixtures of the browser tests: one Chromium for the session, a watched page per test.

Without Chromium the tests skip, saying how to install it; under CI=true they fail instead.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.web.browser import (
    KINDS,
    SCREENSHOTS,
    BrowserLog,
    chromium_path,
    launch,
    unavailable,
    watch,
)

_STARTED = pytest.StashKey[bool]()
"""Set once this session started a browser: only then are the screenshots its own."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"browser_expects(*kinds): problems of these kinds ({', '.join(KINDS)}) "
        "do not fail the test's page",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    started: bool = terminalreporter.config.stash.get(_STARTED, False)
    shots = sorted(SCREENSHOTS.glob("*.png")) if started and SCREENSHOTS.is_dir() else []
    if shots:
        terminalreporter.write_line(f"screenshots: {SCREENSHOTS} ({len(shots)} files)")


@pytest.fixture(scope="session")
def chromium(request: pytest.FixtureRequest) -> str:
    """The system's Chromium, once per session, with the screenshots of earlier runs gone."""
    executable = chromium_path()
    if executable is None:
        unavailable("the browser tests need Chromium, and there is no `chromium` on PATH")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    request.config.stash[_STARTED] = True
    return executable


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    """Headless Chromium for one module's tests. Playwright's sync API keeps an event loop
    running while it is open, so it is closed before other modules (asyncio.run) come."""
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """A context of the test's own: no cookies or storage shared with other tests."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def browser_log(request: pytest.FixtureRequest, browser_context: BrowserContext) -> BrowserLog:
    """What the test's pages did; `browser_log.expect(kind)` lets a kind of problem pass."""
    log = watch(browser_context)
    for marker in request.node.iter_markers("browser_expects"):
        log.expect(*marker.args)
    return log


@pytest.fixture
def page(browser_context: BrowserContext, browser_log: BrowserLog) -> Iterator[Page]:
    """A watched page: a console error, page error, CSP violation or canary call on any
    page of the test fails it at teardown, unless the test declared that kind expected."""
    page = browser_context.new_page()
    yield page
    problems = browser_log.problems(browser_context.pages)
    if problems:
        pytest.fail("the browser reported:\n" + "\n".join(problems), pytrace=False)
