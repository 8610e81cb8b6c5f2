"""Every Redis key the monitor uses, built in one place under one prefix."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis

DROP_CHUNK = 1000
"""Keys deleted in one command when a prefix is dropped."""


def as_text(value: object) -> str:
    """A value read from Redis (bytes by default) as text."""
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def digest(text: str) -> str:
    """A short stable digest, for ids that may be long or hold any character."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


def drop(client: redis.Redis, prefix: str) -> int:
    """Delete every key under `prefix` (a replay's or a benchmark's), a thousand in one
    command rather than one round trip each; how many were deleted."""
    doomed = list(client.scan_iter(match=f"{prefix}:*", count=DROP_CHUNK))
    for start in range(0, len(doomed), DROP_CHUNK):
        client.unlink(*doomed[start : start + DROP_CHUNK])
    return len(doomed)


@dataclass(frozen=True)
class Keyspace:
    """Key names under `prefix`; a replay uses a prefix of its own, or with `--keep` the
    monitor's prefix and queues of its own (`queues`), so that no live worker takes part in
    its jobs while it runs them on its own clock."""

    prefix: str
    queues: str = ""

    def item(self, item_id: str) -> str:
        """JSON of an item kept for the dashboard and notifications."""
        return f"{self.prefix}:item:{digest(item_id)}"

    @property
    def every_item(self) -> str:
        """The pattern (for SCAN) of every kept item's key."""
        return f"{self.prefix}:item:*"

    def story(self, story_id: str) -> str:
        """JSON of one story, without its items (a story stored whole holds them too)."""
        return f"{self.prefix}:story:{story_id}"

    def story_items(self, story_id: str) -> str:
        """List of the JSON of a story's items, oldest first: items are only ever added."""
        return f"{self.prefix}:story:{story_id}:items"

    def open_stories(self, rule: str) -> str:
        """Sorted set of a rule's story ids by last update time."""
        return f"{self.prefix}:stories:{rule}"

    def story_lock(self, rule: str) -> str:
        """Lock held while an item is placed into one of a rule's stories."""
        return f"{self.prefix}:lock:stories:{rule}"

    @property
    def due(self) -> str:
        """Sorted set of story ids by the time their next decision is due."""
        return f"{self.prefix}:due"

    def items_per_minute(self, day: int) -> str:
        """Hash of items matched in each minute (field: minutes since the epoch) of one UTC
        day (days since the epoch), for the dashboard's timeline."""
        return f"{self.prefix}:items_per_minute:{day}"

    def rule_matches(self, day: int) -> str:
        """Hash of one UTC day's matches (days since the epoch) by `alert:RULE` and
        `mention:RULE`, for the rules page."""
        return f"{self.prefix}:rule_matches:{day}"

    @property
    def rule_last_match(self) -> str:
        """Hash of each rule's last match time by `alert:RULE` and `mention:RULE`."""
        return f"{self.prefix}:rule_last_match"

    @property
    def rules_loaded(self) -> str:
        """Hash of what the workers last made of the rules files: when the running set was
        loaded, how many rules, and the last reload that failed and why."""
        return f"{self.prefix}:rules_loaded"

    def decisions(self, story_id: str) -> str:
        """List of a story's last decisions (JSON, newest first): why it did or did not notify."""
        return f"{self.prefix}:decisions:{story_id}"

    def notification_log(self, story_id: str) -> str:
        """JSON of the last notification sent for a story."""
        return f"{self.prefix}:nflog:{story_id}"

    def delivery(self, story_id: str, update: int, channel: str) -> str:
        """Idempotency record of one story update to one channel."""
        return f"{self.prefix}:delivery:{story_id}:{update}:{digest(channel)}"

    def channel_pause(self, channel: str) -> str:
        """Why a channel's deliveries are held back, while it lives (a channel not answering)."""
        return f"{self.prefix}:pause:{digest(channel)}"

    @property
    def alerts(self) -> str:
        """Sorted set of sent notification records by time."""
        return f"{self.prefix}:alerts"

    @property
    def deliveries(self) -> str:
        """Sorted set of delivery attempt records by time."""
        return f"{self.prefix}:deliveries"

    @property
    def dead_letters(self) -> str:
        """Sorted set of deliveries that gave up, by time."""
        return f"{self.prefix}:deadletter"

    @property
    def silences(self) -> str:
        """Hash of silence id to silence JSON."""
        return f"{self.prefix}:silences"

    @property
    def silences_ended(self) -> str:
        """Sorted set of silences that ended (JSON) by the time they ended."""
        return f"{self.prefix}:silences_ended"

    @property
    def schedule(self) -> str:
        """Sorted set of feed ids by the time each is next due."""
        return f"{self.prefix}:schedule"

    def feed(self, feed_id: str) -> str:
        """Hash of one feed's health and conditional-GET validators."""
        return f"{self.prefix}:feed:{feed_id}"

    def seen_key(self, kind: str, value: str) -> str:
        """Seen-set entry for one of an item's identities (id, link, text)."""
        return f"{self.prefix}:seen:{kind}:{digest(value)}"

    @property
    def beats(self) -> str:
        """Sorted set of long-running processes by the time of their last heartbeat."""
        return f"{self.prefix}:beats"

    def beat(self, who: str) -> str:
        """Hash of one process's role, pid, host and start time."""
        return f"{self.prefix}:beat:{who}"

    def metrics(self, family: str) -> str:
        """Hash of one metric family's counts by label set (monitor.counters)."""
        return f"{self.prefix}:metrics:{family}"

    @property
    def match_queue(self) -> str:
        """RQ queue name of item batches to match."""
        return f"{self._queue_stem}-match"

    @property
    def deliver_queue(self) -> str:
        """RQ queue name of notifications to deliver."""
        return f"{self._queue_stem}-deliver"

    @property
    def _queue_stem(self) -> str:
        return (self.queues or self.prefix).replace(":", "-")

    def __str__(self) -> str:
        return self.prefix
