"""Running the monitor as a user does, in processes of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

SUBMIT = """
import json, sys
from monitor.connection import redis_connection
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.queue import submit_items
from monitor.settings import Settings
from workers.runtime import context_of
settings = Settings.from_env()
keys = Keyspace(settings.prefix)
with redis_connection(settings, lambda message: None) as client:
    items = [Item.model_validate(data) for data in json.load(sys.stdin)]
    context = context_of(settings, keys)
    print(submit_items(client, keys, items, context, settings.retention_seconds).queued)
"""


def env_for(tmp_path: Path, redis_url: str, prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a monitor with its own home, key prefix and channels file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MONITOR_", "REDIS_URL"))}
    env.update(
        MONITOR_HOME=str(tmp_path / "home"),
        MONITOR_PREFIX=prefix,
        MONITOR_CHANNELS=str(tmp_path / "channels.yaml"),
        MONITOR_FEEDS=str(tmp_path / "feeds.yaml"),
        RQ_KEY_PREFIX=os.environ["RQ_KEY_PREFIX"],
        **extra,
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def monitor(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """`monitor ARGS...` run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def submit(items: list[dict[str, Any]], env: dict[str, str]) -> int:
    """Queue items as a poller would; the number queued."""
    done = subprocess.run(
        [sys.executable, "-c", SUBMIT],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return int(done.stdout.strip())


def start_monitor(*args: str, env: dict[str, str], capture: bool = False) -> subprocess.Popen[str]:
    """`monitor ARGS...` in the background, in a process group of its own (for killpg)."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=output,
        text=True,
        start_new_session=True,
    )
