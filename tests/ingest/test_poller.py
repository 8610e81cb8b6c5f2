"""The poller against feeds served on 127.0.0.1 and a real Redis: what is queued, once,
and what each feed's health says."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import redis

from monitor.clock import SystemClock
from monitor.ingest.feed_state import FeedBook
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller, PollOutcome
from monitor.keyspace import Keyspace
from monitor.queue import rq_queue
from tests.feed_server import FeedServer, feed_server
from tests.processes import env_for, monitor, start_monitor, stop, wait_until


def spec(server: FeedServer, number: int, baseline: bool = False) -> FeedSpec:
    return FeedSpec(
        id=f"feed-{number}",
        url=server.url(number),
        lang="ar",
        allow_private=True,
        baseline=baseline,
    )


def queued_ids(client: redis.Redis, keys: Keyspace) -> list[str]:
    jobs = rq_queue(client, keys.match_queue).get_jobs()
    return [item["id"] for job in jobs for item in job.args[0]["items"]]


def outcomes(client: redis.Redis, keys: Keyspace, feeds: list[FeedSpec]) -> list[PollOutcome]:
    async def run() -> list[PollOutcome]:
        fetcher = Fetcher()
        try:
            poller = Poller(client, keys, feeds, fetcher, {}, 3600, SystemClock())
            return await poller.poll_all_once()
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


def poll_once(client: redis.Redis, keys: Keyspace, feeds: list[FeedSpec]) -> dict[str, str]:
    return {outcome.feed: outcome.status for outcome in outcomes(client, keys, feeds)}


def test_new_items_are_queued_once_and_health_is_kept(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [("a1", "خبر أول"), ("a2", "خبر ثان")]
        server.items[2] = [("b1", "خبر ثالث"), ("a1", "خبر أول")]  # a1 in two feeds
        server.broken[3] = (200, "text/html", b"<html><body>not a feed</body></html>")
        server.broken[4] = (500, "text/plain", b"oops")
        feeds = [spec(server, n) for n in (1, 2, 3, 4)]
        statuses = poll_once(redis_client, keys, feeds)
        assert statuses == {"feed-1": "ok", "feed-2": "ok", "feed-3": "error", "feed-4": "error"}
        assert sorted(queued_ids(redis_client, keys)) == ["a1", "a2", "b1"]

        again = poll_once(redis_client, keys, feeds[:2])
        assert again == {"feed-1": "not_modified", "feed-2": "not_modified"}
        server.items[1].append(("a3", "خبر رابع"))
        assert poll_once(redis_client, keys, feeds[:1]) == {"feed-1": "ok"}
    assert sorted(queued_ids(redis_client, keys)) == ["a1", "a2", "a3", "b1"]
    book = FeedBook(redis_client, keys)
    html, failing = book.get("feed-3", 300), book.get("feed-4", 300)
    assert html.error is not None and html.error.kind == "not_a_feed"
    assert "feed-3" in html.error.message
    assert failing.error is not None and "500" in failing.error.message
    # a1 is in both feeds: it counts for whichever of the two was read first
    seen = [book.get(feed_id, 300).items_seen for feed_id in ("feed-1", "feed-2")]
    assert sum(seen) == 4 and seen[0] >= 2


def test_first_poll_is_a_baseline(redis_client: redis.Redis, keys: Keyspace) -> None:
    with feed_server() as server:
        server.items[1] = [("old", "خبر قديم"), ("older", "خبر أقدم")]
        feeds = [spec(server, 1, baseline=True)]
        assert outcomes(redis_client, keys, feeds) == [PollOutcome("feed-1", "ok", 0, baseline=2)]
        assert queued_ids(redis_client, keys) == []
        server.items[1].append(("new", "خبر جديد"))
        assert outcomes(redis_client, keys, feeds) == [PollOutcome("feed-1", "ok", 1)]
    assert queued_ids(redis_client, keys) == ["new"]
    state = FeedBook(redis_client, keys).get("feed-1", 300)
    assert (state.items_seen, state.baseline_items) == (1, 2)
    assert state.public()["baseline_items"] == 2


def test_a_failed_poll_carries_its_reason(redis_client: redis.Redis, keys: Keyspace) -> None:
    with feed_server() as server:
        server.broken[1] = (503, "text/plain", b"busy")
        [outcome] = outcomes(redis_client, keys, [spec(server, 1)])
    assert outcome.failed
    assert outcome.error == "feed feed-1: HTTP 503 Service Unavailable"


def test_a_broken_feed_stops_nothing_else(redis_client: redis.Redis, keys: Keyspace) -> None:
    with feed_server() as server:
        server.items[1] = [("ok", "خبر")]
        server.broken[2] = (200, "application/rss+xml", b"<rss><channel><item><title>x")
        statuses = poll_once(redis_client, keys, [spec(server, 2), spec(server, 1)])
    assert statuses["feed-1"] == "ok"
    assert queued_ids(redis_client, keys) == ["ok"]


def test_two_pollers_share_two_hundred_feeds(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    client = redis.Redis.from_url(redis_url)
    with feed_server() as server:
        lines = ["feeds:"]
        for number in range(200):
            server.items[number] = [(f"{number}-{k}", f"خبر رقم {k} من {number}") for k in range(3)]
            server.items[number].append(("shared", "خبر تنشره كل المواقع"))
            lines.append(
                f"  - {{id: f{number}, url: '{server.url(number)}', lang: ar,"
                " allow_private: true, baseline: false}"
            )
        (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        env = env_for(tmp_path, redis_url, keys.prefix)
        pollers = [start_monitor("poll", env=env) for _ in range(2)]
        book = FeedBook(client, keys)
        # A feed's state is saved after its items are queued: all saved, all queued.
        wait_until(
            lambda: all_polled(book, 200),
            lambda: f"200 feeds polled; {len(server.requests)} asked for so far",
        )
        for poller in pollers:
            assert stop(poller) == 0
    ids = queued_ids(client, keys)
    assert len(ids) == len(set(ids)) == 200 * 3 + 1
    assert max(server.requests.values()) == 1, "a feed was polled twice"
    health = [json.loads(line) for line in monitor("feeds", "--json", env=env).stdout.splitlines()]
    assert len(health) == 200 and {row["status"] for row in health} == {"ok"}
    assert sum(row["items_seen"] for row in health) == 601


def all_polled(book: FeedBook, feeds: int) -> bool:
    states = book.get_many({f"f{number}": 300 for number in range(feeds)})
    return all(state.last_poll is not None for state in states.values())


def next_due_in(client: redis.Redis, keys: Keyspace, feed_id: str) -> float:
    state = FeedBook(client, keys).get(feed_id, 300)
    assert state.next_due is not None and state.last_poll is not None
    return state.next_due - state.last_poll


def test_server_freshness_and_retry_after_are_honoured(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [("x", "خبر")]
        server.ttl[1] = 30
        server.items[2] = [("y", "خبر آخر")]
        server.headers[2] = {"Cache-Control": "max-age=900"}
        server.broken[3] = (429, "text/plain", b"slow down")
        server.headers[3] = {"Retry-After": "1800"}
        poll_once(redis_client, keys, [spec(server, n) for n in (1, 2, 3)])
    assert next_due_in(redis_client, keys, "feed-1") >= 30 * 60
    assert next_due_in(redis_client, keys, "feed-2") >= 900
    assert next_due_in(redis_client, keys, "feed-3") >= 1800
    error = FeedBook(redis_client, keys).get("feed-3", 300).error
    assert error is not None and error.kind == "http_status"
