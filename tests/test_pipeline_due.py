"""Deciding the stories due, when Redis fails halfway through queuing their deliveries: the
stories come back when their lease ends and every notification is queued, each under one
job id."""

from __future__ import annotations

import pytest
import redis

from monitor.channels import Channel
from monitor.clock import SystemClock
from monitor.delivery import DeliveryJob
from monitor.due import LEASE_SECONDS
from monitor.inputs import read_path
from monitor.keyspace import Keyspace
from monitor.pipeline import Pipeline
from monitor.rules.reloader import RuleReloader
from monitor.silence import Silence
from tests.conftest import RULES_DIR, SEEDS

T0 = 1_800_000_000.0


def _job_id(job: DeliveryJob) -> str:
    return f"{job.notification.story}-{job.notification.update}-{job.channel}"


def test_deliveries_cut_short_by_redis_are_queued_when_the_lease_ends(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    queued: list[DeliveryJob] = []
    failing = True

    def enqueue(job: DeliveryJob) -> None:
        if failing and queued:
            raise redis.ConnectionError("Redis went away")
        queued.append(job)

    channels = {"hook": Channel("hook", "json://127.0.0.1:9/hook")}
    pipeline = Pipeline(redis_client, keys, RuleReloader([RULES_DIR]), channels, 3600, enqueue)
    items = [item for path in SEEDS for item in read_path(path)]
    pipeline.process(items, [T0] * len(items), SystemClock())

    with pytest.raises(redis.ConnectionError):
        pipeline.flush_due(T0, waited=True)
    assert len(queued) == 1
    failing = False
    assert pipeline.flush_due(T0 + LEASE_SECONDS - 1) == 0  # still the failed worker's
    pipeline.flush_due(T0 + LEASE_SECONDS)

    ids = [_job_id(job) for job in queued]
    stories = {job.notification.story for job in queued}
    assert len(stories) == 3  # the seeds' three stories, each notified
    assert set(ids) == {f"{story}-0-hook" for story in stories}
    assert ids.count(ids[0]) == 2  # queued again under its id: one job, one send
    assert pipeline.flush_due(T0 + 2 * LEASE_SECONDS) == 0  # and decided for good


def _notified_stories(
    redis_client: redis.Redis, keys: Keyspace, silences: list[Silence]
) -> tuple[set[str], Pipeline]:
    """The seeds' stories notified with `silences` added before deciding."""
    queued: list[DeliveryJob] = []
    channels = {"hook": Channel("hook", "json://127.0.0.1:9/hook")}
    pipeline = Pipeline(
        redis_client, keys, RuleReloader([RULES_DIR]), channels, 3600, queued.append
    )
    items = [item for path in SEEDS for item in read_path(path)]
    pipeline.process(items, [T0] * len(items), SystemClock())
    for silence in silences:
        pipeline.silences.add(silence)
    pipeline.flush_due(T0, waited=True)
    return {job.notification.story for job in queued}, pipeline


def test_a_silence_in_force_quiets_its_story_and_one_that_ended_is_retired(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    every, _ = _notified_stories(redis_client, keys, [])
    assert len(every) >= 2
    quiet, other = sorted(every)[:2]
    ended = Silence(story=other, ends=T0 - 1)
    again = Keyspace(f"{keys.prefix}:again")  # under the test's prefix: removed after it
    notified, pipeline = _notified_stories(
        redis_client, again, [Silence(story=quiet, ends=T0 + 3600), ended]
    )
    assert notified == every - {quiet}  # the silence that ended quiets nothing
    assert [silence.id for silence in pipeline.silences.ended(T0)] == [ended.id]
