"""The monitor's state as `monitor status`, `/healthz` and the dashboard show it: who is
alive by their heartbeats, how deep the queues are, how old their oldest job, how many
jobs failed, and what of that is a problem."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import redis

from monitor.health import Backlog, host_problems, monitor_problems
from monitor.heartbeat import Beat, beats
from monitor.keyspace import Keyspace
from monitor.queue import JobSerializer, rq, rq_queue


def status_report(
    client: redis.Redis, keys: Keyspace, now: float, expect_pollers: bool, host: str | None = None
) -> dict[str, Any]:
    """processes, queues, failed_jobs and problems (of the host only, when `host` is given)."""
    queues = {
        "match": _queue_row(client, keys.match_queue, now),
        "deliver": _queue_row(client, keys.deliver_queue, now),
    }
    found = beats(client, keys)
    if host is not None:
        problems = host_problems(found, now, host)
    else:
        backlogs = [Backlog(name, row["oldest_age"]) for name, row in queues.items()]
        problems = monitor_problems(found, backlogs, now, expect_pollers)
    return {
        "processes": [_process_row(beat, now) for beat in found],
        "queues": queues,
        "failed_jobs": sum(row["failed"] for row in queues.values()),
        "problems": problems,
    }


def _process_row(beat: Beat, now: float) -> dict[str, Any]:
    return {
        "role": beat.role,
        "pid": beat.pid,
        "host": beat.host,
        "started": iso(beat.started),
        "last_beat_age": round(beat.age(now), 1),
        "alive": beat.alive(now),
    }


def _queue_row(client: redis.Redis, name: str, now: float) -> dict[str, Any]:
    queue = rq_queue(client, name)
    return {
        "queued": queue.count,
        "running": queue.started_job_registry.get_job_count(cleanup=False),
        "scheduled": queue.scheduled_job_registry.get_job_count(cleanup=False),
        "failed": queue.failed_job_registry.get_job_count(cleanup=False),
        "oldest_age": _oldest_age(client, queue, now),
    }


def _oldest_age(client: redis.Redis, queue: rq.Queue, now: float) -> float | None:
    """Seconds the job at the head of the queue has waited; None when it is empty."""
    for job_id in queue.get_job_ids(0, 1):
        job = rq.job.Job.fetch(job_id, connection=client, serializer=JobSerializer)
        if job.enqueued_at is not None:
            enqueued = job.enqueued_at.replace(tzinfo=job.enqueued_at.tzinfo or UTC)
            return round(max(0.0, now - enqueued.timestamp()), 1)
    return None


def iso(at: float) -> str:
    """A time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")
