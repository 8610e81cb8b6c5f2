"""Delivery: idempotent per (story update, channel), retried with backoff, dead-lettered,
secrets masked; against a real Redis and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import random

import redis

from monitor.channels import Channel
from monitor.delivery import (
    BACKOFF_MAX,
    DEADLINE_SECONDS,
    Deliverer,
    DeliveryJob,
    Result,
    backoff,
)
from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.notification import Notification, Quote, Source
from monitor.rules.model import Severity
from tests.sink import http_sink

T0 = 1_706_000_000.0

NOTE = Notification(
    rule="ain-al-asad-strike",
    rule_title="Attack on Ain al-Asad air base",
    severity=Severity.CRITICAL,
    story="s1",
    update=0,
    headline="هجوم بطائرات مسيرة على قاعدة عين الأسد",
    quote=Quote(text="هجوم بطائرات مسيرة على قاعدة عين الأسد", highlights=[(0, 4)]),
    sources=[Source(item="i1", source="one", title="هجوم", link="https://example.com/1")],
)


def deliverer(client: redis.Redis, keys: Keyspace, url: str) -> Deliverer:
    history = History(client, keys, retention=3600)
    return Deliverer(client, keys, history, {"hook": Channel("hook", url)})


def job(attempt: int = 1, first: float = T0) -> DeliveryJob:
    return DeliveryJob(
        prefix="p", channel="hook", notification=NOTE, first_attempt=first, attempt=attempt
    )


def test_sent_once_even_when_the_job_runs_twice(redis_client: redis.Redis, keys: Keyspace) -> None:
    with http_sink() as sink:
        sender = deliverer(redis_client, keys, sink.url())
        assert sender.deliver(job(), T0).result is Result.SENT
        assert sender.deliver(job(), T0 + 1).result is Result.ALREADY
        assert len(sink.received) == 1
    body = json.loads(sink.received[0].body)
    assert "عين الأسد" in body["message"]
    (record,) = History(redis_client, keys, 3600).alerts()
    assert record["channel"] == "hook" and record["items"] == ["i1"]


def test_server_error_is_retried_then_succeeds(redis_client: redis.Redis, keys: Keyspace) -> None:
    with http_sink() as sink:
        failing = deliverer(redis_client, keys, sink.url(path="/hook/status/503"))
        outcome = failing.deliver(job(), T0)
        assert outcome.result is Result.RETRY and outcome.retry_in > 0
        working = deliverer(redis_client, keys, sink.url())
        assert working.deliver(job(attempt=2), T0 + outcome.retry_in).result is Result.SENT
        assert len(sink.received) == 2


def test_client_error_is_dead_lettered_at_once(redis_client: redis.Redis, keys: Keyspace) -> None:
    with http_sink() as sink:
        outcome = deliverer(redis_client, keys, sink.url(path="/hook/status/400")).deliver(
            job(), T0
        )
    assert outcome.result is Result.DEAD
    (dead,) = History(redis_client, keys, 3600).dead_letters()
    assert dead["channel"] == "hook" and dead["story"] == "s1"


def test_retryable_failures_give_up_after_the_deadline(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with http_sink() as sink:
        sender = deliverer(redis_client, keys, sink.url(path="/hook/status/503"))
        outcome = sender.deliver(job(attempt=9), T0 + DEADLINE_SECONDS + 1)
    assert outcome.result is Result.DEAD


def test_dead_slack_is_reported_without_its_secret(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    secret = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    closed = deliverer(redis_client, keys, f"json://user:{secret[:8]}@127.0.0.1:9/hook")
    outcome = closed.deliver(job(), T0)
    assert outcome.result is Result.RETRY
    stored = json.dumps(History(redis_client, keys, 3600).deliveries())
    assert secret[:8] not in stored and "127.0.0.1" in stored


def test_a_removed_channel_is_dead_lettered(redis_client: redis.Redis, keys: Keyspace) -> None:
    history = History(redis_client, keys, 3600)
    outcome = Deliverer(redis_client, keys, history, {}).deliver(job(), T0)
    assert outcome.result is Result.DEAD and "no longer configured" in outcome.detail


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff(attempt, rng) for attempt in range(1, 12)]
    assert delays[0] < delays[3] < delays[6]
    assert all(delay <= BACKOFF_MAX for delay in delays)
