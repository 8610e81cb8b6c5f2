"""Delivery under faults: a worker killed in the middle of a send, and jobs that failed and
later succeeded; against a real Redis, real `monitor work` processes and a real HTTP
destination on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import redis

from monitor.delivery import DeliveryJob
from monitor.history import History
from monitor.keyspace import Keyspace, as_text
from monitor.queue import DELIVER_TASK, JobSerializer, enqueue, failed_jobs, rq, rq_queue
from monitor.settings import Settings
from tests.conftest import RULES_DIR
from tests.processes import CEILING, env_for, start_monitor, stop, wait_until
from tests.sink import serving
from tests.test_delivery import NOTE
from workers.runtime import context_of


@dataclass
class Destination:
    """An HTTP destination that never answers the requests it takes in while down."""

    port: int = 0
    received: list[bytes] = field(default_factory=list)
    answered: list[bytes] = field(default_factory=list)
    up: threading.Event = field(default_factory=threading.Event)
    closing: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def counts(self) -> tuple[int, int]:
        with self.lock:
            return len(self.received), len(self.answered)


@contextmanager
def destination() -> Iterator[Destination]:
    dest = Destination()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with dest.lock:
                dest.received.append(body)
            if not dest.up.is_set():
                dest.closing.wait(CEILING)
                return
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            with dest.lock:
                dest.answered.append(body)

        def log_message(self, *args: Any) -> None:
            pass

    with serving(Handler) as port:
        dest.port = port
        try:
            yield dest
        finally:
            dest.closing.set()  # ends the handlers of requests never answered


def queue_delivery(client: redis.Redis, keys: Keyspace, settings: Settings) -> None:
    """A delivery job as the pipeline queues it."""
    job = DeliveryJob(
        prefix=keys.prefix, channel="hook", notification=NOTE, first_attempt=time.time()
    )
    payload = {**context_of(settings, keys), **job.model_dump(mode="json")}
    queue = rq_queue(client, keys.deliver_queue)
    enqueue(queue, DELIVER_TASK, payload, job_id=f"deliver-{NOTE.story}-{NOTE.update}-hook")


def kill_worker(worker: subprocess.Popen[str]) -> None:
    """SIGKILL a worker and its work-horse, which RQ puts in a session of its own."""
    found = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True)
    for child in found.stdout.split():
        os.kill(int(child), signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()


def deliveries_settled(client: redis.Redis, keys: Keyspace) -> bool:
    queue = rq_queue(client, keys.deliver_queue)
    registries = (queue.started_job_registry, queue.scheduled_job_registry)
    return not queue.count and not any(registry.count for registry in registries)


def test_a_send_cut_short_by_a_killed_worker_is_made_again(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    (tmp_path / "channels.yaml").write_text(
        "channels:\n  - name: hook\n    url_env: HOOK_URL\n", encoding="utf-8"
    )
    client = redis.Redis.from_url(redis_url)
    history = History(client, keys, 3600)
    lease = keys.delivery(NOTE.story, NOTE.update, "hook")
    with destination() as dest:
        env = env_for(
            tmp_path, redis_url, keys.prefix, HOOK_URL=dest.url(), MONITOR_RULES=str(RULES_DIR)
        )
        queue_delivery(client, keys, Settings.from_env(env))
        first = start_monitor("work", env=env)
        try:
            wait_until(lambda: dest.counts()[0] == 1, "the worker to send to the destination")
        finally:
            kill_worker(first)
        assert as_text(client.get(lease) or b"").startswith("sending")

        dest.up.set()
        second = start_monitor("work", env=env)
        try:
            wait_until(
                lambda: history.alerts() and deliveries_settled(client, keys),
                lambda: f"the send made again; destination got {dest.counts()} (in, answered)",
            )
        finally:
            stop(second)
    assert dest.counts() == (2, 1)
    (alert,) = history.alerts()
    assert alert["story"] == NOTE.story and client.get(lease) == b"sent"


@pytest.fixture
def worked(redis_client: redis.Redis, keys: Keyspace) -> Iterator[rq.Queue]:
    queue = rq_queue(redis_client, keys.match_queue)
    yield queue
    for registry in (queue.failed_job_registry, queue.finished_job_registry):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)


def work(queue: rq.Queue) -> None:
    rq.SimpleWorker([queue], connection=queue.connection, serializer=JobSerializer).work(
        burst=True, logging_level="ERROR"
    )


def test_a_job_that_later_succeeded_is_no_longer_reported_failed(
    redis_client: redis.Redis, keys: Keyspace, worked: rq.Queue
) -> None:
    worked.enqueue("builtins.int", "not a number", job_id="match-again")
    work(worked)
    assert [job for job, _ in failed_jobs(redis_client, keys)] == ["match-again"]
    worked.enqueue("builtins.int", "7", job_id="match-again")
    work(worked)
    assert failed_jobs(redis_client, keys) == []
    assert History(redis_client, keys, 3600).failed_jobs() == []


def test_a_failed_job_whose_record_is_gone_is_not_reported(
    redis_client: redis.Redis, keys: Keyspace, worked: rq.Queue
) -> None:
    worked.enqueue("builtins.int", "not a number", job_id="match-gone")
    work(worked)
    redis_client.delete(rq.job.Job.key_for("match-gone"))
    assert failed_jobs(redis_client, keys) == []
