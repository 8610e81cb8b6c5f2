"""What the garbage collector walks in a long-lived process: what lives as long as the
process (rules, matcher, learned spellings) is frozen out of every collection, and the
young objects of a job are collected in larger runs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_COLLECTED_AFTER = 20_000
"""Container objects made, net of those freed, that start a collection of the youngest
generation (Python's default: 700). A job of 200 items holds tens of thousands of them
until it ends; at 700 they were walked again and again, and pushed into the older
generations, whose full collections then walked every story a worker keeps: 5-6% of a
worker's time with 1,000 rules, under 2% at this setting."""


def settle() -> None:
    """Freeze what lives now out of later collections, letting go of what an earlier call
    froze (a matcher since replaced may go), and collect the young in larger runs."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTED_AFTER, middle, old)


@contextmanager
def collections_paused() -> Iterator[None]:
    """No collection starts while the block runs (a decorator too): loading and compiling
    rules makes millions of objects that all live on, and collections walked them again
    and again, two fifths of loading 10,000 rules files. What it leaves unreachable is
    collected once collections start again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
