"""Driving Debian's Chromium with Playwright, and watching what a page does in it.

The tests use the system's Chromium (`executable_path`), never a browser Playwright
downloads. Every page a test opens is watched: console errors, uncaught errors, Content
Security Policy violations, and calls of the canary that hostile content tries to make.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NoReturn

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Error, Page, Playwright

ROOT = Path(__file__).resolve().parent.parent.parent

INSTALL = "sudo apt-get install chromium fonts-noto-core"
"""How a developer's machine gets what the browser tests drive and render Arabic with."""

SCREENSHOTS = Path(os.environ.get("TEST_SCREENSHOTS") or ROOT / "test-output" / "screenshots")
"""Where `screenshot` writes (TEST_SCREENSHOTS, else test-output/screenshots, which git
ignores); emptied when a session starts its browser."""

CANARY = "__canary__"
"""What hostile content sets `document.title` to, if any of its script ever runs."""

HOSTILE = (
    "<script>window.__canary('script element')</script>",
    '<img src="data:," onerror="window.__canary(\'img onerror\')">',
    "<svg onload=\"window.__canary('svg onload')\"></svg>",
    '<a href="javascript:window.__canary(\'javascript url\')" id="hostile-link">x</a>',
    f"<script>document.title = '{CANARY}'</script>",
    f'"><script>document.title = "{CANARY}"</script>',
    f"<iframe srcdoc=\"<script>parent.document.title='{CANARY}'</script>\"></iframe>",
)
"""Strings that run a script if a page ever puts them into its DOM as markup, not text:
feed them in where the dashboard shows what feeds and users wrote."""

KINDS = ("console", "pageerror", "csp", "canary")
"""What the watch records: console errors, uncaught page errors, CSP violations, canary calls."""

INIT_SCRIPT = """
(() => {
  const report = (kind, detail) => {
    try { window.__harnessReport(kind, String(detail)); } catch (e) { /* not exposed */ }
  };
  window.__cspViolations = [];
  window.__canaryCalls = [];
  document.addEventListener("securitypolicyviolation", (event) => {
    const detail = `${event.effectiveDirective} blocked ${event.blockedURI || "(none)"}`
      + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`
      + (event.sample ? ` (${event.sample})` : "");
    window.__cspViolations.push(detail);
    report("csp", detail);
  }, true);
  Object.defineProperty(window, "__canary", {
    value: (...args) => {
      const detail = args.map(String).join(" ") || "(no arguments)";
      window.__canaryCalls.push(detail);
      report("canary", detail);
    },
    writable: false,
    configurable: false,
  });
})();
"""
"""Run in every document before its own scripts, unaffected by the page's CSP."""


def in_ci() -> bool:
    """CI=true: a browser test that cannot run fails there instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test on a developer's machine; under CI, fail it."""
    message = f"{reason}; install it with `{INSTALL}`"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


def chromium_path() -> str | None:
    """The system's Chromium: `chromium` on PATH, else /usr/bin/chromium."""
    found = shutil.which("chromium")
    if found:
        return found
    fallback = Path("/usr/bin/chromium")
    return str(fallback) if os.access(fallback, os.X_OK) else None


def arabic_fonts() -> list[str]:
    """The Noto Arabic fonts fontconfig knows (from fonts-noto-core)."""
    if shutil.which("fc-list") is None:
        return []
    listed = subprocess.run(
        ["fc-list", ":lang=ar", "family"], capture_output=True, text=True, timeout=60
    )
    return sorted({line for line in listed.stdout.splitlines() if "noto" in line.lower()})


def launch(playwright: Playwright, executable: str) -> Browser:
    """Headless Chromium; its sandbox cannot run as root, so root runs it without."""
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return playwright.chromium.launch(
        executable_path=executable,
        headless=True,
        chromium_sandbox=not as_root,
        args=["--disable-dev-shm-usage", "--font-render-hinting=none"],
    )


class BrowserLog:
    """What the pages of one browser context did that a test may not want."""

    def __init__(self) -> None:
        self.events: dict[str, list[str]] = {kind: [] for kind in KINDS}
        self.expected: set[str] = set()

    def expect(self, *kinds: str) -> None:
        """Declare problems of these kinds expected: the teardown check lets them pass."""
        unknown = set(kinds) - set(KINDS)
        assert not unknown, f"unknown kinds {sorted(unknown)}; known: {KINDS}"
        self.expected.update(kinds)

    def record(self, kind: str, detail: str) -> None:
        if detail not in self.events[kind]:
            self.events[kind].append(detail)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.record("csp", f"console: {message.text}")
        elif message.type == "error":
            self.record("console", f"{message.text} ({message.location.get('url', '')})")

    def collect(self, pages: Iterable[Page]) -> None:
        """Take in what the open documents hold that has not reached us yet."""
        for page in pages:
            if page.is_closed():
                continue
            try:
                held = page.evaluate("[window.__cspViolations || [], window.__canaryCalls || []]")
                title = page.title()
            except Error:
                continue  # a page mid-navigation or crashed: its events came by the binding
            for detail in held[0]:
                self.record("csp", detail)
            for detail in held[1]:
                self.record("canary", detail)
            if CANARY in title:
                self.record("canary", f"document.title is {title!r} on {page.url}")

    def problems(self, pages: Iterable[Page] = (), *, all_kinds: bool = False) -> list[str]:
        """Every problem recorded (of the kinds not expected, unless all_kinds), one a line."""
        self.collect(pages)
        return [
            f"{kind}: {detail}"
            for kind in KINDS
            if all_kinds or kind not in self.expected
            for detail in self.events[kind]
        ]


def watch(context: BrowserContext) -> BrowserLog:
    """Record console errors, page errors, CSP violations and canary calls of every page
    the context opens from now on (the context must have no pages yet)."""
    log = BrowserLog()
    context.expose_binding(
        "__harnessReport", lambda _source, kind, detail: log.record(kind, detail)
    )
    context.add_init_script(INIT_SCRIPT)
    context.on("console", log.on_console)
    context.on("weberror", lambda error: log.record("pageerror", str(error.error)))
    return log


def assert_no_script_ran(page: Page, log: BrowserLog) -> None:
    """No hostile string ran: the canary was never called and the title never set to it."""
    log.collect([page])
    calls = log.events["canary"]
    assert not calls, "script from hostile content ran:\n" + "\n".join(calls)


def screenshot(page: Page, name: str, **options: Any) -> Path:
    """The page as a PNG under test-output/screenshots/NAME.png (NAME-2.png, ... if taken)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^\w.-]+", "-", name).strip("-.") or "page"
    path = SCREENSHOTS / f"{stem}.png"
    number = 1
    while path.exists():
        number += 1
        path = SCREENSHOTS / f"{stem}-{number}.png"
    page.screenshot(path=str(path), **{"full_page": True, **options})
    return path
