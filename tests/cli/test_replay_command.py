"""`monitor replay` as a user runs it: bad lines reported while the rest is replayed, a
progress bar on a terminal and a summary line at the end."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.keyspace import Keyspace
from tests.cli.terminal import on_a_terminal
from tests.conftest import SEEDS
from tests.processes import env_for, monitor


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
