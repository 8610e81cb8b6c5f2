"""A worker that runs jobs in its own process (a replay's): no work-horse is forked, yet a
job that fails is recorded as failed and one that overruns its timeout is stopped, and
the worker goes on to the next."""

from __future__ import annotations

import os
from pathlib import Path

import redis

from monitor.keyspace import Keyspace
from monitor.queue import rq_queue
from tests.conftest import RULES_DIR
from workers.worker import run_worker


def test_jobs_run_here_and_failures_and_overruns_are_recorded(
    tmp_path: Path, redis_client: redis.Redis, keys: Keyspace
) -> None:
    (tmp_path / "channels.yaml").write_text("channels: []\n", encoding="utf-8")
    context = {
        "prefix": keys.prefix,
        "rules": str(RULES_DIR),
        "channels": str(tmp_path / "channels.yaml"),
        "retention": 86_400,
        "console": False,
    }
    queue = rq_queue(redis_client, keys.match_queue)
    here = queue.enqueue("os.getpid")
    broken = queue.enqueue("builtins.int", "not a number")
    overrun = queue.enqueue("time.sleep", 30, job_timeout=1)
    after = queue.enqueue("os.getpid")
    run_worker(redis_client, context, burst=True, live=False, forks=False)
    assert here.latest_result().return_value == os.getpid()  # type: ignore[union-attr]
    assert after.latest_result().return_value == os.getpid()  # type: ignore[union-attr]
    failed = queue.failed_job_registry.get_job_ids()
    assert broken.id in failed and overrun.id in failed
    overrun.refresh()
    assert "JobTimeoutException" in (overrun.latest_result().exc_string or "")  # type: ignore[union-attr]
