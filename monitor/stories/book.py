"""Stories kept in Redis: an item is placed under the locks of the rules it alerted on,
so that workers agree on which story it joins."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack

import redis

from monitor.keyspace import Keyspace, as_text
from monitor.stories.grouping import PolicyOf, place
from monitor.stories.story import Story, StoryItem

LOCK_TIMEOUT = 30
"""Seconds a story lock may be held before Redis frees it (a dead worker's lock)."""


class StoryBook:
    """Stories kept in Redis, placed under a per-rule lock so that workers agree."""

    def __init__(self, client: redis.Redis, keys: Keyspace, retention: int) -> None:
        self.redis = client
        self.keys = keys
        self.retention = retention

    def get(self, story_id: str) -> Story | None:
        raw = self.redis.get(self.keys.story(story_id))
        return Story.model_validate_json(raw) if raw else None

    def save(self, story: Story) -> None:
        pipe = self.redis.pipeline()
        pipe.set(self.keys.story(story.id), story.model_dump_json(), ex=self.retention)
        for rule in story.every_rule:
            pipe.zadd(self.keys.open_stories(rule), {story.id: story.updated})
            pipe.zremrangebyscore(self.keys.open_stories(rule), 0, story.updated - self.retention)
            pipe.expire(self.keys.open_stories(rule), self.retention)
        pipe.execute()

    def place(self, entry: StoryItem, policy_of: PolicyOf, now: float) -> tuple[Story, bool]:
        """Put `entry` into its story; return the story and whether it changed."""
        rules = sorted(set(entry.rules))
        with ExitStack() as locks:
            for rule in rules:  # always in one order, so that two workers never deadlock
                locks.enter_context(
                    self.redis.lock(
                        self.keys.story_lock(rule), timeout=LOCK_TIMEOUT, blocking_timeout=60
                    )
                )
            since = now - max(policy_of(rule).story_window for rule in rules)
            story, changed = place(self._open(rules, since), entry, policy_of, now)
            if changed:
                self.save(story)
            return story, changed

    def _open(self, rules: Sequence[str], since: float) -> list[Story]:
        ids = {
            as_text(story_id)
            for rule in rules
            for story_id in self.redis.zrangebyscore(self.keys.open_stories(rule), since, "+inf")
        }
        if not ids:
            return []
        raws = self.redis.mget([self.keys.story(story_id) for story_id in sorted(ids)])
        return [Story.model_validate_json(raw) for raw in raws if raw]
