"""Stories kept in Redis: an item is placed under the locks of the rules it alerted on,
so that workers agree on which story it joins.

A story is stored as a small header and a list of its items, to which an item joining
is added: stored whole, a story was written again with every item that joined it, and
parsed again by every worker that had read it before, a cost that grew with the story.
A book remembers the stories it has read, and reads of those only the items added
since.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.client import Pipeline as RedisPipeline

from monitor.due import DueSet
from monitor.keyspace import Keyspace, as_text
from monitor.stories.grouping import PolicyOf, join_or_start
from monitor.stories.item_index import ItemIndex
from monitor.stories.rule_locks import RuleLocks
from monitor.stories.story import Story, StoryItem

CACHED_STORIES = 2_000
"""Open stories a book keeps parsed between placements, the least recently read dropped."""

Placement = tuple[StoryItem, float]
"""An entry and the clock time it is placed at."""

TRIM_EVERY = 60.0
"""Seconds of clock time between two trims of a rule's open stories by one book."""

ITEM_STEP = 1e-6
"""What each item adds to a story's score in its rules' open-story sets (see _score)."""


def _score(story: Story) -> float:
    """A story's score: its last update, moved on a microsecond by each of its items, so
    that every change to a story changes its score (two items joining at one clock time
    included) and a book can tell a story it has parsed from a newer one by the score."""
    return story.updated + len(story.items) * ITEM_STEP


def _rules_of(placements: Sequence[Placement]) -> list[str]:
    """The rules of the entries, each once, sorted."""
    return sorted({rule for entry, _ in placements for rule in entry.rules})


