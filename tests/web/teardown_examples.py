"""Pages with problems, run by test_browser_harness in a pytest of its own: each one that
does not declare its problem expected must fail at teardown (not collected by default)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Route

STRICT_PAGE = "http://harness.test/"


def _serve_strict(page: Page, body: str) -> None:
    def fulfil(route: Route) -> None:
        route.fulfill(
            status=200,
            content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'"},
            body=body,
        )

    page.route(STRICT_PAGE, fulfil)
    page.goto(STRICT_PAGE)


def test_console_error(page: Page) -> None:
    page.evaluate("console.error('boom')")


def test_page_error(page: Page) -> None:
    page.set_content("<script>throw new Error('thrown')</script>")


def test_csp_violation(page: Page) -> None:
    _serve_strict(page, "<p>x</p><script>1</script>")


@pytest.mark.browser_expects("csp")
def test_expected_csp_violation(page: Page) -> None:
    _serve_strict(page, "<p>x</p><script>1</script>")


def test_clean(page: Page) -> None:
    _serve_strict(page, "<p>clean</p>")
