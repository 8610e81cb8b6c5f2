"""The dashboard in a real headless Chromium: every page loads with no console error and no
CSP violation (the `page` fixture fails the test otherwise) and is saved as a screenshot;
hostile feed text, feedparser's own sanitizer tests among it, renders inert; a story is
silenced from its page."""

from __future__ import annotations

import html
import json
import re
import time
from pathlib import Path

import pytest
import redis
from playwright.sync_api import Page

from monitor.keyspace import Keyspace
from monitor.silence import SilenceBook
from tests.conftest import RULES_DIR, SEEDS
from tests.processes import env_for, monitor
from tests.web.browser import HOSTILE, BrowserLog, assert_no_script_ran, screenshot
from tests.web.dashboard import dashboard, put_story
from tests.web.test_redelivery import dead_lettered

SANITIZE = Path(__file__).resolve().parents[3] / "shared/corpus/feedparser/wellformed/sanitize"
"""feedparser's tests of hostile markup in feeds: what the dashboard must show as text."""

PAGES = {
    "overview": "/",
    "alerts": "/alerts",
    "story": "/stories/story-1",
    "silences": "/silences",
    "deliveries": "/deliveries",
    "feeds": "/feeds",
    "rules": "/rules",
    "pipeline": "/pipeline",
}


@pytest.fixture
def env(tmp_path: Path, redis_url: str, keys: Keyspace) -> dict[str, str]:
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    return env_for(tmp_path, redis_url, keys.prefix)


