from __future__ import annotations

import random

import pytest

from monitor.ingest.cadence import (
    BACKOFF_MAX,
    delay_after_error,
    delay_after_success,
    next_interval,
)
from monitor.ingest.feeds import MAX_INTERVAL, MIN_INTERVAL


@pytest.mark.parametrize(
    ("current", "found_new", "expected"),
    [
        (300, True, 210),
        (300, False, 375),
        (MIN_INTERVAL, True, MIN_INTERVAL),
        (MAX_INTERVAL, False, MAX_INTERVAL),
    ],
)
def test_interval_learns_from_news(current: float, found_new: bool, expected: float) -> None:
    assert next_interval(current, found_new) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("interval", "max_age", "expected"),
    [(300, None, 300), (300, 60, 300), (300, 900, 900), (300, 86_400, MAX_INTERVAL)],
)
def test_server_freshness_stretches_the_wait(
    interval: float, max_age: float | None, expected: float
) -> None:
    assert delay_after_success(interval, max_age) == expected


def test_errors_back_off_exponentially_with_jitter() -> None:
    rng = random.Random(1)
    delays = [delay_after_error(n, None, rng) for n in range(1, 12)]
    assert delays[0] <= 60 < delays[2] < delays[5]
    assert max(delays) <= BACKOFF_MAX
    assert len({round(d) for d in delays[:5]}) == 5


def test_retry_after_is_a_floor() -> None:
    assert delay_after_error(1, 5000, random.Random(1)) == 5000
