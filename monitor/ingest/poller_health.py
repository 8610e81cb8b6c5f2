"""Each poller's own health in Redis for `monitor feeds`: its last cycle and its last
Redis outage. A poller cannot write while Redis is down, so it records an outage when
Redis is back; while it lasts, the poller's log says so."""

from __future__ import annotations

import os
import socket
import time

import redis
from pydantic import BaseModel

from monitor.keyspace import Keyspace

HEALTH_TTL = 86_400
"""Seconds a poller's record outlives its last write: a poller gone for a day drops out."""

STALE_AFTER = 120.0
"""Seconds without a cycle after which `monitor feeds` calls a poller stalled or stopped."""


def this_poller() -> str:
    """The id of this poller process: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def poller_key(keys: Keyspace, poller_id: str) -> str:
    """JSON of one poller's health (belongs in Keyspace, with every other key)."""
    return f"{keys.prefix}:poller:{poller_id}"


class PollerHealth(BaseModel):
    """When a poller last went round its loop, and what Redis last did to it."""

    id: str
    last_cycle: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    outage_started: float | None = None
    outage_ended: float | None = None

    def went_away(self, error: str, at: float) -> None:
        self.last_error, self.last_error_at = error, at
        self.outage_started, self.outage_ended = at, None

    def came_back(self, at: float) -> None:
        self.outage_ended = at


class PollerRoster:
    """The health records of every poller of one keyspace."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys

    def save(self, health: PollerHealth) -> None:
        self.redis.set(poller_key(self.keys, health.id), health.model_dump_json(), ex=HEALTH_TTL)

    def remove(self, health: PollerHealth) -> None:
        self.redis.delete(poller_key(self.keys, health.id))

    def all(self) -> list[PollerHealth]:
        found = self.redis.scan_iter(match=poller_key(self.keys, "*"), count=1000)
        raws = [raw for raw in (self.redis.get(key) for key in found) if raw]
        return sorted((PollerHealth.model_validate_json(raw) for raw in raws), key=lambda h: h.id)


def describe(health: PollerHealth, now: float) -> str:
    """`poller host:42: last cycle 03:20:01; Redis unreachable 03:10:00 to 03:12:30 (150s): …`"""
    line = f"poller {health.id}: {_cycle(health, now)}"
    if health.outage_started is not None:
        line += f"; {_outage(health.outage_started, health.outage_ended, health.last_error)}"
    return line


def _cycle(health: PollerHealth, now: float) -> str:
    if health.last_cycle is None:
        return "no cycle yet"
    stalled = " (stalled or stopped)" if now - health.last_cycle > STALE_AFTER else ""
    return f"last cycle {_clock(health.last_cycle)}{stalled}"


def _outage(start: float, end: float | None, error: str | None) -> str:
    span = f"since {_clock(start)}"
    if end is not None:
        span = f"{_clock(start)} to {_clock(end)} ({end - start:.0f}s)"
    return f"Redis unreachable {span}: {error}"


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))
