"""`monitor run` on its own embedded Redis: alerts while running, Ctrl-C stops it cleanly,
and what it recorded is still there afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import redis

from monitor.redis_server import EmbeddedRedis
from tests.feed_server import feed_server
from tests.processes import CEILING, env_for, monitor, start_monitor, submit, wait_until

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
    env = env_for(
        tmp_path, "", "monitor-run-test", MONITOR_WORKERS="1", MONITOR_RULES=str(tmp_path / "rules")
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
