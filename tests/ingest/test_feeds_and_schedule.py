"""The feeds file, the shared schedule, and `monitor poll --once` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from monitor.errors import ConfigError
from monitor.ingest.feeds import load_feeds
from monitor.ingest.schedule import LEASE_SECONDS, Schedule
from monitor.keyspace import Keyspace
from tests.conftest import ROOT
from tests.feed_server import feed_server
from tests.processes import env_for, monitor


def test_shipped_feeds_load() -> None:
    feeds = load_feeds(ROOT / "feeds.yaml")
    assert len(feeds) >= 9
    assert {feed.lang for feed in feeds} == {"ar", "en"}
    assert all(feed.url.startswith("https://") and not feed.allow_private for feed in feeds)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "feeds:\n  - {id: a, url: 'https://x.example/rss'}\n",
            ":2:5: feeds.0.lang: Field required",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x.example/rss', lang: ar, interval: 5s}\n",
            "feeds.0.interval: Input should be greater than or equal to 60",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x/1', lang: ar}\n"
            "  - {id: a, url: 'https://x/2', lang: ar}\n",
            ":3:6: duplicate feed id 'a'",
        ),
        ("feeds:\n  - {id: a, url: 'https://x/1', lang: ar, intervall: 5m}\n", "intervall"),
    ],
)
def test_feed_file_errors_name_the_place(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_feeds(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)


def test_a_claimed_feed_is_nobody_elses_until_its_lease_ends(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    first, second = Schedule(redis_client, keys), Schedule(redis_client, keys)
    first.sync(["a", "b"], now=100.0)
    assert sorted(first.claim(100.0, limit=10)) == ["a", "b"]
    assert second.claim(100.0 + LEASE_SECONDS - 1, limit=10) == []
    assert sorted(second.claim(100.0 + LEASE_SECONDS, limit=10)) == ["a", "b"]


def test_sync_adds_and_drops_feeds(redis_client: redis.Redis, keys: Keyspace) -> None:
    schedule = Schedule(redis_client, keys)
    schedule.sync(["a", "b"], now=100.0)
    schedule.reschedule({"a": 500.0})
    schedule.sync(["a", "c"], now=200.0)
    assert schedule.next_due("a") == 500.0
    assert schedule.next_due("b") is None
    assert schedule.next_due("c") == 200.0


def test_poll_once_from_the_command_line(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    with feed_server() as server:
        server.items[1] = [("n1", "خبر")]
        server.broken[2] = (404, "text/plain", b"gone")
        (tmp_path / "feeds.yaml").write_text(
            "feeds:\n"
            f"  - {{id: good, url: '{server.url(1)}', lang: ar, allow_private: true}}\n"
            f"  - {{id: gone, url: '{server.url(2)}', lang: ar, allow_private: true}}\n"
            "  - {id: intranet, url: 'http://127.0.0.1:9/rss', lang: ar}\n",
            encoding="utf-8",
        )
        env = env_for(tmp_path, redis_url, keys.prefix)
        result = monitor("poll", "--once", env=env)
    assert result.returncode == 0, result.stderr
    lines = sorted(result.stdout.splitlines())
    assert lines == ["gone: error, 0 new", "good: ok, 0 new", "intranet: error, 0 new"]
    feeds = monitor("feeds", env=env).stdout
    assert "http_status" in feeds and "404" in feeds
    assert "refused_address" in feeds and "127.0.0.1" in feeds