def hostile_payloads() -> list[str]:
    """The entry text of every hostile feed in feedparser's sanitizer tests, unescaped once
    (so that `&lt;script&gt;` comes as `<script>`), and the harness's own."""
    found = list(HOSTILE)
    for path in sorted(SANITIZE.glob("*.xml")):
        if path.name.startswith("acceptable_"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for body in re.findall(r"<(?:content|summary|description|title)[^>]*>(.*?)</", text, re.S):
            found.append(html.unescape(body)[:400])
    return found


def test_every_page_loads_clean_in_a_browser(
    page: Page, env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    titles = ["قصف بطائرات مسيرة على قاعدة عين الأسد غرب العراق", "Drone strike on Ain al-Asad"]
    put_story(redis_client, keys, "story-1", titles)
    for width in (1280, 390):  # a desk and a phone
        page.set_viewport_size({"width": width, "height": 900})
        with dashboard(env) as board:
            for name, path in PAGES.items():
                answer = page.goto(board.url + path)
                assert answer is not None and answer.status == 200, (path, answer)
                assert page.locator("nav").is_visible()
                screenshot(page, f"{name}-{width}")
    # The alert shows the Arabic headline, its quote with the matched words marked, and
    # both sources; the Arabic runs right to left.
    with dashboard(env) as board:
        page.goto(board.url + "/alerts")
        alert = page.locator("article.alert").first
        assert titles[0] in alert.inner_text()
        assert alert.locator("mark").count() == 1
        assert alert.locator(".sources li").count() == 2
        direction = alert.locator("blockquote").evaluate("e => getComputedStyle(e).direction")
        assert direction == "rtl"


def test_hostile_feed_text_renders_inert(
    page: Page,
    browser_log: BrowserLog,
    env: dict[str, str],
    redis_client: redis.Redis,
    keys: Keyspace,
) -> None:
    payloads = hostile_payloads()
    assert len(payloads) > 300, "feedparser's sanitizer tests are missing"
    chunks = [payloads[start : start + 60] for start in range(0, len(payloads), 60)]
    for number, chunk in enumerate(chunks):
        links = ["javascript:window.__canary('link')"] * len(chunk)
        put_story(redis_client, keys, f"hostile-{number}", chunk, links, quote=chunk[0])
    with dashboard(env) as board:
        page.goto(board.url + "/alerts")
        assert HOSTILE[0] in page.inner_text("main")  # shown as text, not run
        screenshot(page, "hostile-alerts")
        for number in range(len(chunks)):
            page.goto(f"{board.url}/stories/hostile-{number}")
            hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.href)")
            assert not [href for href in hrefs if href.startswith("javascript:")]
        screenshot(page, "hostile-story")
        page.wait_for_timeout(500)  # what an onload or a timer would have done by now
        assert_no_script_ran(page, browser_log)


def test_a_story_is_silenced_from_its_page(
    page: Page, env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    put_story(redis_client, keys, "story-s", ["قصف على قاعدة عين الأسد"])
    with dashboard(env) as board:
        page.goto(board.url + "/stories/story-s")
        page.fill("#silence-story input[name=for]", "2h")
        page.click("#silence-story button")
        page.wait_for_url(board.url + "/silences")
        assert "story-s" in page.inner_text("main")
        screenshot(page, "silenced")
        # The rule too, from the same page, prefilled but for who asked.
        page.goto(board.url + "/stories/story-s")
        page.fill("#silence-rule input[name=by]", "on-call")
        page.click("#silence-rule button")
        page.wait_for_url(board.url + "/silences")
    story, rule = sorted(SilenceBook(redis_client, keys).active(0), key=lambda s: s.rule)
    assert story.story == "story-s" and story.comment == "from the story page"
    assert (rule.rule, rule.story, rule.by) == ("base-attack", "", "on-call")
    assert rule.comment == "from story story-s" and 0 < rule.ends - time.time() <= 3600


def test_replayed_seeds_show_as_stories_with_their_sources_and_marked_words(
    page: Page, env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    # The real pipeline, from the command line: `monitor replay --keep` into the records.
    env = {**env, "MONITOR_RULES": str(RULES_DIR)}
    replayed = monitor("replay", "--keep", *map(str, SEEDS), env=env)
    assert replayed.returncode == 0, replayed.stderr
    assert "3 notification(s), 3 stories" in replayed.stderr
    with dashboard(env) as board:
        page.goto(board.url + "/alerts")
        alerts = page.locator("article.alert")
        assert alerts.count() == 3
        sources = [alerts.nth(n).locator(".sources li").count() for n in range(3)]
        assert sorted(sources) == [1, 1, 3]
        assert all(alerts.nth(n).locator("mark").count() >= 1 for n in range(3))
        screenshot(page, "seeds-alerts")
        widest = alerts.nth(sources.index(3))
        widest.locator("h3 a").click()
        page.wait_for_url(re.compile(r".*/stories/.+"))
        assert page.locator("main ol > li").count() == 3
        assert page.locator("main ol mark").count() >= 3
        # The decision that sent it, with its reason.
        decisions = page.locator("table", has=page.locator("th", has_text="decision"))
        assert "new story" in decisions.inner_text()
        screenshot(page, "seeds-story")
        page.goto(board.url + "/")
        assert page.inner_text("#alerts-today").strip().isdigit()
        screenshot(page, "seeds-overview")
        overview = page.request.get(board.url + "/?format=json").json()
        assert sum(overview["items_per_minute"]) == len(SEEDS)  # the minute they were matched
        # The rules, counted; and a retro-hunt of one over the items kept.
        page.goto(board.url + "/rules")
        row = page.locator("tr", has=page.locator("code", has_text="us-iraq-talks"))
        assert int(row.locator("td").nth(3).inner_text()) >= 1
        row.locator("a").click()
        page.wait_for_url(re.compile(r".*/rules/us-iraq-talks\?days=1"))
        assert page.locator("main ol > li").count() >= 3
        assert page.locator("main ol mark").count() >= 3
        screenshot(page, "seeds-rule-hunt")


def test_a_dead_letter_redelivered_by_a_click_arrives_once(
    page: Page, tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    with dead_lettered(tmp_path, redis_url, redis_client, keys) as (sink, env):
        with dashboard(env) as board:
            page.goto(board.url + "/deliveries")
            screenshot(page, "dead-letter")
            page.click("text=Redeliver")
            page.wait_for_url(board.url + "/deliveries")
            assert page.locator("text=Redeliver").count() == 0  # taken: it cannot go twice
        worked = monitor("work", "--burst", env=env)
        assert worked.returncode == 0, worked.stderr
    assert len(sink.received) == 2  # the 400 that dead-lettered it, then the redelivery


UPDATING_RULE = """\
id: base-attack
title: Attack on Ain al-Asad
severity: high
policy: {group_wait: 0, repeat_after: 0s}
terms:
  base: {mode: exact, words: [عين الأسد]}
  attack: [هجوم]
match: {all: [base, attack]}
"""
"""A rule whose stories notify each update at once, so that a silence has one to stop."""

REPORTS = {
    "a": "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية في محافظة الأنبار غربي العراق",
    "b": "مصادر أمنية: هجوم بطائرتين مسيرتين استهدف قاعدة عين الأسد الجوية غرب الأنبار فجرا",
    "c": "تعرضت قاعدة عين الأسد الجوية في الأنبار لهجوم بطائرات مسيرة وأكدت قيادة العمليات",
}
"""Three outlets' reports of one attack, each worded its own way: one story."""


def test_silencing_a_story_from_its_page_stops_its_next_notification(
    page: Page, tmp_path: Path, env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "attack.yaml").write_text(UPDATING_RULE, encoding="utf-8")
    env = {**env, "MONITOR_RULES": str(rules)}

    def report(name: str) -> None:
        item = {"id": f"item-{name}", "title": REPORTS[name], "source": f"outlet-{name}"}
        path = tmp_path / f"{name}.jsonl"
        path.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
        replayed = monitor("replay", "--keep", str(path), env=env)
        assert replayed.returncode == 0, replayed.stderr

    def updates() -> list[int]:
        sent = [json.loads(raw) for raw in redis_client.zrange(keys.alerts, 0, -1)]
        return sorted(record["update"] for record in sent)

    report("a")
    report("b")
    assert updates() == [0, 1]  # the story and its first update both went out
    with dashboard(env) as board:
        page.goto(board.url + "/alerts")
        page.locator("article.alert h3 a").first.click()
        page.wait_for_url(re.compile(r".*/stories/.+"))
        page.fill("#silence-story input[name=for]", "1h")
        page.click("#silence-story button")
        page.wait_for_url(board.url + "/silences")
        report("c")
        assert updates() == [0, 1]  # the third report joined the story, and said nothing
        page.goto(board.url + "/alerts")
        page.locator("article.alert h3 a").first.click()
        assert page.locator("main ol > li").count() == 3
        decisions = page.locator("table", has=page.locator("th", has_text="decision"))
        assert decisions.locator("tbody tr").first.inner_text().count("silenced") == 1
        screenshot(page, "silenced-story")
