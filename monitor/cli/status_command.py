"""`monitor status`: who is alive by their heartbeats, how deep the queues are, how old
their oldest job, how many jobs failed, and what of that is a problem (`--check` exits 1)."""

from __future__ import annotations

import json
import socket
import sys
import time
from typing import Any

import click

from monitor.cli.options import announce
from monitor.connection import redis_connection
from monitor.ingest.feeds import load_feeds
from monitor.keyspace import Keyspace
from monitor.settings import Settings
from monitor.status import status_report


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--check", is_flag=True, help="Exit 1 when there is a problem (a health check).")
@click.option(
    "--here", is_flag=True, help="Judge only the processes of this host (a container's health)."
)
def status_command(as_json: bool, check: bool, here: bool) -> None:
    """Show the workers and pollers (alive or gone, by the age of their last heartbeat),
    the depth of the match and deliver queues, their oldest job's age, failed jobs, and
    problems: no live worker, no live poller while there are feeds, a queue whose oldest
    job has waited over 5 minutes; with --here, only whether a process of this host lives."""
    settings = Settings.from_env()
    with redis_connection(settings, announce, start=not check) as client:
        host = socket.gethostname() if here else None
        report = status_report(
            client, Keyspace(settings.prefix), time.time(), not here and _has_feeds(settings), host
        )
    click.echo(json.dumps(report) if as_json else _text(report))
    if check and report["problems"]:
        sys.exit(1)


def _has_feeds(settings: Settings) -> bool:
    return settings.feeds.exists() and bool(load_feeds(settings.feeds))


def _text(report: dict[str, Any]) -> str:
    lines = [_process_line(row) for row in report["processes"]] or ["no worker or poller beats"]
    lines += [_queue_line(name, row) for name, row in report["queues"].items()]
    lines += [f"problem: {problem}" for problem in report["problems"]] or ["no problems"]
    return "\n".join(lines)


def _process_line(row: dict[str, Any]) -> str:
    state = "alive" if row["alive"] else "gone "
    where = f"pid {row['pid']} on {row['host']}"
    return f"{row['role']:7} {state}  {where:32} last beat {row['last_beat_age']:.0f} s ago"


def _queue_line(name: str, row: dict[str, Any]) -> str:
    oldest = "" if row["oldest_age"] is None else f", oldest waiting {row['oldest_age']:.0f} s"
    counts = f"{row['queued']} queued, {row['running']} running, {row['scheduled']} scheduled"
    return f"{name + ' queue':13} {counts}, {row['failed']} failed{oldest}"
