"""`monitor alerts` as a user runs it: when each record was made, what failed, and a word
when there is nothing yet; against a real Redis, a real worker and a real HTTP sink."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import redis

from monitor.channels import Channel
from monitor.delivery import Deliverer, DeliveryJob, Result
from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.queue import MATCH_TASK, rq_queue
from monitor.settings import Settings
from tests.processes import env_for, monitor
from tests.sink import http_sink
from tests.test_delivery import NOTE
from workers.runtime import context_of

SENT_AT = 1_706_000_000.0
GAVE_UP_AT = SENT_AT + 60


def _utc(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def test_an_empty_store_says_so(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    for args in (["alerts"], ["alerts", "--json"]):
        listed = monitor(*args, env=env)
        assert listed.returncode == 0, listed.stderr
        assert listed.stdout == ""
        assert "no notifications yet" in listed.stderr


def test_alerts_show_times_failures_and_a_summary(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    _deliver_one_and_fail_one(redis_client, keys)
    env = env_for(tmp_path, redis_url, keys.prefix, TZ="UTC")
    _fail_a_job(redis_client, keys, env)

    rows = [json.loads(line) for line in monitor("alerts", "--json", env=env).stdout.splitlines()]
    assert [row["kind"] for row in rows] == ["notification", "dead_letter", "failed_job"]
    sent, gave_up, failed = rows
    assert sent["at"] == _utc(SENT_AT).isoformat() and sent["channel"] == "hook"
    assert gave_up["at"] == _utc(GAVE_UP_AT).isoformat()
    assert (gave_up["channel"], gave_up["rule"], gave_up["story"]) == ("broken", NOTE.rule, "s1")
    assert "400" in gave_up["reason"]
    assert failed["job"] == "match-broken" and "ValidationError" in failed["reason"]
    assert abs(datetime.fromisoformat(failed["at"]) - datetime.now(UTC)).days == 0

    listed = monitor("alerts", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{_utc(SENT_AT):%Y-%m-%d %H:%M:%S} UTC  hook" in listed.stdout
    assert f"{_utc(GAVE_UP_AT):%Y-%m-%d %H:%M:%S} UTC  broken" in listed.stderr
    summary = listed.stderr.splitlines()[-1]
    assert summary == "1 notification(s), 1 delivery(ies) gave up, 1 job(s) failed"
    limited = monitor("alerts", "--limit", "0", env=env)
    assert "newest 0 of 1 notification(s)" in limited.stderr


def _deliver_one_and_fail_one(client: redis.Redis, keys: Keyspace) -> None:
    with http_sink() as sink:
        channels = {
            "hook": Channel("hook", sink.url()),
            "broken": Channel("broken", sink.url(path="/hook/status/400")),
        }
        history = History(client, keys, Settings().retention_seconds)
        deliverer = Deliverer(client, keys, history, channels)
        for channel, at, result in (
            ("hook", SENT_AT, Result.SENT),
            ("broken", GAVE_UP_AT, Result.DEAD),
        ):
            job = DeliveryJob(
                prefix=keys.prefix, channel=channel, notification=NOTE, first_attempt=at
            )
            assert deliverer.deliver(job, at).result is result


def _fail_a_job(client: redis.Redis, keys: Keyspace, env: dict[str, str]) -> None:
    payload = {**context_of(Settings.from_env(env), keys), "items": [{"title": "no id"}]}
    rq_queue(client, keys.match_queue).enqueue(MATCH_TASK, payload, job_id="match-broken")
    assert monitor("work", "--burst", env=env).returncode == 0


def test_alerts_json_shows_attempts_and_the_answer(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    _deliver_one_and_fail_one(redis_client, keys)
    env = env_for(tmp_path, redis_url, keys.prefix, TZ="UTC")
    rows = [json.loads(line) for line in monitor("alerts", "--json", env=env).stdout.splitlines()]
    sent, gave_up = rows
    assert [(t["status"], t["ok"]) for t in sent["tries"]] == [(200, True)]
    assert (gave_up["status"], gave_up["answer"]) == (400, "ok")
    assert [t["status"] for t in gave_up["tries"]] == [400]
    listed = monitor("alerts", env=env)
    assert "HTTP 400 Bad Request (ok)" in listed.stderr


def test_deliveries_still_being_retried_are_listed_until_they_end(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    now = time.time()
    with http_sink() as sink:
        channels = {
            "flaky": Channel("flaky", sink.url(path="/hook/status/503")),
            "hook": Channel("hook", sink.url()),
        }
        history = History(redis_client, keys, Settings().retention_seconds)
        failing = Deliverer(redis_client, keys, history, channels)
        for channel in ("flaky", "hook"):
            job = DeliveryJob(
                prefix=keys.prefix, channel=channel, notification=NOTE, first_attempt=now
            )
            assert failing.deliver(job, now).result is (
                Result.RETRY if channel == "flaky" else Result.SENT
            )
        env = env_for(tmp_path, redis_url, keys.prefix, TZ="UTC")
        rows = [
            json.loads(line) for line in monitor("alerts", "--json", env=env).stdout.splitlines()
        ]
        assert [row["kind"] for row in rows] == ["notification", "retrying"]
        retrying = rows[1]
        assert (retrying["channel"], retrying["story"], retrying["attempts"]) == ("flaky", "s1", 1)
        assert retrying["status"] == 503 and retrying["reason"].startswith("HTTP 503")
        assert [tried["status"] for tried in retrying["tries"]] == [503]
        listed = monitor("alerts", env=env)
        assert "1 delivery(ies) retrying:" in listed.stderr
        assert "flaky" in listed.stderr and "attempt 1" in listed.stderr
        assert listed.stderr.splitlines()[-1] == "1 notification(s), 1 delivery(ies) retrying"
        # The second attempt goes through: nothing is retrying any more.
        channels["flaky"] = Channel("flaky", sink.url())
        again = DeliveryJob(
            prefix=keys.prefix, channel="flaky", notification=NOTE, first_attempt=now, attempt=2
        )
        assert Deliverer(redis_client, keys, history, channels).deliver(again, now + 5).result is (
            Result.SENT
        )
    rows = [json.loads(line) for line in monitor("alerts", "--json", env=env).stdout.splitlines()]
    assert [row["kind"] for row in rows] == ["notification", "notification"]
