"""A worker told to stop exits within seconds: the thread that listens for commands to it
(RQ's pubsub) is waited for, and must not sit out a long wait of its own first."""

from __future__ import annotations

import time

import redis

from monitor.keyspace import Keyspace
from monitor.queue import rq_queue
from tests.processes import wait_until
from workers.worker import MonitorWorker

STOP_CEILING = 20.0
"""Seconds the listening thread may take to end: RQ's own waits 60 once unsubscribed, a
prompt one under one, and a busy machine stays far below this."""


def test_the_listening_thread_ends_promptly_once_unsubscribed(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    worker = MonitorWorker([rq_queue(redis_client, keys.match_queue)], redis_client, None)
    worker.subscribe()
    listening = worker.pubsub_thread
    assert listening is not None
    # As RQ's teardown does: unsubscribe, then stop the thread and wait for it.
    worker.pubsub.unsubscribe()
    wait_until(lambda: not worker.pubsub.subscribed, "the thread to read the unsubscribe")
    time.sleep(0.2)  # into its wait for the next message, where the old wait was a minute

    began = time.monotonic()
    listening.stop()
    listening.join(STOP_CEILING)

    assert not listening.is_alive()
    assert time.monotonic() - began < STOP_CEILING
    worker.pubsub.close()
