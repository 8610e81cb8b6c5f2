"""The worker's pipeline: match → group into stories → decide → hand to delivery.

Pure of RQ: the worker tasks build a Pipeline and call it; deliveries leave
through the `enqueue_delivery` callable it is given.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import redis
from redis.client import Pipeline as RedisPipeline

from monitor.channels import Channel, route
from monitor.clock import Clock
from monitor.counters import (
    ALERTS,
    DECISIONS,
    ITEMS_CHECKED,
    ITEMS_MATCHED,
    MATCH_SECONDS,
    MENTIONS,
    NOTIFICATIONS,
    Tally,
)
from monitor.decision import Decision, LastNotification, decide
from monitor.delivery import DeliveryJob
from monitor.due import LEASE_SECONDS, DueSet, first_of
from monitor.history import History
from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.notification import Notification
from monitor.rule_activity import note_matches
from monitor.rules.match import Match
from monitor.rules.model import PolicySpec
from monitor.rules.reloader import RuleReloader
from monitor.rules.rule import Rule
from monitor.silence import Silence, SilenceBook
from monitor.stories.book import Placement, StoryBook
from monitor.stories.entry import story_entry
from monitor.stories.story import Story

EnqueueDelivery = Callable[[DeliveryJob], None]


TIMELINE_SECONDS = 2 * 86_400
"""How long a day's items-per-minute counts are kept: the dashboard shows the last 24 h."""

DECISIONS_KEPT = 20
"""Decisions kept per story for its page: its whole life, for all but the busiest."""

PLACED_IN_TIME_HOLD = 50
"""Entries a replay places under one hold on their rules' locks, their open stories read
once: taking the locks and reading the stories again for each entry was a quarter of the
round trips of a replay where most items alert. Decisions need no story lock, and fifty
entries take well under a second (a lock lasts LOCK_TIMEOUT)."""


@dataclass(frozen=True)
class Flushed:
    """What deciding the due stories came to: deliveries queued and, when the decisions
    were recorded, when the first story due is due after them."""

    sent: int
    first: float | None = None
    first_known: bool = False


@dataclass(frozen=True)
class Decided:
    """A due story, its rule, what was decided and, to notify, the update and channels."""

    story: Story
    rule: Rule
    decision: Decision
    update: int
    names: list[str]


