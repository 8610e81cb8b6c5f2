"""Stories: the items about one event, grouped per rule within a time window.

An item joins the open story of its rule that holds the item most like it
(cosine of TF-IDF fingerprints, single link), when that likeness reaches
the rule's `similarity`; otherwise it starts a story of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from pydantic import BaseModel, Field

from monitor.keyspace import Keyspace, as_text, digest
from monitor.notification import Quote, Source
from monitor.rules.model import PolicySpec
from monitor.text.fingerprint import Vector, similarity

LOCK_TIMEOUT = 30
"""Seconds a story lock may be held before Redis frees it (a dead worker's lock)."""


class StoryItem(BaseModel):
    """One item of a story, with what notifications and grouping need of it."""

    id: str
    source: str
    title: str
    link: str = ""
    at: float
    alert: bool = True
    quote: Quote
    vector: Vector = Field(default_factory=dict)

    def as_source(self) -> Source:
        return Source(
            item=self.id,
            source=self.source,
            title=self.title,
            link=self.link,
            published=datetime.fromtimestamp(self.at, tz=UTC),
        )


class Story(BaseModel):
    """Items about one event, for one rule."""

    id: str
    rule: str
    created: float
    updated: float
    items: list[StoryItem] = Field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({item.source for item in self.items if item.source})

    def likeness(self, vector: Vector) -> float:
        """How like the story an item is: its likeness to the story's closest item."""
        return max((similarity(vector, item.vector) for item in self.items), default=0.0)

    def holds(self, item_id: str) -> bool:
        return any(item.id == item_id for item in self.items)


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
        pipe.zadd(self.keys.open_stories(story.rule), {story.id: story.updated})
        pipe.zremrangebyscore(self.keys.open_stories(story.rule), 0, story.updated - self.retention)
        pipe.expire(self.keys.open_stories(story.rule), self.retention)
        pipe.execute()

    def place(
        self, rule: str, entry: StoryItem, policy: PolicySpec, now: float
    ) -> tuple[Story, bool]:
        """Put `entry` into its story; return the story and whether it changed."""
        with self.redis.lock(self.keys.story_lock(rule), timeout=LOCK_TIMEOUT, blocking_timeout=60):
            candidates = self._open(rule, now - policy.story_window)
            for story in candidates:
                if story.holds(entry.id):
                    return story, False
            best = max(candidates, key=lambda story: story.likeness(entry.vector), default=None)
            if best is not None and best.likeness(entry.vector) >= policy.similarity:
                best.items.append(entry)
                best.updated = max(best.updated, now)
                story = best
            else:
                story = Story(id=digest(f"{rule}\n{entry.id}"), rule=rule, created=now, updated=now)
                story.items.append(entry)
            self.save(story)
            return story, True

    def _open(self, rule: str, since: float) -> list[Story]:
        ids = self.redis.zrangebyscore(self.keys.open_stories(rule), since, "+inf")
        if not ids:
            return []
        raws = self.redis.mget([self.keys.story(as_text(story_id)) for story_id in ids])
        return [Story.model_validate_json(raw) for raw in raws if raw]
