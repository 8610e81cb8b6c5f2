"""The record: items, sent notifications, delivery attempts and dead letters, each kept
for the retention period, for `monitor alerts` and the dashboard. Every record carries
`at`, the clock time (epoch seconds) it was made."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import redis
from redis.client import Pipeline

from monitor.item import Item
from monitor.keyspace import Keyspace, as_text
from monitor.queue import JobSerializer, failed_jobs, rq

ATTEMPTS_LOOKBACK = 7 * 3600
"""How long before a sent or dead-lettered delivery its attempts are looked for: beyond the
delivery deadline (monitor.delivery.DEADLINE_SECONDS) and one backoff."""

Pair = tuple[str, int, str]
"""A delivery: (story, update, channel)."""

DONE = frozenset({"sent", "dead"})
"""The marks of a delivery that is done with (monitor.delivery writes them)."""


class History:
    """Time-ordered records in Redis sorted sets, trimmed to the retention as they grow."""

    def __init__(self, client: redis.Redis, keys: Keyspace, retention: int) -> None:
        self.redis = client
        self.keys = keys
        self.retention = retention

    def record_item(self, item: Item, pipe: Pipeline | None = None) -> None:
        into = pipe if pipe is not None else self.redis
        into.set(self.keys.item(item.id), item.model_dump_json(), ex=self.retention)

    def record_alert(self, record: dict[str, Any], at: float, pipe: Pipeline | None = None) -> None:
        self._add(self.keys.alerts, record, at, pipe)

    def record_delivery(
        self, record: dict[str, Any], at: float, pipe: Pipeline | None = None
    ) -> None:
        """One attempt to deliver: its time, outcome, the destination's status and answer."""
        self._add(self.keys.deliveries, record, at, pipe)

    def record_dead_letter(
        self, record: dict[str, Any], at: float, pipe: Pipeline | None = None
    ) -> None:
        self._add(self.keys.dead_letters, record, at, pipe)

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

    def attempts(self, records: Iterable[Mapping[str, Any]]) -> dict[Pair, list[dict[str, Any]]]:
        """The attempts, oldest first, of the deliveries that notification or dead-letter
        `records` tell of, by `pair_of(record)`; read in one pass over the time they span."""
        wanted = {pair_of(record): float(record["at"]) for record in records}
        found: dict[Pair, list[dict[str, Any]]] = defaultdict(list)
        if not wanted:
            return found
        low, high = min(wanted.values()) - ATTEMPTS_LOOKBACK, max(wanted.values())
        for member in self.redis.zrangebyscore(self.keys.deliveries, low, high):
            attempt = json.loads(as_text(member))
            pair = pair_of(attempt)
            if pair in wanted and attempt["at"] <= wanted[pair]:
                found[pair].append(attempt)
        return found

    def retrying(self, now: float, limit: int = 50) -> list[dict[str, Any]]:
        """Deliveries still being retried: their last attempt failed within the deadline and
        they are neither sent nor given up. The last attempt of each, oldest first."""
        last: dict[Pair, dict[str, Any]] = {}
        for member in self.redis.zrangebyscore(
            self.keys.deliveries, now - ATTEMPTS_LOOKBACK, "+inf"
        ):
            attempt = json.loads(as_text(member))
            last[pair_of(attempt)] = attempt
        failing = [attempt for attempt in last.values() if not attempt["ok"]]
        if not failing:
            return []
        marks = self.redis.mget([self.keys.delivery(*pair_of(a)) for a in failing])
        still = [a for a, m in zip(failing, marks, strict=True) if as_text(m or b"") not in DONE]
        return still[-limit:] if limit > 0 else []

    def recent_items(self, days: float) -> list[Item]:
        """The items kept from no longer than `days` days ago, newest first (an item's age is
        the retention less the time its record has left)."""
        names = list(self.redis.scan_iter(match=self.keys.every_item, count=1000))
        aged: list[tuple[float, Item]] = []
        for start in range(0, len(names), 500):
            with self.redis.pipeline(transaction=False) as pipe:
                for name in names[start : start + 500]:
                    pipe.get(name)
                    pipe.ttl(name)
                found = pipe.execute()
            for raw, left in zip(found[::2], found[1::2], strict=True):
                age = self.retention - max(int(left), 0)
                if raw is not None and age <= days * 86_400:
                    aged.append((age, Item.model_validate_json(raw)))
        return [item for _, item in sorted(aged, key=lambda pair: pair[0])]

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

    def _add(self, key: str, record: dict[str, Any], at: float, into: Pipeline | None) -> None:
        """Adds now, or within `into`, a transaction of the caller's."""
        member = json.dumps({**record, "at": at}, ensure_ascii=False, sort_keys=True)
        pipe = into if into is not None else self.redis.pipeline()
        pipe.zadd(key, {member: at})
        pipe.zremrangebyscore(key, "-inf", at - self.retention)
        pipe.expire(key, self.retention)
        if into is None:
            pipe.execute()

    def _recent(self, key: str, limit: int) -> list[dict[str, Any]]:
        if limit <= 0:
            return []  # zrange(key, -0, -1) would be all of them
        members = self.redis.zrange(key, -limit, -1)
        return [json.loads(as_text(member)) for member in members]


def pair_of(record: Mapping[str, Any]) -> Pair:
    """The delivery a notification, attempt or dead-letter record is about."""
    return (str(record["story"]), int(record["update"]), str(record["channel"]))
