"""A worker that dies after taking a job and before its work-horse starts it: the job
is run again, not lost."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
import redis

from monitor.keyspace import Keyspace
from monitor.queue import JobSerializer, rq, rq_queue
from workers.upkeep import requeue_abandoned, requeue_jobs_of
from workers.worker import MonitorWorker, worker_name


@pytest.fixture
def queue(redis_client: redis.Redis, keys: Keyspace) -> Iterator[rq.Queue]:
    found = rq_queue(redis_client, keys.match_queue)
    yield found
    found.empty()


def test_a_job_taken_but_not_yet_begun_is_retried_when_its_worker_dies(
    queue: rq.Queue,
) -> None:
    job = queue.enqueue("builtins.len", [1, 2], retry=rq.Retry(max=3, interval=1))
    worker = MonitorWorker([queue], queue.connection, None)
    taken = queue.dequeue_any([queue], None, connection=queue.connection, serializer=JobSerializer)
    assert taken is not None and taken[0].id == job.id
    # The worker lists the job as started, then dies before forking its work-horse.
    worker.prepare_execution(taken[0])
    queue.started_job_registry.cleanup(timestamp=time.time() + 3600)
    assert job.id in queue.scheduled_job_registry.get_job_ids()  # its retry, in a second


def test_the_job_of_a_dead_worker_goes_back_to_its_queue_at_once(queue: rq.Queue) -> None:
    # Through the scheduler it would wait for the dead worker's scheduler lock to expire.
    queue.enqueue("builtins.len", [1])
    job = queue.enqueue("builtins.len", [1, 2], retry=rq.Retry(max=3, interval=[1, 5, 30]))
    worker = MonitorWorker([queue], queue.connection, None)
    queue.remove(job.id)  # as if the dequeue had taken it
    worker.prepare_execution(job)
    assert requeue_abandoned(queue) == []  # its worker still beats
    assert requeue_abandoned(queue, timestamp=time.time() + 3600) == [job.id]
    assert queue.get_job_ids()[0] == job.id
    assert job.id not in queue.started_job_registry
    job.refresh()
    assert job.get_status() == rq.job.JobStatus.QUEUED and job.retries_left == 2


def test_a_supervisor_gives_back_the_jobs_of_the_worker_it_saw_die(queue: rq.Queue) -> None:
    job = queue.enqueue("builtins.len", [1, 2], retry=rq.Retry(max=3, interval=[1, 5, 30]))
    worker = MonitorWorker([queue], queue.connection, None)
    queue.remove(job.id)  # as if the dequeue had taken it
    worker.prepare_execution(job)
    assert worker.name == worker_name(socket.gethostname(), os.getpid())
    assert requeue_jobs_of([queue], worker_name("elsewhere", 1)) == []
    assert requeue_jobs_of([queue], worker.name) == [job.id]  # at once, heartbeat or not
    assert queue.get_job_ids() == [job.id]
    job.refresh()
    assert job.get_status() == rq.job.JobStatus.QUEUED and job.retries_left == 2
