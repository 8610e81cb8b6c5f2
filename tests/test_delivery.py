"""Delivery: idempotent per (story update, channel), retried with backoff, dead-lettered,
secrets masked; against a real Redis and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
import redis

from monitor.channels import Channel
from monitor.delivery import (
    BACKOFF_MAX,
    DEADLINE_SECONDS,
    LEASE_SECONDS,
    Deliverer,
    DeliveryJob,
    Result,
    backoff,
)
from monitor.history import ATTEMPTS_LOOKBACK, History, pair_of
from monitor.keyspace import Keyspace
from monitor.notification import Notification, Quote, Source
from monitor.rules.model import Severity
from monitor.sender import Outcome
from monitor.template import Rendered
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


def test_a_held_lease_sends_nothing_and_comes_back_when_it_lapses(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    # The lease of a worker killed in the middle of a send: not "already" sent.
    key = keys.delivery(NOTE.story, NOTE.update, "hook")
    redis_client.set(key, "sending 0123abcd", ex=LEASE_SECONDS)
    with http_sink() as sink:
        sender = deliverer(redis_client, keys, sink.url())
        held = sender.deliver(job(), T0)
        assert held.result is Result.BUSY
        assert 0 < held.retry_in <= LEASE_SECONDS + 1
        assert sink.received == []
        redis_client.delete(key)  # as the lease lapses
        assert sender.deliver(job(), T0 + held.retry_in).result is Result.SENT
        assert len(sink.received) == 1


def test_a_failed_send_frees_only_its_own_lease(redis_client: redis.Redis, keys: Keyspace) -> None:
    key = keys.delivery(NOTE.story, NOTE.update, "hook")

    def outlasting_its_lease(url: str, rendered: Rendered, timeout: float) -> Outcome:
        redis_client.set(key, "sending taken-over", ex=LEASE_SECONDS)
        return Outcome(False, True, "timed out after 15s")

    history = History(redis_client, keys, retention=3600)
    channels = {"hook": Channel("hook", "json://127.0.0.1:9/hook")}
    sender = Deliverer(redis_client, keys, history, channels, outlasting_its_lease)
    assert sender.deliver(job(), T0).result is Result.RETRY
    assert redis_client.get(key) == b"sending taken-over"


def test_every_attempt_is_recorded_with_the_answer(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with http_sink() as sink:
        url = sink.url(path="/hook/status/503").replace("://", "://user:SECRETpass@")
        outcome = deliverer(redis_client, keys, url).deliver(job(), T0)
        deliverer(redis_client, keys, sink.url()).deliver(job(attempt=2), T0 + outcome.retry_in)
    history = History(redis_client, keys, 3600)
    (alert,) = history.alerts()
    tries = history.attempts([alert])[pair_of(alert)]
    assert [(t["attempt"], t["status"], t["answer"], t["ok"]) for t in tries] == [
        (1, 503, "ok", False),
        (2, 200, "ok", True),
    ]
    assert tries[0]["detail"] == "HTTP 503 Service Unavailable"
    assert "SECRETpass" not in json.dumps(tries)


def test_a_dead_letter_tells_the_destinations_answer(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    with http_sink() as sink:
        deliverer(redis_client, keys, sink.url(path="/hook/status/403")).deliver(job(), T0)
    history = History(redis_client, keys, 3600)
    (dead,) = history.dead_letters()
    assert (dead["status"], dead["answer"]) == (403, "ok")
    assert dead["error"] == "HTTP 403 Forbidden"
    (tried,) = history.attempts([dead])[pair_of(dead)]
    assert (tried["status"], tried["retryable"]) == (403, False)


def test_attempts_are_looked_for_over_the_whole_deadline() -> None:
    assert ATTEMPTS_LOOKBACK > DEADLINE_SECONDS + BACKOFF_MAX


class Killed(Exception):
    """Stands for the worker dying at this point."""


class DyingWhileRecording(History):
    def record_alert(self, record: dict[str, Any], at: float, pipe: Any = None) -> None:
        raise Killed


def test_a_send_never_recorded_is_not_marked_sent(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    key = keys.delivery(NOTE.story, NOTE.update, "hook")
    with http_sink() as sink:
        channels = {"hook": Channel("hook", sink.url())}
        dying = DyingWhileRecording(redis_client, keys, retention=3600)
        with pytest.raises(Killed):
            Deliverer(redis_client, keys, dying, channels).deliver(job(), T0)
        sender = deliverer(redis_client, keys, sink.url())
        # Its retry waits out the dead worker's lease, then sends and records.
        assert sender.deliver(job(), T0 + 1).result is Result.BUSY
        redis_client.delete(key)
        assert sender.deliver(job(), T0 + LEASE_SECONDS).result is Result.SENT
    assert len(History(redis_client, keys, 3600).alerts()) == 1
    assert redis_client.get(key) == b"sent"
