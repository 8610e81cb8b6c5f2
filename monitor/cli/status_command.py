"""`monitor status`: who is alive by their heartbeats, how deep the queues are, how old
their oldest job, how many jobs failed, and what of that is a problem (`--check` exits 1)."""

from __future__ import annotations

import json
import socket
import sys
import time
from datetime import UTC, datetime
from typing import Any

import click
import redis

from monitor.cli.options import announce
from monitor.connection import redis_connection
from monitor.health import Backlog, host_problems, monitor_problems
from monitor.heartbeat import Beat, beats
from monitor.ingest.feeds import load_feeds
from monitor.keyspace import Keyspace
from monitor.queue import JobSerializer, rq, rq_queue
from monitor.settings import Settings


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--check", is_flag=True, help="Exit 1 when there is a problem (a health check).")
@click.option(
    "--here", is_flag=True, help="Judge only the processes of this host (a container's health)."
)
def status_command(as_json: bool, check: bool, here: bool) -> None:
    """Show the workers and pollers (alive or gone, by the age of their last heartbeat),
    the depth of the match and deliver queues, their oldest job's age, failed jobs, and
    problems: no live worker, no live poller while there are feeds, a queue whose oldest
    job has waited over 5 minutes; with --here, only whether a process of this host lives."""
    settings = Settings.from_env()
    with redis_connection(settings, announce, start=not check) as client:
        keys = Keyspace(settings.prefix)
        now = time.time()
        queues = {
            "match": _queue_row(client, keys.match_queue, now),
            "deliver": _queue_row(client, keys.deliver_queue, now),
        }
        found = beats(client, keys)
    if here:
        problems = host_problems(found, now, socket.gethostname())
    else:
        backlogs = [Backlog(name, row["oldest_age"]) for name, row in queues.items()]
        problems = monitor_problems(found, backlogs, now, _has_feeds(settings))
    report = {
        "processes": [_process_row(beat, now) for beat in found],
        "queues": queues,
        "failed_jobs": sum(row["failed"] for row in queues.values()),
        "problems": problems,
    }
    click.echo(json.dumps(report) if as_json else _text(report))
    if check and problems:
        sys.exit(1)


def _has_feeds(settings: Settings) -> bool:
    return settings.feeds.exists() and bool(load_feeds(settings.feeds))


def _process_row(beat: Beat, now: float) -> dict[str, Any]:
    return {
        "role": beat.role,
        "pid": beat.pid,
        "host": beat.host,
        "started": _iso(beat.started),
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


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def _text(report: dict[str, Any]) -> str:
    lines = [_process_line(row) for row in report["processes"]] or ["no worker or poller beats"]
    lines += [_queue_line(name, row) for name, row in report["queues"].items()]
    lines += [f"problem: {problem}" for problem in report["problems"]] or ["no problems"]
    return "\n".join(lines)


def _process_line(row: dict[str, Any]) -> str:
    state = "alive" if row["alive"] else "gone "
    where = f"pid {row['pid']} on {row['host']}"
    return f"{row['role']:7} {state}  {where:32} last beat {row['last_beat_age']:.0f} s ago"


def _queue_line(name: str, row: dict[str, Any]) -> str:
    oldest = "" if row["oldest_age"] is None else f", oldest waiting {row['oldest_age']:.0f} s"
    counts = f"{row['queued']} queued, {row['running']} running, {row['scheduled']} scheduled"
    return f"{name + ' queue':13} {counts}, {row['failed']} failed{oldest}"
