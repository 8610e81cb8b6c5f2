"""A worker that dies while it holds a queue's upkeep lock (Redis gone in the middle, the
release lost) holds up the return of held jobs only for a short while."""

from __future__ import annotations

import redis

from monitor.keyspace import Keyspace
from monitor.queue import rq_queue
from workers.worker import UPKEEP_LOCK_SECONDS, lock_upkeep


def test_an_upkeep_lock_left_behind_lapses_soon(redis_client: redis.Redis, keys: Keyspace) -> None:
    queue = rq_queue(redis_client, keys.match_queue)
    assert lock_upkeep(queue)
    assert not lock_upkeep(queue), "one worker at a time"
    left = redis_client.ttl(queue.registry_cleaning_key)
    assert 0 < left <= UPKEEP_LOCK_SECONDS <= 60  # RQ's own lasts 899 s
    redis_client.delete(queue.registry_cleaning_key)
    assert lock_upkeep(queue)
