from __future__ import annotations

import redis

from monitor.dedup import SeenSet
from monitor.keyspace import Keyspace


def test_each_id_is_claimed_once(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    assert seen.claim(["a", "b", "a"]) == [True, True, False]
    assert seen.claim(["b", "c"]) == [False, True]
    assert redis_client.ttl(keys.seen("a")) > 0


def test_a_new_seen_set_on_the_same_redis_remembers(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    SeenSet(redis_client, keys, retention=60).claim(["x"])
    assert SeenSet(redis_client, keys, retention=60).claim(["x"]) == [False]


def test_forget_lets_an_id_through_again(redis_client: redis.Redis, keys: Keyspace) -> None:
    seen = SeenSet(redis_client, keys, retention=60)
    seen.claim(["x"])
    seen.forget(["x"])
    assert seen.claim(["x"]) == [True]
