"""The RQ tasks: thin shells that hand a job's JSON payload to the pipeline."""

from __future__ import annotations

from typing import Any

import redis

from monitor.delivery import DeliveryJob, Result
from monitor.item import Item
from monitor.queue import DELIVER_TASK, enqueue_later, rq, rq_queue
from workers.runtime import refresh_rules, runtime_for

RULES_LOOKED_AT_EVERY = 1.0
"""Seconds between two looks at the rules files from match jobs: an edit is taken within
a second (the worker's upkeep looks too), and a busy worker does not stat every file of a
large rule set for every batch."""


def _connection() -> redis.Redis:
    job = rq.get_current_job()
    assert job is not None, "an RQ task runs inside a job"
    return job.connection


def match_batch(payload: dict[str, Any]) -> dict[str, Any]:
    """Match, group and decide for one batch of items."""
    connection = _connection()
    runtime = runtime_for(connection, payload)
    refresh_rules(connection, runtime, at_most_every=RULES_LOOKED_AT_EVERY)
    items = [Item.model_validate(data) for data in payload["items"]]
    latest = runtime.pipeline.process(items, payload.get("at"), runtime.clock)
    runtime.pipeline.flush_due(latest)
    return {"items": len(items)}


def deliver(payload: dict[str, Any]) -> dict[str, Any]:
    """Send one story update to one channel; schedule a retry when it may succeed later."""
    connection = _connection()
    runtime = runtime_for(connection, payload)
    job = DeliveryJob.model_validate(payload)
    outcome = runtime.deliverer.deliver(job, runtime.clock.now())
    if outcome.result in (Result.RETRY, Result.BUSY, Result.PAUSED):
        # A job that found the pair leased or the channel paused has made no attempt: it
        # comes back as the same.
        attempt = job.attempt + (outcome.result is Result.RETRY)
        again = job.model_copy(update={"attempt": attempt})
        queue = rq_queue(connection, runtime.keys.deliver_queue)
        payload = {**runtime.context, **again.model_dump(mode="json")}
        enqueue_later(queue, DELIVER_TASK, payload, outcome.retry_in)
    return {"result": outcome.result.value, "detail": outcome.detail}
