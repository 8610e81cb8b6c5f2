"""The RQ queues: JSON jobs (never pickle), batches of items with stable job ids.

RQ reads its key prefix when it is first imported, so this module sets it
(under MONITOR_PREFIX) before importing RQ; everything else imports RQ from here.
"""

from __future__ import annotations

import os

os.environ.setdefault("RQ_KEY_PREFIX", f"{os.environ.get('MONITOR_PREFIX', 'monitor')}:rq")

import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import redis
import rq

from monitor.dedup import Seen, SeenSet
from monitor.item import Item
from monitor.keyspace import Keyspace, digest

__all__ = [
    "JobSerializer",
    "QuicklyCompressedJob",
    "Submission",
    "enqueue",
    "enqueue_delivery",
    "enqueue_items",
    "enqueue_later",
    "failed_jobs",
    "rq",
    "rq_queue",
    "submit_items",
]

BATCH_SIZE = 200
"""Most items in one match job. What a job costs besides its items (RQ taking, starting and
finishing it, a dozen round trips; reading its rules' open stories; deciding the stories
that came due) is paid once for all of them: at 50 items, RQ's part alone was over a
quarter of a worker's time with the shipped rules. A poll mostly brings fewer; a backlog
(a replay, a feed's first poll, the hour after an outage) goes in jobs of about a quarter
of a second of work each at a thousand rules."""

JOB_TIMEOUT = 300
"""Seconds a job may run before RQ stops it."""

JOB_RETRIES = 3
"""Times a job is run again after its worker died or it failed."""

MATCH_TASK = "workers.tasks.match_batch"
DELIVER_TASK = "workers.tasks.deliver"


class JobSerializer:
    """Job payloads as UTF-8 JSON: never pickle, and Arabic at half the size of \\u escapes."""

    @staticmethod
    def dumps(obj: Any) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @staticmethod
    def loads(data: bytes | str) -> Any:
        return json.loads(data)


PAYLOAD_COMPRESSION = 1
"""zlib's level for job payloads: RQ's default (6) took 4 ms for a 50-item batch, about a
twentieth of a replay, to save a fifth of bytes that live only until the job is done."""


class QuicklyCompressedJob(rq.job.Job):
    """An RQ job that stores its payload compressed at PAYLOAD_COMPRESSION."""

    def to_dict(self, include_meta: bool = True, include_result: bool = True) -> dict[str, Any]:
        payload = self.data
        self._data = b""  # what RQ compresses itself: nothing
        try:
            found = super().to_dict(include_meta=include_meta, include_result=include_result)
        finally:
            self._data = payload
        found["data"] = zlib.compress(payload, PAYLOAD_COMPRESSION)
        return found


def rq_queue(client: redis.Redis, name: str) -> rq.Queue:
    return rq.Queue(
        name, connection=client, serializer=JobSerializer, job_class=QuicklyCompressedJob
    )


def drop_queues(client: redis.Redis, keys: Keyspace) -> None:
    """Delete the match and delivery queues of `keys` (a replay's or a benchmark's), their
    queued jobs and their registries: RQ's keys live under its own prefix, which `drop`
    does not reach, and a registry outlives its jobs."""
    for name in (keys.match_queue, keys.deliver_queue):
        queue = rq_queue(client, name)
        registries = (
            queue.started_job_registry,
            queue.finished_job_registry,
            queue.failed_job_registry,
            queue.deferred_job_registry,
            queue.scheduled_job_registry,
            queue.canceled_job_registry,
        )
        client.delete(*(registry.key for registry in registries))
        queue.delete(delete_jobs=True)


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Timeout|Exit)\b.*$", re.M)


def failed_jobs(client: redis.Redis, keys: Keyspace, limit: int = 20) -> list[tuple[str, str]]:
    """(job id, last line of its error) of jobs that failed for good, newest last.

    A job run again under its id (a batch queued anew, a job requeued) that then succeeded,
    or whose record is gone, has not failed for good: it is taken off the failed registry."""
    found = []
    for name in (keys.match_queue, keys.deliver_queue):
        registry = rq_queue(client, name).failed_job_registry
        for job_id in registry.get_job_ids()[-limit:]:
            job = _still_failed(registry, job_id)
            if job is not None:
                found.append((job_id, _last_error(job)))
    return found


def _still_failed(registry: rq.registry.FailedJobRegistry, job_id: str) -> rq.job.Job | None:
    try:
        job = rq.job.Job.fetch(job_id, connection=registry.connection, serializer=JobSerializer)
    except rq.exceptions.NoSuchJobError:
        job = None
    if job is None or job.get_status() == rq.job.JobStatus.FINISHED:
        registry.remove(job_id)
        return None
    return job


