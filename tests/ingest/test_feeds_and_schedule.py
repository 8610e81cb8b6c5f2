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


def problems_of(tmp_path: Path, text: str) -> list[str]:
    """The problems `load_feeds` finds in a feeds file of `text`, with the path left off."""
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_feeds(path)
    return [line.removeprefix(str(path)) for line in str(caught.value).splitlines()]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "feeds:\n  - {id: a, url: 'https://x.example/rss'}\n",
            ":2:5: feed 'a': lang: missing; this key is required",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x.example/rss', lang: ar, interval: banana}\n",
            ":2:53: feed 'a': interval: 'banana' is not a duration such as 90s, 5m, 2h or 3d",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x.example/rss', lang: ar, interval: 10s}\n",
            ":2:53: feed 'a': interval: '10s' is shorter than the least allowed, 1m",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x.example/rss', lang: ar, interval: 2h}\n",
            ":2:53: feed 'a': interval: '2h' is longer than the most allowed, 1h",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x/1', lang: ar, intervall: 5m}\n",
            ":2:43: feed 'a': intervall: unknown key 'intervall' (did you mean 'interval'?)",
        ),
        (
            "feeds:\n  - {id: A b, url: 'https://x/1', lang: ar}\n",
            ":2:6: feed 'A b': id: 'A b' is not an id of lowercase letters, digits, '.', '_'"
            " and '-', such as bbc-arabic",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x/1', lang: a, baseline: maybe}\n",
            ":2:33: feed 'a': lang: 'a' is shorter than the least allowed, 2 characters",
        ),
        (
            "feeds:\n  - {id: a, url: 'https://x/1', lang: ar, baseline: maybe}\n",
            ":2:43: feed 'a': baseline: 'maybe' is not true or false",
        ),
        ("feeds:\n  - just text\n", ":2:5: feeds[0]: 'just text' is not a mapping of keys"),
        ("feeds: {}\nfeedz: 1\n", ":2:1: feedz: unknown key 'feedz' (did you mean 'feeds'?)"),
    ],
)
def test_feed_file_problems_in_the_users_words(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in problems_of(tmp_path, text)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/rss", "127.0.0.1 is a loopback address"),
        ("http://localhost/rss", "localhost is a loopback name"),
        ("http://feeds.localhost/rss", "feeds.localhost is a loopback name"),
        ("http://[::1]/rss", "::1 is a loopback address"),
        ("http://127.1/rss", "127.0.0.1 (for 127.1) is a loopback address"),
        ("http://2130706433/rss", "127.0.0.1 (for 2130706433) is a loopback address"),
        ("http://10.1.2.3/rss", "10.1.2.3 is a private address"),
        ("https://192.168.0.9/rss", "192.168.0.9 is a private address"),
        ("http://169.254.10.1/rss", "169.254.10.1 is a link-local address"),
        (
            "http://[::ffff:10.0.0.1]/",
            "::ffff:a00:1 (for ::ffff:10.0.0.1) carries 10.0.0.1, a private address",
        ),
    ],
)
def test_a_private_address_needs_allow_private(tmp_path: Path, url: str, expected: str) -> None:
    text = f"feeds:\n  - id: x\n    lang: ar\n    url: '{url}'\n"
    assert problems_of(tmp_path, text) == [
        f":4:5: feed 'x': {expected}; set allow_private: true to poll it"
    ]
    allowed = tmp_path / "allowed.yaml"
    allowed.write_text(text + "    allow_private: true\n", encoding="utf-8")
    assert [feed.url for feed in load_feeds(allowed)] == [url]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "file: URLs are refused; only http and https feeds are polled"),
        ("gopher://x.example/", "gopher: URLs are refused; only http and https feeds are polled"),
        ("ftp://x.example/rss", "ftp: URLs are refused; only http and https feeds are polled"),
        ("dict://x.example:11211/", "dict: URLs are refused; only http and https feeds are polled"),
        (
            "javascript:alert(1)",
            "javascript: URLs are refused; only http and https feeds are polled",
        ),
        (
            "feeds.example/rss",
            "'feeds.example/rss' has no scheme; write it as https://... or http://...",
        ),
        ("http:///rss", "'http:///rss' has no host"),
        ("http://169.254.169.254/", "169.254.169.254 is a cloud metadata address; never polled"),
    ],
)
def test_only_http_and_https_urls_load(tmp_path: Path, url: str, expected: str) -> None:
    text = f"feeds:\n  - id: x\n    lang: ar\n    url: '{url}'\n    allow_private: true\n"
    assert problems_of(tmp_path, text) == [f":4:5: feed 'x': {expected}"]


def test_every_problem_of_the_file_at_once_in_its_order(tmp_path: Path) -> None:
    text = (
        "feeds:\n"
        "  - {id: a, url: 'https://x/1', lang: ar, interval: banana}\n"
        "  - {id: a, url: 'http://127.0.0.1/2', lang: ar}\n"
        "  - {id: b, url: 'https://x/3', lang: ar}\n"
        "  - {id: b, url: 'file:///etc/passwd', lang: ar, baseline: maybe}\n"
        "  - {id: a, url: 'https://x/5', lang: ar}\n"
    )
    assert problems_of(tmp_path, text) == [
        ":2:43: feed 'a': interval: 'banana' is not a duration such as 90s, 5m, 2h or 3d",
        ":3:6: duplicate feed id 'a', first used at line 2",
        ":3:13: feed 'a': 127.0.0.1 is a loopback address; set allow_private: true to poll it",
        ":5:6: duplicate feed id 'b', first used at line 4",
        ":5:13: feed 'b': file: URLs are refused; only http and https feeds are polled",
        ":5:50: feed 'b': baseline: 'maybe' is not true or false",
        ":6:6: duplicate feed id 'a', first used at line 2",
    ]


def test_an_empty_feeds_list_loads(tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n", encoding="utf-8")
    assert load_feeds(path) == []


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
            f"  - {{id: gone, url: '{server.url(2)}', lang: ar, allow_private: true}}\n",
            encoding="utf-8",
        )
        env = env_for(tmp_path, redis_url, keys.prefix)
        result = monitor("poll", "--once", env=env)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        "good: ok, baseline of 1 item recorded (not alerted)",
        "gone: error, HTTP 404 Not Found",
        "2 feeds polled: 1 ok, 1 failed, 0 new items, 1 baseline item recorded",
    ]
    feeds = monitor("feeds", env=env).stdout
    assert "http_status" in feeds and "404" in feeds
