"""Story locks in a real Redis: all of an item's rules at once or none, one holder at a
time, and a dead holder's locks freed by their expiry."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from redis.exceptions import LockError

from monitor.keyspace import Keyspace
from monitor.stories import rule_locks
from monitor.stories.rule_locks import RuleLocks
from tests.processes import wait_until


def test_a_worker_waits_for_a_lock_another_holds_and_takes_them_all_after(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    order: list[str] = []
    first_holds = threading.Event()

    def first() -> None:
        with RuleLocks(redis_client, keys).held(["a", "b"]):
            first_holds.set()
            time.sleep(0.2)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(timeout=30)
    with RuleLocks(redis_client, keys).held(["c", "b"]):
        order.append("second in")
        assert redis_client.exists(keys.story_lock("a")) == 0
        assert redis_client.exists(keys.story_lock("c")) == 1
    thread.join(timeout=30)
    assert order == ["first done", "second in"]
    assert redis_client.keys(keys.story_lock("*")) == []


def test_locks_taken_in_any_order_never_deadlock(redis_client: redis.Redis, keys: Keyspace) -> None:
    done = []

    def place(rules: list[str]) -> None:
        locks = RuleLocks(redis_client, keys)
        for _ in range(200):
            with locks.held(rules):
                pass
        done.append(rules)

    threads = [threading.Thread(target=place, args=(rules,)) for rules in (["x", "y"], ["y", "x"])]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(done) == 2, "both workers to place all their items")


def test_a_dead_holders_lock_frees_itself(redis_client: redis.Redis, keys: Keyspace) -> None:
    redis_client.set(keys.story_lock("a"), "dead worker", px=300)
    with RuleLocks(redis_client, keys).held(["a"]):
        assert redis_client.get(keys.story_lock("a")) != b"dead worker"


def test_a_lock_held_too_long_fails_the_placement(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_locks, "WAIT_LIMIT", 0.2)
    redis_client.set(keys.story_lock("a"), "stuck worker")
    with (
        pytest.raises(LockError, match="story locks of a"),
        RuleLocks(redis_client, keys).held(["a", "b"]),
    ):
        pass
    assert redis_client.exists(keys.story_lock("b")) == 0  # none taken, not some


def test_a_holder_whose_lock_expired_frees_only_its_own(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with RuleLocks(redis_client, keys).held(["a"]):
        redis_client.set(keys.story_lock("a"), "next worker")  # ours ran out; taken since
    assert redis_client.get(keys.story_lock("a")) == b"next worker"


def test_of_groups_that_share_no_rule_those_free_are_taken_at_once(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    redis_client.set(keys.story_lock("b"), "another worker", ex=60)
    locks = RuleLocks(redis_client, keys)
    with locks.held_some([["a", "b"], ["c"], ["d", "e"]]) as taken:
        assert taken == [1, 2]
        assert redis_client.exists(keys.story_lock("a")) == 0  # its group's b is held
        assert redis_client.exists(*(keys.story_lock(rule) for rule in "cde")) == 3
    assert sorted(redis_client.keys(keys.story_lock("*"))) == [keys.story_lock("b").encode()]


def test_a_worker_waits_only_when_every_group_has_a_lock_held(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    redis_client.set(keys.story_lock("a"), "another worker", ex=60)
    redis_client.set(keys.story_lock("c"), "another worker", ex=60)
    freed = threading.Timer(0.2, lambda: redis_client.delete(keys.story_lock("c")))
    freed.start()
    with RuleLocks(redis_client, keys).held_some([["a", "b"], ["c"]]) as taken:
        assert taken == [1]
        assert redis_client.exists(keys.story_lock("b")) == 0
    freed.join(timeout=30)


def test_groups_held_too_long_fail_the_placement_naming_their_rules(
    redis_client: redis.Redis, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rule_locks, "WAIT_LIMIT", 0.2)
    redis_client.set(keys.story_lock("a"), "stuck worker")
    redis_client.set(keys.story_lock("c"), "stuck worker")
    with (
        pytest.raises(LockError, match="story locks of a, b, c stayed held"),
        RuleLocks(redis_client, keys).held_some([["b", "a"], ["c"]]),
    ):
        pass
    assert redis_client.exists(keys.story_lock("b")) == 0
