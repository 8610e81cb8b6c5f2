"""Stories kept in Redis: an item is placed under the locks of the rules it alerted on,
so that workers agree on which story it joins."""

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
        raw = self.redis.get(self.keys.story(story_id))
        return Story.model_validate_json(raw) if raw else None

    def save(self, story: Story, due: DueSet | None = None, due_at: float = 0.0) -> None:
        """Store the story and its place in its rules' open stories; with `due`, mark it
        due for a decision at `due_at`, in the same round trip."""
        pipe = self.redis.pipeline()
        if due is not None:
            due.mark(story.id, due_at, pipe)
        pipe.set(self.keys.story(story.id), story.model_dump_json(), ex=self.retention)
        for rule in story.every_rule:
            pipe.zadd(self.keys.open_stories(rule), {story.id: _score(story)})
            pipe.zremrangebyscore(self.keys.open_stories(rule), 0, story.updated - self.retention)
            pipe.expire(self.keys.open_stories(rule), self.retention)
        pipe.execute()

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
                self._parsed.pop(story.id, None)  # changed here: kept again once saved
                self.save(story, due, now)
                self._keep(story.id, _score(story), story)
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
        if unread:
            raws = self.redis.mget([self.keys.story(story_id) for story_id in unread])
            for story_id, raw in zip(unread, raws, strict=True):
                if raw:
                    story = found[story_id] = Story.model_validate_json(raw)
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
