"""A long-lived process's heap: what lives is frozen out of collections, what an earlier
settle froze may go, and cycles made later are still collected without being asked; while
rules load, no collection starts, and the collector is left as it was found."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from monitor.heap import YOUNG_COLLECTED_AFTER, collections_paused, settle


class Node:
    other: object = None


def cycle() -> tuple[Node, weakref.ref[Node]]:
    """An object freed only by a collection, never by reference counts, and a way to see it."""
    node = Node()
    node.other = node
    return node, weakref.ref(node)


@pytest.fixture(autouse=True)
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_leaves_what_lives_out_of_collections_and_lets_go_of_earlier() -> None:
    node, gone = cycle()
    settle()
    assert gc.get_freeze_count() > 0
    del node
    gc.collect()
    assert gone() is not None  # frozen: collections leave it alone
    settle()  # a later worker of this process: what the earlier froze may go
    assert gone() is None


def test_after_settling_cycles_are_still_collected_unasked() -> None:
    settle()
    assert gc.get_threshold()[0] == YOUNG_COLLECTED_AFTER
    node, gone = cycle()
    del node
    # Twice the count that starts a collection, so that one surely runs however many other
    # containers this code makes or frees.
    kept = [[] for _ in range(2 * YOUNG_COLLECTED_AFTER)]
    assert gone() is None
    del kept


def test_no_collection_starts_while_paused_and_cycles_go_once_it_ends() -> None:
    with collections_paused():
        before = collections_run()
        node, gone = cycle()
        del node
        kept = [[] for _ in range(10 * gc.get_threshold()[0])]
        assert collections_run() == before
        assert gone() is not None
    del kept
    made = [[] for _ in range(2 * gc.get_threshold()[0])]
    assert gone() is None
    del made


def collections_run() -> int:
    return sum(generation["collections"] for generation in gc.get_stats())


def test_a_pause_leaves_the_collector_as_it_found_it_whatever_happens() -> None:
    with pytest.raises(ValueError), collections_paused():
        raise ValueError("a rules file that does not load")
    assert gc.isenabled()
    gc.disable()
    try:
        with collections_paused():
            pass
        assert not gc.isenabled()  # paused by someone else: still paused
    finally:
        gc.enable()
