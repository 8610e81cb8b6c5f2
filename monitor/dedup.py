"""The seen-set: each item is taken in once within the retention, across restarts.

An item is known by its id (guid), its canonical link and its normalised
headline; it is new only when none of them was seen. A known id or link with
a headline not seen before is an edit of a known item: an update, not news.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import redis

from monitor.item import Item
from monitor.keyspace import Keyspace
from monitor.text.normalizer import normalize
from monitor.text.tokenizer import words

# KEYS: every item's identities, one item after another. ARGV[1]: seconds to remember
# them; then for each item, how many keys it has and '1' when the last is its headline.
# Items are claimed in turn, each seeing the keys of those before it: the same item twice
# in one call is new once, as in two calls.
_CLAIM = """
local retention = tonumber(ARGV[1])
local outcomes = {}
local first = 1
for at = 2, #ARGV, 2 do
  local last = first + tonumber(ARGV[at]) - 1
  local has_text = ARGV[at + 1] == '1'
  local known, same_text = 0, 0
  for i = first, last do
    if redis.call('EXISTS', KEYS[i]) == 1 then
      known = 1
      if i == last and has_text then same_text = 1 end
    end
  end
  for i = first, last do
    redis.call('SET', KEYS[i], 1, 'NX', 'EX', retention)
  end
  if known == 0 then
    outcomes[#outcomes + 1] = 0
  elseif has_text and same_text == 0 then
    outcomes[#outcomes + 1] = 2
  else
    outcomes[#outcomes + 1] = 1
  end
  first = last + 1
end
return outcomes
"""

CLAIM_BATCH = 500
"""Items claimed in one call: one script call an item cost the poller more in packing
commands than Redis spent running them, and a call of this many holds Redis about a
millisecond."""


class Seen(StrEnum):
    """What the seen-set made of an item."""

    NEW = "new"
    REPEAT = "repeat"
    EDIT = "edit"


_OUTCOMES = {0: Seen.NEW, 1: Seen.REPEAT, 2: Seen.EDIT}
"""What the claim script's answer for an item means."""


def identities(item: Item, keys: Keyspace, link: str) -> list[str]:
    """The seen-set keys of an item: id, canonical link, and last its headline."""
    found = [keys.seen_key("id", item.id)]
    if link:
        found.append(keys.seen_key("link", link))
    headline = " ".join(words(normalize(item.title)))
    if headline:
        found.append(keys.seen_key("text", headline))
    return found


class SeenSet:
    """Item identities already taken in, one expiring Redis key each."""

    def __init__(self, client: redis.Redis, keys: Keyspace, retention: int) -> None:
        self.redis = client
        self.keys = keys
        self.retention = retention
        self._claim = client.register_script(_CLAIM)

    def claim(self, items: Sequence[Item], links: Sequence[str] | None = None) -> list[Seen]:
        """For each item, whether this call is the first to see it (atomically, per item)."""
        found: list[Seen] = []
        for start in range(0, len(items), CLAIM_BATCH):
            batch = items[start : start + CLAIM_BATCH]
            batch_links = links[start : start + CLAIM_BATCH] if links is not None else None
            found += self._claim_batch(batch, batch_links)
        return found

    def _claim_batch(self, items: Sequence[Item], links: Sequence[str] | None) -> list[Seen]:
        keys: list[str] = []
        args: list[int | str] = [self.retention]
        for index, item in enumerate(items):
            identity = identities(item, self.keys, links[index] if links is not None else item.link)
            keys += identity
            args += [len(identity), "1" if item.title.strip() else "0"]
        outcomes = self._claim(keys=keys, args=args) if items else []
        return [_OUTCOMES[int(outcome)] for outcome in outcomes]

    def forget(self, items: Sequence[Item]) -> None:
        """Let items through again (their job could not be queued)."""
        keys = [key for item in items for key in identities(item, self.keys, item.link)]
        if keys:
            self.redis.delete(*keys)
