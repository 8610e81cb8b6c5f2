"""The story locks of an item's rules, taken all at once in one round trip: an item is
placed while it holds every one, so that workers agree on which story it joins.

Taking them all or none means no order is needed to keep two workers from deadlocking,
and a worker that finds one held looks again within milliseconds, not a tenth of a second:
two workers placing alerts of one busy rule take turns at its lock.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import redis
from redis.exceptions import LockError

from monitor.keyspace import Keyspace

LOCK_TIMEOUT = 30
"""Seconds a story lock may be held before Redis frees it (a dead worker's lock)."""

WAIT_LIMIT = 60.0
"""Seconds a worker waits for locks held by others before its job fails (and is retried)."""

LOOK_AGAIN_AFTER = 0.002
"""Seconds between two tries at locks held by another worker: placing an item takes a few
milliseconds."""

_TAKE = """
for _, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 then return 0 end
end
for _, key in ipairs(KEYS) do
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
end
return 1
"""

_FREE = """
for _, key in ipairs(KEYS) do
    if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""


class RuleLocks:
    """Locks on the stories of rules, each held by one worker at a time."""

    def __init__(self, client: redis.Redis, keys: Keyspace) -> None:
        self.keys = keys
        self._take = client.register_script(_TAKE)
        self._free = client.register_script(_FREE)

    @contextmanager
    def held(self, rules: Sequence[str]) -> Iterator[None]:
        """Hold the locks of `rules` for the duration; LockError when others hold one of
        them for longer than WAIT_LIMIT."""
        names = [self.keys.story_lock(rule) for rule in sorted(set(rules))]
        token = uuid.uuid4().hex
        deadline = time.monotonic() + WAIT_LIMIT
        while not self._take(keys=names, args=[token, LOCK_TIMEOUT * 1000]):
            if time.monotonic() > deadline:
                raise LockError(f"the story locks of {', '.join(rules)} stayed held")
            time.sleep(LOOK_AGAIN_AFTER)
        try:
            yield
        finally:
            self._free(keys=names, args=[token])
