"""The record: items, sent notifications, delivery attempts and dead letters, each kept
for the retention period, for `monitor alerts` and the dashboard. Every record carries
`at`, the clock time (epoch seconds) it was made."""

from __future__ import annotations

import json
from typing import Any

import redis

from monitor.item import Item
from monitor.keyspace import Keyspace, as_text
from monitor.queue import JobSerializer, failed_jobs, rq


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

    def alert_count(self) -> int:
        """How many sent notifications are kept."""
        return int(self.redis.zcard(self.keys.alerts))

    def deliveries(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._recent(self.keys.deliveries, limit)

    def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
        return self._recent(self.keys.dead_letters, limit)

    def failed_jobs(self, limit: int = 20) -> list[dict[str, Any]]:
        """Jobs that failed for good, as records: what they carried, why and when they failed."""
        return [
            self._failed_job(job_id, reason)
            for job_id, reason in failed_jobs(self.redis, self.keys, limit)
        ]

    def _failed_job(self, job_id: str, reason: str) -> dict[str, Any]:
        job = rq.job.Job.fetch(job_id, connection=self.redis, serializer=JobSerializer)
        payload = job.args[0] if job.args and isinstance(job.args[0], dict) else {}
        note = payload.get("notification") or {}
        return {
            "job": job_id,
            "reason": reason,
            "rule": note.get("rule"),
            "story": note.get("story"),
            "channel": payload.get("channel"),
            "items": len(payload.get("items") or []),
            "at": job.ended_at.timestamp() if job.ended_at else None,
        }

    def _add(self, key: str, record: dict[str, Any], at: float) -> None:
        member = json.dumps({**record, "at": at}, ensure_ascii=False, sort_keys=True)
        pipe = self.redis.pipeline()
        pipe.zadd(key, {member: at})
        pipe.zremrangebyscore(key, "-inf", at - self.retention)
        pipe.expire(key, self.retention)
        pipe.execute()

    def _recent(self, key: str, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []  # zrange(key, -0, -1) would be all of them
        members = self.redis.zrange(key, -limit, -1)
        return [json.loads(as_text(member)) for member in members]
