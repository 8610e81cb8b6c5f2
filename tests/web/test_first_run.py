"""A first run as the README tells it, in a real Chromium: `monitor run` on its embedded
Redis prints its dashboard's address; the seeds replayed into its records show there as
three stories; one is silenced from its page; and the overview, left open, ticks by itself
when a new report comes in."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.sync_api import Page

from tests.conftest import RULES_DIR, SEEDS
from tests.feed_server import feed_server
from tests.processes import ROOT, env_for, monitor, stop, submit, wait_until
from tests.web.browser import screenshot
from tests.web.dashboard import free_port

STRIKE = {"id": "tick-1", "title": "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية", "source": "x"}
"""A report that comes in while the overview is open: a new story of another rule."""


def healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


def alerts_today(url: str) -> int:
    found = httpx.get(url + "/", params={"format": "json"}, timeout=60).json()
    return int(found["alerts_today"])


def test_replayed_seeds_are_three_stories_one_silenced_and_the_overview_ticks(
    page: Page, tmp_path: Path
) -> None:
    port = free_port()
    env = env_for(
        tmp_path,
        "",
        "monitor-first-run",
        MONITOR_WORKERS="1",
        MONITOR_RULES=str(RULES_DIR),
        MONITOR_DASHBOARD_PORT=str(port),
    )
    log = tmp_path / "run.log"
    with feed_server() as feeds, log.open("w") as output:
        feeds.items[1] = [("quiet-1", "Weather in Basra: a hot and dry week ahead")]
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - {{id: local, url: '{feeds.url(1)}', lang: en, allow_private: true}}\n",
            encoding="utf-8",
        )
        run = subprocess.Popen(
            [sys.executable, "-m", "monitor", "run"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until(lambda: f"dashboard at {url}/" in log.read_text(), "the printed address")
            wait_until(lambda: healthy(url), "a worker and a poller beating, seen by /healthz")
            replayed = monitor("replay", "--keep", *map(str, SEEDS), env=env)
            assert replayed.returncode == 0, replayed.stderr

            wait_until(lambda: alerts_today(url) == 3, "three alerts on the overview")
            page.goto(url + "/alerts")
            stories = page.locator("article.alert")
            assert stories.count() == 3
            sources = [stories.nth(n).locator(".sources li").count() for n in range(3)]
            stories.nth(sources.index(3)).locator("h3 a").click()
            page.wait_for_url(re.compile(r".*/stories/.+"))
            page.fill("#silence-story input[name=for]", "2h")
            page.fill("#silence-story input[name=comment]", "talks covered elsewhere")
            page.click("#silence-story button")
            page.wait_for_url(url + "/silences")
            assert "talks covered elsewhere" in page.inner_text("main")

            page.goto(url + "/")
            assert "1 silence(s) in force" in page.inner_text(".banner")
            alive = page.locator("tr.alive td:first-child").all_inner_texts()
            assert "worker" in alive and "poller" in alive, alive
            day = datetime.now(UTC).date()
            assert page.inner_text("#alerts-today").strip() == "3"
            assert submit([STRIKE], env) == 1
            # No reload: the page refreshes its own figures. Its day is the UTC day: past
            # midnight, today's alerts are the new one alone.
            wait_until(
                lambda: (
                    page.inner_text("#alerts-today").strip()
                    == ("4" if datetime.now(UTC).date() == day else "1")
                ),
                "the overview to tick",
            )
            # The items matched in the last minutes rise above a line flat for the day before.
            points = page.locator("svg.spark polyline").first.get_attribute("points") or ""
            heights = [float(point.split(",")[1]) for point in points.split()]
            assert len(heights) == 24 * 60 and set(heights[:-10]) == {max(heights)}
            assert min(heights[-10:]) < max(heights)
            screenshot(page, "first-run-overview")
        finally:
            stop(run)
    assert "monitor stopped" in log.read_text()