def _apart(placements: Sequence[Placement]) -> list[list[int]]:
    """The positions of the placements in groups that share no rule, each in order; two
    entries that share a rule, or both share one with a third, are in one group."""
    parent = list(range(len(placements)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = n = parent[parent[n]]
        return n

    first_of: dict[str, int] = {}
    for n, (entry, _) in enumerate(placements):
        for rule in entry.rules:
            parent[root(n)] = root(first_of.setdefault(rule, n))
    groups: dict[int, list[int]] = defaultdict(list)
    for n in range(len(placements)):
        groups[root(n)].append(n)
    return list(groups.values())


def _window(entry: StoryItem, policy_of: PolicyOf) -> float:
    """How far back the stories an entry may join were last updated: its rules' longest."""
    return max(policy_of(rule).story_window for rule in entry.rules)


class _Shelf:
    """The open stories of a batch's rules, by rule, as placing the batch changes them."""

    def __init__(self, stories: Iterable[Story], entry_ids: Iterable[str]) -> None:
        self._by_rule: dict[str, dict[str, Story]] = defaultdict(dict)
        self._stories: dict[str, Story] = {}
        self._holders: dict[str, list[Story]] = defaultdict(list)
        """Item id -> the stories holding it, of the ids of the entries to place: asking
        every open story of a busy rule whether it holds an item took longer than placing
        it, and so did listing the holders of every item of every story."""
        self.changed: dict[str, tuple[Story, float]] = {}
        """Story id -> (story, the clock time of its last change) of those placing changed."""
        wanted = frozenset(entry_ids)
        for story in stories:
            self._shelve(story)
            for item_id in wanted.intersection(story.item_ids()):
                self._holders[item_id].append(story)

    def open_to(self, rules: Iterable[str], since: float) -> list[Story]:
        """The open stories of `rules` updated since `since`, in the order of their ids."""
        found = {
            story_id: story
            for rule in rules
            for story_id, story in self._by_rule.get(rule, {}).items()
            if _score(story) >= since
        }
        return [found[story_id] for story_id in sorted(found)]

    def holder(self, entry: StoryItem, since: float) -> Story | None:
        """The first, by id, of the stories open_to(entry.rules, since) that holds `entry`."""
        holding = [
            story
            for story in self._holders.get(entry.id, ())
            if self._stories.get(story.id) is story
            and _score(story) >= since
            and not set(entry.rules).isdisjoint(story.every_rule)
        ]
        return min(holding, key=lambda story: story.id, default=None)

    def change(self, story: Story, entry: StoryItem, now: float) -> None:
        """`entry` joined or started `story` at `now`."""
        self._shelve(story)
        self._holders[entry.id].append(story)
        self.changed[story.id] = (story, now)

    def _shelve(self, story: Story) -> None:
        earlier = self._stories.get(story.id)
        if earlier is not None and earlier is not story:  # started again under its old id
            for rule in earlier.every_rule:
                self._by_rule[rule].pop(story.id, None)
        self._stories[story.id] = story
        for rule in story.every_rule:
            self._by_rule[rule][story.id] = story


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
        self._trimmed: dict[str, float] = {}
        """Rule -> the clock time its open stories were last trimmed at (_queue_open)."""
        self._index = ItemIndex()
        """The items of the stories in _parsed, by stem and mark."""

    def get(self, story_id: str) -> Story | None:
        return self.read([story_id])[0]

    def read(self, story_ids: Sequence[str]) -> list[Story | None]:
        """The stories (None for one that is gone), in one round trip; of a story read
        before, only its header and the items added since."""
        with self.redis.pipeline() as pipe:  # a transaction: header and items of one moment
            stories = self.queue_read(pipe, story_ids)
            return stories(pipe.execute())

    def queue_read(
        self, pipe: RedisPipeline, story_ids: Sequence[str]
    ) -> Callable[[list[Any]], list[Story | None]]:
        """Queue in `pipe` (a transaction) the reads of `read`; what reads the stories from
        the pipe's replies."""
        known = [self._parsed.get(story_id) for story_id in story_ids]
        first = len(pipe)
        for story_id, kept in zip(story_ids, known, strict=True):
            pipe.get(self.keys.story(story_id))
            pipe.lrange(self.keys.story_items(story_id), len(kept[1].items) if kept else 0, -1)

        def stories(replies: list[Any]) -> list[Story | None]:
            raws = replies[first : first + 2 * len(story_ids)]
            return [
                _assembled(header, items, kept[1] if kept else None)
                for header, items, kept in zip(raws[::2], raws[1::2], known, strict=True)
            ]

        return stories

    def save(self, story: Story, due: DueSet | None = None, due_at: float = 0.0) -> None:
        """Store the story whole, in place of what was stored of it; with `due`, mark it
        due for a decision at `due_at`, in the same round trip."""
        story._listed = 0
        self._store({story.id: (story, due_at)}, due)

    def place(
        self, entry: StoryItem, policy_of: PolicyOf, now: float, due: DueSet | None = None
    ) -> tuple[Story, bool]:
        """Put `entry` into its story; return the story and whether it changed (a changed
        story is marked in `due`)."""
        return self.place_all([(entry, now)], policy_of, due)[0]

    def place_all(
        self, placements: Sequence[Placement], policy_of: PolicyOf, due: DueSet | None = None
    ) -> list[tuple[Story, bool]]:
        """Put each entry into its story at its clock time, in turn, as `place` would one
        by one; the locks of their rules are taken, their open stories read and the
        changed ones stored a round trip each for all the entries whose locks are free,
        then again for the rest: item by item, these round trips were most of a busy
        worker's placing. Entries that share no rule (and so no lock) are independent,
        and those that do are placed in one hold, in turn."""
        placed: dict[int, tuple[Story, bool]] = {}
        waiting = _apart(placements)
        while waiting:
            groups = [_rules_of([placements[n] for n in group]) for group in waiting]
            with self._locks.held_some(groups) as taken:
                run = sorted(n for group in taken for n in waiting[group])
                rules = sorted(rule for group in taken for rule in groups[group])
                with self._desk([placements[n] for n in run], rules, policy_of) as desk:
                    placed.update((n, desk.place(*placements[n])) for n in run)
                    desk.store(due)
            waiting = [group for number, group in enumerate(waiting) if number not in taken]
        return [placed[n] for n in range(len(placements))]

    @contextmanager
    def placing(self, placements: Sequence[Placement], policy_of: PolicyOf) -> Iterator[Desk]:
        """A desk to place `placements` (at least one) at, in turn, holding the locks of
        all their rules with their open stories read once; what it stores is the caller's
        to say, so that decisions may come between two entries (a replay's)."""
        rules = _rules_of(placements)
        with self._locks.held(rules), self._desk(placements, rules, policy_of) as desk:
            yield desk

    @contextmanager
    def _desk(
        self, placements: Sequence[Placement], rules: Sequence[str], policy_of: PolicyOf
    ) -> Iterator[Desk]:
        """A desk for `placements`, whose `rules`' locks are held, with their open stories
        read. A rule's policy is asked for once: choosing a story asks it of every open story."""
        policy_of = functools.cache(policy_of)
        since = min(now - _window(entry, policy_of) for entry, now in placements)
        stories = self._open(rules, since)
        desk = Desk(self, _Shelf(stories, (entry.id for entry, _ in placements)), policy_of)
        try:
            yield desk
        except BaseException:
            for story_id in desk.shelf.changed:  # kept changed, but perhaps never stored
                self._forget(story_id)
            raise

    def _place_one(
        self, shelf: _Shelf, entry: StoryItem, now: float, policy_of: PolicyOf
    ) -> tuple[Story, bool]:
        since = now - _window(entry, policy_of)
        held = shelf.holder(entry, since)
        if held is not None:
            return held, False
        story = join_or_start(shelf.open_to(entry.rules, since), entry, policy_of, now, self._index)
        shelf.change(story, entry, now)
        self._keep(story.id, _score(story), story)  # as the next entries will see it
        return story, True

    def _store(self, changed: Mapping[str, tuple[Story, float]], due: DueSet | None) -> None:
        """Store each story's header and the items not yet listed, and its place in its
        rules' open stories, in one transaction; with `due`, mark it due at its time. A
        new story (none listed) replaces any list left under its id (the same first item,
        placed again after its story closed), as does one stored whole. A story another
        worker added an item to meanwhile is forgotten: its list holds one not seen here."""
        pipe = self.redis.pipeline()
        pushed = {
            story_id: self._queue_items(pipe, story) for story_id, (story, _) in changed.items()
        }
        self._queue_open(pipe, [story for story, _ in changed.values()])
        if due is not None and changed:
            due.mark({story_id: at for story_id, (_, at) in changed.items()}, pipe)
        replies = pipe.execute()
        for story_id, (story, _) in changed.items():
            at = pushed[story_id]
            listed = replies[at] if at is not None else story._listed
            story._listed = len(story.items)
            if listed != len(story.items):
                self._forget(story_id)

    def _queue_items(self, pipe: RedisPipeline, story: Story) -> int | None:
        """Queue the commands storing `story`'s header and new items; where among the
        replies the list's new length will be (None when no item is added)."""
        header, items = self.keys.story(story.id), self.keys.story_items(story.id)
        pipe.set(header, story.model_dump_json(exclude={"items"}), ex=self.retention)
        if story._listed == 0:
            pipe.delete(items)
        new = [item.model_dump_json() for item in story.items[story._listed :]]
        pushed = len(pipe) if new else None
        if new:
            pipe.rpush(items, *new)
        pipe.expire(items, self.retention)
        return pushed

    def _queue_open(self, pipe: RedisPipeline, stories: Sequence[Story]) -> None:
        """Queue the stories' places in their rules' open stories: one command for each
        rule, where three for each story and rule of it were most of a batch's commands.
        A rule's stories last updated a retention before its latest are dropped, and its
        set's expiry renewed, when it is first stored and a TRIM_EVERY of clock time after:
        readers pass stale stories over by their scores, and a retention is days."""
        scores: dict[str, dict[str, float]] = defaultdict(dict)
        latest: dict[str, float] = {}
        for story in stories:
            for rule in story.every_rule:
                scores[rule][story.id] = _score(story)
                latest[rule] = max(latest.get(rule, story.updated), story.updated)
        for rule, of_rule in scores.items():
            key = self.keys.open_stories(rule)
            pipe.zadd(key, of_rule)
            if latest[rule] >= self._trimmed.get(rule, -math.inf) + TRIM_EVERY:
                pipe.zremrangebyscore(key, 0, latest[rule] - self.retention)
                pipe.expire(key, self.retention)
                self._trimmed[rule] = latest[rule]

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


class Desk:
    """Where the entries of one hold on their rules' locks are placed, and stored."""

    def __init__(self, book: StoryBook, shelf: _Shelf, policy_of: PolicyOf) -> None:
        self.book = book
        self.shelf = shelf
        self.policy_of = policy_of

    def place(self, entry: StoryItem, now: float) -> tuple[Story, bool]:
        """Put `entry` into its story at `now`; the story and whether it changed."""
        return self.book._place_one(self.shelf, entry, now, self.policy_of)

    def store(self, due: DueSet | None = None) -> None:
        """Store the stories changed since the last store, in one round trip; with `due`,
        mark each due at the time of its last change."""
        self.book._store(self.shelf.changed, due)
        self.shelf.changed = {}


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
