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
from typing import TypeVar

from monitor.rules.model import PolicySpec
from monitor.stories.story import Story, StoryItem
from monitor.text.names import EVIDENCE, mark_weight

Slot = tuple[str, int]
"""(story id, position of the item in the story)."""

_Held = TypeVar("_Held")

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
    one. An entry's look-up is told which stories it may join, and reads only theirs:
    under each stem and mark the items are held by story, since an entry's rules have a
    few of the open stories and a common stem is found in most of them."""

    def __init__(self) -> None:
        self._stems: dict[str, dict[str, dict[int, float]]] = defaultdict(dict)
        """Stem -> story id -> position of the item in the story -> the stem's weight."""
        self._counts_under: dict[str, int] = defaultdict(int)
        """How many items each stem is indexed under."""
        self._heaviest: dict[str, float] = {}
        """The heaviest weight indexed under each stem; not lowered when an item goes, so
        at worst above what is there: a bound on what the stem can add."""
        self._marks: dict[str, dict[str, set[int]]] = defaultdict(dict)
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
            self._add(story.id, n, item)
        self._stories[story.id] = list(story.items)
        self._counts[story.id] = len(story.items)

    def drop(self, story_id: str) -> None:
        self._counts.pop(story_id, None)
        for item in self._stories.pop(story_id, []):
            self._remove(story_id, item)

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
        looked_up = [stem for stem in postings if stem not in skipped]
        partial = _sums(entry, postings, looked_up, stories)
        return {
            slot: part + _sums_for(entry, postings, skipped, slot) if skipped else part
            for slot, part in partial.items()
            if part + reach >= bar * SKIP_SLACK
        }

    def _stems_to_skip(
        self, entry: StoryItem, postings: dict[str, dict[str, dict[int, float]]], bar: float
    ) -> tuple[set[str], float]:
        """The stems to leave out of the look-up, and the most they could add."""
        skipped: set[str] = set()
        reach = 0.0
        counts = self._counts_under
        for stem in sorted(postings, key=lambda stem: -counts[stem]):
            more = entry.vector[stem] * self._heaviest[stem]
            if reach + more >= bar * SKIPPED_SHARE:
                break
            skipped.add(stem)
            reach += more
        return skipped, reach

    def _shared_marks(self, entry: StoryItem, stories: Collection[str] | None) -> dict[Slot, float]:
        shared: dict[Slot, float] = defaultdict(float)
        for mark in set(entry.marks):
            by_story = self._marks.get(mark)
            if by_story:
                weight = mark_weight(mark)
                for story_id, positions in _of_stories(by_story, stories):
                    for n in positions:
                        shared[story_id, n] += weight
        return shared

    def _add(self, story_id: str, n: int, item: StoryItem) -> None:
        # Each alerting item's 80 stems pass here: no new dict made to be thrown away by
        # setdefault, no max() called.
        stems, counts, heaviest = self._stems, self._counts_under, self._heaviest
        for stem, weight in item.vector.items():
            held = stems[stem]
            if story_id in held:
                held[story_id][n] = weight
            else:
                held[story_id] = {n: weight}
            counts[stem] += 1
            if stem not in heaviest or weight > heaviest[stem]:
                heaviest[stem] = weight
        for mark in set(item.marks):
            self._marks[mark].setdefault(story_id, set()).add(n)

    def _remove(self, story_id: str, item: StoryItem) -> None:
        """Take out the story's items under the stems and marks of one of them: the story
        is dropped whole."""
        for stem in item.vector:
            by_story = self._stems.get(stem)
            held = None if by_story is None else by_story.pop(story_id, None)
            if held is None:
                continue  # gone with an earlier item of the story
            self._counts_under[stem] -= len(held)
            if not by_story:
                del self._stems[stem], self._heaviest[stem], self._counts_under[stem]
        for mark in set(item.marks):
            by_story_marks = self._marks.get(mark)
            if by_story_marks is not None:
                by_story_marks.pop(story_id, None)
                if not by_story_marks:
                    del self._marks[mark]


def _of_stories(
    by_story: dict[str, _Held], stories: Collection[str] | None
) -> Iterable[tuple[str, _Held]]:
    """The entries of `by_story` for `stories` (all when None), reading the fewer keys."""
    if stories is None:
        return by_story.items()
    if len(stories) < len(by_story):
        return [(story_id, by_story[story_id]) for story_id in stories if story_id in by_story]
    return [(story_id, held) for story_id, held in by_story.items() if story_id in stories]


def _sums(
    entry: StoryItem,
    postings: dict[str, dict[str, dict[int, float]]],
    stems: Iterable[str],
    stories: Collection[str] | None,
) -> dict[Slot, float]:
    """Over `stems`, the sum of the entry's weight times each item's, for the items of
    `stories` (all when None)."""
    shared: dict[Slot, float] = defaultdict(float)
    for stem in stems:
        weight = entry.vector[stem]
        for story_id, items in _of_stories(postings[stem], stories):
            for n, theirs in items.items():
                shared[story_id, n] += weight * theirs
    return shared


def _sums_for(
    entry: StoryItem,
    postings: dict[str, dict[str, dict[int, float]]],
    stems: Iterable[str],
    slot: Slot,
) -> float:
    """Over `stems`, the entry's weight times one item's."""
    story_id, n = slot
    return sum(entry.vector[stem] * postings[stem].get(story_id, {}).get(n, 0.0) for stem in stems)
