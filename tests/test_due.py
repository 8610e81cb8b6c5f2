"""The due set in a real Redis: a story is taken by one worker at a time, comes back when
its worker dies with it, and an item that joins it while it is decided is not lost."""

from __future__ import annotations

import redis

from monitor.due import LEASE_SECONDS, DueSet, first_of
from monitor.keyspace import Keyspace

NOW = 1_800_000_000.0
LEASE = NOW + LEASE_SECONDS


def _due(client: redis.Redis, keys: Keyspace) -> dict[str, float]:
    return {raw.decode(): score for raw, score in client.zrange(keys.due, 0, -1, withscores=True)}


def _settle(due: DueSet, client: redis.Redis, next_at: list[tuple[str, float | None]]) -> None:
    with client.pipeline(transaction=False) as pipe:
        due.settle(pipe, LEASE, next_at)
        pipe.execute()


def test_stories_due_are_taken_once_and_the_rest_wait(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    due = DueSet(redis_client, keys)
    due.mark({"a": NOW - 5})
    due.mark({"b": NOW})
    due.mark({"later": NOW + 30})
    assert sorted(due.take(NOW, LEASE)) == ["a", "b"]
    assert due.take(NOW, LEASE) == []  # another worker finds nothing to take
    assert _due(redis_client, keys) == {"a": LEASE, "b": LEASE, "later": NOW + 30}
    assert due.take("+inf", NOW + 2 * LEASE_SECONDS) == ["later", "a", "b"]


def test_a_story_whose_worker_died_is_due_again_when_its_lease_ends(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    due = DueSet(redis_client, keys)
    due.mark({"s": NOW})
    assert due.take(NOW, LEASE) == ["s"]
    assert due.take(LEASE - 1, LEASE - 1 + LEASE_SECONDS) == []
    assert due.take(LEASE, LEASE + LEASE_SECONDS) == ["s"]


def test_settling_sets_the_next_decision_or_takes_the_story_off(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    due = DueSet(redis_client, keys)
    for story in ("done", "again"):
        due.mark({story: NOW})
    due.take(NOW, LEASE)
    _settle(due, redis_client, [("done", None), ("again", NOW + 600)])
    assert _due(redis_client, keys) == {"again": NOW + 600}


def test_an_item_that_joined_during_the_decision_keeps_its_story_due(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    due = DueSet(redis_client, keys)
    for story in ("joined", "joined-wait", "joined-soon"):
        due.mark({story: NOW})
    due.take(NOW, LEASE)
    for story in ("joined", "joined-wait", "joined-soon"):
        due.mark({story: NOW + 1})  # another worker placed an item in each
    _settle(
        due,
        redis_client,
        [("joined", None), ("joined-wait", NOW + 600), ("joined-soon", NOW + 0.5)],
    )
    assert _due(redis_client, keys) == {
        "joined": NOW + 1,  # decided again, with the new item
        "joined-wait": NOW + 1,  # not put off until the later time
        "joined-soon": NOW + 0.5,  # the sooner of the two
    }


def test_the_first_due_is_read_in_the_round_trip_that_settles(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    due = DueSet(redis_client, keys)
    due.mark({"a": NOW, "b": NOW + 30})
    due.take(NOW, LEASE)
    with redis_client.pipeline(transaction=False) as pipe:
        due.settle(pipe, LEASE, [("a", NOW + 600)])
        due.queue_first(pipe)
        assert first_of(pipe.execute()[-1]) == NOW + 30 == due.first_at()
    with redis_client.pipeline(transaction=False) as pipe:
        due.take("+inf", NOW + 2 * LEASE_SECONDS)
        due.settle(pipe, NOW + 2 * LEASE_SECONDS, [("a", None), ("b", None)])
        due.queue_first(pipe)
        assert first_of(pipe.execute()[-1]) is None is due.first_at()
