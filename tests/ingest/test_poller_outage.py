"""A poll that Redis fails halfway: nothing lost, nothing queued twice, the feed's lease
given back, and the outage recorded once Redis answers again."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from monitor.clock import SystemClock
from monitor.ingest import poller as poller_module
from monitor.ingest.backoff import Backoff
from monitor.ingest.feed_state import FeedBook
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller, PollOutcome
from monitor.ingest.poller_health import PollerRoster
from monitor.ingest.schedule import Schedule
from monitor.keyspace import Keyspace
from monitor.redis_server import EmbeddedRedis
from tests.feed_server import feed_server
from tests.ingest.test_poller import queued_ids, spec
from tests.processes import CEILING, POLL


def failing_once(real: Callable[..., Any], which: int = 1) -> Callable[..., Any]:
    """`real`, except that its `which`th call fails as a Redis that went away would."""
    calls = []

    def call(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == which:
            raise redis.ConnectionError("Connection refused (injected)")
        return real(*args, **kwargs)

    return call


def poll_all(client: redis.Redis, keys: Keyspace, feeds: list[FeedSpec]) -> list[PollOutcome]:
    async def run() -> list[PollOutcome]:
        fetcher = Fetcher()
        try:
            poller = Poller(client, keys, feeds, fetcher, {}, 3600, SystemClock())
            return await asyncio.wait_for(poller.poll_all_once(), timeout=300)
        finally:
            await fetcher.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize(("failing_batch", "new_at_second_poll"), [(1, 120), (2, 70)])
def test_items_claimed_but_not_queued_are_queued_once_redis_is_back(
    redis_client: redis.Redis,
    keys: Keyspace,
    monkeypatch: pytest.MonkeyPatch,
    failing_batch: int,
    new_at_second_poll: int,
) -> None:
    """120 items are queued in batches of 50; the failing batch and those after it were
    not queued, so they, and only they, are new when the feed is polled again."""
    monkeypatch.setattr(poller_module, "BATCH_SIZE", 50)
    enqueue = failing_once(poller_module.enqueue_items, failing_batch)
    monkeypatch.setattr(poller_module, "enqueue_items", enqueue)
    with feed_server() as server:
        # Tracking parameters: the seen-set knows the item by its canonical link.
        server.items[1] = [(f"a{n}?utm_source=rss", f"خبر رقم {n}") for n in range(120)]
        outcomes = poll_all(redis_client, keys, [spec(server, 1)])
    assert [(o.feed, o.status, o.new) for o in outcomes] == [("feed-1", "ok", new_at_second_poll)]
    ids = queued_ids(redis_client, keys)
    assert len(ids) == len(set(ids)) == 120
    [health] = PollerRoster(redis_client, keys).all()
    assert health.last_error is not None and "injected" in health.last_error
    assert health.outage_started is not None and health.outage_ended is not None


def test_a_feed_whose_state_was_not_saved_is_polled_again_without_duplicates(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FeedBook, "save", failing_once(FeedBook.save))
    with feed_server() as server:
        server.items[1] = [("b1", "خبر أول"), ("b2", "خبر ثان")]
        outcomes = poll_all(redis_client, keys, [spec(server, 1)])
        assert server.requests["/feed/1.xml"] == 2, "the cut-short poll was not done again"
    assert [(o.feed, o.status) for o in outcomes] == [("feed-1", "ok")]
    assert sorted(queued_ids(redis_client, keys)) == ["b1", "b2"]
    state = FeedBook(redis_client, keys).get("feed-1", 300)
    schedule = Schedule(redis_client, keys)
    assert state.status == "ok" and state.next_due == schedule.next_due("feed-1")


def test_a_lease_is_given_back_only_while_it_is_still_ours(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    schedule = Schedule(redis_client, keys)
    schedule.sync(["ours", "taken", "gone"], 100.0)
    assert sorted(schedule.claim(100.0, 10)) == ["gone", "ours", "taken"]
    lease = schedule.lease_end(100.0)
    schedule.reschedule({"taken": 999.0})  # the lease ran out and another poller took it
    redis_client.zrem(keys.schedule, "gone")  # dropped from the feeds file meanwhile
    schedule.release(dict.fromkeys(["ours", "taken", "gone"], lease), 150.0)
    assert schedule.next_due("ours") == 150.0
    assert schedule.next_due("taken") == 999.0
    assert schedule.next_due("gone") is None


def test_a_poller_without_outage_leaves_no_record_when_done(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with feed_server() as server:
        server.items[1] = [("c1", "خبر")]
        poll_all(redis_client, keys, [spec(server, 1)])
    assert PollerRoster(redis_client, keys).all() == []


async def until(condition: Callable[[], object], running: asyncio.Task[None]) -> None:
    """Wait for `condition` while the poller runs; its own error if it died meanwhile."""
    deadline = time.monotonic() + CEILING
    while not condition():
        if running.done():
            running.result()
            raise AssertionError("the poller stopped by itself")
        assert time.monotonic() < deadline, f"still waiting after {CEILING:.0f}s"
        await asyncio.sleep(POLL)


def test_an_outage_is_logged_once_however_many_attempts_and_a_stop_ends_it(
    tmp_path: Path, keys: Keyspace, caplog: pytest.LogCaptureFixture
) -> None:
    """The reconnect loop itself, against a Redis of the test's own that it stops and
    starts: one line when Redis goes, one when it is back, and a stop heard meanwhile."""
    server = EmbeddedRedis(tmp_path)
    server.start()
    client = redis.Redis.from_url(server.url)

    def said(text: str) -> int:
        return sum(text in record.getMessage() for record in caplog.records)

    async def scenario() -> None:
        fetcher = Fetcher()
        poller = Poller(client, keys, [], fetcher, {}, 3600, SystemClock())
        poller.backoff = Backoff(base=0.05, cap=0.2)
        stop = asyncio.Event()
        running = asyncio.create_task(poller.run(stop))
        await until(lambda: PollerRoster(client, keys).all(), running)
        await asyncio.to_thread(server.stop)
        await until(lambda: poller.backoff.attempts >= 5, running)
        await asyncio.to_thread(server.start)
        await until(lambda: said("Redis is back"), running)
        [health] = PollerRoster(client, keys).all()
        assert health.outage_ended is not None and health.last_error
        await asyncio.to_thread(server.stop)
        await until(lambda: said("cannot reach Redis") == 2, running)
        stop.set()
        await asyncio.wait_for(running, CEILING)
        await fetcher.aclose()

    caplog.set_level(logging.INFO, logger="monitor.ingest.poller")
    try:
        asyncio.run(scenario())
    finally:
        client.close()
        server.stop()
    assert said("cannot reach Redis") == 2 and said("Redis is back") == 1


def test_a_redis_back_without_its_data_gets_the_feeds_scheduled_again(
    tmp_path: Path, keys: Keyspace
) -> None:
    server = EmbeddedRedis(tmp_path)
    server.start()
    client = redis.Redis.from_url(server.url)

    async def scenario(feeds: list[FeedSpec]) -> None:
        fetcher = Fetcher()
        poller = Poller(client, keys, feeds, fetcher, {}, 3600, SystemClock())
        poller.backoff = Backoff(base=0.05, cap=0.2)
        stop = asyncio.Event()
        running = asyncio.create_task(poller.run(stop))
        book = FeedBook(client, keys)
        await until(lambda: book.get("feed-1", 300).last_poll, running)
        await asyncio.to_thread(server.stop)
        shutil.rmtree(server.directory)  # its AOF gone: it comes back empty
        await until(lambda: poller.backoff.attempts >= 1, running)
        await asyncio.to_thread(server.start)
        await until(lambda: book.get("feed-1", 300).last_poll, running)
        stop.set()
        await asyncio.wait_for(running, CEILING)
        await fetcher.aclose()

    try:
        with feed_server() as feeds:
            feeds.items[1] = [("d1", "خبر")]
            asyncio.run(scenario([spec(feeds, 1)]))
            assert feeds.requests["/feed/1.xml"] == 2
        assert queued_ids(client, keys) == ["d1"]  # queued again: its seen-set went too
    finally:
        client.close()
        server.stop()
