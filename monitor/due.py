"""Stories due for a decision: a sorted set of story ids by when, taken by a worker under a
lease so that a story is decided once at a time and comes back if its worker dies.

A worker takes every story due in one round trip, moving each one's time to the end of a
lease; settling puts the story's next decision time in its place, or takes it off the set.
A story that an item joined while it was being decided no longer carries the lease and is
left due, to be decided again with that item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import redis
from redis.client import Pipeline as RedisPipeline

from monitor.keyspace import Keyspace, as_text

LEASE_SECONDS = 60.0
"""How long a taken story is a worker's: deciding a batch's stories takes milliseconds,
and a worker that died with them leaves them due again after this."""

_TAKE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
for _, id in ipairs(due) do
    redis.call('ZADD', KEYS[1], ARGV[2], id)
end
return due
"""

_SETTLE = """
local lease = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
    local id, again = ARGV[i], ARGV[i + 1]
    local score = redis.call('ZSCORE', KEYS[1], id)
    if score and tonumber(score) == lease then
        if again == '' then
            redis.call('ZREM', KEYS[1], id)
        else
            redis.call('ZADD', KEYS[1], again, id)
        end
    elseif again ~= '' and (not score or tonumber(again) < tonumber(score)) then
        redis.call('ZADD', KEYS[1], again, id)
    end
end
return 0
"""


class DueSet:
    """The stories waiting for a decision, and when each one is due."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.redis = client
        self.key = keys.due
        self._take = client.register_script(_TAKE)

    def mark(self, due_at: Mapping[str, float], pipe: RedisPipeline | None = None) -> None:
        """Mark each story due at its time, in one command (of `pipe`, when given)."""
        (pipe if pipe is not None else self.redis).zadd(self.key, dict(due_at))

    def first_at(self) -> float | None:
        """When the first story due is due; None when none is."""
        return first_of(self.redis.zrange(self.key, 0, 0, withscores=True))

    def queue_first(self, pipe: RedisPipeline) -> None:
        """Queue in `pipe` the look-up of when the first story due is due (read its reply
        with first_of): a replay asks after every decision, a round trip of its own."""
        pipe.zrange(self.key, 0, 0, withscores=True)

    def take(self, upto: float | str, lease_until: float) -> list[str]:
        """The stories due by `upto` ("+inf": all), now this worker's until `lease_until`."""
        taken = self._take(keys=[self.key], args=[upto, repr(lease_until)])
        return [as_text(raw) for raw in taken]

    def settle(
        self, pipe: RedisPipeline, lease_until: float, next_at: Sequence[tuple[str, float | None]]
    ) -> None:
        """Give each taken story its next decision time, or take it off when it has none."""
        if not next_at:
            return
        flat = [part for story_id, at in next_at for part in (story_id, _when(at))]
        # Sent whole: a script run by its digest in a pipeline costs a round trip of its own
        # first, to ask Redis whether it knows the script, every time.
        pipe.eval(_SETTLE, 1, self.key, repr(lease_until), *flat)


def first_of(reply: Sequence[Any]) -> float | None:
    """When the first story due is due, from the reply to a look-up of the first."""
    return float(reply[0][1]) if reply else None


def _when(at: float | None) -> str:
    return "" if at is None else repr(at)
