"""`monitor run` on its own embedded Redis: alerts while running, Ctrl-C stops it cleanly,
and what it recorded is still there afterwards; a killed worker is replaced, a hang-up
leaves no process behind, and `monitor status` sees who runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis

from monitor.heartbeat import beats
from monitor.keyspace import Keyspace
from monitor.queue import enqueue, rq_queue
from monitor.redis_server import EmbeddedRedis
from monitor.supervisor import children_of
from tests.feed_server import FeedServer, feed_server
from tests.processes import CEILING, env_for, monitor, start_monitor, stop, submit, wait_until
from tests.web.dashboard import free_port

RULE = """\
id: quick
title: Ain al-Asad, quickly
policy: {group_wait: 1, similarity: 1.0}
terms:
  base: {mode: exact, words: [عين الأسد]}
match: base
"""


def test_run_polls_alerts_then_stops_on_ctrl_c(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "quick.yaml").write_text(RULE, encoding="utf-8")
    port = free_port()
    env = env_for(
        tmp_path,
        "",
        "monitor-run-test",
        MONITOR_WORKERS="1",
        MONITOR_RULES=str(tmp_path / "rules"),
        MONITOR_DASHBOARD_PORT=str(port),
    )
    with feed_server() as feeds:
        feeds.items[1] = [("f1", "انفجارات داخل قاعدة عين الأسد في الأنبار")]
        (tmp_path / "feeds.yaml").write_text(
            f"feeds:\n  - {{id: local, url: '{feeds.url(1)}', lang: ar,"
            " allow_private: true, baseline: false}\n",
            encoding="utf-8",
        )
        out, err, returncode = _run_until_alerted(tmp_path, env)
    assert returncode == 0, err
    assert "1 worker(s), 1 feed(s)" in err
    assert f"dashboard at http://127.0.0.1:{port}/" in err
    # The Redis in use is said once, by `monitor run`, not again by each of its children.
    assert err.count("using embedded Redis at") == 1, err
    assert f"rules from {tmp_path / 'rules'}" in err
    assert "انفجارات داخل قاعدة عين الأسد" in out and "قصف صاروخي يستهدف" in out
    assert "monitor stopped" in err
    assert not EmbeddedRedis(tmp_path / "home").running()
    listed = monitor("alerts", "--json", env=env)
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(item for row in rows for item in row["items"]) == ["f1", "r1"], listed.stderr


def _alerted_items(client: redis.Redis) -> set[str]:
    records = client.zrange("monitor-run-test:alerts", 0, -1)
    return {item for raw in records for item in json.loads(raw)["items"]}


def _dashboard_items(board: str) -> set[str]:
    try:
        shown = httpx.get(f"{board}/alerts", params={"format": "json"}, timeout=30).json()
    except (httpx.HTTPError, ValueError):
        return set()  # not serving yet
    return {item for row in shown["notifications"] for item in row["items"]}


def _run_until_alerted(tmp_path: Path, env: dict[str, str]) -> tuple[str, str, int]:
    """Run until the polled item f1 and the submitted r1 have both alerted (in one story
    or two, as the group wait falls), then Ctrl-C."""
    run = start_monitor("run", env=env, capture=True)
    try:
        server = EmbeddedRedis(tmp_path / "home")
        wait_until(server.running, "monitor run's embedded Redis to answer")
        items = [{"id": "r1", "title": "قصف صاروخي يستهدف قاعدة عين الأسد الجوية", "source": "x"}]
        assert submit(items, env) == 1
        alerts = redis.Redis(unix_socket_path=str(server.socket))
        wait_until(lambda: {"f1", "r1"} <= _alerted_items(alerts), "alerts for f1 and r1")
        # The dashboard `monitor run` serves shows them too.
        board = f"http://127.0.0.1:{env['MONITOR_DASHBOARD_PORT']}"
        wait_until(lambda: {"f1", "r1"} <= _dashboard_items(board), "the alerts on the dashboard")
    finally:
        os.killpg(run.pid, signal.SIGINT)
        out, err = run.communicate(timeout=CEILING)
    return out, err, run.returncode


def test_silence_add_list_remove(tmp_path: Path, redis_url: str) -> None:
    env = env_for(tmp_path, redis_url, f"monitor-silence-{os.getpid()}")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return monitor("silence", *args, env=env)

    added = run("add", "--rule", "us-iraq-talks", "--for", "2h", "--comment", "known")
    assert added.returncode == 0, added.stderr
    silence_id = added.stdout.split()[1].rstrip(":")
    listed = [json.loads(line) for line in run("list", "--json").stdout.splitlines()]
    assert [(s["id"], s["rule"]) for s in listed] == [(silence_id, "us-iraq-talks")]
    assert run("remove", silence_id).returncode == 0
    assert run("list").stdout.strip() == "no silence in force"
    assert "needs a rule" in run("add", "--for", "1h").stderr
    assert "is not a duration such as 90s" in run("add", "--rule", "x", "--for", "soon").stderr


def _rules(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "quick.yaml").write_text(RULE, encoding="utf-8")
    return tmp_path / "rules"


def _write_feeds(tmp_path: Path, feeds: FeedServer) -> None:
    (tmp_path / "feeds.yaml").write_text(
        f"feeds:\n  - {{id: local, url: '{feeds.url(1)}', lang: ar,"
        " allow_private: true, baseline: false}\n",
        encoding="utf-8",
    )


def _alive(client: redis.Redis, prefix: str, role: str) -> set[int]:
    """Process ids of the `role` processes whose heartbeat is fresh."""
    now = time.time()
    found = beats(client, Keyspace(prefix))
    return {beat.pid for beat in found if beat.role == role and beat.alive(now)}


def _tree(prefix: str) -> set[int]:
    """Live processes of a monitor run under `prefix`: itself, its children, their
    work-horses and its redis-server all carry its environment."""
    marker = f"\0MONITOR_PREFIX={prefix}\0".encode()
    found = set()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with suppress(OSError, ValueError):
            if marker in b"\0" + environ.read_bytes():
                found.add(int(environ.parent.name))
    return found


def _alerted(client: redis.Redis, prefix: str) -> set[str]:
    records = client.zrange(Keyspace(prefix).alerts, 0, -1)
    return {item for raw in records for item in json.loads(raw)["items"]}


def _busy_horse(client: redis.Redis, prefix: str, worker: int) -> int:
    """The work-horse `worker` forks for a job that sleeps through the test; its pid."""
    queue = rq_queue(client, Keyspace(prefix).match_queue)
    queue.enqueue("time.sleep", 10 * CEILING, job_timeout=int(10 * CEILING))
    wait_until(lambda: children_of(worker), f"worker {worker}'s work-horse")
    [horse] = children_of(worker)
    return horse


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


@dataclass
class OneWorkerRun:
    """`monitor run` with one worker on its own embedded Redis, as a test drives it."""

    env: dict[str, str]
    server: EmbeddedRedis
    run: subprocess.Popen[str]
    client: redis.Redis | None = None
    worker: int = 0
    returncode: int | None = None
    err: str = ""


@contextmanager
def _one_worker_run(tmp_path: Path, prefix: str, stop_with: int) -> Iterator[OneWorkerRun]:
    """Started, its worker beating; stopped with `stop_with` at the end, its exit code and
    log kept."""
    env = env_for(tmp_path, "", prefix, MONITOR_WORKERS="1", MONITOR_RULES=str(_rules(tmp_path)))
    server = EmbeddedRedis(tmp_path / "home")
    running = OneWorkerRun(env, server, start_monitor("run", env=env, capture=True))
    try:
        wait_until(server.running, "monitor run's embedded Redis to answer")
        running.client = client = redis.Redis(unix_socket_path=str(server.socket))
        wait_until(lambda: _alive(client, prefix, "worker"), "a worker's heartbeat")
        [running.worker] = _alive(client, prefix, "worker")
        yield running
    finally:
        running.returncode = stop(running.run, stop_with)
        # A process left behind would hold the pipes.
        _out, running.err = running.run.communicate(timeout=CEILING)


def test_a_killed_worker_is_replaced_and_a_hang_up_leaves_nothing(tmp_path: Path) -> None:
    prefix = f"monitor-run-restart-{os.getpid()}"
    with _one_worker_run(tmp_path, prefix, signal.SIGHUP) as running:
        run, client, first, env = running.run, running.client, running.worker, running.env
        assert client is not None
        assert first in children_of(run.pid)
        horse = _busy_horse(client, prefix, first)  # in a session of its own (setsid)
        # (redis-server may rewrite the memory /proc shows as its environment for its
        # title: whether it ends is checked by its socket, below.)
        assert {run.pid, first, horse} <= _tree(prefix)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: _alive(client, prefix, "worker") - {first}, "a replacement worker")
        wait_until(lambda: _gone(horse), f"the killed worker's work-horse {horse} to end")
        items = [{"id": "r1", "title": "قصف صاروخي يستهدف قاعدة عين الأسد الجوية", "source": "x"}]
        assert submit(items, env) == 1
        wait_until(lambda: "r1" in _alerted(client, prefix), "an alert after the restart")
        [second] = _alive(client, prefix, "worker") - {first}
        _busy_horse(client, prefix, second)  # still at work when the terminal closes
    err = running.err
    assert running.returncode == 0, err
    assert f"worker 1 (pid {first}) killed by SIGKILL; restarting in 1 s" in err
    assert f"worker 1 restarted (pid {second})" in err
    assert f"ending pid {horse}, left behind by a child" in err
    wait_until(lambda: not _tree(prefix), lambda: f"processes still running: {_tree(prefix)}")
    assert not running.server.running()


def test_status_of_a_live_run_shows_its_workers_poller_and_queues(tmp_path: Path) -> None:
    prefix = f"monitor-run-status-{os.getpid()}"
    env = env_for(tmp_path, "", prefix, MONITOR_RULES=str(_rules(tmp_path)))
    with feed_server() as feeds:
        _write_feeds(tmp_path, feeds)
        run = start_monitor("run", "--workers", "2", env=env)
        try:
            server = EmbeddedRedis(tmp_path / "home")
            wait_until(server.running, "monitor run's embedded Redis to answer")
            client = redis.Redis(unix_socket_path=str(server.socket))
            wait_until(
                lambda: (
                    len(_alive(client, prefix, "worker")) == 2 and _alive(client, prefix, "poller")
                ),
                "two workers' and a poller's heartbeats",
            )
            shown = monitor("status", "--json", env=env)
        finally:
            assert stop(run, signal.SIGTERM) == 0
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    alive = sorted(row["role"] for row in report["processes"] if row["alive"])
    assert alive == ["poller", "worker", "worker"], report
    assert set(report["queues"]) == {"match", "deliver"}
    assert {"queued", "running", "failed", "oldest_age"} <= set(report["queues"]["match"])
    assert report["failed_jobs"] == 0


def test_pollers_without_feeds_are_refused(tmp_path: Path) -> None:
    env = env_for(tmp_path, "", "monitor-run-refused", MONITOR_RULES=str(_rules(tmp_path)))
    refused = monitor("run", "--pollers", "1", env=env)
    assert refused.returncode == 1
    assert f"--pollers 1: no feeds to poll in {tmp_path / 'feeds.yaml'}" in refused.stderr


def test_a_killed_workers_job_is_put_back_at_once_by_monitor_run(tmp_path: Path) -> None:
    prefix = f"monitor-run-give-back-{os.getpid()}"
    with _one_worker_run(tmp_path, prefix, signal.SIGTERM) as running:
        client, first = running.client, running.worker
        assert client is not None
        queue = rq_queue(client, Keyspace(prefix).match_queue)
        job = enqueue(queue, "time.sleep", 3, job_id="give-back")  # retried, as ours are
        wait_until(lambda: children_of(first), f"worker {first}'s work-horse")
        os.kill(first, signal.SIGKILL)
        killed = time.monotonic()
        # Back in the queue, or already taken up by the replacement: no longer the dead's.
        wait_until(
            lambda: job.id not in queue.started_job_registry or job.retries_left == 2,
            "the job to leave the dead worker",
        )
        back_in = time.monotonic() - killed
        wait_until(
            lambda: job.get_status(refresh=True) == "finished", "the job to run to its end again"
        )
        job.refresh()
        assert job.retries_left == 2
    assert running.returncode == 0, running.err
    # Put back by the supervisor that saw the worker die, not by a heartbeat running out.
    assert f"worker 1 (pid {first}): 1 job(s) put back on their queue" in running.err
    print(f"a killed worker's job was back {back_in:.1f}s after SIGKILL")
