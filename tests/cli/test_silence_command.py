"""`monitor silence` through the real CLI on a real Redis: what it refuses, warns and shows."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner, Result

from monitor.cli import main
from monitor.clock import span
from monitor.keyspace import Keyspace
from monitor.silence import Silence, SilenceBook
from monitor.stories.story import Story

RULE = "id: {0}\ntitle: T\nterms:\n  a: [x]\nmatch: a\n"


@pytest.fixture
def env(
    tmp_path: Path, redis_url: str, keys: Keyspace, redis_client: redis.Redis
) -> dict[str, str]:
    """The CLI's environment: the test's Redis keys and two rules of its own."""
    rules = tmp_path / "rules"
    rules.mkdir()
    for rule in ("us-iraq-talks", "militia-claims"):
        (rules / f"{rule}.yaml").write_text(RULE.format(rule), encoding="utf-8")
    return {"REDIS_URL": redis_url, "MONITOR_PREFIX": keys.prefix, "MONITOR_RULES": str(rules)}


def _silence(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(main, ["silence", *args], env=env)


def _stored(redis_client: redis.Redis, keys: Keyspace) -> list[Silence]:
    return SilenceBook(redis_client, keys).active(time.time())


def test_an_unknown_rule_is_refused_naming_the_rules(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    result = _silence(env, "add", "--rule", "no-such-rule", "--for", "2h")
    assert result.exit_code == 2
    assert "no rule 'no-such-rule'" in result.stderr
    assert "the rules are: militia-claims, us-iraq-talks" in result.stderr
    result = _silence(env, "add", "--rule", "us-iraq-talk", "--for", "2h")
    assert "(did you mean 'us-iraq-talks'?)" in result.stderr
    assert _stored(redis_client, keys) == []


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        ("0s", "'0s' is no time at all"),
        ("-5m", "'-5m' is not a duration such as 90s, 5m, 2h or 3d"),
        ("banana", "'banana' is not a duration such as 90s, 5m, 2h or 3d"),
        ("9999d", "'9999d' is longer than the longest silence, 90d"),
    ],
)
def test_a_length_of_no_time_or_absurd_time_is_refused(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace, length: str, expected: str
) -> None:
    result = _silence(env, "add", "--rule", "us-iraq-talks", "--for", length)
    assert result.exit_code == 2
    assert f"Invalid value for '--for': {expected}" in result.stderr
    assert _stored(redis_client, keys) == []


@pytest.mark.parametrize("given", [[], ["--text", "ـ"], ["--comment", "everything"]])
def test_a_silence_of_nothing_is_refused_in_the_users_words(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace, given: list[str]
) -> None:
    result = _silence(env, "add", "--for", "1h", *given)
    assert result.exit_code == 2
    assert "give --rule, --story, --source or --text" in result.stderr
    assert "Value error" not in result.stderr
    assert _stored(redis_client, keys) == []


def test_an_unknown_story_is_warned_of_a_kept_one_is_not(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    result = _silence(env, "add", "--story", "deadbeef", "--for", "1h")
    assert result.exit_code == 0, result.stderr
    assert "warning: no story 'deadbeef' is kept" in result.stderr
    story = Story(id="c0ffee", rule="us-iraq-talks", created=1.0, updated=1.0)
    redis_client.set(keys.story(story.id), story.model_dump_json())
    result = _silence(env, "add", "--story", "c0ffee", "--for", "1h")
    assert result.exit_code == 0, result.stderr
    assert "warning" not in result.stderr
    assert sorted(s.story for s in _stored(redis_client, keys)) == ["c0ffee", "deadbeef"]


def test_list_shows_who_why_time_left_and_end(
    env: dict[str, str], redis_client: redis.Redis, keys: Keyspace
) -> None:
    added = _silence(
        env, "add", "--rule", "us-iraq-talks", "--for", "80m", "--by", "alice", "--comment", "noise"
    )
    assert added.exit_code == 0, added.stderr
    (silence,) = _stored(redis_client, keys)
    assert (silence.rule, silence.by, silence.comment) == ("us-iraq-talks", "alice", "noise")
    assert added.stdout.startswith(f"silence {silence.id}: rule='us-iraq-talks' for 1h 20m, until")
    listed = _silence(env, "list")
    assert re.fullmatch(
        rf"{silence.id}  rule='us-iraq-talks'  1h (20|19)m left, "  # 19m once a slow run passes 30s
        r"until \d{4}-\d\d-\d\d \d\d:\d\d  by alice: noise\n",
        listed.stdout,
    ), listed.stdout
    (row,) = [json.loads(line) for line in _silence(env, "list", "--json").stdout.splitlines()]
    assert row["by"] == "alice"


def test_list_says_when_there_is_none(env: dict[str, str]) -> None:
    assert _silence(env, "list").stdout == "no silence in force\n"


def test_remove_of_an_unknown_id_says_so(env: dict[str, str]) -> None:
    result = _silence(env, "remove", "nope")
    assert result.exit_code == 1
    assert "no silence nope" in result.stderr


def test_a_stored_silence_of_nothing_is_ignored_not_fatal(
    redis_client: redis.Redis, keys: Keyspace
) -> None:
    """One written before texts were normalised when checked would silence every story."""
    redis_client.hset(keys.silences, "old", json.dumps({"id": "old", "text": "ـ", "ends": 4e9}))
    assert _stored(redis_client, keys) == []


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0s"),
        (45, "45s"),
        (90, "1m 30s"),
        (3599, "59m 59s"),
        (4799.4, "1h 20m"),
        (7200, "2h"),
        (86_399, "1d"),
        (90_000, "1d 1h"),
    ],
)
def test_span_is_two_units_rounded(seconds: float, shown: str) -> None:
    assert span(seconds) == shown
