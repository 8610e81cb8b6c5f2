"""Queueing match jobs under stable ids in a real Redis: a batch queued anew runs again,
and one queued twice while it waits runs once."""

from __future__ import annotations

import zlib
from pathlib import Path

import redis

from monitor import counters
from monitor.item import Item
from monitor.keyspace import Keyspace, digest
from monitor.queue import PAYLOAD_COMPRESSION, JobSerializer, enqueue_items, rq, rq_queue
from tests.processes import env_for, monitor, submit

ITEMS = [
    {"id": "q1", "title": "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية", "source": "one"},
    {"id": "q2", "title": "هجوم بطائرة مسيرة على قاعدة عين الأسد الجوية", "source": "two"},
]


def checked(client: redis.Redis, keys: Keyspace) -> float:
    return counters.read(client, keys).counters[counters.ITEMS_CHECKED].get((), 0.0)


def test_a_batch_queued_anew_after_its_first_run_ends_is_not_lost(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    # Two monitors sharing RQ's keys (or one replaying) queue the same batch, so the same
    # job id: the second job must not inherit the expiry of the first one's result.
    earlier = Keyspace(f"{keys.prefix}:earlier")
    first = env_for(tmp_path / "earlier", redis_url, earlier.prefix)
    assert submit(ITEMS, first) == 2
    assert monitor("work", "--burst", env=first).returncode == 0
    assert checked(redis_client, earlier) == 2
    job_id = "match-" + digest("q1\nq2")
    job_key = rq.job.Job.key_for(job_id)
    assert redis_client.ttl(job_key) > 0  # the first run's result expires

    env = env_for(tmp_path, redis_url, keys.prefix)
    assert submit(ITEMS, env) == 2
    queue = rq_queue(redis_client, keys.match_queue)
    assert redis_client.lrange(queue.key, 0, -1) == [job_id.encode()]
    assert redis_client.ttl(job_key) == -1
    result = monitor("work", "--burst", env=env)
    assert result.returncode == 0, result.stderr
    assert checked(redis_client, keys) == 2


def test_a_batch_queued_twice_while_it_waits_is_listed_once(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    items = [Item.model_validate({**data, "id": "w" + data["id"]}) for data in ITEMS]
    context = {"prefix": keys.prefix}
    assert enqueue_items(redis_client, keys, items, context) == 1
    assert enqueue_items(redis_client, keys, items, context) == 1
    queue = rq_queue(redis_client, keys.match_queue)
    assert len(redis_client.lrange(queue.key, 0, -1)) == 1


def test_a_queued_payload_is_compressed_quickly_and_read_back_by_rq_itself(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    queue = rq_queue(redis_client, keys.match_queue)
    payload = {"items": ITEMS * 25}
    job = queue.enqueue("workers.tasks.match_batch", payload, job_id="quick-" + digest(keys.prefix))
    stored = redis_client.hget(job.key, "data") or b""
    assert stored == zlib.compress(job.data, PAYLOAD_COMPRESSION)
    assert stored != zlib.compress(job.data)  # not RQ's own level
    again = rq.job.Job.fetch(job.id, connection=redis_client, serializer=JobSerializer)
    assert list(again.args) == [payload]
