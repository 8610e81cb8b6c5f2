"""A job saved again by the worker keeps its payload: written back as it was read while
unchanged, compressed anew once changed."""

from __future__ import annotations

import zlib

import redis

from monitor.keyspace import Keyspace
from monitor.queue import JobSerializer, rq, rq_queue
from workers.stored_job import StoredJob

PAYLOAD = {"items": [{"id": f"i{n}", "title": "قصف قاعدة عين الأسد " * 20} for n in range(50)]}


def _queued(redis_client: redis.Redis, keys: Keyspace) -> str:
    queue = rq_queue(redis_client, keys.match_queue)
    return queue.enqueue("workers.tasks.match_batch", PAYLOAD, job_id="stored-1").id


def test_an_unchanged_job_is_saved_with_the_bytes_it_was_read_from(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    job_id = _queued(redis_client, keys)
    key = rq.job.Job.key_for(job_id)
    # Stored at another compression level than the queue's: the same payload in other
    # bytes, so that compressing it again would show.
    stored = zlib.compress(zlib.decompress(redis_client.hget(key, "data") or b""), 9)
    redis_client.hset(key, "data", stored)
    job = StoredJob.fetch(job_id, connection=redis_client, serializer=JobSerializer)
    job.set_status(rq.job.JobStatus.FINISHED)
    job.save(include_meta=False, include_result=False)
    assert redis_client.hget(job.key, "data") == stored
    again = rq.job.Job.fetch(job_id, connection=redis_client, serializer=JobSerializer)
    assert list(again.args) == [PAYLOAD] and again.get_status() == rq.job.JobStatus.FINISHED


def test_a_changed_job_is_saved_with_its_new_payload(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    job_id = _queued(redis_client, keys)
    job = StoredJob.fetch(job_id, connection=redis_client, serializer=JobSerializer)
    job.data = JobSerializer.dumps(("workers.tasks.match_batch", None, ({"items": []},), {}))
    job.save()
    again = rq.job.Job.fetch(job_id, connection=redis_client, serializer=JobSerializer)
    assert list(again.args) == [{"items": []}]
