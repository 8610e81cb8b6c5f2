"""A replay decides each story at the time it came due on the items' own clock, before the
items published after that time join it: what it sends does not depend on how many items
each of its jobs holds."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis

from monitor import queue
from monitor.alert_list import public
from monitor.cli.pipeline_commands import _read, _replay
from monitor.keyspace import Keyspace, drop
from monitor.settings import Settings
from tests.conftest import RULES_DIR
from tests.processes import ROOT, env_for

EVENTS = [ROOT / "tests" / "data" / "eval" / name for name in ("talks.jsonl", "usstrikes.jsonl")]


def replayed(tmp_path: Path, redis_url: str, prefix: str) -> list[dict[str, object]]:
    env = env_for(tmp_path, redis_url, prefix, MONITOR_RULES=str(RULES_DIR))
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    settings = Settings.from_env(env)
    items, problems = _read(tuple(map(str, EVENTS)))
    assert not problems
    client = redis.Redis.from_url(redis_url)
    keys = Keyspace(f"{prefix}:{uuid.uuid4().hex[:8]}")
    try:
        _, records = _replay(client, keys, settings, items)
    finally:
        drop(client, keys.prefix)
    return [public(record) for record in records]


def test_what_a_replay_sends_does_not_depend_on_the_size_of_its_jobs(
    tmp_path: Path, redis_url: str, keys: Keyspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = {}
    for size in (1, 7, 200):
        monkeypatch.setattr(queue, "BATCH_SIZE", size)
        sent[size] = replayed(tmp_path, redis_url, keys.prefix)
    assert len(sent[1]) > 10, "the events' items notify"
    assert sent[7] == sent[1]
    assert sent[200] == sent[1]
