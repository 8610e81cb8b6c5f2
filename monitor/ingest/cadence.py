"""How soon a feed is polled again: an interval learnt from how often it has news,
bounded, stretched by what the server asks, and backed off exponentially on errors."""

from __future__ import annotations

import random

from monitor.ingest.feeds import MAX_INTERVAL, MIN_INTERVAL

QUICKEN = 0.7
"""Interval factor after a poll that found new items."""

SLOWEN = 1.25
"""Interval factor after a poll that found nothing new."""

BACKOFF_BASE = 60.0
"""Delay after a first error; it doubles with each error in a row."""

BACKOFF_MAX = 6 * 3600.0
"""Longest delay after errors."""


def next_interval(current: float, found_new: bool) -> float:
    """The interval after a successful poll, kept between MIN_INTERVAL and MAX_INTERVAL."""
    factor = QUICKEN if found_new else SLOWEN
    return min(MAX_INTERVAL, max(MIN_INTERVAL, current * factor))


def delay_after_success(interval: float, max_age: float | None) -> float:
    """Wait the interval, or longer when the server says its content stays fresh longer."""
    if max_age is None:
        return interval
    return min(MAX_INTERVAL, max(interval, max_age))


def delay_after_error(errors_in_row: int, retry_after: float | None, rng: random.Random) -> float:
    """Exponential backoff with jitter; never sooner than the server's Retry-After."""
    ceiling = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, errors_in_row - 1))
    delay = rng.uniform(ceiling / 2, ceiling)
    return max(delay, min(retry_after, BACKOFF_MAX)) if retry_after else delay
