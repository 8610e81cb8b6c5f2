"""Taking a job off its queue into the queue's holding list (RQ's intermediate queue) in
one step, so that a worker killed between taking a job and starting it loses nothing: a
job held for long by no one goes back to the front of its queue.

RQ moves a job into a holding list only when a worker listens on a single queue; ours
listen on two (match and deliver), where RQ pops and the job lives only in the worker."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import redis
from rq.exceptions import DequeueTimeout

from monitor.keyspace import as_text
from monitor.queue import rq

HOLD_LIMIT = 10.0
"""Seconds a job may sit taken but not started before it counts as abandoned: taking and
starting are milliseconds apart, so only a dead (or frozen) worker holds a job this long."""

WAKE = 1
"""Seconds an idle worker blocks on its first queue before looking at the others again."""

# Moves the first job of the first non-empty queue to that queue's holding list. KEYS come
# in pairs: a queue, its holding list.
_TAKE = """
for index = 1, #KEYS, 2 do
  local job_id = redis.call('LMOVE', KEYS[index], KEYS[index + 1], 'LEFT', 'RIGHT')
  if job_id then return {KEYS[index], job_id} end
end
return false
"""

_FINISHED_WITH = frozenset(
    {
        rq.job.JobStatus.FINISHED,
        rq.job.JobStatus.FAILED,
        rq.job.JobStatus.CANCELED,
        rq.job.JobStatus.STOPPED,
        rq.job.JobStatus.SCHEDULED,
        rq.job.JobStatus.DEFERRED,
    }
)


class HoldingQueue(rq.Queue):
    """An RQ queue whose workers take jobs into a holding list, from any number of queues."""

    @classmethod
    def dequeue_any(
        cls,
        queues: Iterable[rq.Queue],
        timeout: int | None,
        connection: redis.Redis,
        job_class: Any = None,
        serializer: Any = None,
        death_penalty_class: Any = None,
    ) -> tuple[rq.job.Job, rq.Queue] | None:
        """The first job of the first non-empty queue, now held; None at once when all are
        empty and `timeout` is None, else DequeueTimeout after `timeout` seconds."""
        keys = [(queue.key, queue.intermediate_queue_key) for queue in queues]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            taken = _take(connection, keys) or _wait(connection, keys[0], deadline, timeout)
            if taken is None:
                if deadline is None:
                    return None
                continue
            queue_key, job_id = taken
            found = cls._fetch_dequeued_job(
                connection, queue_key, job_id, job_class, serializer, death_penalty_class
            )
            if found is not None:
                return found
            connection.lrem(hold_key(queue_key), 1, job_id)  # its record is gone: nothing to do


def hold_key(queue_key: str) -> str:
    return f"{queue_key}:intermediate"  # RQ's name for it, so RQ's own tools see the jobs


def _take(connection: redis.Redis, keys: list[tuple[str, str]]) -> tuple[str, str] | None:
    taken = connection.eval(_TAKE, 2 * len(keys), *[key for pair in keys for key in pair])
    return (as_text(taken[0]), as_text(taken[1])) if taken else None


def _wait(
    connection: redis.Redis, keys: tuple[str, str], deadline: float | None, timeout: int | None
) -> tuple[str, str] | None:
    if deadline is None:
        return None
    if time.monotonic() >= deadline:
        raise DequeueTimeout(timeout, keys[0])
    job_id = connection.blmove(keys[0], keys[1], WAKE)
    return (keys[0], as_text(job_id)) if job_id is not None else None


def release_hold(queue: rq.Queue, job_id: str) -> None:
    """The job has started (its started registry now answers for it): no longer held."""
    queue.connection.lrem(queue.intermediate_queue_key, 1, job_id)


def put_back(queue: rq.Queue, job_id: str) -> None:
    """Return a held job to the front of its queue, where it was taken from."""
    with queue.connection.pipeline() as pipeline:  # MULTI: out of the hold and back as one
        pipeline.lrem(queue.intermediate_queue_key, 1, job_id)
        pipeline.lpush(queue.key, job_id)
        pipeline.hset(queue.job_class.key_for(job_id), "status", rq.job.JobStatus.QUEUED)
        pipeline.delete(_mark_key(queue, job_id))
        pipeline.execute()


def rescue_held(queue: rq.Queue, timestamp: float | None = None) -> list[str]:
    """Put back the jobs held longer than HOLD_LIMIT without being started (by `timestamp`,
    default now); drop from the hold those that are accounted for elsewhere. The ids put
    back. A job is first marked when seen held, and put back when seen again past the limit."""
    now = time.time() if timestamp is None else timestamp
    rescued = []
    for raw in queue.connection.lrange(queue.intermediate_queue_key, 0, -1):
        job_id = as_text(raw)
        if _accounted_for(queue, job_id):
            release_hold(queue, job_id)
        elif _held_since(queue, job_id, now) < now - HOLD_LIMIT:
            put_back(queue, job_id)
            rescued.append(job_id)
    return rescued


def _accounted_for(queue: rq.Queue, job_id: str) -> bool:
    """Started (its registry will retry it), done, waiting elsewhere, or gone."""
    job = queue.fetch_job(job_id)
    if job is None or job_id in queue.started_job_registry:
        return True
    return job.get_status() in _FINISHED_WITH


def _held_since(queue: rq.Queue, job_id: str, now: float) -> float:
    key = _mark_key(queue, job_id)
    queue.connection.set(key, repr(now), nx=True, ex=int(6 * HOLD_LIMIT))
    mark = queue.connection.get(key)
    return float(mark) if mark is not None else now


def _mark_key(queue: rq.Queue, job_id: str) -> str:
    return f"{queue.intermediate_queue_key}:seen:{job_id}"
