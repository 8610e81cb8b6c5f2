"""A worker that runs jobs in its own process (a replay's): no work-horse is forked, yet a
job that fails is recorded as failed and one that overruns its timeout is stopped, and
the worker goes on to the next."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from rq import get_current_job

from monitor.keyspace import Keyspace
from monitor.queue import enqueue, rq_queue
from tests.conftest import RULES_DIR
from tests.processes import CEILING, ROOT, env_for, start_monitor, stop, wait_until
from workers.worker import HEARTBEAT_TTL

RUN_HERE = """
import json, os, sys
import redis
from workers.worker import run_worker
client = redis.Redis.from_url(os.environ["REDIS_URL"])
run_worker(client, json.loads(sys.argv[1]), burst=True, live=False, forks=False)
print(os.getpid())
"""
"""A replay's worker, in a process of its own: it prints its pid."""


@pytest.fixture
def context(tmp_path: Path, keys: Keyspace) -> dict[str, Any]:
    """A replay's job context: the shipped rules, no channel, nothing printed."""
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    return {
        "prefix": keys.prefix,
        "rules": str(RULES_DIR),
        "channels": str(tmp_path / "channels.yaml"),
        "retention": 86_400,
        "console": False,
    }


def test_jobs_run_here_and_failures_and_overruns_are_recorded(
    context: dict[str, Any], redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    queue = rq_queue(redis_client, keys.match_queue)
    here = queue.enqueue("os.getpid")
    broken = queue.enqueue("builtins.int", "not a number")
    overrun = queue.enqueue("time.sleep", 30, job_timeout=1)
    after = queue.enqueue("os.getpid")
    worker = subprocess.run(
        [sys.executable, "-c", RUN_HERE, json.dumps(context)],
        env={**os.environ, "REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=CEILING,
        cwd=ROOT,
    )
    assert worker.returncode == 0, worker.stderr
    pid = int(worker.stdout)
    assert here.latest_result().return_value == pid  # type: ignore[union-attr]
    assert after.latest_result().return_value == pid  # type: ignore[union-attr]
    failed = queue.failed_job_registry.get_job_ids()
    assert broken.id in failed and overrun.id in failed
    overrun.refresh()
    assert "JobTimeoutException" in (overrun.latest_result().exc_string or "")  # type: ignore[union-attr]


def mark_and_wait(payload: dict[str, Any]) -> None:
    """A job that notes each run of it in Redis, then works a while (longer than a
    heartbeat's lease)."""
    job = get_current_job()
    assert job is not None
    job.connection.rpush(payload["key"], os.getpid())
    time.sleep(payload["seconds"])


def test_a_long_job_run_here_keeps_its_lease_and_runs_once(
    context: dict[str, Any],
    tmp_path: Path,
    redis_url: str,
    redis_client: redis.Redis,
    keys: Keyspace,
) -> None:
    runs = f"{keys.prefix}:runs"
    queue = rq_queue(redis_client, keys.match_queue)
    payload = {"key": runs, "seconds": 3 * HEARTBEAT_TTL}
    job = enqueue(queue, f"{__name__}.mark_and_wait", payload, job_id=f"long-{uuid.uuid4().hex}")
    env = {**os.environ, "REDIS_URL": redis_url}
    here = subprocess.Popen(
        [sys.executable, "-c", RUN_HERE, json.dumps(context)], env=env, cwd=ROOT, text=True
    )
    try:
        wait_until(lambda: redis_client.llen(runs) == 1, "the job to start")
        # A live worker on the same queue cleans up after dead workers meanwhile: the job's
        # heartbeat must keep it from being taken for abandoned and run again.
        other = start_monitor("work", env=env_for(tmp_path, redis_url, keys.prefix))
        try:
            assert here.wait(timeout=CEILING) == 0
        finally:
            stop(other)
    finally:
        if here.poll() is None:
            here.kill()
    assert redis_client.llen(runs) == 1
    assert job.get_status(refresh=True) == "finished"
