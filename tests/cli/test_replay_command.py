"""`monitor replay` as a user runs it: bad lines reported while the rest is replayed, a
progress bar on a terminal and a summary line at the end."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import redis

from monitor.history import History
from monitor.keyspace import Keyspace
from monitor.queue import rq_queue
from monitor.redis_server import EmbeddedRedis
from monitor.rules.pattern_readings import readings_file
from tests.cli.terminal import on_a_terminal
from tests.conftest import RULES_DIR, SEEDS
from tests.processes import (
    CEILING,
    alive,
    children_of,
    env_for,
    monitor,
    start_monitor,
    stop,
    wait_until,
)

STOPPED_REPLAY_ITEMS = 40_000
"""Items of the replay stopped halfway: long enough to take seconds on any machine."""


def test_bad_lines_are_reported_and_the_good_items_replayed(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    items = tmp_path / "items.jsonl"
    lines = ['{"id": "ok", "title": "an item"}', "not json", '{"id": "bad", "title": 5}']
    items.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = env_for(tmp_path, redis_url, keys.prefix)
    result = monitor("replay", "--json", str(items), str(SEEDS[0]), env=env)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert [line.split(":")[1:3] for line in errors] == [[f" {items}", "2"], [f" {items}", "3"]]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["items"] for row in rows] == [[SEEDS[0].stem]]
    assert "replayed 2 item(s) in " in result.stderr
    assert result.stderr.rstrip().endswith(": 1 notification(s), 1 story")
    # the patterns' readings are kept for the next replay or worker (pattern_readings)
    assert readings_file(Path(env["MONITOR_HOME"])).exists()


def test_a_terminal_shows_progress_and_a_pipe_only_the_summary(
    tmp_path: Path, redis_url: str, keys: Keyspace
) -> None:
    env = env_for(tmp_path, redis_url, keys.prefix)
    returncode, shown = on_a_terminal("replay", *map(str, SEEDS), env=env)
    assert returncode == 0, shown
    assert "matching" in shown and "100%" in shown
    assert f"replayed {len(SEEDS)} item(s) in " in shown
    piped = monitor("replay", *map(str, SEEDS), env=env)
    assert piped.returncode == 0, piped.stderr
    assert "%" not in piped.stderr and f"replayed {len(SEEDS)} item(s) in " in piped.stderr


def test_a_kept_replay_writes_the_monitors_records_from_queues_no_live_worker_takes(
    tmp_path: Path, redis_url: str, redis_client: redis.Redis, keys: Keyspace
) -> None:
    # A live worker taking a kept replay's batch would leave the replay's own worker to send
    # the stories it had placed so far, on the replay's clock, with part of their items.
    env = env_for(tmp_path, redis_url, keys.prefix, MONITOR_RULES=str(RULES_DIR))
    result = monitor("replay", "--keep", *map(str, SEEDS), env=env)
    assert result.returncode == 0, result.stderr
    live = rq_queue(redis_client, keys.match_queue)
    ran = live.finished_job_registry.get_job_count() + live.failed_job_registry.get_job_count()
    assert (live.count, ran) == (0, 0)
    kept = History(redis_client, keys, 3600).alerts(100)
    assert sorted(len(record["items"]) for record in kept) == [1, 1, 3]
    # Its own queues go with it: their registries and the name RQ lists them under.
    stem = f"{keys.prefix.replace(':', '-')}-replay-"
    assert not [
        key for key in redis_client.scan_iter(match="*", count=1000) if stem.encode() in key
    ]
    queues = redis_client.smembers(f"{os.environ['RQ_KEY_PREFIX']}:queues")
    assert not [name for name in queues if stem.encode() in name]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_replay_told_to_stop_drops_its_scratch_keys_and_stops_its_redis(
    tmp_path: Path,
) -> None:
    items = tmp_path / "items.jsonl"
    with items.open("w", encoding="utf-8") as out:
        for n in range(STOPPED_REPLAY_ITEMS):
            at = f"2026-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z"
            title = f"US strike on Ain al-Asad base in Iraq, report {n}"
            out.write(json.dumps({"id": f"i{n}", "title": title, "published": at}) + "\n")
    env = env_for(tmp_path, "", "stopped", MONITOR_RULES=str(RULES_DIR))  # its own Redis
    replay = start_monitor("replay", str(items), env=env)
    server = EmbeddedRedis(Path(env["MONITOR_HOME"]))
    children: dict[int, str] = {}
    try:
        wait_until(lambda: _scratch_keys(server), "the replay to write its scratch keys")
        children = children_of(replay.pid)
        assert any("redis-server" in command for command in children.values()), children
        os.kill(replay.pid, signal.SIGTERM)  # the process alone, as `kill PID` sends it
        assert replay.wait(CEILING) != 0
        wait_until(lambda: not any(map(alive, children)), "its Redis to stop")
    finally:
        stop(replay, signal.SIGKILL)
        for pid in filter(alive, children):  # Redis runs in a session of its own
            os.kill(pid, signal.SIGKILL)
    server.start()  # on the data it flushed when told to stop
    try:
        assert not _scratch_keys(server)
    finally:
        server.stop()


def _scratch_keys(server: EmbeddedRedis) -> list[bytes]:
    if not server.running():
        return []
    client = redis.Redis(unix_socket_path=str(server.socket))
    try:
        return list(client.scan_iter(match="*:replay:*", count=1000))
    finally:
        client.close()
