"""Heartbeats of the long-running processes (workers, pollers) in Redis, and who is
alive by them: a sorted set by last beat, and a hash per process of who it is."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import redis

from monitor.clock import Clock, SystemClock
from monitor.keyspace import Keyspace, as_text

BEAT_TTL = 30.0
"""Seconds after its last beat when a process counts as gone; beats come every few seconds."""

GONE_KEPT = 3600
"""Seconds a gone process is still listed (as gone) before it is forgotten."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Beat:
    """One process as its heartbeat shows it."""

    who: str
    role: str
    pid: int
    host: str
    started: float
    last: float

    def age(self, now: float) -> float:
        """Seconds since the last beat."""
        return max(0.0, now - self.last)

    def alive(self, now: float) -> bool:
        return self.age(now) <= BEAT_TTL


class Heartbeat:
    """The heartbeat of this process, in `role` (worker, poller)."""

    def __init__(
        self, client: redis.Redis, keys: Keyspace, role: str, clock: Clock | None = None
    ) -> None:
        self.redis = client
        self.keys = keys
        self.clock = clock or SystemClock()
        self.pid = os.getpid()
        self.host = socket.gethostname()
        self.started = self.clock.now()
        self.role = role
        self.who = f"{role}:{self.host}:{self.pid}:{int(self.started)}"

    def beat(self) -> bool:
        """Record that this process is alive; False when Redis could not be told (a missed
        beat must never stop the work it reports on)."""
        now = self.clock.now()
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.hset(self.keys.beat(self.who), mapping=self._fields())
                pipe.expire(self.keys.beat(self.who), GONE_KEPT)
                pipe.zadd(self.keys.beats, {self.who: now})
                pipe.zremrangebyscore(self.keys.beats, "-inf", now - GONE_KEPT)
                pipe.execute()
        except redis.RedisError as exc:
            log.debug("heartbeat of %s missed: %s", self.who, exc)
            return False
        return True

    def _fields(self) -> Mapping[Any, str]:
        return {
            "role": self.role,
            "pid": str(self.pid),
            "host": self.host,
            "started": repr(self.started),
        }


def beats(client: redis.Redis, keys: Keyspace) -> list[Beat]:
    """Every process that beat within GONE_KEPT, oldest start first."""
    found = []
    listed = cast(list[tuple[bytes, float]], client.zrange(keys.beats, 0, -1, withscores=True))
    for who, last in listed:
        fields = {
            as_text(k): as_text(v) for k, v in client.hgetall(keys.beat(as_text(who))).items()
        }
        if fields:
            found.append(_beat(as_text(who), fields, float(last)))
    return sorted(found, key=lambda beat: (beat.role, beat.started))


def _beat(who: str, fields: dict[str, str], last: float) -> Beat:
    return Beat(
        who=who,
        role=fields["role"],
        pid=int(fields["pid"]),
        host=fields["host"],
        started=float(fields["started"]),
        last=last,
    )
