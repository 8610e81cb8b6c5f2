"""The seen-set: each item id is let through once within the retention, across restarts."""

from __future__ import annotations

from collections.abc import Sequence

import redis

from monitor.keyspace import Keyspace


class SeenSet:
    """Item ids already taken in, one expiring Redis key per id."""

    def __init__(self, client: redis.Redis, keys: Keyspace, retention: int) -> None:
        self.redis = client
        self.keys = keys
        self.retention = retention

    def claim(self, item_ids: Sequence[str]) -> list[bool]:
        """For each id, True when this call is the first to see it (atomically, per id)."""
        pipe = self.redis.pipeline(transaction=False)
        for item_id in item_ids:
            pipe.set(self.keys.seen(item_id), 1, nx=True, ex=self.retention)
        return [bool(claimed) for claimed in pipe.execute()]

    def forget(self, item_ids: Sequence[str]) -> None:
        """Let ids through again (their job could not be queued)."""
        if item_ids:
            self.redis.delete(*(self.keys.seen(item_id) for item_id in item_ids))
