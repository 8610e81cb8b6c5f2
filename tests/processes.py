"""Running the monitor as a user does, in processes of its own."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CEILING = 300.0
"""Seconds a test waits for what must happen before calling it a failure: a bound on a
hang, far beyond what a machine several times slower than ours needs, never a guess of speed."""

POLL = 0.1
"""Seconds between looks at a condition being waited on."""

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
        # `monitor run` without its dashboard, unless a test asks for one.
        **{"MONITOR_DASHBOARD_PORT": "0", **extra},
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
        timeout=CEILING,
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
        timeout=CEILING,
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


def wait_until(
    condition: Callable[[], object],
    awaited: str | Callable[[], str],
    ceiling: float = CEILING,
) -> float:
    """Look at `condition` until it holds; the seconds that took.

    Fails after `ceiling` seconds, saying what was awaited (a callable `awaited` is asked
    then, so the message can tell how far things got).
    """
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > ceiling:
            what = awaited() if callable(awaited) else awaited
            raise AssertionError(f"still waiting after {ceiling:.0f}s for {what}")
        time.sleep(POLL)
    return time.monotonic() - started


def stop(
    process: subprocess.Popen[str], sig: int = signal.SIGTERM, ceiling: float = CEILING
) -> int:
    """Signal a process started by `start_monitor` (its whole group) and wait for its exit
    code; a process still running after `ceiling` seconds is killed and the test fails."""
    with suppress(ProcessLookupError):  # it may have ended on its own
        os.killpg(process.pid, sig)
    try:
        return process.wait(ceiling)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise AssertionError(
            f"monitor {' '.join(map(str, process.args[3:]))} (pid {process.pid}) still running "
            f"{ceiling:.0f}s after signal {signal.Signals(sig).name}"
        ) from None


def children_of(pid: int) -> dict[int, str]:
    """The live processes whose parent is `pid`, with their command lines (Linux)."""
    found = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        with suppress(OSError):
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
            if int(fields["PPid"]) == pid and not fields["State"].startswith("Z"):
                command = (status.parent / "cmdline").read_bytes().replace(b"\0", b" ")
                found[int(status.parent.name)] = command.decode(errors="replace")
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text().split("State:\t", 1)[1]
    except (OSError, IndexError):
        return False
    return not state.startswith("Z")
