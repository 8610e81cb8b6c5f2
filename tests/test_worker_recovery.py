"""SIGKILL a worker in the middle of a batch: every alert still goes out, once."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import redis

from monitor.item import Item
from monitor.keyspace import Keyspace, as_text
from monitor.queue import rq_queue, submit_items
from monitor.settings import Settings
from tests.conftest import SEEDS
from tests.processes import env_for, start_monitor
from tests.sink import http_sink
from workers.runtime import context_of

RULE = """\
id: base-attack
title: Attack on Ain al-Asad
severity: high
policy: {group_wait: 0, similarity: 1.0, link_window: 0}
terms:
  base: {mode: exact, words: [عين الأسد]}
  attack: [هجوم]
match: {all: [base, attack]}
"""

ITEMS = 150
FILLER_COPIES = 12
RECOVERY_LIMIT = 90.0


def wait_for(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def match_jobs(client: redis.Redis, keys: Keyspace) -> dict[str, list[str]]:
    """Where the match jobs stand, for a failure to tell which way one was lost."""
    queue = rq_queue(client, keys.match_queue)
    registries = {
        "started": queue.started_job_registry,
        "scheduled": queue.scheduled_job_registry,
        "failed": queue.failed_job_registry,
        "finished": queue.finished_job_registry,
    }
    found = {name: registry.get_job_ids() for name, registry in registries.items()}
    found["queued"] = queue.get_job_ids()
    found["intermediate"] = [
        as_text(raw) for raw in client.lrange(queue.intermediate_queue_key, 0, -1)
    ]
    return found


def test_sigkill_mid_batch_loses_and_repeats_nothing(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "rule.yaml").write_text(RULE, encoding="utf-8")
    # Long enough that a job takes seconds, so that the kill lands inside one.
    filler = "\n".join(p.read_text(encoding="utf-8") for p in SEEDS) * FILLER_COPIES
    items = [
        Item(
            id=f"item-{n}",
            title=f"هجوم رقم {n} على قاعدة عين الأسد",
            content=filler,
            source=f"s{n}",
        )
        for n in range(ITEMS)
    ]
    with http_sink() as sink:
        (tmp_path / "channels.yaml").write_text(
            "channels:\n  - name: hook\n    url_env: HOOK_URL\n", encoding="utf-8"
        )
        env = env_for(
            tmp_path, redis_url, keys.prefix, HOOK_URL=sink.url(), MONITOR_RULES=str(rules)
        )
        settings = Settings.from_env(env)
        client = redis.Redis.from_url(redis_url)
        submit_items(client, keys, items, context_of(settings, keys), settings.retention_seconds)
        started = rq_queue(client, keys.match_queue).started_job_registry

        first = start_monitor("work", env=env)
        assert wait_for(lambda: started.get_job_ids(), 30), "the worker never started a batch"
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        assert started.get_job_ids(), "the kill came between jobs, not in one"
        delivered_before = len(sink.received)

        second = start_monitor("work", env=env)
        try:
            assert wait_for(lambda: len(sink.received) >= ITEMS, RECOVERY_LIMIT), (
                f"{len(sink.received)} of {ITEMS} alerts after {RECOVERY_LIMIT}s; "
                f"match jobs: {match_jobs(client, keys)}"
            )
            time.sleep(2)  # anything sent twice would arrive now
        finally:
            os.killpg(second.pid, signal.SIGTERM)
            second.wait(30)
    recovered_in = time.monotonic() - killed_at
    titles = [json.loads(body)["message"].split("\n")[0] for body in sink.bodies()]
    assert len(titles) == ITEMS, f"{len(titles) - len(set(titles))} sent twice"
    assert len(set(titles)) == ITEMS
    assert delivered_before < ITEMS, "the kill came after the work was done"
    print(f"recovered {ITEMS - delivered_before} alerts in {recovered_in:.1f}s after SIGKILL")
