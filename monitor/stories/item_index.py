"""Open stories' items by stem and by mark, so that placing an item compares it closely
only with the items it may be like.

A busy rule has hundreds of open stories, and every item it alerts on used to be compared
with every item of each. Summing the weights of the stems and marks an item shares with
each indexed item, through the index, costs what they share; the items whose sums fall
short of the policy's bars cannot be alike enough (see `least_shared_weight`) and are not
compared further.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from monitor.rules.model import PolicySpec
from monitor.stories.story import Story, StoryItem
from monitor.text.names import EVIDENCE, mark_weight

Slot = tuple[str, int]
"""(story id, position of the item in the story)."""

BOUND_MARGIN = 0.999
"""Slack on the bars, for float sums taken in another order than the close comparison's."""

SKIPPED_SHARE = 0.5
"""The share of the bar the stems left out of a look-up may add at most: more would
leave more items near enough to have them added one by one."""

SKIP_SLACK = 1 - 1e-9
"""Slack on what stems left out may add, for its float sum."""

LINK_ROUNDING = 1e-4
"""link_score is rounded to four places: a score that rounds up to the bar may be this below."""


def least_shared_weight(link_similarity: float) -> float:
    """The mark weight two items must share for link_score to reach `link_similarity`: the
    score is at most its evidence term, 1 - exp(-shared / EVIDENCE)."""
    bar = max(link_similarity - LINK_ROUNDING, 0.0)
    return -EVIDENCE * math.log(1.0 - bar) * BOUND_MARGIN if bar < 1.0 else math.inf


@dataclass
class Nearness:
    """What an entry shares with each indexed item: the dot product of their fingerprints
    over shared stems and the weight of their shared marks."""

    words: dict[Slot, float] = field(default_factory=dict)
    marks: dict[Slot, float] = field(default_factory=dict)
    indexed: dict[str, int] = field(default_factory=dict)
    """Items indexed per story id."""
    indexed_under: dict[str, frozenset[str]] = field(default_factory=dict)
    """The rules each story's items are indexed under, by story id."""
    rules: frozenset[str] = frozenset()
    """The entry's rules: what it shares was looked up under these."""
    _by_policy: dict[tuple[float, bool, float], dict[str, list[int]]] = field(default_factory=dict)

    def items_to_compare(self, story: Story, policy: PolicySpec) -> list[StoryItem]:
        """The items of `story` the entry may be alike enough to join: all, for a story
        not indexed as it is, or under none of the entry's rules."""
        if self.indexed.get(story.id) != len(story.items) or self.rules.isdisjoint(
            self.indexed_under.get(story.id, ())
        ):
            return story.items
        return [story.items[n] for n in self._near_enough(policy).get(story.id, ())]

    def _near_enough(self, policy: PolicySpec) -> dict[str, list[int]]:
        """Positions of the items, by story, that may reach either of the policy's bars."""
        key = (policy.similarity, bool(policy.link_window), policy.link_similarity)
        if key not in self._by_policy:
            bar = policy.similarity * BOUND_MARGIN
            slots = {slot for slot, shared in self.words.items() if shared >= bar}
            if policy.link_window:
                least = least_shared_weight(policy.link_similarity)
                slots.update(slot for slot, shared in self.marks.items() if shared >= least)
            found: dict[str, list[int]] = defaultdict(list)
            for story_id, n in sorted(slots):
                found[story_id].append(n)
            self._by_policy[key] = found
        return self._by_policy[key]


