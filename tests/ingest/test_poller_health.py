"""Poller health records and the line `monitor feeds` prints for each."""

from __future__ import annotations

import time

import pytest
import redis

from monitor.ingest.poller_health import PollerHealth, PollerRoster, describe
from monitor.keyspace import Keyspace

AT = time.mktime((2026, 12, 3, 3, 10, 0, 0, 0, -1))


@pytest.mark.parametrize(
    ("health", "now", "line"),
    [
        (PollerHealth(id="h:1"), AT, "poller h:1: no cycle yet"),
        (PollerHealth(id="h:1", last_cycle=AT), AT + 5, "poller h:1: last cycle 03:10:00"),
        (
            PollerHealth(id="h:1", last_cycle=AT),
            AT + 600,
            "poller h:1: last cycle 03:10:00 (stalled or stopped)",
        ),
        (
            PollerHealth(
                id="h:1",
                last_cycle=AT + 150,
                last_error="Connection refused",
                last_error_at=AT,
                outage_started=AT,
                outage_ended=AT + 150,
            ),
            AT + 151,
            "poller h:1: last cycle 03:12:30; "
            "Redis unreachable 03:10:00 to 03:12:30 (150s): Connection refused",
        ),
    ],
)
def test_a_poller_line_tells_its_last_cycle_and_outage(
    health: PollerHealth, now: float, line: str
) -> None:
    assert describe(health, now) == line


def test_the_roster_keeps_every_pollers_record(redis_client: redis.Redis, keys: Keyspace) -> None:
    roster = PollerRoster(redis_client, keys)
    first, second = PollerHealth(id="a:1", last_cycle=AT), PollerHealth(id="b:2")
    roster.save(second)
    roster.save(first)
    first.went_away("Connection refused", AT + 1)
    first.came_back(AT + 9)
    roster.save(first)
    assert roster.all() == [first, second]
    assert 0 < redis_client.ttl(f"{keys.prefix}:poller:a:1") <= 86_400
    roster.remove(second)
    assert roster.all() == [first]
