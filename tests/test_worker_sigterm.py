"""SIGTERM a worker just after it takes a job: the job is finished, queued or retried, never
dropped between the queue and the started registry."""

from __future__ import annotations

from pathlib import Path

import redis

from monitor.keyspace import Keyspace
from monitor.queue import enqueue, rq, rq_queue
from tests.processes import env_for, start_monitor, stop, wait_until

ROUNDS = 10
"""Workers started and stopped, one job each: the signal lands within milliseconds of the
pop, before the job is listed as started (every round lost its job before the fix)."""

TASK = "builtins.len"
"""A job that needs nothing of the monitor, so only the worker's hands are tested."""


def blocked_on_queues(client: redis.Redis, queue: rq.Queue) -> bool:
    """The worker is idle in BLMOVE, so a job queued now is taken at once (RQ names only
    its pubsub connection: any client blocked in BLMOVE is taken to be the worker)."""
    idle = any(worker.get_state() == "idle" for worker in rq.Worker.all(queue=queue))
    return idle and any(entry.get("cmd") == "blmove" for entry in client.client_list())


def where(queue: rq.Queue, job_id: str) -> str:
    """Where a job stands: somewhere a worker will take it up again, or `lost`."""
    job = queue.fetch_job(job_id)
    if job is not None and job.get_status() == rq.job.JobStatus.FINISHED:
        return "finished"
    if job_id in queue.get_job_ids():
        return "queued"
    if job_id in queue.scheduled_job_registry:
        return "scheduled"
    if job_id in queue.intermediate_queue.get_job_ids():
        return "held"  # taken but not started: put back if no one starts it
    # Cleanup retries a job of a dead worker only if it was marked started.
    started = job is not None and job.get_status() == rq.job.JobStatus.STARTED
    if started and job_id in queue.started_job_registry:
        return "started"
    return "lost"


def test_sigterm_just_after_a_job_is_queued_loses_nothing(
    tmp_path: Path, redis_url: str, keys: Keyspace, redis_client: redis.Redis
) -> None:
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    env = env_for(tmp_path, redis_url, keys.prefix)
    queue = rq_queue(redis_client, keys.match_queue)
    places: dict[str, str] = {}
    for round_ in range(ROUNDS):
        worker = start_monitor("work", env=env)
        job_id = f"sigterm-{round_}"
        try:
            wait_until(lambda: blocked_on_queues(redis_client, queue), "an idle worker")
            enqueue(queue, TASK, {"round": round_}, job_id=job_id)
        finally:
            stop(worker)  # SIGTERM at once: while the worker takes the job up
        places[job_id] = where(queue, job_id)
    # What the last worker left behind is what any worker would pick up next.
    counts = {place: list(places.values()).count(place) for place in sorted(set(places.values()))}
    print(f"jobs in {ROUNDS}, " + ", ".join(f"{place} {n}" for place, n in counts.items()))
    lost = [job_id for job_id, place in places.items() if place == "lost"]
    assert not lost, f"{len(lost)} of {ROUNDS} jobs lost: {lost}; {counts}"
