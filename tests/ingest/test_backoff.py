"""Reconnect backoff: doubling, capped, jittered, and back to the start after a success."""

from __future__ import annotations

import random

import pytest

from monitor.ingest.backoff import Backoff


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(0, 0.5), (1, 1.0), (2, 2.0), (5, 16.0), (6, 30.0), (60, 30.0), (10_000, 30.0)],
)
def test_each_wait_is_in_the_upper_half_of_a_capped_doubling_ceiling(
    attempt: int, ceiling: float
) -> None:
    waits = []
    for seed in range(50):
        backoff = Backoff(base=0.5, cap=30.0, rng=random.Random(seed), attempts=attempt)
        waits.append(backoff.next_delay())
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    assert len(set(waits)) > 1, "no jitter: pollers would retry in lockstep"


def test_reset_starts_again_from_the_shortest_wait() -> None:
    backoff = Backoff(base=0.5, cap=30.0, rng=random.Random(1))
    for _ in range(8):
        backoff.next_delay()
    backoff.reset()
    assert backoff.next_delay() <= 0.5
