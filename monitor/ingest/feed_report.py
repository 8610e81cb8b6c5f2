"""Each feed's health as `monitor feeds --json` and the dashboard show it: its state (status,
error, errors in a row, items seen, last poll) with its next due time from the schedule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis

from monitor.ingest.feed_state import FeedBook
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.schedule import Schedule
from monitor.keyspace import Keyspace


def feed_rows(
    client: redis.Redis, keys: Keyspace, feeds: Sequence[FeedSpec]
) -> list[dict[str, Any]]:
    book, schedule = FeedBook(client, keys), Schedule(client, keys)
    return [_row(book, schedule, feed) for feed in feeds]


def _row(book: FeedBook, schedule: Schedule, feed: FeedSpec) -> dict[str, Any]:
    row = book.get(feed.id, feed.interval).public()
    row["next_due"] = schedule.next_due(feed.id) or row["next_due"]
    return row
