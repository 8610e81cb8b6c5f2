"""`monitor replay`, `monitor work` and `monitor alerts`: thin shells around the queue,
the workers and the history."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import redis

from monitor.alert_list import alert_list, public
from monitor.cli.options import announce, checked_settings
from monitor.cli.progress import following
from monitor.connection import redis_connection
from monitor.history import History
from monitor.inputs import read_items
from monitor.item import Item
from monitor.keyspace import Keyspace, drop
from monitor.queue import BATCH_SIZE, drop_queues, rq_queue, submit_items
from monitor.settings import Settings
from workers.runtime import context_of
from workers.worker import run_worker

log = logging.getLogger("monitor")


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
@click.option(
    "--keep",
    is_flag=True,
    help="Into the monitor's own records (the dashboard, `monitor alerts`), not a scratch space.",
)
@click.argument("inputs", nargs=-1, required=True)
def replay_command(rules: Path | None, as_json: bool, keep: bool, inputs: tuple[str, ...]) -> None:
    """Run INPUT items through the whole pipeline, on a clock driven by their published times.

    Exits 1 at the end when a line of an input could not be read; the other items are replayed.
    """
    settings = checked_settings(rules)
    started = time.monotonic()
    items, problems = _read(inputs)
    with redis_connection(settings, announce) as client:
        scratch = f"{settings.prefix}:replay:{uuid.uuid4().hex[:12]}"
        keys = Keyspace(settings.prefix, queues=scratch) if keep else Keyspace(scratch)
        try:
            queued, records = _replay(client, keys, settings, items)
        finally:
            drop_queues(client, keys)
            if not keep:
                drop(client, keys.prefix)
    _print_records(records, as_json)
    announce(_replay_summary(queued, records, time.monotonic() - started))
    if problems:
        raise SystemExit(1)


def _read(inputs: tuple[str, ...]) -> tuple[list[Item], list[str]]:
    """The readable items, oldest first, and a message for each line that was not."""
    problems: list[str] = []
    items = list(read_items(inputs, problems))
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    items.sort(key=lambda item: item.published.timestamp() if item.published else 0.0)
    return items, problems


def _replay(
    client: redis.Redis, keys: Keyspace, settings: Settings, items: list[Item]
) -> tuple[int, list[dict[str, Any]]]:
    """Queue the items in a keyspace of their own and work them; (queued, notifications)."""
    times = _clock_times(items, time.time())
    context = context_of(settings, keys, console=False)
    submitted = submit_items(client, keys, items, context, settings.retention_seconds, times)
    announce(f"replaying {submitted.queued} item(s), {submitted.seen} repeated")
    with following(submitted.queued, "matching", _matched(client, keys, submitted.queued)):
        run_worker(
            client,
            context,
            burst=True,
            live=False,
            final_clock=max(times, default=0.0),
            forks=False,
        )
    return submitted.queued, History(client, keys, settings.retention_seconds).alerts(100_000)


def _matched(client: redis.Redis, keys: Keyspace, queued: int) -> Callable[[], int]:
    """How many of the queued items have been matched, a batch (one job) at a time."""
    queue = rq_queue(client, keys.match_queue)
    registries = (queue.finished_job_registry, queue.failed_job_registry)

    def matched() -> int:
        jobs = sum(int(registry.get_job_count(cleanup=False)) for registry in registries)
        return min(queued, jobs * BATCH_SIZE)

    return matched


def _replay_summary(queued: int, records: list[dict[str, Any]], seconds: float) -> str:
    stories = len({record["story"] for record in records})
    return (
        f"replayed {queued} item(s) in {seconds:.1f} s: "
        f"{len(records)} notification(s), {stories} stor{'y' if stories == 1 else 'ies'}"
    )


def _print_records(records: list[dict[str, Any]], as_json: bool) -> None:
    for record in records:
        click.echo(json.dumps(public(record), ensure_ascii=False) if as_json else _text(record))


def _text(record: dict[str, Any]) -> str:
    title = click.style(str(record["title"]), bold=True)
    return f"{_local_time(record['at'])}  {record['channel']}\n{title}\n{record['text']}\n"


def _local_time(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(at)) if at else "unknown time"


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
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record, with its kind.")
@click.option("--limit", default=50, show_default=True, help="How many of the newest.")
def alerts_command(as_json: bool, limit: int) -> None:
    """List recent notifications, oldest first, then deliveries still being retried,
    deliveries that gave up and failed jobs."""
    settings = Settings.from_env()
    with redis_connection(settings, announce) as client:
        history = History(client, Keyspace(settings.prefix), settings.retention_seconds)
        found = alert_list(history, time.time(), limit)
    if found.empty():
        announce("no notifications yet")
    elif as_json:
        for row in found.rows():
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        _print_records(found.records, as_json=False)
        _print_retrying(found.retrying)
        _print_failures(found.dead, found.failed)
        counts = (len(found.retrying), len(found.dead), len(found.failed))
        announce(_alerts_summary(len(found.records), found.total, *counts))


def _print_retrying(retrying: list[dict[str, Any]]) -> None:
    if retrying:
        click.echo(click.style(f"{len(retrying)} delivery(ies) retrying:", fg="yellow"), err=True)
    for record in retrying:
        where = f"{record['channel']} {record['rule']} {record['story']}"
        why = record["detail"] + (f" ({record['answer']})" if record.get("answer") else "")
        tried = f"attempt {record['attempt']}"
        click.echo(f"  {_local_time(record['at'])}  {where}: {why}, {tried}", err=True)


def _print_failures(dead: list[dict[str, Any]], failed: list[dict[str, Any]]) -> None:
    if dead:
        click.echo(click.style(f"{len(dead)} delivery(ies) gave up:", fg="red"), err=True)
        for record in dead:
            where = f"{record['channel']} {record['rule']} {record['story']}"
            why = record["error"] + (f" ({record['answer']})" if record.get("answer") else "")
            click.echo(f"  {_local_time(record['at'])}  {where}: {why}", err=True)
    if failed:
        click.echo(click.style(f"{len(failed)} job(s) failed:", fg="red"), err=True)
        for record in failed:
            when = _local_time(record["at"])
            click.echo(f"  {when}  {record['job']}: {record['reason']}", err=True)


def _alerts_summary(shown: int, total: int, retrying: int, dead: int, failed: int) -> str:
    parts = [
        f"{shown} notification(s)"
        if shown == total
        else f"newest {shown} of {total} notification(s) (--limit)"
    ]
    parts += [f"{retrying} delivery(ies) retrying"] if retrying else []
    parts += [f"{dead} delivery(ies) gave up"] if dead else []
    parts += [f"{failed} job(s) failed"] if failed else []
    return ", ".join(parts)
