"""A real `monitor poll` through a real Redis outage: the Redis is stopped, the poller
says so once, the Redis comes back from its AOF, and what the feeds published meanwhile
is queued once."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import redis

from monitor.ingest.schedule import Schedule
from monitor.keyspace import Keyspace
from monitor.redis_server import EmbeddedRedis
from tests.feed_server import FeedServer, feed_server
from tests.ingest.test_poller import queued_ids
from tests.processes import CEILING, env_for, monitor, start_monitor, stop, wait_until

FEEDS = 5

GONE = "cannot reach Redis"
BACK = "Redis is back"


class Log:
    """A process's stderr lines, read as they come."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stderr is not None and process.stdout is not None
        self.streams = [process.stderr, process.stdout]
        self.readers = [
            threading.Thread(target=self._read, args=(stream,), daemon=True)
            for stream in self.streams
        ]
        for reader in self.readers:
            reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line.rstrip("\n"))

    def close(self) -> None:
        """Once the process has ended: the rest of its output read, its pipes closed."""
        for reader, stream in zip(self.readers, self.streams, strict=True):
            reader.join(CEILING)
            stream.close()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)


def write_feeds(tmp_path: Path, server: FeedServer) -> None:
    lines = ["feeds:"]
    for number in range(FEEDS):
        lines.append(
            f"  - {{id: f{number}, url: '{server.url(number)}', lang: ar,"
            " allow_private: true, baseline: false}"
        )
    (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def publish(server: FeedServer, tag: str) -> None:
    with server.lock:
        for number in range(FEEDS):
            items = server.items.setdefault(number, [])
            items += [(f"{tag}-{number}-{k}", f"خبر {tag} رقم {k} من {number}") for k in range(2)]


def make_all_due(client: redis.Redis, keys: Keyspace) -> None:
    """As if the feeds' intervals (a minute at least) had passed."""
    client.zadd(keys.schedule, {f"f{number}": 0 for number in range(FEEDS)}, xx=True)


def test_the_poller_rides_out_a_redis_restart(tmp_path: Path, keys: Keyspace) -> None:
    data = tmp_path / "redis-home"
    redis_server = EmbeddedRedis(data)
    redis_server.start()
    client = redis.Redis.from_url(redis_server.url)
    with feed_server() as server:
        write_feeds(tmp_path, server)
        publish(server, "before")
        env = env_for(tmp_path, redis_server.url, keys.prefix)
        poller = start_monitor("poll", env=env, capture=True)
        log = Log(poller)
        try:
            wait_until(lambda: len(queued_ids(client, keys)) == 2 * FEEDS, "first items queued")
            due_before = {f"f{n}": Schedule(client, keys).next_due(f"f{n}") for n in range(FEEDS)}

            redis_server.stop()  # by the pid it started: SIGTERM, AOF flushed
            wait_until(lambda: log.count(GONE) or poller.poll() is not None, "the poller noticed")
            assert poller.poll() is None, "the poller died with Redis:\n" + "\n".join(log.lines)
            publish(server, "during")

            restarted = time.monotonic()
            redis_server = EmbeddedRedis(data)  # same socket, same AOF
            redis_server.start()
            client.close()
            client = redis.Redis.from_url(redis_server.url)
            due_after = {f"f{n}": Schedule(client, keys).next_due(f"f{n}") for n in range(FEEDS)}
            assert due_after == due_before, "the schedule did not survive the restart"
            wait_until(lambda: log.count(BACK), lambda: "the poller back:\n" + "\n".join(log.lines))
            recovered = time.monotonic() - restarted
            publish(server, "after")
            make_all_due(client, keys)
            wait_until(
                lambda: len(queued_ids(client, keys)) >= 6 * FEEDS,
                lambda: f"all items queued; {len(queued_ids(client, keys))} so far",
            )
            assert poller.poll() is None
            code = stop(poller)
            ids = queued_ids(client, keys)
            feeds_output = monitor("feeds", env=env).stdout
        finally:
            stop(poller)
            log.close()
            client.close()
            redis_server.stop()
    duplicates = len(ids) - len(set(ids))
    print(
        f"items in {6 * FEEDS}, queued {len(set(ids))}, duplicates {duplicates}, "
        f"recovered {recovered:.1f}s after Redis restarted"
    )
    assert code == 0
    assert len(set(ids)) == 6 * FEEDS and duplicates == 0
    assert log.count(GONE) == 1 and log.count(BACK) == 1, "\n".join(log.lines)
    assert not any("Traceback" in line for line in log.lines), "\n".join(log.lines)
    assert "Redis unreachable" in feeds_output.splitlines()[0], feeds_output
