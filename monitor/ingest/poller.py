"""The poller: claim due feeds → fetch → parse → dedup → enqueue, and keep each
feed's health and next due time. Any number of pollers share one schedule.

A Redis outage pauses polling: the poller waits with backoff until Redis answers, then
undoes what the cut-short polls left (items claimed but not queued, feeds still leased).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from monitor.clock import Clock
from monitor.counters import FEED_ERRORS, ITEMS_FETCHED, ITEMS_NEW, POLL_SECONDS, POLLS, Tally
from monitor.dedup import Seen, SeenSet
from monitor.errors import FetchError, InputError
from monitor.heartbeat import Heartbeat
from monitor.history import History
from monitor.ingest.backoff import Backoff
from monitor.ingest.cadence import delay_after_error, delay_after_success, next_interval
from monitor.ingest.feed_state import FeedBook, FeedError, FeedState
from monitor.ingest.feeds import FeedSpec
from monitor.ingest.fetcher import Conditional, Fetched, Fetcher
from monitor.ingest.parser import canonical_link, parse_feed_report
from monitor.ingest.poller_health import PollerHealth, PollerRoster, this_poller
from monitor.ingest.schedule import Schedule
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.queue import BATCH_SIZE, enqueue_items

log = logging.getLogger(__name__)

CONCURRENCY = 50
"""Feeds fetched at once by one poller."""

IDLE_SLEEP = 1.0
"""Longest nap between two looks at the schedule."""

INTERRUPTED = "interrupted"
"""The status of a poll that Redis failed halfway."""


@dataclass
class PollOutcome:
    """What one poll of one feed came to: `ok`, `not_modified`, `error`, or `interrupted`
    when Redis failed it halfway (the feed is polled again once Redis is back)."""

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
    """What a fetched feed brought: items queued, items taken as baseline, its <ttl>, and
    items read."""

    new: int
    baseline: int | None
    ttl: float | None
    fetched: int = 0


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
        self.backoff = Backoff(rng=self.rng)
        self.health = PollerHealth(id=this_poller())
        self.roster = PollerRoster(client, keys)
        self.heartbeat = Heartbeat(client, keys, "poller", clock)
        self.unsettled: dict[str, list[Item]] = {}
        """Per feed, items claimed as new and not yet queued."""
        self.leases: dict[str, float] = {}
        """Feeds claimed and not yet rescheduled, with the end of their lease."""
        self.schedule.sync(list(self.feeds), clock.now())

    async def run(self, stop: asyncio.Event) -> None:
        """Poll due feeds until `stop` is set, riding out Redis outages."""
        while not stop.is_set():
            if await self._poll_or_ride_out(stop) == []:
                await self._nap(stop)
        self._sign_off()

    async def poll_due(self) -> list[PollOutcome]:
        """Claim the feeds due now and poll them together."""
        now = self.clock.now()
        claimed = self.schedule.claim(now, CONCURRENCY)
        known = [self.feeds[feed_id] for feed_id in claimed if feed_id in self.feeds]
        self.leases.update(dict.fromkeys(self.feeds.keys() & claimed, self.schedule.lease_end(now)))
        states = self.book.get_many({feed.id: feed.interval for feed in known})
        return list(await asyncio.gather(*(self.poll(feed, states[feed.id]) for feed in known)))

    async def poll_all_once(self, stop: asyncio.Event | None = None) -> list[PollOutcome]:
        """Every feed once, due or not (the cron-style mode), riding out Redis outages."""
        stop = stop or asyncio.Event()
        now = self.clock.now()
        self.schedule.reschedule(dict.fromkeys(self.feeds, now))
        outcomes: list[PollOutcome] = []
        while (batch := await self._poll_or_ride_out(stop)) != [] and not stop.is_set():
            outcomes += [outcome for outcome in batch or [] if outcome.status != INTERRUPTED]
        self._sign_off()
        return outcomes

    async def _poll_or_ride_out(self, stop: asyncio.Event) -> list[PollOutcome] | None:
        """The outcomes of polling the due feeds; None when Redis failed the poll, after
        waiting until it is back (or until `stop`)."""
        try:
            outcomes = await self.poll_due()
            failure = next((o.error for o in outcomes if o.status == INTERRUPTED), None)
            if failure is None:
                self._beat()
                return outcomes
        except redis.RedisError as exc:
            failure = str(exc)
        await self._ride_out(failure, stop)
        return None

    async def _nap(self, stop: asyncio.Event) -> None:
        """Wait until the next feed is due, at most IDLE_SLEEP, or until `stop`."""
        try:
            earliest = self.schedule.earliest()
        except redis.RedisError:  # the next poll meets it and rides it out
            earliest = None
        nap = IDLE_SLEEP if earliest is None else earliest - self.clock.now()
        await _wait(stop, min(IDLE_SLEEP, max(0.05, nap)))

    def _beat(self) -> None:
        self.health.last_cycle = self.clock.now()
        self.roster.save(self.health)
        self.heartbeat.beat()

    async def _ride_out(self, failure: str, stop: asyncio.Event) -> None:
        """Wait with backoff until Redis answers and the cut-short polls are settled."""
        began = self.clock.now()
        log.warning("cannot reach Redis (%s): polling paused until it is back", failure)
        self.health.went_away(failure, began)
        while not stop.is_set():
            await _wait(stop, self.backoff.next_delay())
            if not stop.is_set() and self._reconnected():
                log.warning("Redis is back after %.0fs: polling resumes", self.clock.now() - began)
                return
        self._warn_unsettled()

    def _reconnected(self) -> bool:
        """Whether Redis answers and the outage's leftovers are settled and recorded."""
        try:
            self._settle()
            self.health.came_back(self.clock.now())
            self._beat()
        except redis.RedisError:
            return False
        self.backoff.reset()
        return True

    def _settle(self) -> None:
        """Undo what cut-short polls left: their new items let through again (they were not
        queued), their feeds due now rather than when the lease runs out; feeds missing
        from the schedule put back."""
        self.redis.ping()
        self.seen.forget([item for items in self.unsettled.values() for item in items])
        self.unsettled.clear()
        self.schedule.release(self.leases, self.clock.now())
        self.leases.clear()
        self.schedule.sync(list(self.feeds), self.clock.now())  # a Redis back without its data

    def _sign_off(self) -> None:
        """A poller that stops cleanly drops its health record, unless it tells an outage."""
        if self.health.outage_started is None:
            with contextlib.suppress(redis.RedisError):
                self.roster.remove(self.health)

    def _warn_unsettled(self) -> None:
        """Stopped before Redis came back: say what could not be let through again."""
        lost = sum(len(items) for items in self.unsettled.values())
        if lost:
            log.warning("stopped during a Redis outage: %d new item(s) were not queued", lost)

    async def poll(self, feed: FeedSpec, state: FeedState | None = None) -> PollOutcome:
        """One poll of one feed; any failure stays on that feed's health."""
        state = state or self.book.get(feed.id, feed.interval)
        began = time.perf_counter()
        try:
            fetched = await self.fetcher.fetch(
                feed.id,
                feed.url,
                Conditional(state.etag, state.last_modified),
                allow_private=feed.allow_private,
            )
            if fetched.status == 304:
                intake = _Intake(0, None, None)
                return self._done(state, "not_modified", intake, fetched.max_age, began)
            intake = await self._take_in(feed, state, fetched)
            state.etag, state.last_modified = fetched.etag, fetched.last_modified
            fresh_for = max(filter(None, (fetched.max_age, intake.ttl)), default=None)
            return self._done(state, "ok", intake, fresh_for, began)
        except FetchError as exc:
            return self._failed(state, exc.kind, str(exc), exc.retry_after, began)
        except InputError as exc:
            return self._failed(state, "not_a_feed", str(exc), None, began)
        except redis.RedisError as exc:
            return PollOutcome(feed.id, INTERRUPTED, error=str(exc))

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
        taking_baseline = feed.baseline and not state.baselined
        state.baselined = True
        if not taking_baseline:  # forget() must find the identities claim() set: same links
            self.unsettled[feed.id] = _new_with_links(items, links, verdicts)
        for item, verdict in zip(items, verdicts, strict=True):
            if verdict is Seen.EDIT:
                self.history.record_item(item)
        if taking_baseline:
            return _Intake(0, len(items), report.ttl, len(items))
        self._enqueue(feed.id, fresh)
        return _Intake(len(fresh), None, report.ttl, len(items))

    def _enqueue(self, feed_id: str, fresh: list[Item]) -> None:
        """Queue a batch at a time, so what a failure leaves unsettled is what was not queued."""
        for start in range(0, len(fresh), BATCH_SIZE):
            enqueue_items(self.redis, self.keys, fresh[start : start + BATCH_SIZE], self.context)
            self.unsettled[feed_id] = self.unsettled[feed_id][BATCH_SIZE:]
        self.unsettled.pop(feed_id, None)

    def _localised(self, item: Item, feed: FeedSpec) -> Item:
        return item if item.lang else item.model_copy(update={"lang": feed.lang})

    def _done(
        self, state: FeedState, status: str, intake: _Intake, max_age: float | None, began: float
    ) -> PollOutcome:
        now = self.clock.now()
        state.status, state.error, state.errors_in_row = status, None, 0
        state.items_seen += intake.new
        if intake.baseline is not None:
            state.baseline_items = intake.baseline
        state.last_poll = now
        state.interval = next_interval(state.interval, intake.new > 0)
        tally = _polled(status, began)
        tally.count(ITEMS_FETCHED, by=intake.fetched)
        tally.count(ITEMS_NEW, by=intake.new)
        self._reschedule(state, now + delay_after_success(state.interval, max_age), tally)
        return PollOutcome(state.id, status, intake.new, intake.baseline)

    def _failed(
        self,
        state: FeedState,
        kind: str,
        message: str,
        retry_after: float | None,
        began: float,
    ) -> PollOutcome:
        now = self.clock.now()
        log.warning("%s", message)
        state.status, state.error = "error", FeedError(kind=kind, message=message)
        state.errors_in_row += 1
        state.last_poll = now
        delay = delay_after_error(state.errors_in_row, retry_after, self.rng)
        tally = _polled(state.status, began)
        tally.count(FEED_ERRORS, kind)
        self._reschedule(state, now + delay, tally)
        return PollOutcome(state.id, state.status, error=message)

    def _reschedule(self, state: FeedState, at: float, tally: Tally) -> None:
        """Save the feed's state, its next due time and the poll's counts in one round trip."""
        state.next_due = at
        pipe = self.redis.pipeline(transaction=False)
        self.book.save(state, pipe)
        self.schedule.reschedule({state.id: at}, pipe)
        tally.write(pipe, self.keys)
        pipe.execute()
        self.leases.pop(state.id, None)


def _polled(status: str, began: float) -> Tally:
    """The counts every poll makes: its status and how long it took since `began`."""
    tally = Tally()
    tally.count(POLLS, status)
    tally.observe(POLL_SECONDS, time.perf_counter() - began)
    return tally


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less when `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _new_with_links(items: list[Item], links: list[str], verdicts: list[Seen]) -> list[Item]:
    """The new items, with the canonical links they were claimed under."""
    return [
        item.model_copy(update={"link": link})
        for item, link, verdict in zip(items, links, verdicts, strict=True)
        if verdict is Seen.NEW
    ]
