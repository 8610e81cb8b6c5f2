"""Silences in a real Redis: in force until they end, then listed as ended for a week;
ended at once on request; never lost between the two."""

from __future__ import annotations

import redis

from monitor.keyspace import Keyspace
from monitor.silence import EXPIRED_KEPT, Silence, SilenceBook

NOW = 1_800_000_000.0


def test_a_silence_that_runs_out_is_listed_as_ended(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = SilenceBook(redis_client, keys)
    short = book.add(Silence(rule="a", ends=NOW + 60, comment="short", by="me"))
    long = book.add(Silence(story="s", ends=NOW + 3600))
    assert {s.id for s in book.active(NOW)} == {short.id, long.id}
    assert book.ended(NOW) == []
    assert [s.id for s in book.active(NOW + 61)] == [long.id]
    [ended] = book.ended(NOW + 61)
    assert ended == short  # as it was, comment and author kept


def test_expired_on_request_it_ends_now_and_latest_ended_come_first(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = SilenceBook(redis_client, keys)
    first = book.add(Silence(rule="a", ends=NOW + 3600))
    second = book.add(Silence(rule="b", ends=NOW + 7200))
    assert book.expire(first.id, NOW + 10) and book.expire(second.id, NOW + 20)
    assert not book.expire(first.id, NOW + 30)  # no longer in force
    assert book.active(NOW + 30) == []
    assert [(s.id, s.ends) for s in book.ended(NOW + 30)] == [
        (second.id, NOW + 20),
        (first.id, NOW + 10),
    ]


def test_ended_silences_are_forgotten_after_a_week(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    book = SilenceBook(redis_client, keys)
    old = book.add(Silence(rule="a", ends=NOW))
    recent = book.add(Silence(rule="b", ends=NOW + 86_400))
    book.active(NOW + 86_401)
    assert [s.id for s in book.ended(NOW + EXPIRED_KEPT + 1)] == [recent.id]
    assert redis_client.zcard(keys.silences_ended) == 1 and old.id != recent.id
