"""Stories kept in Redis: an item is placed under the locks of the rules it alerted on,
so that workers agree on which story it joins.

A story is stored as a small header and a list of its items, to which an item joining
is added: stored whole, a story was written again with every item that joined it, and
parsed again by every worker that had read it before, a cost that grew with the story.
A book remembers the stories it has read, and reads of those only the items added
since.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import redis

from monitor.due import DueSet
from monitor.keyspace import Keyspace, as_text
from monitor.stories.grouping import PolicyOf, place
from monitor.stories.item_index import ItemIndex
from monitor.stories.rule_locks import RuleLocks
from monitor.stories.story import Story, StoryItem

CACHED_STORIES = 2_000
"""Open stories a book keeps parsed between placements, the least recently read dropped."""

ITEM_STEP = 1e-6
"""What each item adds to a story's score in its rules' open-story sets (see _score)."""


def _score(story: Story) -> float:
    """A story's score: its last update, moved on a microsecond by each of its items, so
    that every change to a story changes its score (two items joining at one clock time
    included) and a book can tell a story it has parsed from a newer one by the score."""
    return story.updated + len(story.items) * ITEM_STEP


class StoryBook:
    """Stories kept in Redis, placed under a per-rule lock so that workers agree."""

    def __init__(self, client: redis.Redis, keys: Keyspace, retention: int) -> None:
        self.redis = client
        self.keys = keys
        self.retention = retention
        self._parsed: OrderedDict[str, tuple[float, Story]] = OrderedDict()
        """Story id -> (score, story) of the open stories read lately: a rule's open
        stories are read for every item it alerts on, and parsing them all again grew
        with their number."""
        self._locks = RuleLocks(client, keys)
        self._index = ItemIndex()
        """The items of the stories in _parsed, by stem and mark."""

    def get(self, story_id: str) -> Story | None:
        return self.read([story_id])[0]

    def read(self, story_ids: Sequence[str]) -> list[Story | None]:
        """The stories (None for one that is gone), in one round trip; of a story read
        before, only its header and the items added since."""
        known = [self._parsed.get(story_id) for story_id in story_ids]
        with self.redis.pipeline() as pipe:  # a transaction: header and items of one moment
            for story_id, kept in zip(story_ids, known, strict=True):
                pipe.get(self.keys.story(story_id))
                pipe.lrange(self.keys.story_items(story_id), len(kept[1].items) if kept else 0, -1)
            raws = pipe.execute()
        return [
            _assembled(header, items, kept[1] if kept else None)
            for header, items, kept in zip(raws[::2], raws[1::2], known, strict=True)
        ]

    def save(self, story: Story, due: DueSet | None = None, due_at: float = 0.0) -> None:
        """Store the story whole, in place of what was stored of it; with `due`, mark it
        due for a decision at `due_at`, in the same round trip."""
        story._listed = 0
        self._store(story, due, due_at, replace=True)

    def _store(self, story: Story, due: DueSet | None, due_at: float, *, replace: bool) -> bool:
        """Store the header and the items not yet listed, and the story's place in its
        rules' open stories; whether the stored list is now the story's items, no other
        worker having added one meanwhile."""
        pipe = self.redis.pipeline()
        if due is not None:
            due.mark(story.id, due_at, pipe)
        header, items = self.keys.story(story.id), self.keys.story_items(story.id)
        pipe.set(header, story.model_dump_json(exclude={"items"}), ex=self.retention)
        if replace:
            pipe.delete(items)
        new = [item.model_dump_json() for item in story.items[story._listed :]]
        pushed = len(pipe)  # where the list's new length will be among the replies
        if new:
            pipe.rpush(items, *new)
        pipe.expire(items, self.retention)
        for rule in story.every_rule:
            pipe.zadd(self.keys.open_stories(rule), {story.id: _score(story)})
            pipe.zremrangebyscore(self.keys.open_stories(rule), 0, story.updated - self.retention)
            pipe.expire(self.keys.open_stories(rule), self.retention)
        replies = pipe.execute()
        listed = replies[pushed] if new else story._listed
        story._listed = len(story.items)
        return listed == len(story.items)

    def place(
        self, entry: StoryItem, policy_of: PolicyOf, now: float, due: DueSet | None = None
    ) -> tuple[Story, bool]:
        """Put `entry` into its story; return the story and whether it changed (a changed
        story is marked in `due`)."""
        rules = sorted(set(entry.rules))
        with self._locks.held(rules):
            since = now - max(policy_of(rule).story_window for rule in rules)
            story, changed = place(self._open(rules, since), entry, policy_of, now, self._index)
            if changed:
                self._parsed.pop(story.id, None)  # changed here: kept again once stored
                # A new story replaces any list left under its id (the same first item,
                # placed again after its story closed), as does one stored whole.
                if self._store(story, due, now, replace=story._listed == 0):
                    self._keep(story.id, _score(story), story)
                else:  # another worker added an item too: its place in the list is unknown
                    self._forget(story.id)
            return story, changed

    def _open(self, rules: Sequence[str], since: float) -> list[Story]:
        """The open stories of `rules` updated since `since`, in the order of their ids;
        only those not parsed before at their current score are read."""
        with self.redis.pipeline(transaction=False) as pipe:
            for rule in rules:
                pipe.zrangebyscore(self.keys.open_stories(rule), since, "+inf", withscores=True)
            scores = {as_text(i): score for found in pipe.execute() for i, score in found}
        found = {i: self._cached(i, score) for i, score in scores.items()}
        unread = sorted(i for i, story in found.items() if story is None)
        for story_id, story in zip(unread, self.read(unread), strict=True):
            if story is not None:
                found[story_id] = story
                self._keep(story_id, scores[story_id], story)
        return [story for _, story in sorted(found.items()) if story is not None]

    def _cached(self, story_id: str, score: float) -> Story | None:
        kept = self._parsed.get(story_id)
        if kept is None or kept[0] != score:
            return None
        self._parsed.move_to_end(story_id)
        return kept[1]

    def _keep(self, story_id: str, score: float, story: Story) -> None:
        self._parsed[story_id] = (score, story)
        self._parsed.move_to_end(story_id)
        self._index.keep(story)
        while len(self._parsed) > CACHED_STORIES:
            self._forget(next(iter(self._parsed)))

    def _forget(self, story_id: str) -> None:
        self._parsed.pop(story_id, None)
        self._index.drop(story_id)


def _assembled(header: bytes | None, items: list[bytes], known: Story | None) -> Story | None:
    """A story from its stored header and the items listed after those of `known` (its
    last reading); a story stored whole holds its items in its header."""
    if not header:
        return None
    story = Story.model_validate_json(header)
    if story.items:  # stored whole, as before stories had item lists
        return story
    earlier = known.items if known is not None else []
    story.items = [*earlier, *map(StoryItem.model_validate_json, items)]
    story._listed = len(story.items)
    return story
