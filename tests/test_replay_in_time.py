"""A replay decides each story when it comes due on the items' own clock, before the items
published after that time join it: what it sends does not depend on how many items each
of its jobs holds."""

from __future__ import annotations

import json
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

AT_ONCE = """\
id: asad
title: Ain al-Asad named
severity: high
policy: {group_wait: 0, similarity: 0.2}
terms:
  base: [عين الأسد]
match: {any: [base]}
"""
"""A rule whose stories are due the moment an item joins them."""


def replayed(
    tmp_path: Path, redis_url: str, prefix: str, rules: Path, inputs: list[Path]
) -> list[dict[str, object]]:
    env = env_for(tmp_path, redis_url, prefix, MONITOR_RULES=str(rules))
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    settings = Settings.from_env(env)
    items, problems = _read(tuple(map(str, inputs)))
    assert not problems
    client = redis.Redis.from_url(redis_url)
    keys = Keyspace(f"{prefix}:{uuid.uuid4().hex[:8]}")
    try:
        _, records = _replay(client, keys, settings, items)
    finally:
        drop(client, keys.prefix)
        client.close()
    return [public(record) for record in records]


def by_job_size(
    tmp_path: Path, redis_url: str, prefix: str, rules: Path, inputs: list[Path], sizes: list[int]
) -> dict[int, list[dict[str, object]]]:
    with pytest.MonkeyPatch.context() as patch:
        sent = {}
        for size in sizes:
            patch.setattr(queue, "BATCH_SIZE", size)
            sent[size] = replayed(tmp_path, redis_url, prefix, rules, inputs)
    return sent


def test_what_a_replay_sends_does_not_depend_on_the_size_of_its_jobs(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    sent = by_job_size(tmp_path, redis_url, keys.prefix, RULES_DIR, EVENTS, [1, 7, 200])
    assert len(sent[1]) > 10, "the events' items notify"
    assert sent[7] == sent[1]
    assert sent[200] == sent[1]


def test_undated_items_come_out_the_same_whichever_jobs_they_fall_in(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    """Items without a date all take one clock time: a story one of them started is due at
    that very time, and is decided before the next is placed, as the end of a job would."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "asad.yaml").write_text(AT_ONCE, encoding="utf-8")
    items = tmp_path / "items.jsonl"
    lines = [
        {"id": f"i{n}", "title": f"هجوم رقم {n} على قاعدة عين الأسد", "source": f"s{n}"}
        for n in range(4)
    ]
    items.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    sent = by_job_size(tmp_path, redis_url, keys.prefix, rules, [items], [1, 200])
    assert [record["items"] for record in sent[1]] == [["i0"]]
    assert sent[200] == sent[1]
