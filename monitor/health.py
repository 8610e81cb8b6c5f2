"""Whether the monitor is healthy, from its heartbeats and queues: each problem in words
a person on call can act on. Read by `monitor status --check` and container health checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.heartbeat import BEAT_TTL, GONE_KEPT, Beat

MAX_WAIT = 300.0
"""Seconds the oldest job of a queue may wait before the backlog counts as a problem: far
beyond a busy minute, so only work that is not keeping up (or not running) trips it."""


@dataclass(frozen=True)
class Backlog:
    """A queue by the age of its oldest waiting job (None: empty)."""

    queue: str
    oldest_age: float | None


def monitor_problems(
    beats: Sequence[Beat],
    backlogs: Sequence[Backlog],
    now: float,
    expect_pollers: bool,
) -> list[str]:
    """What is wrong with the monitor as a whole: no live worker, no live poller where
    there are feeds, a queue not being worked off."""
    problems = []
    for role, expected in (("worker", True), ("poller", expect_pollers)):
        if expected and not any(beat.role == role and beat.alive(now) for beat in beats):
            problems.append(f"no {role} alive (none has beaten in the last {BEAT_TTL:.0f} s)")
    for backlog in backlogs:
        if backlog.oldest_age is not None and backlog.oldest_age > MAX_WAIT:
            problems.append(
                f"{backlog.queue} queue: oldest job waiting {backlog.oldest_age:.0f} s "
                f"(more than {MAX_WAIT:.0f} s: workers are not keeping up)"
            )
    return problems


def host_problems(beats: Sequence[Beat], now: float, host: str) -> list[str]:
    """What is wrong with the monitor's processes on `host` (a container's health): none of
    them alive. Processes of the host that died and were replaced are not a problem."""
    here = [beat for beat in beats if beat.host == host]
    if any(beat.alive(now) for beat in here):
        return []
    if not here:
        return [f"no worker or poller on {host} has beaten in the last {GONE_KEPT // 60} minutes"]
    latest = min(beat.age(now) for beat in here)
    return [f"no worker or poller on {host} alive (last beat {latest:.0f} s ago)"]