class ItemIndex:
    """The items of the stories kept, by each rule of their story and stem (with its
    weight) or mark: an item is compared with the stories of its own rules only, and a
    large rule set keeps many other stories. An item is held under every rule of its
    story, so that a story reached through any of them is compared through the index: with
    many rules, most stories hold items of several."""

    def __init__(self) -> None:
        self._stems: dict[tuple[str, str], dict[Slot, float]] = defaultdict(dict)
        self._heaviest: dict[tuple[str, str], float] = {}
        """The heaviest weight indexed under each (rule, stem); not lowered when an item
        goes, so at worst above what is there: a bound on what the stem can add."""
        self._marks: dict[tuple[str, str], set[Slot]] = defaultdict(set)
        self._stories: dict[str, tuple[frozenset[str], list[StoryItem]]] = {}
        self._rules: dict[str, frozenset[str]] = {}
        self._counts: dict[str, int] = {}

    def keep(self, story: Story) -> None:
        """Index the story's new items (items are only ever added to a story), and all its
        items under a rule it has gained; one that differs otherwise from what was indexed
        is indexed anew."""
        rules = frozenset(story.every_rule)
        indexed, known = self._stories.get(story.id, (rules, []))
        same = len(known) <= len(story.items) and all(
            mine.id == theirs.id
            for mine, theirs in zip(story.items[: len(known)], known, strict=True)
        )
        if not same or not indexed <= rules:
            self.drop(story.id)
            indexed, known = rules, []
        for rule in rules - indexed:
            for n, item in enumerate(known):
                self._add(rule, (story.id, n), item)
        for n, item in enumerate(story.items[len(known) :], start=len(known)):
            for rule in rules:
                self._add(rule, (story.id, n), item)
        self._stories[story.id] = (rules, list(story.items))
        self._counts[story.id] = len(story.items)
        self._rules[story.id] = rules

    def drop(self, story_id: str) -> None:
        self._counts.pop(story_id, None)
        self._rules.pop(story_id, None)
        rules, items = self._stories.pop(story_id, (frozenset(), []))
        for rule in rules:
            for n, item in enumerate(items):
                self._remove(rule, (story_id, n), item)

    def nearness(self, entry: StoryItem, least_similarity: float = 0.0) -> Nearness:
        """What the entry shares with each item of the stories of its rules; of the items
        it shares words with, only those that may reach `least_similarity` (the lowest bar
        of the policies it is to be compared by)."""
        bar = least_similarity * BOUND_MARGIN
        words: dict[Slot, float] = {}
        marks: dict[Slot, float] = {}
        for rule in dict.fromkeys(entry.rules):
            words.update(self._shared_words(rule, entry, bar))
            marks.update(self._shared_marks(rule, entry))
        return Nearness(words, marks, self._counts, self._rules, frozenset(entry.rules))

    def __len__(self) -> int:
        return len(self._stories)

    def _shared_words(self, rule: str, entry: StoryItem, bar: float) -> dict[Slot, float]:
        """The sum over shared stems for each item that may reach `bar`. The stems found
        under most items are left out of the look-up while the most they could add
        together stays below a share of the bar, so an item reaches it only if what it
        shares of the rest comes near enough; only those items get the left-out stems
        added. A busy rule's common stems are found under hundreds of items."""
        postings = {
            stem: found for stem in entry.vector if (found := self._stems.get((rule, stem)))
        }
        skipped, reach = self._stems_to_skip(rule, entry, postings, bar)
        partial = _sums(entry, postings, [stem for stem in postings if stem not in skipped])
        if not skipped:
            return partial
        return {
            slot: part + _sums_for(entry, postings, skipped, slot)
            for slot, part in partial.items()
            if part + reach >= bar * SKIP_SLACK
        }

    def _stems_to_skip(
        self, rule: str, entry: StoryItem, postings: dict[str, dict[Slot, float]], bar: float
    ) -> tuple[set[str], float]:
        """The stems to leave out of the look-up, and the most they could add."""
        skipped: set[str] = set()
        reach = 0.0
        for stem in sorted(postings, key=lambda stem: -len(postings[stem])):
            more = entry.vector[stem] * self._heaviest[rule, stem]
            if reach + more >= bar * SKIPPED_SHARE:
                break
            skipped.add(stem)
            reach += more
        return skipped, reach

    def _shared_marks(self, rule: str, entry: StoryItem) -> dict[Slot, float]:
        shared: dict[Slot, float] = defaultdict(float)
        for mark in set(entry.marks):
            for slot in self._marks.get((rule, mark), ()):
                shared[slot] += mark_weight(mark)
        return shared

    def _add(self, rule: str, slot: Slot, item: StoryItem) -> None:
        for stem, weight in item.vector.items():
            self._stems[rule, stem][slot] = weight
            self._heaviest[rule, stem] = max(self._heaviest.get((rule, stem), 0.0), weight)
        for mark in set(item.marks):
            self._marks[rule, mark].add(slot)

    def _remove(self, rule: str, slot: Slot, item: StoryItem) -> None:
        for stem in item.vector:
            postings = self._stems.get((rule, stem))
            if postings is not None:
                postings.pop(slot, None)
                if not postings:
                    del self._stems[rule, stem]
                    del self._heaviest[rule, stem]
        for mark in set(item.marks):
            slots = self._marks.get((rule, mark))
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._marks[rule, mark]


def _sums(
    entry: StoryItem, postings: dict[str, dict[Slot, float]], stems: Iterable[str]
) -> dict[Slot, float]:
    """Over `stems`, the sum of the entry's weight times each item's."""
    shared: dict[Slot, float] = defaultdict(float)
    for stem in stems:
        weight = entry.vector[stem]
        for slot, theirs in postings[stem].items():
            shared[slot] += weight * theirs
    return shared


def _sums_for(
    entry: StoryItem, postings: dict[str, dict[Slot, float]], stems: Iterable[str], slot: Slot
) -> float:
    """Over `stems`, the entry's weight times one item's."""
    return sum(entry.vector[stem] * postings[stem].get(slot, 0.0) for stem in stems)
