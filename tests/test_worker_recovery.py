"""SIGKILL a worker in the middle of a batch: every alert still goes out, once."""

from __future__ import annotations

import json
import os
import signal
import time
from contextlib import suppress
from pathlib import Path

import redis

from monitor.item import Item
from monitor.keyspace import Keyspace, as_text
from monitor.queue import rq_queue, submit_items
from monitor.settings import Settings
from tests.conftest import SEEDS
from tests.processes import env_for, start_monitor, stop, wait_until
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
JOB_ITEMS = 50
FILLER_COPIES = 12

RECOVERY_TARGET = 30.0
"""Seconds after a worker's death by which all of its alerts should be out: printed beside
the measured time, not asserted, since a loaded machine may take longer without a fault."""


def children_of(pid: int) -> list[int]:
    """The processes `pid` started: RQ's work-horse calls setpgrp, so killing its worker's
    process group leaves it running."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            # The parent's pid is the second field after the command, which may hold spaces.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def kill_worker(pid: int) -> None:
    """SIGKILL a worker with its work-horse, as a container kill or the OOM killer would."""
    horses = children_of(pid)
    os.killpg(pid, signal.SIGKILL)
    for horse in horses:
        with suppress(ProcessLookupError):
            os.kill(horse, signal.SIGKILL)


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


def settled(client: redis.Redis, keys: Keyspace) -> bool:
    """No job of either queue is waiting, running or due again: nothing more can be sent."""
    for name in (keys.match_queue, keys.deliver_queue):
        queue = rq_queue(client, name)
        registries = (queue.started_job_registry, queue.scheduled_job_registry)
        if queue.count or any(registry.count for registry in registries):
            return False
        if client.llen(queue.intermediate_queue_key):
            return False
    return True


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
        context = context_of(settings, keys)
        for start in range(0, ITEMS, JOB_ITEMS):  # a job killed and others waiting after it
            submit_items(
                client, keys, items[start : start + JOB_ITEMS], context, settings.retention_seconds
            )
        started = rq_queue(client, keys.match_queue).started_job_registry

        first = start_monitor("work", env=env)
        wait_until(started.get_job_ids, "the worker to start a batch")
        abandoned = client.zrange(started.key, 0, -1)
        kill_worker(first.pid)
        first.wait()
        killed_at = time.monotonic()
        assert abandoned, "the kill came between jobs, not in one"
        delivered_before = len(sink.received)

        # How soon the jobs come back is the README's figure, printed below; this test only
        # asks that they do come back, however slow the machine.
        second = start_monitor("work", env=env)
        try:
            # Raw entries: counting the registry would run RQ's cleanup from this process.
            wait_until(
                lambda: not any(client.zscore(started.key, entry) for entry in abandoned),
                "the dead worker's job to be taken off the started registry",
            )
            retried_in = time.monotonic() - killed_at
            wait_until(
                lambda: len(sink.received) >= ITEMS,
                lambda: (
                    f"all {ITEMS} alerts, {len(sink.received)} so far; "
                    f"match jobs: {match_jobs(client, keys)}"
                ),
            )
            recovered_in = time.monotonic() - killed_at
            # A second copy could only come from a job still to run: none is left.
            wait_until(
                lambda: settled(client, keys),
                lambda: f"the queues to empty; match jobs: {match_jobs(client, keys)}",
            )
        finally:
            stop(second)
    titles = [json.loads(body)["message"].split("\n")[0] for body in sink.bodies()]
    assert len(titles) == ITEMS, f"{len(titles) - len(set(titles))} sent twice"
    assert len(set(titles)) == ITEMS
    assert delivered_before < ITEMS, "the kill came after the work was done"
    print(
        f"dead worker's job retried {retried_in:.1f}s after SIGKILL; "
        f"recovered {ITEMS - delivered_before} alerts in {recovered_in:.1f}s "
        f"(target {RECOVERY_TARGET:.0f}s)"
    )
