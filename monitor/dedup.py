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

_CLAIM = """
local known = 0
local same_text = 0
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    known = 1
    if i == #KEYS and ARGV[2] == '1' then same_text = 1 end
  end
end
for _, key in ipairs(KEYS) do
  redis.call('SET', key, 1, 'NX', 'EX', tonumber(ARGV[1]))
end
if known == 0 then return 0 end
if ARGV[2] == '1' and same_text == 0 then return 2 end
return 1
"""


class Seen(StrEnum):
    """What the seen-set made of an item."""

    NEW = "new"
    REPEAT = "repeat"
    EDIT = "edit"


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
        pipe = self.redis.pipeline(transaction=False)
        for index, item in enumerate(items):
            link = links[index] if links is not None else item.link
            keys = identities(item, self.keys, link)
            has_text = "1" if item.title.strip() else "0"
            self._claim(keys=keys, args=[self.retention, has_text], client=pipe)
        outcomes = {0: Seen.NEW, 1: Seen.REPEAT, 2: Seen.EDIT}
        return [outcomes[int(result)] for result in pipe.execute()]

    def forget(self, items: Sequence[Item]) -> None:
        """Let items through again (their job could not be queued)."""
        keys = [key for item in items for key in identities(item, self.keys, item.link)]
        if keys:
            self.redis.delete(*keys)
