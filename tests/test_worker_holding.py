"""Jobs taken into a holding list, and what maintenance does for jobs no one will run: a job
held by a dead worker is put back, a retry that came due is released without RQ's
scheduler; against a real Redis and, at the end, real processes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq.exceptions import DequeueTimeout
from rq.scheduler import RQScheduler

from monitor.keyspace import Keyspace
from monitor.queue import JobSerializer, rq, rq_queue
from tests.processes import CEILING, ROOT, env_for, start_monitor, stop, wait_until
from workers.holding import HOLD_LIMIT, HoldingQueue, release_hold, rescue_held
from workers.upkeep import release_due

TASK = "builtins.len"
"""A job that needs nothing of the monitor, so only the worker's hands are tested."""

TAKE_AND_HANG = """
import sys, time
from monitor.queue import JobSerializer
import redis
from workers.holding import HoldingQueue
client = redis.Redis.from_url(sys.argv[1])
queue = HoldingQueue(sys.argv[2], connection=client, serializer=JobSerializer)
taken = HoldingQueue.dequeue_any([queue], 60, connection=client, serializer=JobSerializer)
print(taken[0].id, flush=True)
time.sleep(3600)
"""
"""A worker that takes a job and is killed before starting it."""


@pytest.fixture
def queues(redis_client: redis.Redis, keys: Keyspace) -> Iterator[list[rq.Queue]]:
    found = [
        HoldingQueue(name, connection=redis_client, serializer=JobSerializer)
        for name in (keys.match_queue, keys.deliver_queue)
    ]
    yield found
    for queue in found:
        queue.empty()


def take(queues: list[rq.Queue], timeout: int | None = None) -> tuple[rq.job.Job, rq.Queue]:
    taken = HoldingQueue.dequeue_any(
        queues, timeout, connection=queues[0].connection, serializer=JobSerializer
    )
    assert taken is not None
    return taken


def test_a_job_taken_is_held_until_it_starts(queues: list[rq.Queue]) -> None:
    match, deliver = queues
    later = deliver.enqueue(TASK, [1])
    first = match.enqueue(TASK, [1, 2])
    job, queue = take(queues)
    assert (job.id, queue.name) == (first.id, match.name)  # the first queue comes first
    assert match.intermediate_queue.get_job_ids() == [first.id]
    job, queue = take(queues)
    assert (job.id, queue.name) == (later.id, deliver.name)
    assert deliver.intermediate_queue.get_job_ids() == [later.id]
    release_hold(deliver, later.id)
    assert deliver.intermediate_queue.get_job_ids() == []


def test_taking_from_empty_queues(queues: list[rq.Queue]) -> None:
    assert HoldingQueue.dequeue_any(queues, None, connection=queues[0].connection) is None
    with pytest.raises(DequeueTimeout):
        HoldingQueue.dequeue_any(queues, 1, connection=queues[0].connection)


def test_a_job_whose_record_is_gone_is_skipped_and_dropped(queues: list[rq.Queue]) -> None:
    match = queues[0]
    gone = match.enqueue(TASK, [1])
    kept = match.enqueue(TASK, [1, 2])
    gone.delete(remove_from_queue=False)
    job, _ = take(queues)
    assert job.id == kept.id
    assert match.intermediate_queue.get_job_ids() == [kept.id]


def test_a_job_held_too_long_goes_back_to_the_front_of_its_queue(queues: list[rq.Queue]) -> None:
    match = queues[0]
    held = match.enqueue(TASK, [1])
    waiting = match.enqueue(TASK, [1, 2])
    take(queues)
    now = time.time()
    assert rescue_held(match, now) == []  # seen held for the first time
    assert rescue_held(match, now + HOLD_LIMIT / 2) == []
    assert rescue_held(match, now + HOLD_LIMIT + 1) == [held.id]
    assert match.get_job_ids() == [held.id, waiting.id]
    assert match.intermediate_queue.get_job_ids() == []
    assert held.get_status() == rq.job.JobStatus.QUEUED
    # Taken again, it is timed afresh.
    take(queues)
    assert rescue_held(match, now + HOLD_LIMIT + 2) == []


def test_held_jobs_accounted_for_elsewhere_are_dropped_not_put_back(
    queues: list[rq.Queue],
) -> None:
    match = queues[0]
    done = match.enqueue(TASK, [1])
    take(queues)
    done.set_status(rq.job.JobStatus.FINISHED)
    assert rescue_held(match, time.time() + 3600) == []
    assert match.intermediate_queue.get_job_ids() == []
    assert match.get_job_ids() == []


def test_due_retries_are_released_and_others_wait(queues: list[rq.Queue]) -> None:
    deliver = queues[1]
    soon = deliver.enqueue_in(timedelta(seconds=5), TASK, [1])
    later = deliver.enqueue_in(timedelta(seconds=500), TASK, [1, 2])
    assert release_due(deliver) == []
    assert release_due(deliver, time.time() + 10) == [soon.id]
    assert deliver.get_job_ids() == [soon.id]
    assert deliver.scheduled_job_registry.get_job_ids() == [later.id]
    assert soon.get_status() == rq.job.JobStatus.QUEUED


def test_a_job_taken_by_a_worker_killed_before_starting_it_is_run(
    tmp_path: Path, redis_url: str, keys: Keyspace, redis_client: redis.Redis
) -> None:
    queue = rq_queue(redis_client, keys.match_queue)
    job = queue.enqueue(TASK, [1, 2, 3])
    taker = subprocess.Popen(
        [sys.executable, "-c", TAKE_AND_HANG, redis_url, keys.match_queue],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert taker.stdout is not None
        assert taker.stdout.readline().strip() == job.id
    finally:
        taker.send_signal(signal.SIGKILL)
        taker.communicate(timeout=CEILING)  # reaps it and closes its pipe
    killed_at = time.monotonic()
    assert queue.intermediate_queue.get_job_ids() == [job.id]  # in no queue, no registry
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    worker = start_monitor("work", env=env_for(tmp_path, redis_url, keys.prefix))
    try:
        wait_until(
            lambda: job.get_status(refresh=True) == rq.job.JobStatus.FINISHED,
            lambda: f"the held job to be run; it is {job.get_status(refresh=True)}",
        )
    finally:
        stop(worker)
    assert job.return_value() == 3
    print(f"a job held by a killed worker ran {time.monotonic() - killed_at:.1f}s after the kill")


def test_retries_come_due_whatever_a_dead_worker_left_locked(
    tmp_path: Path, redis_url: str, keys: Keyspace, redis_client: redis.Redis
) -> None:
    queue = rq_queue(redis_client, keys.deliver_queue)
    # What a worker killed while running RQ's scheduler leaves: its lock, for a minute.
    redis_client.set(RQScheduler.get_locking_key(queue.name), "dead-worker", ex=3600)
    job = queue.enqueue_in(timedelta(seconds=1), TASK, [1, 2])
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    worker = start_monitor("work", env=env_for(tmp_path, redis_url, keys.prefix))
    try:
        took = wait_until(
            lambda: job.get_status(refresh=True) == rq.job.JobStatus.FINISHED,
            lambda: f"the retry to run; it is {job.get_status(refresh=True)}",
        )
    finally:
        stop(worker)
    print(f"a retry due in 1s ran after {took:.1f}s")
