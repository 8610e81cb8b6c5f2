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
from collections.abc import Collection, Iterable
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
    _by_policy: dict[tuple[float, bool, float], dict[str, list[int]]] = field(default_factory=dict)
    _worded_at: dict[float, set[Slot]] = field(default_factory=dict)
    _touched_ids: set[str] | None = None

    def items_to_compare(self, story: Story, policy: PolicySpec) -> list[tuple[StoryItem, bool]]:
        """The items of `story` the entry may be alike enough to join, each with whether
        the words they share may reach the policy's bar (if not, only their names can
        join them): all, by words too, for a story not indexed as it is."""
        if not self.indexed_as_is(story):
            return [(item, True) for item in story.items]
        worded = self._worded(policy)
        return [
            (story.items[n], (story.id, n) in worded)
            for n in self._near_enough(policy).get(story.id, ())
        ]

    def indexed_as_is(self, story: Story) -> bool:
        return self.indexed.get(story.id) == len(story.items)

    def may_join(self, story: Story) -> bool:
        """False only when the index holds `story` as it is and the entry shares nothing
        with any of its items: a busy rule's open stories are mostly such, and need no
        look at their items."""
        return not self.indexed_as_is(story) or story.id in self._touched()

    def _touched(self) -> set[str]:
        if self._touched_ids is None:
            self._touched_ids = {story_id for story_id, _ in (*self.words, *self.marks)}
        return self._touched_ids

    def _worded(self, policy: PolicySpec) -> set[Slot]:
        """The items whose shared words may reach the policy's bar."""
        bar = policy.similarity * BOUND_MARGIN
        if bar not in self._worded_at:
            self._worded_at[bar] = {slot for slot, shared in self.words.items() if shared >= bar}
        return self._worded_at[bar]

    def _near_enough(self, policy: PolicySpec) -> dict[str, list[int]]:
        """Positions of the items, by story, that may reach either of the policy's bars."""
        key = (policy.similarity, bool(policy.link_window), policy.link_similarity)
        if key not in self._by_policy:
            slots = set(self._worded(policy))
            if policy.link_window:
                least = least_shared_weight(policy.link_similarity)
                slots.update(slot for slot, shared in self.marks.items() if shared >= least)
            found: dict[str, list[int]] = defaultdict(list)
            for story_id, n in sorted(slots):
                found[story_id].append(n)
            self._by_policy[key] = found
        return self._by_policy[key]


class ItemIndex:
    """The items of the stories kept, by stem (with its weight) and by mark, each item once
    whatever the rules of its story: held under each rule, an item of a story of many
    rules was indexed as many times, and again for all its items when the story gained
    one. An entry's look-up is told which stories it may join, and sums only for them."""

    def __init__(self) -> None:
        self._stems: dict[str, dict[Slot, float]] = defaultdict(dict)
        self._heaviest: dict[str, float] = {}
        """The heaviest weight indexed under each stem; not lowered when an item goes, so
        at worst above what is there: a bound on what the stem can add."""
        self._marks: dict[str, set[Slot]] = defaultdict(set)
        self._stories: dict[str, list[StoryItem]] = {}
        self._counts: dict[str, int] = {}

    def keep(self, story: Story) -> None:
        """Index the story's new items (items are only ever added to a story); one that
        differs otherwise from what was indexed is indexed anew."""
        known = self._stories.get(story.id, [])
        same = len(known) <= len(story.items) and all(
            mine.id == theirs.id
            for mine, theirs in zip(story.items[: len(known)], known, strict=True)
        )
        if not same:
            self.drop(story.id)
            known = []
        for n, item in enumerate(story.items[len(known) :], start=len(known)):
            self._add((story.id, n), item)
        self._stories[story.id] = list(story.items)
        self._counts[story.id] = len(story.items)

    def drop(self, story_id: str) -> None:
        self._counts.pop(story_id, None)
        for n, item in enumerate(self._stories.pop(story_id, [])):
            self._remove((story_id, n), item)

    def nearness(
        self,
        entry: StoryItem,
        least_similarity: float = 0.0,
        stories: Collection[str] | None = None,
    ) -> Nearness:
        """What the entry shares with each item of `stories` (default: all); of the items
        it shares words with, only those that may reach `least_similarity` (the lowest bar
        of the policies it is to be compared by)."""
        bar = least_similarity * BOUND_MARGIN
        words = self._shared_words(entry, bar, stories)
        marks = self._shared_marks(entry, stories)
        return Nearness(words, marks, self._counts)

    def __len__(self) -> int:
        return len(self._stories)

    def _shared_words(
        self, entry: StoryItem, bar: float, stories: Collection[str] | None
    ) -> dict[Slot, float]:
        """The sum over shared stems for each item that may reach `bar`. The stems found
        under most items are left out of the look-up while the most they could add
        together stays below a share of the bar, so an item reaches it only if what it
        shares of the rest comes near enough; only those items get the left-out stems
        added. A busy rule's common stems are found under hundreds of items."""
        postings = {stem: found for stem in entry.vector if (found := self._stems.get(stem))}
        skipped, reach = self._stems_to_skip(entry, postings, bar)
        partial = _sums(entry, postings, [stem for stem in postings if stem not in skipped])
        return {
            slot: part + _sums_for(entry, postings, skipped, slot) if skipped else part
            for slot, part in partial.items()
            if part + reach >= bar * SKIP_SLACK and (stories is None or slot[0] in stories)
        }

    def _stems_to_skip(
        self, entry: StoryItem, postings: dict[str, dict[Slot, float]], bar: float
    ) -> tuple[set[str], float]:
        """The stems to leave out of the look-up, and the most they could add."""
        skipped: set[str] = set()
        reach = 0.0
        for stem in sorted(postings, key=lambda stem: -len(postings[stem])):
            more = entry.vector[stem] * self._heaviest[stem]
            if reach + more >= bar * SKIPPED_SHARE:
                break
            skipped.add(stem)
            reach += more
        return skipped, reach

    def _shared_marks(self, entry: StoryItem, stories: Collection[str] | None) -> dict[Slot, float]:
        shared: dict[Slot, float] = defaultdict(float)
        for mark in set(entry.marks):
            for slot in self._marks.get(mark, ()):
                if stories is None or slot[0] in stories:
                    shared[slot] += mark_weight(mark)
        return shared

    def _add(self, slot: Slot, item: StoryItem) -> None:
        for stem, weight in item.vector.items():
            self._stems[stem][slot] = weight
            self._heaviest[stem] = max(self._heaviest.get(stem, 0.0), weight)
        for mark in set(item.marks):
            self._marks[mark].add(slot)

    def _remove(self, slot: Slot, item: StoryItem) -> None:
        for stem in item.vector:
            postings = self._stems.get(stem)
            if postings is not None:
                postings.pop(slot, None)
                if not postings:
                    del self._stems[stem]
                    del self._heaviest[stem]
        for mark in set(item.marks):
            slots = self._marks.get(mark)
            if slots is not None:
                slots.discard(slot)
                if not slots:
                    del self._marks[mark]


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