class Pipeline:
    """Everything a worker does with a batch of items and with stories that come due."""

    def __init__(
        self,
        client: redis.Redis,
        keys: Keyspace,
        rules: RuleReloader,
        channels: Mapping[str, Channel],
        retention: int,
        enqueue_delivery: EnqueueDelivery,
    ) -> None:
        self.redis = client
        self.keys = keys
        self.rules = rules
        self.channels = channels
        self.stories = StoryBook(client, keys, retention)
        self.silences = SilenceBook(client, keys)
        self.history = History(client, keys, retention)
        self.due = DueSet(client, keys)
        self.enqueue_delivery = enqueue_delivery

    def process(self, items: Sequence[Item], at: Sequence[float] | None, clock: Clock) -> float:
        """Match and record the items, and group those alerting; return the latest clock
        time seen."""
        began = time.perf_counter()
        found = self.rules.matcher.match_many(items)
        self._record(items, found, time.perf_counter() - began)
        times = list(at) if at is not None else [clock.now() for _ in items]
        entries = [
            (story_entry(item, alerts, now), now)
            for item, matches, now in zip(items, found, times, strict=True)
            if (alerts := self._alerts(matches))
        ]
        if at is None:
            self.stories.place_all(entries, self._policy, self.due)
        else:
            self._place_in_time(entries)
        return max(times, default=0.0)

    def _place_in_time(self, entries: Sequence[Placement]) -> None:
        """Place items that carry clock times of their own (a replay) one at a time, the
        stories due by its time decided first, at the times they came due: what
        is sent is then what a worker keeping up with the items as they came would have
        sent, whatever the size of the jobs."""
        if not entries:  # most jobs of a replay alert on nothing: no look at the due set
            return
        first = self.due.first_at()
        for start in range(0, len(entries), PLACED_IN_TIME_HOLD):
            run = entries[start : start + PLACED_IN_TIME_HOLD]
            with self.stories.placing(run, self._policy) as desk:
                for entry, now in run:
                    first = self._decide_due_by(now, first)
                    if desk.place(entry, now)[1]:
                        desk.store(self.due)  # its story is due at `now`
                        first = now if first is None else min(first, now)

    def _decide_due_by(self, now: float, first: float | None) -> float | None:
        """Decide the stories due by `now`, those due first first, each at its time: as the
        end of a job does, so that items of one clock time (undated ones take the time of
        the item before) come out the same whichever jobs they fall in. `first` is when
        the first story is due, as last known; returned as it is after."""
        decided_at = -math.inf
        while first is not None and decided_at < first <= now:
            after = self._flush(first, waited=False)
            decided_at = first  # a decision that left its story due as it was stops here
            first = after.first if after.first_known else self.due.first_at()
        return first

    def _record(self, items: Sequence[Item], found: Sequence[list[Match]], took: float) -> None:
        """Record the batch's items and what matching them came to, in one round trip."""
        tally = Tally()
        tally.count(ITEMS_CHECKED, by=len(items))
        tally.count(ITEMS_MATCHED, by=sum(1 for matches in found if matches))
        tally.observe(MATCH_SECONDS, took)
        for match in (match for matches in found for match in matches):
            tally.count(ALERTS if match.alert else MENTIONS, match.rule)
        now = time.time()
        minute = int(now // 60)
        timeline = self.keys.items_per_minute(minute // 1440)
        with self.redis.pipeline(transaction=False) as pipe:
            for item in items:
                self.history.record_item(item, pipe)
            tally.write(pipe, self.keys)
            note_matches(pipe, self.keys, (match for matches in found for match in matches), now)
            pipe.hincrby(timeline, str(minute), len(items))
            pipe.expire(timeline, TIMELINE_SECONDS)
            pipe.execute()

    def _alerts(self, matches: list[Match]) -> list[Match]:
        """The alerts among an item's matches, of rules still loaded."""
        return [match for match in matches if match.alert and self._rule(match.rule) is not None]

    def _policy(self, rule_id: str) -> PolicySpec:
        rule = self._rule(rule_id)
        return rule.spec.policy if rule else PolicySpec()

    def flush_due(self, now: float, *, waited: bool = False) -> int:
        """Decide the stories due by `now` (all pending when `waited`); return deliveries queued.

        The due stories are taken, read and their decisions recorded a round trip each for
        them all: a batch of items makes as many stories due as it has alerts."""
        return self._flush(now, waited).sent

    def _flush(self, now: float, waited: bool) -> Flushed:
        lease_until = now + LEASE_SECONDS
        taken = self.due.take("+inf" if waited else now, lease_until)
        if not taken:
            return Flushed(0)
        read, silences = self._read_due(taken, now)
        decided = [
            found
            for story, last in read
            if (found := self._decide(story, last, silences, now, waited)) is not None
        ]
        # Queued before the decisions are recorded: should the worker or Redis fail between
        # the two, the stories come due again when their lease ends, and a delivery queued
        # again is the same job (its id names the story update and channel) and sends once.
        sent = sum(self._send(found, now) for found in decided if found.decision.notify)
        with self.redis.pipeline(transaction=False) as pipe:
            tally = Tally()  # one increment a counter for them all, not one a decision
            for found in decided:
                self._note_decision(pipe, found, now, tally)
            tally.write(pipe, self.keys)
            again = {found.story.id: found.decision.again_at for found in decided}
            self.due.settle(pipe, lease_until, [(i, again.get(i)) for i in taken])
            self.due.queue_first(pipe)
            replies = pipe.execute()
        return Flushed(sent, first_of(replies[-1]), first_known=True)

    def _read_due(
        self, taken: list[str], now: float
    ) -> tuple[list[tuple[Story | None, LastNotification | None]], list[Silence]]:
        """Each taken story and its last notification, and the silences in force (one read
        for all: a batch makes many stories due), in one round trip."""
        with self.redis.pipeline() as pipe:  # a transaction: all of one moment
            stories = self.stories.queue_read(pipe, taken)
            pipe.mget([self.keys.notification_log(i) for i in taken])
            self.silences.queue_all(pipe)
            replies = pipe.execute()
        lasts, stored = replies[-2], replies[-1]
        read = [
            (story, LastNotification.model_validate_json(last) if last else None)
            for story, last in zip(stories(replies), lasts, strict=True)
        ]
        return read, self.silences.in_force(stored, now)

    def _decide(
        self,
        story: Story | None,
        last: LastNotification | None,
        silences: list[Silence],
        now: float,
        waited: bool,
    ) -> Decided | None:
        rule = self._rule(story.rule) if story else None
        if story is None or rule is None:
            return None
        decision = decide(story, rule.spec.policy, last, silences, now, waited=waited)
        update = last.update + 1 if last else 0
        names = self._destinations(story, update) if decision.notify else []
        return Decided(story, rule, decision, update, names)

    def _note_decision(self, pipe: RedisPipeline, found: Decided, now: float, tally: Tally) -> None:
        """The notification record, the decision and the counts (into `tally`)."""
        story, decision = found.story, found.decision
        tally.count(DECISIONS, decision.reason.value)
        for name in found.names:
            tally.count(NOTIFICATIONS, name)
        if decision.notify:
            record = LastNotification(update=found.update, at=now, items=len(story.items))
            pipe.set(
                self.keys.notification_log(story.id),
                record.model_dump_json(),
                ex=self.history.retention,
            )
        self._record_decision(pipe, story, decision, found.update, found.names, now)

    def _record_decision(
        self,
        pipe: RedisPipeline,
        story: Story,
        decision: Decision,
        update: int,
        names: list[str],
        now: float,
    ) -> None:
        """The decision and its reason, kept with the story for its page (the last few)."""
        key = self.keys.decisions(story.id)
        shown = {
            "at": now,
            "notify": decision.notify,
            "reason": decision.reason.value,
            "update": update if decision.notify else None,
            "items": len(story.items),
            "channels": names,
            "again_at": decision.again_at,
        }
        pipe.lpush(key, json.dumps(shown))
        pipe.ltrim(key, 0, DECISIONS_KEPT - 1)
        pipe.expire(key, self.history.retention)

    def _destinations(self, story: Story, update: int) -> list[str]:
        """The channels a notification of the story goes to, by the routes of all its rules."""
        names: dict[str, None] = {}
        for rule_id in story.every_rule:
            other = self._rule(rule_id)
            if other is not None:
                names.update(
                    dict.fromkeys(route(self.channels, rule_id, other.spec.severity, update > 0))
                )
        return list(names)

    def _send(self, found: Decided, now: float) -> int:
        note = notification_of(found.story, found.rule, found.decision, found.update)
        for name in found.names:
            self.enqueue_delivery(
                DeliveryJob(
                    prefix=self.keys.prefix, channel=name, notification=note, first_attempt=now
                )
            )
        return len(found.names)

    def _rule(self, rule_id: str) -> Rule | None:
        return self.rules.matcher.rule(rule_id)


def notification_of(story: Story, rule: Rule, decision: Decision, update: int) -> Notification:
    """The notification of a story update: the first item for a new story, the newest after."""
    shown = story.items[0] if update == 0 else story.items[-1]
    return Notification(
        rule=rule.id,
        rules=story.every_rule,
        rule_title=rule.spec.title,
        severity=rule.spec.severity,
        story=story.id,
        update=update,
        headline=shown.title,
        quote=shown.quote,
        sources=[item.as_source() for item in story.items],
        reason=decision.reason.value,
    )
