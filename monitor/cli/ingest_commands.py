"""`monitor poll` and `monitor feeds`: thin shells around the poller and feed health."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path
from typing import Any

import click
import redis

from monitor.cli.options import announce, checked_settings
from monitor.clock import SystemClock
from monitor.connection import redis_connection
from monitor.ingest.feed_state import FeedBook
from monitor.ingest.feeds import FeedSpec, load_feeds
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller
from monitor.ingest.schedule import Schedule
from monitor.keyspace import Keyspace
from monitor.settings import Settings
from workers.runtime import context_of

_FEEDS = click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(path_type=Path),
    help="Feeds file (default: MONITOR_FEEDS).",
)


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll every feed once, then exit (for cron).")
@_FEEDS
def poll_command(once: bool, feeds_path: Path | None) -> None:
    """Poll the feeds and queue their new items."""
    settings = checked_settings()
    feeds = load_feeds(feeds_path or settings.feeds)
    with redis_connection(settings, announce) as client:
        asyncio.run(_poll(client, settings, feeds, once))


async def _poll(client: redis.Redis, settings: Settings, feeds: list[FeedSpec], once: bool) -> None:
    keys = Keyspace(settings.prefix)
    fetcher = Fetcher()
    poller = Poller(
        client,
        keys,
        feeds,
        fetcher,
        context_of(settings, keys),
        settings.retention_seconds,
        SystemClock(),
    )
    try:
        if once:
            for outcome in await poller.poll_all_once():
                click.echo(f"{outcome.feed}: {outcome.status}, {outcome.new} new")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        announce(f"polling {len(feeds)} feed(s); Ctrl-C to stop")
        await poller.run(stop)
    finally:
        await fetcher.aclose()


@click.command("feeds")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@_FEEDS
def feeds_command(as_json: bool, feeds_path: Path | None) -> None:
    """List the feeds with their health."""
    settings = Settings.from_env()
    feeds = load_feeds(feeds_path or settings.feeds)
    with redis_connection(settings, announce) as client:
        keys = Keyspace(settings.prefix)
        book, schedule = FeedBook(client, keys), Schedule(client, keys)
        rows = [_row(book, schedule, feed) for feed in feeds]
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else _line(row))


def _row(book: FeedBook, schedule: Schedule, feed: FeedSpec) -> dict[str, Any]:
    row = book.get(feed.id, feed.interval).public()
    row["next_due"] = schedule.next_due(feed.id) or row["next_due"]
    return row


def _line(row: dict[str, Any]) -> str:
    when = (
        time.strftime("%H:%M:%S", time.localtime(row["last_poll"])) if row["last_poll"] else "never"
    )
    error = f"  {row['error']['kind']}: {row['error']['message']}" if row["error"] else ""
    return f"{row['id']:24} {row['status']:13} {row['items_seen']:6} items  last {when}{error}"
