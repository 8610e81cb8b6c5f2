"""Heartbeats in a real Redis: who beat, alive until BEAT_TTL passes, forgotten after
GONE_KEPT, and a beat that cannot reach Redis says so without raising."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import redis

from monitor.clock import FixedClock
from monitor.heartbeat import BEAT_TTL, GONE_KEPT, Heartbeat, beats
from monitor.keyspace import Keyspace

START = 1_706_000_000.0


def test_a_beat_shows_who_and_when(redis_client: redis.Redis, keys: Keyspace) -> None:
    clock = FixedClock(START)
    assert Heartbeat(redis_client, keys, "worker", clock).beat()
    clock.advance(5)
    [beat] = beats(redis_client, keys)
    assert (beat.role, beat.pid, beat.host) == ("worker", os.getpid(), socket.gethostname())
    assert (beat.started, beat.last, beat.age(clock.now())) == (START, START, 5.0)


def test_a_process_is_alive_until_its_beat_is_older_than_the_ttl(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    clock = FixedClock(START)
    heartbeat = Heartbeat(redis_client, keys, "poller", clock)
    heartbeat.beat()
    [beat] = beats(redis_client, keys)
    assert beat.alive(START + BEAT_TTL) and not beat.alive(START + BEAT_TTL + 0.1)
    clock.advance(BEAT_TTL + 1)
    heartbeat.beat()
    assert beats(redis_client, keys)[0].alive(clock.now())


def test_a_process_gone_long_ago_is_forgotten(redis_client: redis.Redis, keys: Keyspace) -> None:
    Heartbeat(redis_client, keys, "worker", FixedClock(START)).beat()
    Heartbeat(redis_client, keys, "poller", FixedClock(START + GONE_KEPT + 1)).beat()
    assert [beat.role for beat in beats(redis_client, keys)] == ["poller"]


def test_a_beat_without_redis_returns_false(tmp_path: Path, keys: Keyspace) -> None:
    client = redis.Redis(unix_socket_path=str(tmp_path / "nothing.sock"))
    assert Heartbeat(client, keys, "worker").beat() is False
