"""`monitor run`: the embedded (or configured) Redis, and workers and a poller kept
running by the supervisor until Ctrl-C, SIGTERM or SIGHUP."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

import click
import redis

from monitor.cli.options import announce, checked_settings
from monitor.clock import SystemClock
from monitor.connection import redis_connection, redis_url
from monitor.errors import ConfigError
from monitor.ingest.feeds import load_feeds
from monitor.keyspace import Keyspace
from monitor.queue import rq_queue
from monitor.settings import Settings
from monitor.supervisor import Orphans, Supervisor, supervise
from workers.upkeep import requeue_jobs_of
from workers.worker import worker_name

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Signals that stop the monitor cleanly; SIGHUP is a closed terminal."""

PR_SET_PDEATHSIG = 1
"""prctl option (Linux): the signal a child gets when its parent dies."""

log = logging.getLogger(__name__)


@click.command("run")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes [MONITOR_WORKERS].")
@click.option("--pollers", type=click.IntRange(min=0), help="Poller processes [1 with feeds].")
def run_command(workers: int | None, pollers: int | None) -> None:
    """Run the whole monitor: Redis (embedded unless REDIS_URL), workers, a poller and the
    dashboard (MONITOR_DASHBOARD_PORT, 0 for none).

    A child that dies is restarted. Ctrl-C, SIGTERM or SIGHUP stops it; what is queued
    stays in Redis for the next start.
    """
    stop_requested = _stop_requested()  # from the start: a hang-up must not strand Redis
    settings = checked_settings()
    feeds = load_feeds(settings.feeds) if settings.feeds.exists() else []
    workers = workers or settings.workers
    pollers = (1 if feeds else 0) if pollers is None else pollers
    if pollers and not feeds:
        raise ConfigError(f"--pollers {pollers}: no feeds to poll in {settings.feeds}")
    with redis_connection(settings, announce) as client:
        # The children use the Redis announced here, and say nothing more about it.
        env = {**os.environ, "REDIS_URL": redis_url(settings), "MONITOR_SUPERVISED": "1"}
        orphans = Orphans(spared={_server_pid(client)})
        supervisor = Supervisor(
            _commands(workers, pollers, settings.dashboard_port),
            _spawner(env),
            SystemClock(),
            orphans.sweep,
            _job_returner(client, Keyspace(settings.prefix)),
        )
        announce(_setup(settings, workers, pollers, len(feeds)))
        supervise(supervisor, stop_requested, time.sleep)
    announce("monitor stopped")


def _commands(workers: int, pollers: int, dashboard_port: int) -> dict[str, list[str]]:
    """Each child's name and `monitor` command."""
    named = {f"worker {n}": ["work"] for n in range(1, workers + 1)}
    named |= {f"poller {n}": ["poll"] for n in range(1, pollers + 1)}
    dashboard = {"dashboard": ["dashboard", "--port", str(dashboard_port)]}
    return named | (dashboard if dashboard_port else {})


def _spawner(env: dict[str, str]) -> Callable[[Sequence[str]], subprocess.Popen[bytes]]:
    def spawn(command: Sequence[str]) -> subprocess.Popen[bytes]:
        # A session of its own: a terminal's Ctrl-C or hang-up reaches only us, and we
        # stop the children in order (Redis last).
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", *command],
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )

    return spawn


def _job_returner(client: redis.Redis, keys: Keyspace) -> Callable[[str, int], None]:
    """What to do when a child dies: a worker's started jobs go back to their queue at
    once, rather than when its heartbeat runs out (its work-horse has been ended)."""
    queues = [rq_queue(client, keys.match_queue), rq_queue(client, keys.deliver_queue)]

    def give_back(name: str, pid: int) -> None:
        if not name.startswith("worker"):
            return
        try:
            returned = requeue_jobs_of(queues, worker_name(socket.gethostname(), pid))
        except redis.RedisError as exc:  # its heartbeat will run out: the jobs come back then
            log.warning("%s (pid %d): its jobs could not be put back now: %s", name, pid, exc)
            return
        if returned:
            log.warning("%s (pid %d): %d job(s) put back on their queue", name, pid, len(returned))

    return give_back


def _die_with_parent() -> None:
    """In a child, before exec: a SIGKILLed `monitor run` still takes its children along."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _stop_requested() -> Callable[[], bool]:
    """Whether a stop signal came, with the handlers installed that note one."""
    received: list[int] = []
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda signum, _frame: received.append(signum))
    return lambda: bool(received)


def _server_pid(client: redis.Redis) -> int:
    """The Redis server's process id (our child when embedded), never to be swept."""
    try:
        return int(client.info("server")["process_id"])
    except (redis.RedisError, KeyError, ValueError):
        return 0


def _setup(settings: Settings, workers: int, pollers: int, feeds: int) -> str:
    polling = (
        f"{feeds} feed(s) from {settings.feeds}"
        if feeds
        else f"no feeds ({settings.feeds} not found)"
    )
    channels = (
        f"channels from {settings.channels}"
        if settings.channels.exists()
        else "notifications to the console"
    )
    pollers_said = "" if pollers == (1 if feeds else 0) else f"{pollers} poller(s), "
    port = settings.dashboard_port
    dashboard = f"dashboard at http://127.0.0.1:{port}/, " if port else ""
    return (
        f"monitor running: {workers} worker(s), {pollers_said}{polling}, "
        f"rules from {settings.rules}, {channels}, {dashboard}Ctrl-C to stop"
    )
