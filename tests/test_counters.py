"""Counters and histograms in a real Redis: written through a pipeline, read back whole."""

from __future__ import annotations

import pytest
import redis

from monitor import counters
from monitor.counters import ALERTS, ITEMS_NEW, MATCH_SECONDS, Family, Kind, Tally
from monitor.keyspace import Keyspace

SMALL = Family("small_seconds", "A test histogram.", kind=Kind.HISTOGRAM, buckets=(0.1, 1.0))


@pytest.mark.parametrize(
    ("value", "bucket"),
    [(0.0, "0.1"), (0.1, "0.1"), (0.10001, "1.0"), (1.0, "1.0"), (1.5, "+Inf")],
)
def test_an_observation_falls_in_the_lowest_bucket_that_holds_it(value: float, bucket: str) -> None:
    assert counters._bucket(SMALL.buckets, value) == bucket


def test_increments_of_one_field_become_one_command(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    tally = Tally()
    for rule in ("r1", "r1", "r2"):
        tally.count(ALERTS, rule)
    tally.count(ITEMS_NEW, by=0)
    with redis_client.pipeline(transaction=False) as pipe:
        tally.write(pipe, keys)
        assert len(pipe.command_stack) == 2
        pipe.execute()
    assert not tally.counts
    snapshot = counters.read(redis_client, keys)
    assert snapshot.counters[ALERTS] == {("r1",): 2.0, ("r2",): 1.0}
    assert snapshot.counters[ITEMS_NEW] == {}


def test_one_counter_is_read_alone_as_read_whole_gives_it(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    assert counters.value(redis_client, keys, ALERTS, "r1") == 0.0
    tally = Tally()
    for rule in ("r1", "r1", "r2"):
        tally.count(ALERTS, rule)
    tally.count(ITEMS_NEW, by=5)
    with redis_client.pipeline() as pipe:
        tally.write(pipe, keys)
        pipe.execute()
    assert counters.value(redis_client, keys, ALERTS, "r1") == 2.0
    assert counters.value(redis_client, keys, ALERTS, "r2") == 1.0
    assert counters.value(redis_client, keys, ITEMS_NEW) == 5.0
    assert counters.value(redis_client, keys, ALERTS, "r3") == 0.0


def test_histograms_read_back_cumulative(redis_client: redis.Redis, keys: Keyspace) -> None:
    for took in (0.001, 0.004, 0.3, 99.0):
        tally = Tally()
        tally.observe(MATCH_SECONDS, took)
        with redis_client.pipeline() as pipe:
            tally.write(pipe, keys)
            pipe.execute()
    redis_client.hset(keys.metrics(MATCH_SECONDS.name), "not ours", "x")
    (histogram,) = counters.read(redis_client, keys).histograms[MATCH_SECONDS].values()
    buckets = dict(histogram.buckets)
    assert buckets["0.005"] == 2 and buckets["0.5"] == 3 and buckets["10.0"] == 3
    assert buckets["+Inf"] == histogram.count == 4
    assert histogram.sum == pytest.approx(99.305)
