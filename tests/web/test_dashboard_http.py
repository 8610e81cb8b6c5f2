"""The dashboard over HTTP, from a real `monitor dashboard` process and a real Redis: every
page and its JSON twin, the safety headers, feed text escaped, sign-in off loopback, CSRF
and same-origin checks on changes, and /healthz."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from monitor.heartbeat import Heartbeat, beats
from monitor.history import History
from monitor.ingest.poller_health import PollerHealth, PollerRoster
from monitor.ingest.schedule import Schedule
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.queue import enqueue, rq_queue
from monitor.redis_server import EmbeddedRedis
from monitor.silence import NOTHING_SILENCED, SilenceBook
from monitor.web.guard import CSP, TOKEN_ENV
from tests.processes import env_for, monitor, wait_until
from tests.web.dashboard import dashboard, put_story
from workers.worker import MonitorWorker

PAGES = ("/", "/alerts", "/silences", "/deliveries", "/feeds", "/rules", "/pipeline")

HOSTILE = [
    '<script>window.__canary("title")</script>',
    '"><img src=x onerror="window.__canary(\'attr\')">',
    "هجوم <b onmouseover=alert(1)>على</b> قاعدة عين الأسد",
]


@pytest.fixture
def env(tmp_path: Path, redis_url: str, keys: Keyspace) -> dict[str, str]:
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    return env_for(tmp_path, redis_url, keys.prefix)


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def test_every_page_and_its_json_twin_with_the_safety_headers(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    put_story(redis_client, keys, "story-1", ["قصف على قاعدة عين الأسد", "Strike on Ain al-Asad"])
    with dashboard(env) as board, board.client() as http:
        for path in (*PAGES, "/stories/story-1"):
            page = http.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert page.headers["content-security-policy"] == CSP
            assert page.headers["x-content-type-options"] == "nosniff"
            assert page.headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
            assert "<script>" not in page.text and " style=" not in page.text, path
            twin = http.get(path, params={"format": "json"})
            assert twin.status_code == 200 and twin.headers["content-type"] == "application/json"
            json.loads(twin.text)
        alerts = http.get("/alerts", params={"format": "json"}).json()
        [sent] = alerts["notifications"]
        assert sent["story"] == "story-1" and len(sent["links"]) == 2
        assert alerts["langs"] == ["ar"] and sent["langs"] == ["ar"]
        assert sent["severity"] == "high" and alerts["severities"][-1] == "critical"
        for params, shown in (
            ({"severity": "medium"}, 1),
            ({"severity": "high"}, 1),
            ({"severity": "critical"}, 0),
            ({"severity": "nonsense"}, 1),
            ({"lang": "ar"}, 1),
            ({"lang": "en"}, 0),
            ({"hours": "1"}, 1),
            ({"q": "عين الاسد"}, 1),  # written without the hamza: normalised as rules are
            ({"q": "Baghdad"}, 0),
        ):
            found = http.get("/alerts", params={**params, "format": "json"}).json()
            assert len(found["notifications"]) == shown, params
        assert http.get("/stories/no-such-story").status_code == 404
        assert http.get("/rules/no-such-rule").status_code == 404
        hunted = http.get("/rules/us-iraq-talks", params={"days": "x", "format": "json"})
        assert hunted.status_code == 200 and hunted.json()["days"] == 1
        assert http.get("/stories/" + "x" * 300).status_code == 404
        shown = http.get("/alerts").text
        assert '<span class="severity severity-high">high</span>' in shown
        fragment = http.get("/", headers={"X-Fragment": "1"}).text
        assert "<nav>" not in fragment and "alerts today" in fragment


def test_feed_text_is_escaped_and_only_web_links_are_links(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    links = ["javascript:window.__canary('link')", "https://news.example/ok", "data:text/html,x"]
    put_story(redis_client, keys, "hostile", HOSTILE, links, quote=HOSTILE[0])
    with dashboard(env) as board, board.client() as http:
        for path in ("/alerts", "/stories/hostile"):
            page = http.get(path).text
            assert "<script>window.__canary" not in page and "<img src=x" not in page
            assert "&lt;script&gt;window.__canary" in page
            assert "<b onmouseover" not in page
            hrefs = re.findall(r'<a [^>]*href="([^"]*)"', page)
            assert not [href for href in hrefs if href.startswith(("javascript:", "data:"))]
            assert 'href="https://news.example/ok" rel="noopener noreferrer"' in page


def test_silence_from_the_page_with_csrf_and_same_origin_checks(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    put_story(redis_client, keys, "story-2", ["قصف على قاعدة عين الأسد"])
    book = SilenceBook(redis_client, keys)
    with dashboard(env) as board, board.client() as http:
        token = csrf_of(http.get("/stories/story-2").text)
        form = {"story": "story-2", "for": "1h", "comment": "seen", "csrf": token}
        assert http.post("/silences", data={**form, "csrf": "0" * 64}).status_code == 403
        cross = http.post("/silences", data=form, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
        evil = http.post("/silences", data=form, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 403
        assert book.active(0) == []
        added = http.post("/silences", data=form)
        assert added.status_code == 303 and added.headers["location"] == "/silences"
        [silence] = book.active(0)
        assert silence.story == "story-2" and silence.by == "dashboard"
        listed = http.get("/silences").text
        assert "story=<bdi>story-2</bdi>" in listed
        bad = http.post("/silences", data={"for": "forever", "csrf": token})
        assert bad.status_code == 400 and "is not a duration such as" in bad.text
        everything = http.post("/silences", data={"for": "1h", "csrf": token})
        assert everything.status_code == 400 and NOTHING_SILENCED in everything.text
        expired = http.post(f"/silences/{silence.id}/expire", data={"csrf": token})
        assert expired.status_code == 303 and book.active(0) == []
        assert http.get("/silences/x/expire").status_code == 405  # never a change by GET


def test_with_a_token_every_page_needs_it_but_healthz(env: dict[str, str]) -> None:
    token = "t0ken-" + "x" * 30
    with dashboard({**env, TOKEN_ENV: token}) as board, board.client() as http:
        for path in (*PAGES, "/metrics", "/alerts?format=json"):
            refused = http.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"] == "Bearer"
        page = http.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"] == "/login"
        assert http.get("/healthz").status_code in (200, 503)
        bearer = http.get("/alerts", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200
        assert http.post("/login", data={"token": "wrong"}).status_code == 401
        signed = http.post("/login", data={"token": token})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        cookie = signed.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert http.get("/alerts").status_code == 200  # the session cookie, kept by the client


def test_no_token_no_listening_off_loopback(env: dict[str, str]) -> None:
    refused = monitor("dashboard", "--host", "0.0.0.0", env=env)
    assert refused.returncode == 1
    assert f"set {TOKEN_ENV}" in refused.stderr and "0.0.0.0" in refused.stderr


def test_healthz_is_503_until_workers_beat_and_when_redis_stops(
    tmp_path: Path, keys: Keyspace
) -> None:
    server = EmbeddedRedis(tmp_path / "own-redis")
    server.start()
    try:
        (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
        env = env_for(tmp_path, f"unix://{server.socket}", keys.prefix)
        client = redis.Redis(unix_socket_path=str(server.socket))
        with dashboard(env) as board, board.client() as http:
            down = http.get("/healthz")
            assert down.status_code == 503
            assert down.json()["problems"][0].startswith("no worker alive")
            Heartbeat(client, keys, "worker").beat()
            assert http.get("/healthz").json() == {"ok": True, "problems": []}
            server.stop()
            wait_until(lambda: http.get("/healthz").status_code == 503, "a 503 without Redis")
            gone = http.get("/healthz").json()
            assert gone["ok"] is False and "Redis does not answer" in gone["problems"][0]
    finally:
        server.stop()


def test_hostile_or_odd_requests_do_not_break_pages(env: dict[str, str]) -> None:
    with dashboard(env) as board, board.client() as http:
        odd = {"rule": "<script>", "q": "\u202e\u0000", "limit": "-5", "channel": "x" * 5000}
        page = http.get("/alerts", params=odd)
        assert page.status_code == 200 and "<script>" not in page.text.split("</nav>")[1]
        assert http.get("/feeds", params={"errors": "<1>"}).status_code == 200
        with pytest.raises(httpx.HTTPStatusError):
            http.get("/../../etc/passwd").raise_for_status()


def test_metrics_parse_with_prometheus_own_parser(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    put_story(redis_client, keys, "story-m", ["قصف على قاعدة عين الأسد"])
    Heartbeat(redis_client, keys, "worker").beat()
    with dashboard(env) as board, board.client() as http:
        scraped = http.get("/metrics")
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(scraped.text)}
    [sent] = [s for s in families["monitor_deliveries"].samples if s.name.endswith("_total")]
    assert (sent.labels, sent.value) == ({"channel": "hook", "outcome": "sent"}, 1.0)
    alive = {s.labels["role"]: s.value for s in families["monitor_processes_alive"].samples}
    assert alive["worker"] == 1.0


def test_a_silence_shows_what_it_quiets_and_is_extended(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    put_story(redis_client, keys, "story-q", ["قصف على قاعدة عين الأسد"])
    book = SilenceBook(redis_client, keys)
    with dashboard(env) as board, board.client() as http:
        token = csrf_of(http.get("/silences").text)
        http.post("/silences", data={"rule": "base-attack", "for": "1h", "csrf": token})
        [silence] = book.active(0)
        shown = http.get("/silences", params={"format": "json"}).json()["silences"]
        assert shown[0]["covers"] == ["story-q"]
        extended = http.post(f"/silences/{silence.id}/extend", data={"for": "2h", "csrf": token})
        assert extended.status_code == 303
        [longer] = book.active(0)
        assert round(longer.ends - silence.ends) == 7200
        too_far = http.post(f"/silences/{silence.id}/extend", data={"for": "90d", "csrf": token})
        assert too_far.status_code == 400 and "longest silence" in too_far.text
        gone = http.post("/silences/nothere/extend", data={"for": "1h", "csrf": token})
        assert gone.status_code == 400 and "has ended or been removed" in gone.text
        # Expired now, it is listed as ended, and silenced again from there as it was.
        assert http.post(f"/silences/{silence.id}/expire", data={"csrf": token}).status_code == 303
        assert book.active(time.time()) == []
        listed = http.get("/silences", params={"format": "json"}).json()
        [ended] = listed["ended"]
        assert ended["id"] == silence.id and ended["fields"] == {"rule": "base-attack"}
        page = http.get("/silences").text
        again = re.search(r'<table id="ended">.*?<form[^>]*>(.*?)</form>', page, re.S)
        assert again, "no form to silence again"
        fields = dict(re.findall(r'name="([a-z]+)" value="([^"]*)"', again.group(1)))
        assert fields["rule"] == "base-attack" and fields["csrf"] == token
        assert http.post("/silences", data={**fields, "for": "1h"}).status_code == 303
        [renewed] = book.active(time.time())
        assert renewed.rule == "base-attack" and renewed.id != silence.id


def test_a_feed_page_lists_its_items_and_polls_it_now(
    tmp_path: Path, env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - {id: f1, url: 'http://127.0.0.1:9/rss', lang: ar, allow_private: true}\n",
        encoding="utf-8",
    )
    History(redis_client, keys, 3600).record_item(
        Item(id="i1", source="f1", title="<b>قصف</b> على قاعدة عين الأسد", link="javascript:x")
    )
    schedule = Schedule(redis_client, keys)
    schedule.sync(["f1"], time.time() + 3600)
    with dashboard(env) as board, board.client() as http:
        page = http.get("/feeds/f1")
        assert page.status_code == 200 and "&lt;b&gt;قصف&lt;/b&gt;" in page.text
        assert 'href="javascript:' not in page.text
        assert http.get("/feeds/f2").status_code == 404
        polled = http.post("/feeds/f1/poll", data={"csrf": csrf_of(page.text)})
        assert polled.status_code == 303 and polled.headers["location"] == "/feeds/f1"
        due = schedule.next_due("f1")
        assert due is not None and due <= time.time()
        assert http.post("/feeds/f1/poll", data={"csrf": "0"}).status_code == 403


def test_the_pipeline_shows_running_jobs_escaped_and_the_pollers(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    queue = rq_queue(redis_client, keys.match_queue)
    payload = {"items": [{"id": "x", "title": HOSTILE[0]}]}
    job = enqueue(queue, "builtins.len", payload, job_id="match-hostile")
    queue.remove(job.id)  # as a worker takes it
    MonitorWorker([queue], redis_client, None).prepare_execution(job)
    PollerRoster(redis_client, keys).save(PollerHealth(id="host:42", last_cycle=time.time()))
    with dashboard(env) as board, board.client() as http:
        page = http.get("/pipeline")
        shown = http.get("/pipeline", params={"format": "json"}).json()
    assert page.status_code == 200
    assert "<script>window.__canary" not in page.text
    assert "&lt;script&gt;window.__canary" in page.text
    [running] = shown["started"]
    assert (running["job"], running["items"]) == ("match-hostile", 1)
    assert shown["pollers"][0]["said"].startswith("poller host:42: last cycle")


def test_the_dashboard_beats_like_the_workers(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    with dashboard(env):
        wait_until(
            lambda: [b for b in beats(redis_client, keys) if b.role == "dashboard"],
            "the dashboard's heartbeat",
        )
        shown = monitor("status", "--json", env=env)
    roles = [row["role"] for row in json.loads(shown.stdout)["processes"] if row["alive"]]
    assert roles == ["dashboard"]
