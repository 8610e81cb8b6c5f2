"""`monitor status` against a real Redis: processes alive or gone by their heartbeats,
queue depths, the oldest queued job's age and failed jobs."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from monitor.clock import FixedClock
from monitor.heartbeat import BEAT_TTL, Heartbeat
from monitor.keyspace import Keyspace
from monitor.queue import rq, rq_queue
from tests.processes import env_for, monitor

WAITED = 600
"""Seconds the oldest queued job has waited, as the test sets it."""


@pytest.fixture
def queues(redis_client: redis.Redis, keys: Keyspace) -> Iterator[tuple[rq.Queue, rq.Queue]]:
    found = rq_queue(redis_client, keys.match_queue), rq_queue(redis_client, keys.deliver_queue)
    yield found
    for queue in found:
        queue.empty()
        for job_id in queue.failed_job_registry.get_job_ids():
            queue.failed_job_registry.remove(job_id, delete_job=True)


def _fill(match: rq.Queue, deliver: rq.Queue) -> None:
    """Three match jobs, the oldest waiting WAITED seconds, and one failed delivery."""
    oldest = match.enqueue("builtins.len", [1])
    oldest.enqueued_at = datetime.fromtimestamp(time.time() - WAITED, UTC)
    oldest.save()
    match.enqueue("builtins.len", [2])
    match.enqueue("builtins.len", [3])
    failed = deliver.enqueue("builtins.len", [4])
    deliver.remove(failed)
    deliver.failed_job_registry.add(failed, exc_string="ValueError: no")


def test_status_shows_who_is_alive_and_the_queues(
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    keys: Keyspace,
    queues: tuple[rq.Queue, rq.Queue],
) -> None:
    Heartbeat(redis_client, keys, "worker").beat()
    Heartbeat(redis_client, keys, "poller", FixedClock(time.time() - BEAT_TTL - 60)).beat()
    _fill(*queues)
    env = env_for(tmp_path, redis_url, keys.prefix)
    shown = monitor("status", "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    states = [(row["role"], row["pid"], row["alive"]) for row in report["processes"]]
    assert states == [("poller", os.getpid(), False), ("worker", os.getpid(), True)]
    assert report["processes"][0]["last_beat_age"] >= BEAT_TTL + 60
    match, deliver = report["queues"]["match"], report["queues"]["deliver"]
    assert (match["queued"], match["failed"], deliver["queued"], deliver["failed"]) == (3, 0, 0, 1)
    assert match["oldest_age"] >= WAITED and deliver["oldest_age"] is None
    assert report["failed_jobs"] == 1
    # No feeds here, so no poller is expected; the match queue's backlog is the problem.
    assert [problem.split(":")[0] for problem in report["problems"]] == ["match queue"]
    text = monitor("status", env=env).stdout
    assert "worker  alive" in text and "poller  gone" in text, text
    assert "match queue   3 queued" in text and "1 failed" in text, text
    assert "problem: match queue: oldest job waiting" in text, text
    checked = monitor("status", "--check", env=env)
    assert checked.returncode == 1 and "problem: match queue" in checked.stdout
    # This host's worker lives: as a container's health check, all is well.
    assert monitor("status", "--check", "--here", env=env).returncode == 0


def test_status_check_passes_when_healthy_and_fails_when_the_worker_is_gone(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    (tmp_path / "feeds.yaml").write_text(
        "feeds:\n  - {id: f1, url: 'https://news.example/rss', lang: en}\n", encoding="utf-8"
    )
    Heartbeat(redis_client, keys, "worker").beat()
    checked = monitor("status", "--check", env=env)
    assert checked.returncode == 1, checked.stdout  # a feed, and no poller
    assert "problem: no poller alive" in checked.stdout
    Heartbeat(redis_client, keys, "poller").beat()
    checked = monitor("status", "--check", env=env)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.rstrip().endswith("no problems")
    redis_client.zadd(
        keys.beats, {member: 1.0 for member in redis_client.zrange(keys.beats, 0, -1)}
    )
    checked = monitor("status", "--check", "--here", env=env)
    assert checked.returncode == 1
    assert "problem: no worker or poller on" in checked.stdout


def test_status_of_an_empty_store(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    shown = monitor("status", env=env_for(tmp_path, redis_url, keys.prefix))
    assert shown.returncode == 0, shown.stderr
    assert "no worker or poller beats" in shown.stdout
    assert "match queue   0 queued" in shown.stdout
