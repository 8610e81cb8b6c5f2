"""Progress of long commands: a bar on stderr when it is a terminal, nothing otherwise."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

FOLLOW_INTERVAL = 0.25
"""Seconds between two looks at how far work running elsewhere has come."""

Advance = Callable[[int], None]

_stepping = threading.Lock()
# A fork (RQ forks a work-horse per job) while the follower thread holds a lock, stderr's
# or a Redis pool's, would leave the child waiting on it forever: forks wait for a step.
os.register_at_fork(
    before=_stepping.acquire,
    after_in_parent=_stepping.release,
    after_in_child=_stepping.release,
)


def on_terminal() -> bool:
    """Whether a person watches stderr, so a bar is worth drawing."""
    return sys.stderr.isatty()


@contextmanager
def progress_bar(total: int, label: str) -> Iterator[Advance]:
    """`advance(n)` moves a bar on a terminal's stderr; elsewhere it does nothing."""
    if not on_terminal() or total <= 0:
        yield lambda done: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


@contextmanager
def following(total: int, label: str, done: Callable[[], int]) -> Iterator[None]:
    """A bar that follows `done()` up to `total` while the body works elsewhere."""
    if not on_terminal() or total <= 0:
        yield
        return
    stop = threading.Event()
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        follower = threading.Thread(target=_follow, args=(bar, total, done, stop), daemon=True)
        follower.start()
        try:
            yield
        finally:
            stop.set()
            follower.join()
        bar.update(total - bar.pos)


def _follow(
    bar: ProgressBar[int], total: int, done: Callable[[], int], stop: threading.Event
) -> None:
    while not stop.wait(FOLLOW_INTERVAL):
        with _stepping:
            try:
                count = min(done(), total)
            except Exception:  # the work itself reports what went wrong; the bar just stops
                return
            bar.update(max(0, count - bar.pos))
