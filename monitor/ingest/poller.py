"""The poller: claim due feeds → fetch → parse → dedup → enqueue, and keep each
feed's health and next due time. Any number of pollers share one schedule."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from monitor.clock import Clock
from monitor.dedup import Seen, SeenSet
from monitor.errors import FetchError, InputError
from monitor.history import History
from monitor.ingest.cadence import delay_after_error, delay_after_success, next_interval
from monitor.ingest.feed_state import FeedBook, FeedError, FeedState
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Conditional, Fetched, Fetcher
from monitor.ingest.parser import canonical_link, parse_feed_report
from monitor.ingest.schedule import Schedule
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.queue import enqueue_items

log = logging.getLogger(__name__)

CONCURRENCY = 50
"""Feeds fetched at once by one poller."""

IDLE_SLEEP = 1.0
"""Longest nap between two looks at the schedule."""


@dataclass
class PollOutcome:
    """What one poll of one feed came to: `ok`, `not_modified` or `error`."""

    feed: str
    status: str
    new: int = 0
    baseline: int | None = None
    """Items recorded without alerting at the feed's first poll; None at any other poll."""
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "error"


@dataclass(frozen=True)
class _Intake:
    """What a fetched feed brought: items queued, items taken as baseline, its <ttl>."""

    new: int
    baseline: int | None
    ttl: float | None


class Poller:
    """Polls the feeds of one keyspace."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keyspace,
        feeds: Sequence[FeedSpec],
        fetcher: Fetcher,
        context: dict[str, Any],
        retention: int,
        clock: Clock,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.feeds = {feed.id: feed for feed in feeds}
        self.fetcher = fetcher
        self.context = context
        self.clock = clock
        self.schedule = Schedule(client, keys)
        self.book = FeedBook(client, keys)
        self.seen = SeenSet(client, keys, retention)
        self.history = History(client, keys, retention)
        self.rng = random.Random()
        self.schedule.sync(list(self.feeds), clock.now())

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until `stop` is set."""
        while not stop.is_set():
            polled = await self.poll_due()
            if not polled:
                earliest = self.schedule.earliest()
                nap = IDLE_SLEEP if earliest is None else earliest - self.clock.now()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=min(IDLE_SLEEP, max(0.05, nap)))

    async def poll_due(self) -> list[PollOutcome]:
        """Claim the feeds due now and poll them together."""
        claimed = self.schedule.claim(self.clock.now(), CONCURRENCY)
        known = [self.feeds[feed_id] for feed_id in claimed if feed_id in self.feeds]
        states = self.book.get_many({feed.id: feed.interval for feed in known})
        return list(await asyncio.gather(*(self.poll(feed, states[feed.id]) for feed in known)))

    async def poll_all_once(self) -> list[PollOutcome]:
        """Every feed once, due or not (the cron-style mode)."""
        now = self.clock.now()
        self.schedule.reschedule(dict.fromkeys(self.feeds, now))
        outcomes: list[PollOutcome] = []
        while batch := await self.poll_due():
            outcomes += batch
        return outcomes

    async def poll(self, feed: FeedSpec, state: FeedState | None = None) -> PollOutcome:
        """One poll of one feed; any failure stays on that feed's health."""
        state = state or self.book.get(feed.id, feed.interval)
        try:
            fetched = await self.fetcher.fetch(
                feed.id,
                feed.url,
                Conditional(state.etag, state.last_modified),
                allow_private=feed.allow_private,
            )
            if fetched.status == 304:
                return self._done(state, "not_modified", _Intake(0, None, None), fetched.max_age)
            intake = await self._take_in(feed, state, fetched)
            state.etag, state.last_modified = fetched.etag, fetched.last_modified
            fresh_for = max(filter(None, (fetched.max_age, intake.ttl)), default=None)
            return self._done(state, "ok", intake, fresh_for)
        except FetchError as exc:
            return self._failed(state, exc.kind, str(exc), exc.retry_after)
        except InputError as exc:
            return self._failed(state, "not_a_feed", str(exc), None)

    async def _take_in(self, feed: FeedSpec, state: FeedState, fetched: Fetched) -> _Intake:
        """Queue the feed's new items, or at its first poll take them all as its baseline."""
        report = await asyncio.to_thread(
            parse_feed_report,
            fetched.body,
            feed.id,
            content_type=fetched.content_type,
            base_url=fetched.final_url,
        )
        state.warnings = report.problems[:5]
        items = [self._localised(item, feed) for item in report.items]
        links = [canonical_link(item.link) if item.link else "" for item in items]
        verdicts = self.seen.claim(items, links)
        fresh = [item for item, verdict in zip(items, verdicts, strict=True) if verdict is Seen.NEW]
        for item, verdict in zip(items, verdicts, strict=True):
            if verdict is Seen.EDIT:
                self.history.record_item(item)
        if feed.baseline and not state.baselined:
            state.baselined = True
            return _Intake(0, len(items), report.ttl)
        state.baselined = True
        if fresh:
            enqueue_items(self.redis, self.keys, fresh, self.context)
        return _Intake(len(fresh), None, report.ttl)

    def _localised(self, item: Item, feed: FeedSpec) -> Item:
        return item if item.lang else item.model_copy(update={"lang": feed.lang})

    def _done(
        self, state: FeedState, status: str, intake: _Intake, max_age: float | None
    ) -> PollOutcome:
        now = self.clock.now()
        state.status, state.error, state.errors_in_row = status, None, 0
        state.items_seen += intake.new
        if intake.baseline is not None:
            state.baseline_items = intake.baseline
        state.last_poll = now
        state.interval = next_interval(state.interval, intake.new > 0)
        self._reschedule(state, now + delay_after_success(state.interval, max_age))
        return PollOutcome(state.id, status, intake.new, intake.baseline)

    def _failed(
        self, state: FeedState, kind: str, message: str, retry_after: float | None
    ) -> PollOutcome:
        now = self.clock.now()
        log.warning("%s", message)
        state.status, state.error = "error", FeedError(kind=kind, message=message)
        state.errors_in_row += 1
        state.last_poll = now
        delay = delay_after_error(state.errors_in_row, retry_after, self.rng)
        self._reschedule(state, now + delay)
        return PollOutcome(state.id, state.status, error=message)

    def _reschedule(self, state: FeedState, at: float) -> None:
        state.next_due = at
        pipe = self.redis.pipeline(transaction=False)
        self.book.save(state, pipe)
        self.schedule.reschedule({state.id: at}, pipe)
        pipe.execute()