def _last_error(job: rq.job.Job) -> str:
    result = job.latest_result()
    trace = (result.exc_string if result else "") or ""
    errors = _EXCEPTION_LINE.findall(trace)
    return errors[-1] if errors else "unknown error"


@dataclass
class Submission:
    """How many items were new and queued, and how many were seen before."""

    queued: int = 0
    seen: int = 0
    jobs: int = 0


def submit_items(
    client: redis.Redis,
    keys: Keyspace,
    items: Sequence[Item],
    context: dict[str, Any],
    retention: int,
    at: Sequence[float] | None = None,
) -> Submission:
    """Queue the items not seen before, in batches; `at` gives each item's clock time."""
    seen = SeenSet(client, keys, retention)
    fresh = [index for index, seen_as in enumerate(seen.claim(items)) if seen_as is Seen.NEW]
    try:
        jobs = enqueue_items(
            client,
            keys,
            [items[index] for index in fresh],
            context,
            [at[index] for index in fresh] if at is not None else None,
        )
    except redis.RedisError:
        seen.forget([items[index] for index in fresh])
        raise
    return Submission(queued=len(fresh), seen=len(items) - len(fresh), jobs=jobs)


def enqueue_items(
    client: redis.Redis,
    keys: Keyspace,
    items: Sequence[Item],
    context: dict[str, Any],
    at: Sequence[float] | None = None,
) -> int:
    """Queue items already claimed as new, in batches; the number of jobs."""
    queue = rq_queue(client, keys.match_queue)
    jobs = 0
    for start in range(0, len(items), BATCH_SIZE):
        batch = items[start : start + BATCH_SIZE]
        payload = {
            **context,
            "prefix": keys.prefix,
            "items": [item.model_dump(mode="json") for item in batch],
            "at": list(at[start : start + BATCH_SIZE]) if at is not None else None,
        }
        job_id = "match-" + digest("\n".join(item.id for item in batch))
        enqueue(queue, MATCH_TASK, payload, job_id=job_id)
        jobs += 1
    return jobs


_WAITING = frozenset(
    {
        rq.job.JobStatus.QUEUED,
        rq.job.JobStatus.STARTED,
        rq.job.JobStatus.SCHEDULED,
        rq.job.JobStatus.DEFERRED,
    }
)
"""A job under these is still to run (or running): the same id queued again is the same work."""


def enqueue(queue: rq.Queue, task: str, payload: dict[str, Any], job_id: str) -> rq.job.Job:
    """Queue a job under `job_id`, once: a job of that id still waiting in this queue is
    left as it is.

    The record of one that ended is removed first. RQ would write the new job into it,
    keeping the expiry the old result was given, and the new job would vanish unrun when
    that came (a batch queued anew within minutes: a replay, a forgotten claim)."""
    old = _record_of(queue, job_id)
    if old is not None and old.get_status(refresh=False) not in _WAITING:
        old.delete()
    elif old is not None and old.origin == queue.name:
        return old
    return queue.enqueue(
        task,
        payload,
        job_id=job_id,
        description=task,  # RQ's own is a repr of the whole payload, cut to 75 characters
        job_timeout=JOB_TIMEOUT,
        retry=rq.Retry(max=JOB_RETRIES, interval=[1, 5, 30]),
        failure_ttl=30 * 86_400,
    )


def _record_of(queue: rq.Queue, job_id: str) -> rq.job.Job | None:
    """The job stored under `job_id`, of whichever queue (RQ's keys may be shared)."""
    try:
        return rq.job.Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
    except rq.exceptions.NoSuchJobError:
        return None


def enqueue_later(queue: rq.Queue, task: str, payload: dict[str, Any], delay: float) -> rq.job.Job:
    return queue.enqueue_in(
        timedelta(seconds=delay),
        task,
        payload,
        job_timeout=JOB_TIMEOUT,
        retry=rq.Retry(max=JOB_RETRIES, interval=[1, 5, 30]),
        failure_ttl=30 * 86_400,
    )


def enqueue_delivery(
    client: redis.Redis,
    keys: Keyspace,
    context: dict[str, Any],
    payload: dict[str, Any],
    job_id: str,
) -> rq.job.Job:
    """Queue one delivery job (a DeliveryJob as JSON) with the rules and channels of `context`."""
    queue = rq_queue(client, keys.deliver_queue)
    return enqueue(queue, DELIVER_TASK, {**context, **payload}, job_id=job_id)
