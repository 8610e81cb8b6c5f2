"""What a worker's maintenance does to a queue's registries besides RQ's own cleanup:
jobs of dead workers back to their queue, and retries that came due released; and what a
supervisor does for a worker it saw die."""

from __future__ import annotations

import time
from collections.abc import Sequence

from rq.executions import WORKER_EXECUTIONS_KEY_TEMPLATE

from monitor.keyspace import as_text
from monitor.queue import rq


def requeue_abandoned(queue: rq.Queue, timestamp: float | None = None) -> list[str]:
    """Put the jobs of workers that stopped beating (by `timestamp`, default now) back at
    the front of their queue, each with one retry used up; the ids requeued. Jobs out of
    retries are left to RQ's cleanup, which fails them."""
    registry = queue.started_job_registry
    until = time.time() if timestamp is None else timestamp
    entries = registry.connection.zrangebyscore(registry.key, 0, until)
    return [job_id for entry in entries if (job_id := _requeue(queue, as_text(entry)))]


def requeue_jobs_of(queues: Sequence[rq.Queue], worker_name: str) -> list[str]:
    """Put the jobs that the worker named `worker_name` had started back at the front of
    their queue at once, as `requeue_abandoned` would once its heartbeat ran out: for a
    supervisor that saw the worker die (and ended its work-horse). The ids requeued."""
    if not queues:
        return []
    client = queues[0].connection
    executions = client.smembers(WORKER_EXECUTIONS_KEY_TEMPLATE.format(worker_name))
    requeued = []
    for entry in sorted(as_text(member) for member in executions):
        for queue in queues:
            if client.zscore(queue.started_job_registry.key, entry) is not None:
                job_id = _requeue(queue, entry)
                requeued += [job_id] if job_id else []
    return requeued


def _requeue(queue: rq.Queue, entry: str) -> str | None:
    """Take a started registry entry off and its job back to the front of the queue, with
    one retry used up; the job's id, or None when it is not a started job with retries."""
    registry = queue.started_job_registry
    job = queue.fetch_job(registry.parse_job_id(entry))
    if job is None or job.get_status() != rq.job.JobStatus.STARTED or not job.retries_left:
        return None
    job.retries_left -= 1
    with registry.connection.pipeline() as pipeline:  # MULTI: taken off and back as one
        pipeline.zrem(registry.key, entry)
        queue._enqueue_job(job, pipeline=pipeline, at_front=True)
        pipeline.execute()
    return str(job.id)


def release_due(queue: rq.Queue, timestamp: float | None = None) -> list[str]:
    """Move the scheduled jobs (delivery retries, retries after a failure) due by `timestamp`
    (default now) to their queue; the ids released.

    Only one worker may run this for a queue at a time (the queue's maintenance lock): the
    jobs leave the schedule and join the queue in one MULTI, so none is lost or doubled."""
    registry = queue.scheduled_job_registry
    due = registry.get_jobs_to_schedule(int(time.time() if timestamp is None else timestamp))
    if not due:
        return []
    jobs = rq.job.Job.fetch_many(due, connection=queue.connection, serializer=queue.serializer)
    with queue.connection.pipeline() as pipeline:
        for job_id, job in zip(due, jobs, strict=True):
            if job is not None:
                queue._enqueue_job(job, pipeline=pipeline, at_front=job.should_enqueue_at_front())
            registry.remove(job_id, pipeline=pipeline)
        pipeline.execute()
    return [job_id for job_id, job in zip(due, jobs, strict=True) if job is not None]
