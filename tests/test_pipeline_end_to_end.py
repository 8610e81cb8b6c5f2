"""The whole pipeline as a user runs it: real processes, a real Redis, a real HTTP
destination on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from monitor.keyspace import Keyspace
from monitor.queue import MATCH_TASK, failed_jobs, rq_queue
from monitor.settings import Settings
from tests.conftest import SEEDS
from tests.processes import env_for, monitor, submit
from tests.sink import http_sink
from workers.runtime import context_of


def test_replay_seeds_gives_three_talks_alerts(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    result = monitor(
        "replay", "--json", *map(str, SEEDS), env=env_for(tmp_path, redis_url, keys.prefix)
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    talks = [row for row in rows if "us-iraq-talks" in row["rules"]]
    stories = sorted(sorted(item[:3] for item in row["items"]) for row in talks)
    assert stories == [["000", "001", "003"], ["002"], ["004"]]
    # The seeds are also about ending the coalition's mission: one notification a story
    # names both rules, and no second one comes for the other rule.
    assert len(rows) == len(talks)
    assert all(set(row["rules"]) == {"us-iraq-talks", "coalition-withdrawal"} for row in rows)
    assert all(row["update"] == 0 and row["channel"] == "console" for row in talks)
    assert not [row for row in rows if "ain-al-asad-strike" in row["rules"]]
    first = next(row for row in talks if len(row["items"]) == 3)
    assert set(first) == {
        "rule",
        "rules",
        "severity",
        "story",
        "update",
        "items",
        "sources",
        "channel",
        "title",
        "text",
    }
    assert "الجولة الأولى" in first["text"]


def test_replay_on_its_own_embedded_redis(tmp_path: Path, keys: Keyspace) -> None:
    seed = str(SEEDS[0])
    result = monitor("replay", "--json", seed, env=env_for(tmp_path, "", keys.prefix))
    assert result.returncode == 0, result.stderr
    assert "using embedded Redis" in result.stderr
    rules = [json.loads(line)["rules"] for line in result.stdout.splitlines()]
    assert any("us-iraq-talks" in story_rules for story_rules in rules)
    again = monitor("replay", "--json", seed, env=env_for(tmp_path, "", keys.prefix))
    assert again.stdout == result.stdout or len(again.stdout.splitlines()) == len(rules)


def test_replay_delivers_to_a_configured_http_channel(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    with http_sink() as sink:
        (tmp_path / "channels.yaml").write_text(
            "channels:\n  - name: hook\n    url_env: HOOK_URL\n    rules: [us-iraq-talks]\n"
        )
        env = env_for(tmp_path, redis_url, keys.prefix, HOOK_URL=sink.url())
        result = monitor("replay", "--json", *map(str, SEEDS), env=env)
        assert result.returncode == 0, result.stderr
        assert len(sink.received) == 3
        bodies = [json.loads(body) for body in sink.bodies()]
    assert all(body["title"].startswith("HIGH") for body in bodies), bodies[0]
    assert any("الجولة الأولى" in body["message"] for body in bodies)
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {row["channel"] for row in rows} == {"hook"}
    assert "HOOK_URL" not in result.stdout and str(sink.port) not in result.stdout


def test_work_burst_and_alerts(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    client = redis.Redis.from_url(redis_url)
    items = [
        {"id": "a1", "title": "هجوم بطائرات مسيرة على قاعدة عين الأسد الجوية", "source": "one"},
        {"id": "a2", "title": "هجوم بطائرة مسيرة على قاعدة عين الأسد الجوية", "source": "two"},
    ]
    assert submit(items, env) == 2
    result = monitor("work", "--burst", env=env)
    assert result.returncode == 0, result.stderr
    assert "عين الأسد" in result.stdout
    listed = monitor("alerts", "--json", env=env)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [row["rule"] for row in rows] == ["ain-al-asad-strike"]
    assert sorted(rows[0]["items"]) == ["a1", "a2"]
    assert client.llen(f"{keys.prefix}:rq:queue:{keys.match_queue}") == 0


def test_failed_jobs_are_kept_and_shown(tmp_path: Path, redis_url: str, keys: Keyspace) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    client = redis.Redis.from_url(redis_url)
    settings = Settings.from_env(env)
    payload = {**context_of(settings, keys), "items": [{"title": "no id"}], "at": None}
    rq_queue(client, keys.match_queue).enqueue(MATCH_TASK, payload, job_id="match-broken")
    assert monitor("work", "--burst", env=env).returncode == 0
    assert [job for job, _ in failed_jobs(client, keys)] == ["match-broken"]
    listed = monitor("alerts", env=env)
    assert "1 job(s) failed:" in listed.stderr
    assert "match-broken: pydantic_core._pydantic_core.ValidationError" in listed.stderr
