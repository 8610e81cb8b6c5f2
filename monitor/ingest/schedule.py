"""The poll schedule shared by every poller: a Redis sorted set of next-due times.

A poller claims due feeds atomically by pushing their due time a lease ahead,
so no feed is polled by two pollers at once, and a dead poller's feeds come
due again when the lease runs out.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis

from monitor.keyspace import Keyspace, as_text

LEASE_SECONDS = 120.0
"""How long a claimed feed stays with its poller before others may take it."""

_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return due
"""

# A lease is released only while it is still ours: after it ran out, another poller may
# hold the feed, and making it due again would have it polled twice.
_RELEASE = """
for i = 2, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) == tonumber(ARGV[i + 1]) then
    redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[i])
  end
end
return 0
"""


class Schedule:
    """When each feed is next due."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.keys = keys
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)

    def sync(self, feed_ids: Sequence[str], now: float) -> None:
        """New feeds due now; feeds no longer listed dropped."""
        listed = set(feed_ids)
        current = {as_text(raw) for raw in self.redis.zrange(self.keys.schedule, 0, -1)}
        if current - listed:
            self.redis.zrem(self.keys.schedule, *(current - listed))
        if listed - current:
            self.redis.zadd(self.keys.schedule, {feed: now for feed in listed - current}, nx=True)

    def claim(self, now: float, limit: int) -> list[str]:
        """Up to `limit` due feeds, now this poller's for LEASE_SECONDS."""
        claimed = self._claim(keys=[self.keys.schedule], args=[now, self.lease_end(now), limit])
        return [as_text(feed) for feed in claimed]

    def lease_end(self, now: float) -> float:
        """The score `claim(now, ...)` gives the feeds it claims."""
        return now + LEASE_SECONDS

    def release(self, leases: dict[str, float], at: float) -> None:
        """Feeds claimed with the given lease ends due `at` again, where still so leased."""
        if leases:
            pairs = [value for feed, end in leases.items() for value in (feed, end)]
            self._release(keys=[self.keys.schedule], args=[at, *pairs])

    def reschedule(self, due: dict[str, float], pipe: redis.client.Pipeline | None = None) -> None:
        """Set when feeds are next due (in `pipe` when given)."""
        (pipe or self.redis).zadd(self.keys.schedule, due, xx=True)

    def poll_now(self, feed_id: str, now: float) -> bool:
        """Make a listed feed due at `now` unless it already is; False when it is not listed."""
        if self.redis.zscore(self.keys.schedule, feed_id) is None:
            return False
        self.redis.zadd(self.keys.schedule, {feed_id: now}, xx=True, lt=True)
        return True

    def next_due(self, feed_id: str) -> float | None:
        score = self.redis.zscore(self.keys.schedule, feed_id)
        return float(score) if score is not None else None

    def earliest(self) -> float | None:
        """When the next feed comes due."""
        first = self.redis.zrange(self.keys.schedule, 0, 0, withscores=True)
        return float(first[0][1]) if first else None
