"""The story locks of an item's rules, taken all at once in one round trip: an item is
placed while it holds every one, so that workers agree on which story it joins.

Taking them all or none means no order is needed to keep two workers from deadlocking,
and a worker that finds one held looks again within milliseconds, not a tenth of a second:
two workers placing alerts of one busy rule take turns at its lock.

A batch's items fall into groups that share no rule, and the locks of each group are
taken all or none, every free group in one round trip: a worker places the groups it can
while another holds a rule of the rest, where waiting for the whole batch's locks kept
two workers placing by turns (the batches of a thousand rules shared one nearly always).
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
-- KEYS: the locks of each group, group after group; ARGV: token, milliseconds, and the
-- number of locks of each group. Returns the (1-based) groups taken.
local taken, first = {}, 1
for group = 3, #ARGV do
    local last = first + tonumber(ARGV[group]) - 1
    local free = true
    for i = first, last do
        if redis.call('EXISTS', KEYS[i]) == 1 then free = false break end
    end
    if free then
        for i = first, last do redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2]) end
        taken[#taken + 1] = group - 2
    end
    first = last + 1
end
return taken
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
        with self.held_some([rules]):
            yield

    @contextmanager
    def held_some(self, groups: Sequence[Sequence[str]]) -> Iterator[list[int]]:
        """Hold the locks of each of `groups` (which share no rule) that others hold none
        of, waiting until there is one; yields the positions of the groups held. LockError
        when others hold a lock of every group for longer than WAIT_LIMIT."""
        names = [[self.keys.story_lock(rule) for rule in sorted(set(group))] for group in groups]
        every = [name for group in names for name in group]
        token = uuid.uuid4().hex
        args: list[str | int] = [token, LOCK_TIMEOUT * 1000, *map(len, names)]
        deadline = time.monotonic() + WAIT_LIMIT
        while not (taken := [int(n) - 1 for n in self._take(keys=every, args=args)]):
            if time.monotonic() > deadline:
                rules = sorted({rule for group in groups for rule in group})
                raise LockError(f"the story locks of {', '.join(rules)} stayed held")
            time.sleep(LOOK_AGAIN_AFTER)
        try:
            yield taken
        finally:
            self._free(keys=[name for n in taken for name in names[n]], args=[token])
