"""The browser harness itself, against pages served by a plain http.server: a clean page
passes, an inline script under `default-src 'self'` is reported as a CSP violation, the
canary catches hostile markup that ran, screenshots are written and Arabic renders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.web.browser import (
    CANARY,
    HOSTILE,
    ROOT,
    BrowserLog,
    arabic_fonts,
    assert_no_script_ran,
    screenshot,
    unavailable,
    watch,
)

STRICT = {"Content-Security-Policy": "default-src 'self'"}

ARABIC = "اتفاق وقف إطلاق النار في غزة يدخل حيز التنفيذ"

PAGES: dict[str, tuple[dict[str, str], str, str]] = {
    "/clean": (
        STRICT,
        "text/html",
        "<!doctype html><title>clean</title><p id=text>A clean page</p>"
        '<script src="/ready.js"></script>',
    ),
    "/ready.js": (STRICT, "text/javascript", "document.body.dataset.ready = 'yes';"),
    "/inline": (
        STRICT,
        "text/html",
        "<!doctype html><title>inline</title><p>An inline script</p>"
        "<script>window.__canary('inline script under CSP')</script>",
    ),
    "/hostile": (
        {},
        "text/html",
        "<!doctype html><title>hostile</title><div>" + "".join(HOSTILE) + "</div>",
    ),
    "/escaped": (
        STRICT,
        "text/html",
        "<!doctype html><title>escaped</title><ul id=items></ul>"
        '<script src="/escaped.js"></script>',
    ),
    "/escaped.js": (
        STRICT,
        "text/javascript",
        "for (const text of JSON.parse(%s)) {"
        " const li = document.createElement('li'); li.textContent = text;"
        " document.getElementById('items').append(li); }",
    ),
    "/arabic": (
        STRICT,
        "text/html",
        "<!doctype html><html lang=ar dir=rtl><meta charset=utf-8><title>arabic</title>"
        f'<link rel=stylesheet href="/arabic.css"><p id=text>{ARABIC}</p>',
    ),
    "/arabic.css": (STRICT, "text/css", "#text { font: 32px 'Noto Sans Arabic', sans-serif; }"),
    "/favicon.ico": (STRICT, "image/x-icon", ""),
}


def _escaped_js() -> str:
    return PAGES["/escaped.js"][2] % json.dumps(json.dumps(list(HOSTILE)))


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path not in PAGES:
            self.send_error(404)
            return
        headers, kind, body = PAGES[self.path]
        data = (_escaped_js() if self.path == "/escaped.js" else body).encode()
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The pages above on 127.0.0.1, at a port of their own."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()
    server.server_close()


def test_a_clean_page_under_a_strict_csp_passes(page: Page, site: str) -> None:
    page.goto(f"{site}/clean")
    page.wait_for_selector("body[data-ready=yes]")
    path = screenshot(page, "clean")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 1000


def test_an_inline_script_is_reported_as_a_csp_violation(
    browser_context: BrowserContext, site: str
) -> None:
    log = watch(browser_context)
    page = browser_context.new_page()
    page.goto(f"{site}/inline")
    problems = log.problems([page])
    assert any(p.startswith("csp: script-src-elem blocked inline") for p in problems), problems
    assert any(p.startswith("csp: console: ") for p in problems), problems
    assert not log.events["canary"], "the CSP let the inline script run"
    screenshot(page, "inline-blocked")


@pytest.mark.browser_expects("csp")
def test_an_expected_violation_does_not_fail_the_page(
    page: Page, browser_log: BrowserLog, site: str
) -> None:
    page.goto(f"{site}/inline")
    assert browser_log.problems([page]) == []
    assert browser_log.problems([page], all_kinds=True)


def test_the_canary_catches_hostile_markup_that_ran(
    browser_context: BrowserContext, site: str
) -> None:
    log = watch(browser_context)
    page = browser_context.new_page()
    page.goto(f"{site}/hostile")
    page.click("#hostile-link")
    page.wait_for_function(f"document.title === {CANARY!r}")
    with pytest.raises(AssertionError) as caught:
        assert_no_script_ran(page, log)
    message = str(caught.value)
    for call in ("script element", "img onerror", "svg onload", "javascript url"):
        assert call in message
    assert f"document.title is {CANARY!r}" in message
    screenshot(page, "hostile-ran")


def test_hostile_strings_shown_as_text_run_nothing(
    page: Page, browser_log: BrowserLog, site: str
) -> None:
    page.goto(f"{site}/escaped")
    assert page.locator("#items li").all_text_contents() == list(HOSTILE)
    assert_no_script_ran(page, browser_log)


def test_arabic_renders_in_a_noto_font(
    page: Page, browser_context: BrowserContext, site: str
) -> None:
    fonts = arabic_fonts()
    if not fonts:
        unavailable("no Noto Arabic font (fonts-noto-core) for fontconfig")
    page.goto(f"{site}/arabic")
    cdp = browser_context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]
    node = cdp.send("DOM.querySelector", {"nodeId": root["nodeId"], "selector": "#text"})
    used = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    families = {font["familyName"] for font in used}
    assert any("Noto" in family and "Arabic" in family for family in families), (families, fonts)
    assert sum(font["glyphCount"] for font in used) >= len(ARABIC.replace(" ", ""))
    path = screenshot(page, "arabic")
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and path.stat().st_size > 2000


def test_a_problem_fails_the_test_at_teardown(browser: Browser, tmp_path: Path) -> None:
    """The `page` fixture fails a test whose page had a problem it did not expect."""
    examples = Path(__file__).with_name("teardown_examples.py")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(examples)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "TEST_SCREENSHOTS": str(tmp_path)},
        timeout=300,
    )
    out = result.stdout
    assert result.returncode == 1 and "5 passed, 3 errors" in out, out + result.stderr
    for name in ("test_console_error", "test_page_error", "test_csp_violation"):
        assert f"ERROR at teardown of {name}" in out, out
    assert "console: boom" in out and "pageerror: thrown" in out, out
    assert "csp: script-src-elem blocked inline" in out, out
