"""`monitor replay`, `monitor work`, `monitor alerts` and `monitor run`: thin shells
around the queue, the workers and the history."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import click
import redis

from monitor.cli.options import announce, checked_settings
from monitor.connection import redis_connection
from monitor.errors import InputError, MonitorError
from monitor.history import History
from monitor.ingest.feeds import load_feeds
from monitor.inputs import read_items
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.queue import failed_jobs, submit_items
from monitor.settings import Settings
from workers.runtime import context_of
from workers.worker import run_worker

log = logging.getLogger("monitor")

RECORD_FIELDS = ("rule", "rules", "story", "update", "items", "sources", "channel", "title", "text")


def _clock_times(items: list[Item], start: float) -> list[float]:
    """Each item's published time; an item without one takes the time before it."""
    times = []
    last = start
    for item in items:
        last = item.published.timestamp() if item.published else last
        times.append(last)
    return times


@click.command("replay")
@click.option("--rules", type=click.Path(path_type=Path), help="Rules file or directory.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per notification.")
@click.argument("inputs", nargs=-1, required=True)
def replay_command(rules: Path | None, as_json: bool, inputs: tuple[str, ...]) -> None:
    """Run INPUT items through the whole pipeline, on a clock driven by their published times."""
    settings = checked_settings(rules)
    try:
        items = list(read_items(inputs))
    except InputError as exc:
        raise click.ClickException(str(exc)) from exc
    items.sort(key=lambda item: item.published.timestamp() if item.published else 0.0)
    times = _clock_times(items, time.time())
    with redis_connection(settings, announce) as client:
        keys = Keyspace(f"{settings.prefix}:replay:{uuid.uuid4().hex[:12]}")
        context = context_of(settings, keys, console=False)
        try:
            submitted = submit_items(
                client, keys, items, context, settings.retention_seconds, times
            )
            announce(f"replaying {submitted.queued} item(s), {submitted.seen} repeated")
            run_worker(client, context, burst=True, live=False, final_clock=max(times, default=0.0))
            records = History(client, keys, settings.retention_seconds).alerts(limit=100_000)
        finally:
            _drop(client, keys)
    _print_records(records, as_json)


def _drop(client: redis.Redis, keys: Keyspace) -> None:
    for key in client.scan_iter(match=f"{keys.prefix}:*", count=1000):
        client.delete(key)


def _print_records(records: list[dict[str, object]], as_json: bool) -> None:
    for record in records:
        if as_json:
            # Records kept from before stories spanned rules have no `rules`.
            shown = {key: record.get(key, [record["rule"]]) for key in RECORD_FIELDS}
            click.echo(json.dumps(shown, ensure_ascii=False))
        else:
            click.echo(click.style(str(record["title"]), bold=True))
            click.echo(f"{record['text']}\n")


@click.command("work")
@click.option(
    "--burst", is_flag=True, help="Work until the queues are empty, send what waits, exit."
)
def work_command(burst: bool) -> None:
    """Run a worker: match queued items, group stories, decide and deliver."""
    settings = checked_settings()
    with redis_connection(settings, announce) as client:
        keys = Keyspace(settings.prefix)
        run_worker(client, context_of(settings, keys), burst=burst, live=True)


@click.command("alerts")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per notification.")
@click.option("--limit", default=50, show_default=True, help="How many of the newest.")
def alerts_command(as_json: bool, limit: int) -> None:
    """List recent notifications, oldest first."""
    settings = Settings.from_env()
    with redis_connection(settings, announce) as client:
        history = History(client, Keyspace(settings.prefix), settings.retention_seconds)
        records = history.alerts(limit)
        dead = history.dead_letters(limit)
        failed = failed_jobs(client, Keyspace(settings.prefix))
    _print_records(records, as_json)
    if dead:
        click.echo(click.style(f"{len(dead)} delivery(ies) gave up:", fg="red"), err=True)
        for record in dead:
            where = f"{record['channel']} {record['rule']} {record['story']}"
            click.echo(f"  {where}: {record['error']}", err=True)
    if failed:
        click.echo(click.style(f"{len(failed)} job(s) failed:", fg="red"), err=True)
        for job_id, error in failed:
            click.echo(f"  {job_id}: {error}", err=True)


@click.command("run")
def run_command() -> None:
    """Run the whole monitor: Redis (embedded unless REDIS_URL), workers and a poller.

    Ctrl-C stops it; what is queued stays in Redis for the next start.
    """
    settings = checked_settings()
    feeds = load_feeds(settings.feeds) if settings.feeds.exists() else []
    with redis_connection(settings, announce):
        commands = [["work"]] * settings.workers + ([["poll"]] if feeds else [])
        children = [
            subprocess.Popen([sys.executable, "-m", "monitor", *command], env=os.environ.copy())
            for command in commands
        ]
        polling = f"{len(feeds)} feed(s)" if feeds else f"no feeds ({settings.feeds} not found)"
        announce(f"monitor running: {settings.workers} worker(s), {polling}; Ctrl-C to stop")
        _wait(children)
    announce("monitor stopped")


def _wait(children: list[subprocess.Popen[bytes]]) -> None:
    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    try:
        while any(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        forward(signal.SIGINT, None)
        for child in children:
            child.wait()
    if any(child.returncode not in (0, -signal.SIGINT, -signal.SIGTERM) for child in children):
        raise MonitorError("a worker exited with an error; see the messages above")
