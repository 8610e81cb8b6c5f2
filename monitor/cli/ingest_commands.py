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

from monitor.cli.options import announce, checked_settings, quiet_http_requests
from monitor.clock import SystemClock
from monitor.connection import redis_connection
from monitor.ingest.feed_report import feed_rows
from monitor.ingest.feeds import FeedSpec, load_feeds
from monitor.ingest.fetcher import Fetcher
from monitor.ingest.poller import Poller, PollOutcome
from monitor.ingest.poller_health import PollerRoster, describe
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
    """Poll the feeds and queue their new items; with --once, exit 1 if any feed failed."""
    settings = checked_settings(channels=False)
    feeds = load_feeds(feeds_path or settings.feeds)
    quiet_http_requests()
    with redis_connection(settings, announce) as client:
        outcomes = asyncio.run(_poll(client, settings, feeds, once))
    if once:
        _report(outcomes, feeds)


async def _poll(
    client: redis.Redis, settings: Settings, feeds: list[FeedSpec], once: bool
) -> list[PollOutcome]:
    """Every feed's outcome with `once`; else poll until a signal, and nothing."""
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
            return await poller.poll_all_once()
        await _poll_until_stopped(poller, len(feeds))
        return []
    finally:
        await fetcher.aclose()


async def _poll_until_stopped(poller: Poller, count: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    announce(f"polling {count} feed(s); Ctrl-C to stop")
    await poller.run(stop)


def _report(outcomes: list[PollOutcome], feeds: list[FeedSpec]) -> None:
    """Every feed's outcome in the feeds file's order, a summary, and exit 1 on any failure:
    cron and scripts see a failed feed by the exit status alone."""
    order = {feed.id: index for index, feed in enumerate(feeds)}
    for outcome in sorted(outcomes, key=lambda outcome: order.get(outcome.feed, len(order))):
        click.echo(_outcome_line(outcome))
    click.echo(_summary(outcomes))
    if any(outcome.failed for outcome in outcomes):
        raise click.exceptions.Exit(1)


def _outcome_line(outcome: PollOutcome) -> str:
    """`bbc-arabic: ok, 3 new`; a first poll tells its baseline, a failure its reason."""
    if outcome.failed:
        return f"{outcome.feed}: error, {outcome.error.removeprefix(f'feed {outcome.feed}: ')}"
    if outcome.baseline is not None:
        recorded = _count(outcome.baseline, "item")
        return f"{outcome.feed}: ok, baseline of {recorded} recorded (not alerted)"
    if outcome.status == "not_modified":
        return f"{outcome.feed}: not modified"
    return f"{outcome.feed}: {outcome.status}, {outcome.new} new"


def _summary(outcomes: list[PollOutcome]) -> str:
    """`3 feeds polled: 2 ok, 1 failed, 14 new items`."""
    failed = sum(outcome.failed for outcome in outcomes)
    new = sum(outcome.new for outcome in outcomes)
    baseline = sum(outcome.baseline or 0 for outcome in outcomes)
    summary = (
        f"{_count(len(outcomes), 'feed')} polled: {len(outcomes) - failed} ok, {failed} failed"
    )
    summary += f", {_count(new, 'new item')}"
    return summary + (f", {_count(baseline, 'baseline item')} recorded" if baseline else "")


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


@click.command("feeds")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per feed.")
@_FEEDS
def feeds_command(as_json: bool, feeds_path: Path | None) -> None:
    """List the feeds with their health, after the pollers' own (text only)."""
    settings = Settings.from_env()
    feeds = load_feeds(feeds_path or settings.feeds)
    with redis_connection(settings, announce) as client:
        keys = Keyspace(settings.prefix)
        rows = feed_rows(client, keys, feeds)
        pollers = PollerRoster(client, keys).all()
    if not as_json:
        now = time.time()
        for health in pollers:
            click.echo(describe(health, now))
    for row in rows:
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else _line(row))


def _line(row: dict[str, Any]) -> str:
    when = (
        time.strftime("%H:%M:%S", time.localtime(row["last_poll"])) if row["last_poll"] else "never"
    )
    error = f"  {row['error']['kind']}: {row['error']['message']}" if row["error"] else ""
    baseline = "" if row["baseline_items"] is None else f"+{row['baseline_items']} baseline"
    items = f"{row['items_seen']:6} items {baseline:15}"
    return f"{row['id']:24} {row['status']:13} {items} last {when}{error}"
