"""A real `monitor poll` killed (SIGKILL) while it holds leases on feeds it is fetching:
a second poller takes the other feeds at once, and the held ones only once their lease
has run out; every item is queued once."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import redis

from monitor.ingest.feed_state import FeedBook
from monitor.ingest.schedule import LEASE_SECONDS, Schedule
from monitor.keyspace import Keyspace
from tests.feed_server import FeedServer
from tests.ingest.test_poller import queued_ids
from tests.ingest.test_poller_redis_restart import Log
from tests.processes import CEILING, env_for, start_monitor, stop, wait_until
from tests.sink import serving

FEEDS = 6
HELD = (0, 1)
"""Feeds whose requests hang until `gate` is set: the killed poller holds their leases."""
FREE = tuple(n for n in range(FEEDS) if n not in HELD)


class BlockingFeeds(FeedServer):
    """The feeds of tests/feed_server.py, each request's time recorded, and the requests
    to the HELD feeds left hanging until `gate` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()
        self.asked: dict[int, list[float]] = {n: [] for n in range(FEEDS)}

    def times(self, number: int) -> list[float]:
        with self.lock:
            return list(self.asked[number])


@contextmanager
def blocking_feeds() -> Iterator[BlockingFeeds]:
    state = BlockingFeeds()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            number = int(self.path.rsplit("/", 1)[-1].split(".")[0])
            with state.lock:
                state.asked[number].append(time.time())  # the clock the schedule uses
            if number in HELD:
                state.gate.wait(CEILING)
            with state.lock:
                body = state.body(number)
            with suppress(OSError):  # the poller that asked may be dead by now
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    try:
        with serving(Handler) as port:
            state.port = port
            yield state
            state.gate.set()
    finally:
        state.gate.set()  # no handler left hanging at shutdown


def write_feeds(tmp_path: Path, server: FeedServer) -> None:
    lines = ["feeds:"] + [
        f"  - {{id: f{n}, url: '{server.url(n)}', lang: ar, allow_private: true, baseline: false}}"
        for n in range(FEEDS)
    ]
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def publish(server: FeedServer, tag: str) -> list[str]:
    """Two new items on every feed; their ids."""
    with server.lock:
        for n in range(FEEDS):
            server.items.setdefault(n, []).extend(
                (f"{tag}-{n}-{k}", f"خبر {tag} رقم {k} من {n}") for k in range(2)
            )
    return [f"{tag}-{n}-{k}" for n in range(FEEDS) for k in range(2)]


def of_feeds(ids: list[str], feeds: tuple[int, ...]) -> list[str]:
    return [i for i in ids if int(i.split("-")[1]) in feeds]


def test_a_killed_pollers_leases_run_out_and_its_feeds_are_polled_again(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    client, schedule = redis_client, Schedule(redis_client, keys)
    with blocking_feeds() as server:
        write_feeds(tmp_path, server)
        before = publish(server, "before")
        env = env_for(tmp_path, redis_url, keys.prefix)
        first = start_monitor("poll", env=env)
        second = None
        try:
            wait_until(
                lambda: (
                    all(server.times(n) for n in HELD)
                    and sorted(queued_ids(client, keys)) == sorted(of_feeds(before, FREE))
                ),
                lambda: f"the first poller fetching; queued {queued_ids(client, keys)}",
            )
            leases = {n: schedule.next_due(f"f{n}") for n in HELD}
            stop(first, signal.SIGKILL)  # its process group, by the pid it was started with
            killed = time.time()
            assert first.returncode == -signal.SIGKILL
            # still leased, as the dead poller claimed them: it did not reschedule them
            assert {n: schedule.next_due(f"f{n}") for n in HELD} == leases
            lease_end = leases[HELD[0]]
            assert lease_end is not None and set(leases.values()) == {lease_end}
            asked_first = server.times(HELD[0])[0]
            assert lease_end - LEASE_SECONDS <= asked_first < lease_end, "not held at the kill"
            server.gate.set()  # the dead poller's requests end; any new one is answered
            after = publish(server, "after")

            second = start_monitor("poll", env=env, capture=True)
            log = Log(second)
            client.zadd(keys.schedule, {f"f{n}": 0 for n in FREE}, xx=True)  # their interval past
            free_done = of_feeds(before + after, FREE)
            wait_until(
                lambda: sorted(queued_ids(client, keys)) == sorted(free_done),
                lambda: (
                    f"the free feeds polled by the second poller; queued {queued_ids(client, keys)}"
                ),
            )
            free_at = time.time()
            assert all(len(server.times(n)) == 1 for n in HELD), "a held feed polled again early"
            assert free_at < lease_end, "too slow to tell: the lease ran out before the free feeds"

            wait_until(
                lambda: all(len(server.times(n)) >= 2 for n in HELD),
                "the held feeds polled again",
            )
            again = {n: server.times(n)[1] for n in HELD}
            wait_until(
                lambda: len(queued_ids(client, keys)) >= len(before + after),
                lambda: f"every item queued; {len(set(queued_ids(client, keys)))} so far",
            )
            # one more round of every feed: nothing it finds is queued again
            forced = time.time()
            client.zadd(keys.schedule, dict.fromkeys((f"f{n}" for n in range(FEEDS)), 0), xx=True)
            book = FeedBook(client, keys)
            wait_until(
                lambda: all((book.get(f"f{n}", 300).last_poll or 0) > forced for n in range(FEEDS)),
                "one more poll of every feed",
            )
            ids = queued_ids(client, keys)
            assert second.poll() is None
            code = stop(second)
            second = None
            log.close()
        finally:
            for process in (first, second):
                if process is not None:
                    stop(process, signal.SIGKILL)
    repolled = min(again.values())
    duplicates = len(ids) - len(set(ids))
    print(
        f"\nLEASE_SECONDS {LEASE_SECONDS:.0f}; kill {killed - (lease_end - LEASE_SECONDS):.1f}s "
        f"after the claim; free feeds polled {free_at - killed:.1f}s after the kill; "
        f"held feeds polled again {repolled - killed:.1f}s after the kill "
        f"({repolled - lease_end:+.2f}s from the lease end, "
        f"{repolled - (lease_end - LEASE_SECONDS):.1f}s after the claim); "
        f"items {len(before + after)}, queued {len(set(ids))}, duplicates {duplicates}"
    )
    assert all(at >= lease_end for at in again.values()), f"polled before the lease end: {again}"
    assert sorted(ids) == sorted(before + after), "an item lost or queued twice"
    assert code == 0
    assert not any("Traceback" in line for line in log.lines), "\n".join(log.lines)
