"""`monitor poll --once` as cron runs it: every feed's outcome, a summary, the exit status,
first polls told as baselines, no HTTP request log, and a feeds file judged before polling."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from monitor.keyspace import Keyspace
from tests.feed_server import FeedServer, feed_server
from tests.processes import env_for, monitor

pytestmark = pytest.mark.usefixtures("redis_client")  # removes each test's keys afterwards


def write_feeds(tmp_path: Path, *entries: str) -> None:
    lines = ["feeds:", *(f"  - {{{entry}}}" for entry in entries)]
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def local(server: FeedServer, feed_id: str, number: int, extra: str = "") -> str:
    return f"id: {feed_id}, url: '{server.url(number)}', lang: ar, allow_private: true{extra}"


def poll_once(tmp_path: Path, redis_url: str, keys: Keyspace) -> subprocess.CompletedProcess[str]:
    return monitor("poll", "--once", env=env_for(tmp_path, redis_url, keys.prefix))


def test_a_failed_feed_makes_the_run_fail_after_every_outcome(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [("n1", "خبر"), ("n2", "خبر آخر")]
        server.broken[2] = (404, "text/plain", b"gone")
        server.items[3] = [("n3", "خبر ثالث")]
        write_feeds(
            tmp_path,
            local(server, "good", 1, ", baseline: false"),
            local(server, "gone", 2),
            local(server, "third", 3, ", baseline: false"),
        )
        result = poll_once(tmp_path, redis_url, keys)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "good: ok, 2 new",
        "gone: error, HTTP 404 Not Found",
        "third: ok, 1 new",
        "3 feeds polled: 2 ok, 1 failed, 3 new items",
    ]


def test_a_run_where_every_feed_answers_succeeds(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [("n1", "خبر")]
        write_feeds(tmp_path, local(server, "good", 1, ", baseline: false"))
        first = poll_once(tmp_path, redis_url, keys)
        again = poll_once(tmp_path, redis_url, keys)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "good: ok, 1 new",
        "1 feed polled: 1 ok, 0 failed, 1 new item",
    ]
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == "good: not modified"


def test_a_first_poll_tells_the_baseline_it_recorded(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [(f"b{k}", f"خبر رقم {k}") for k in range(20)]
        write_feeds(tmp_path, local(server, "bbc-arabic", 1))
        result = poll_once(tmp_path, redis_url, keys)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "bbc-arabic: ok, baseline of 20 items recorded (not alerted)",
        "1 feed polled: 1 ok, 0 failed, 0 new items, 20 baseline items recorded",
    ]
    env = env_for(tmp_path, redis_url, keys.prefix)
    assert "0 items +20 baseline" in monitor("feeds", env=env).stdout
    health = json.loads(monitor("feeds", "--json", env=env).stdout)
    assert (health["items_seen"], health["baseline_items"]) == (0, 20)


def test_no_http_request_log_lines(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    with feed_server() as server:
        server.items[1] = [("n1", "خبر")]
        write_feeds(tmp_path, local(server, "good", 1))
        result = poll_once(tmp_path, redis_url, keys)
    assert result.returncode == 0, result.stderr
    assert server.requests, "the feed was never fetched"
    assert "HTTP Request:" not in result.stdout + result.stderr


def test_a_feed_on_a_loopback_address_is_refused_before_any_poll(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [("n1", "خبر")]
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - {{{local(server, 'allowed', 1)}}}\n"
            f"  - id: intranet\n    url: {server.url(1)}\n    lang: ar\n",
            encoding="utf-8",
        )
        result = poll_once(tmp_path, redis_url, keys)
    assert result.returncode != 0
    assert (
        f"{tmp_path / 'feeds.yaml'}:4:5: feed 'intranet': 127.0.0.1 is a loopback address;"
        " set allow_private: true to poll it"
    ) in result.stderr
    assert not server.requests, "a feed was polled although the feeds file is wrong"
