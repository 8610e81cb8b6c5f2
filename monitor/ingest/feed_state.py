"""Each feed's health and conditional-GET validators, kept in Redis for `monitor feeds`
and the dashboard."""

from __future__ import annotations

from typing import Any

import redis
from pydantic import BaseModel

from monitor.keyspace import Keyspace


class FeedError(BaseModel):
    kind: str
    message: str


class FeedState(BaseModel):
    """What the last polls of one feed came to."""

    id: str
    status: str = "new"
    error: FeedError | None = None
    items_seen: int = 0
    last_poll: float | None = None
    next_due: float | None = None
    interval: float
    errors_in_row: int = 0
    etag: str | None = None
    last_modified: str | None = None
    baselined: bool = False
    baseline_items: int | None = None
    """Items recorded without alerting at the first poll, when the feed took a baseline."""
    warnings: list[str] = []

    def public(self) -> dict[str, Any]:
        """The fields `monitor feeds --json` shows."""
        return self.model_dump(
            include={
                "id",
                "status",
                "error",
                "items_seen",
                "errors_in_row",
                "baseline_items",
                "last_poll",
                "next_due",
            }
        )


class FeedBook:
    """Feed states in Redis, one JSON string per feed."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys

    def get(self, feed_id: str, interval: float) -> FeedState:
        raw = self.redis.get(self.keys.feed(feed_id))
        if raw:
            return FeedState.model_validate_json(raw)
        return FeedState(id=feed_id, interval=interval)

    def get_many(self, feeds: dict[str, float]) -> dict[str, FeedState]:
        """The states of feeds given as {id: first interval}, in one round trip."""
        raws = self.redis.mget([self.keys.feed(feed_id) for feed_id in feeds]) if feeds else []
        return {
            feed_id: FeedState.model_validate_json(raw)
            if raw
            else FeedState(id=feed_id, interval=interval)
            for (feed_id, interval), raw in zip(feeds.items(), raws, strict=True)
        }

    def save(self, state: FeedState, pipe: redis.client.Pipeline | None = None) -> None:
        (pipe or self.redis).set(self.keys.feed(state.id), state.model_dump_json())
