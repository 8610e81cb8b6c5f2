"""The record: items, sent notifications, delivery attempts and dead letters, each kept
for the retention period, for `monitor alerts` and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import redis

from monitor.item import Item
from monitor.keyspace import Keyspace, as_text


class History:
    """Time-ordered records in Redis sorted sets, trimmed to the retention as they grow."""

    def __init__(self, client: redis.Redis, keys: Keyspace, retention: int) -> None:
        self.redis = client
        self.keys = keys
        self.retention = retention

    def record_item(self, item: Item) -> None:
        self.redis.set(self.keys.item(item.id), item.model_dump_json(), ex=self.retention)

    def record_alert(self, record: dict[str, Any], at: float) -> None:
        self._add(self.keys.alerts, record, at)

    def record_delivery(self, record: dict[str, Any], at: float) -> None:
        self._add(self.keys.deliveries, record, at)

    def record_dead_letter(self, record: dict[str, Any], at: float) -> None:
        self._add(self.keys.dead_letters, record, at)

    def alerts(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest sent notifications, oldest first."""
        return self._recent(self.keys.alerts, limit)

    def deliveries(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._recent(self.keys.deliveries, limit)

    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._recent(self.keys.dead_letters, limit)

    def _add(self, key: str, record: dict[str, Any], at: float) -> None:
        member = json.dumps({**record, "at": at}, ensure_ascii=False, sort_keys=True)
        pipe = self.redis.pipeline()
        pipe.zadd(key, {member: at})
        pipe.zremrangebyscore(key, "-inf", at - self.retention)
        pipe.expire(key, self.retention)
        pipe.execute()

    def _recent(self, key: str, limit: int) -> list[dict[str, Any]]:
        members = self.redis.zrange(key, -limit, -1)
        return [json.loads(as_text(member)) for member in members]
