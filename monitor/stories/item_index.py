"""Open stories' items by stem and by mark, so that placing an item compares it closely
only with the items it may be like.

A busy rule has hundreds of open stories, and every item it alerts on used to be compared
with every item of each. Summing the weights of the stems and marks an item shares with
each indexed item of the stories it may join, through the index, costs little; the items
whose sums fall short of the policy's bars cannot be alike enough (see
`least_shared_weight`) and are not compared further.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from operator import is_, itemgetter
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from monitor.rules.model import PolicySpec
from monitor.stories.story import Story, StoryItem
from monitor.text.fingerprint import Vector
from monitor.text.names import EVIDENCE, mark_weight

Slot = tuple[str, int]
"""(story id, position of the item in the story)."""

_Held = TypeVar("_Held")
_Number = TypeVar("_Number", bound=np.generic)

BOUND_MARGIN = 0.999
"""Slack on the bars, for float sums taken in another order than the close comparison's."""

SUM_SLACK = 1 - 1e-9
"""Slack on the bar for the look-up's own float sums."""

RENUMBER_FACTOR = 2
RENUMBER_SLACK = 65_536
"""Stems are numbered again when more are numbered than this factor times the (item, stem)
pairs held, plus the slack: the pairs bound the stems in use, and cost nothing to count."""

LINK_ROUNDING = 1e-4
"""link_score is rounded to four places: a score that rounds up to the bar may be this below."""


def least_shared_weight(link_similarity: float) -> float:
    """The mark weight two items must share for link_score to reach `link_similarity`: the
    score is at most its evidence term, 1 - exp(-shared / EVIDENCE)."""
    bar = max(link_similarity - LINK_ROUNDING, 0.0)
    return -EVIDENCE * math.log(1.0 - bar) * BOUND_MARGIN if bar < 1.0 else math.inf


def most_link_score(shared: float) -> float:
    """The most link_score can be for two items that share marks of weight `shared`: its
    evidence term, and what rounding may add."""
    return 1.0 - math.exp(-shared / EVIDENCE) + LINK_ROUNDING


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

    def items_to_compare(
        self, story: Story, policy: PolicySpec
    ) -> list[tuple[float, StoryItem, bool]]:
        """The items of `story` the entry may be alike enough to join, each with the most
        its likeness to the entry can be and whether the words they share may reach the
        policy's bar (if not, only their names can join them), the likeliest first: all,
        by words too and without a bound, for a story not indexed as it is."""
        if not self.indexed_as_is(story):
            return [(math.inf, item, True) for item in story.items]
        worded = self._worded(policy)
        found = []
        for n in self._near_enough(policy).get(story.id, ()):
            by_words = (story.id, n) in worded
            most = self._most_likeness((story.id, n), by_words, policy)
            found.append((most, story.items[n], by_words))
        found.sort(key=itemgetter(0), reverse=True)
        return found

    def _most_likeness(self, slot: Slot, by_words: bool, policy: PolicySpec) -> float:
        """The most an item's likeness to the entry can be, by the stems and marks they
        share: their similarity is the sum of the stems' products (and the clash of their
        dates at most 1), their names' link at most its evidence term."""
        most = self.words[slot] / SUM_SLACK / policy.similarity if by_words else 0.0
        shared = self.marks.get(slot, 0.0)
        if policy.link_window and shared > 0:
            most = max(most, most_link_score(shared / SUM_SLACK) / policy.link_similarity)
        return most

    def indexed_as_is(self, story: Story) -> bool:
        return self.indexed.get(story.id) == len(story.items)

    def may_join(self, story: Story, policy: PolicySpec) -> bool:
        """False only when the index holds `story` as it is and none of its items may reach
        either of the policy's bars: a busy rule's open stories are mostly such (four in
        five of those sharing some stem or name with the entry), and need no look at their
        items."""
        return not self.indexed_as_is(story) or story.id in self._near_enough(policy)

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


class _Rows:
    """The stems of a story's items, item after item: for each (item, stem) pair, the
    stem's number and its weight in the item. Held in arrays with room to grow, so that
    an item joining writes its pairs in place: copying the story's arrays for each item
    that joined, after building arrays of its own, took 16 µs an item added to a story
    of ten items and 59 µs to one of 500, now 7-9 µs."""

    numbers: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]
    firsts: npt.NDArray[np.intp]
    """Where each item's pairs begin."""
    count: int
    """Items of the story held (kept, not derived: the look-up reads it for every story)."""
    gapless: bool
    """Every item has stems (of a fingerprint that kept none, its run of pairs is empty)."""

    def __init__(self) -> None:
        self._numbers = np.empty(0, np.intp)
        self._weights = np.empty(0, np.float64)
        self._firsts = np.empty(0, np.intp)
        self._pairs = self.count = 0
        self.gapless = True
        self._show()

    def add(self, numbers: list[int], weights: list[float], lengths: list[int]) -> None:
        """Append the pairs of items with `lengths` pairs each."""
        pairs, count = self._pairs + len(numbers), self.count + len(lengths)
        if pairs > len(self._numbers):
            self._numbers = _grown(self._numbers, self._pairs, pairs)
            self._weights = _grown(self._weights, self._pairs, pairs)
        if count > len(self._firsts):
            self._firsts = _grown(self._firsts, self.count, count)
        self._numbers[self._pairs : pairs] = numbers
        self._weights[self._pairs : pairs] = weights
        self._firsts[self.count : count] = list(accumulate(lengths[:-1], initial=self._pairs))
        self._pairs, self.count = pairs, count
        self.gapless = self.gapless and 0 not in lengths
        self._show()

    def __len__(self) -> int:
        return self._pairs

    def _show(self) -> None:
        self.numbers = self._numbers[: self._pairs]
        self.weights = self._weights[: self._pairs]
        self.firsts = self._firsts[: self.count]


def _grown(held: npt.NDArray[_Number], used: int, needed: int) -> npt.NDArray[_Number]:
    """`held`'s first `used` values in an array of room for `needed` values at least: twice
    what it had, so that a story's items are copied a few times whatever their number,
    but no more than `needed` when it had none (most stories hold one item)."""
    grown = np.empty(max(needed, 2 * len(held) if len(held) else needed), held.dtype)
    grown[:used] = held[:used]
    return grown


class ItemIndex:
    """The items of the stories kept, by stem (with its weight) and by mark, each item once
    whatever the rules of its story: held under each rule, an item of a story of many
    rules was indexed as many times, and again for all its items when the story gained
    one. An entry's look-up is told which stories it may join, and reads only theirs.

    Each story's stems are held as arrays of stem numbers and weights, so that what an
    entry shares with every item of the stories asked about is summed in a few array
    operations: summed stem by stem through a dict, it was a fifth of a busy worker's time.
    """

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        """Stem -> its number in the arrays."""
        self._rows: dict[str, _Rows] = {}
        """Story id -> the stems of its items."""
        self._pairs = 0
        """(item, stem) pairs held: a bound on the stems in use, to renumber by."""
        self._query = np.zeros(0)
        """The entry's weight by stem number while it is looked up, else zeros."""
        self._marks: dict[str, dict[str, set[int]]] = defaultdict(dict)
        self._stories: dict[str, list[StoryItem]] = {}
        self._counts: dict[str, int] = {}

    def keep(self, story: Story) -> None:
        """Index the story's new items (items are only ever added to a story); one that
        differs otherwise from what was indexed is indexed anew."""
        known = self._stories.get(story.id, [])
        if not _begins_with(story.items, known):
            self.drop(story.id)
            known = []
        added = story.items[len(known) :]
        if added:
            self._add_rows(story.id, added)
            for n, item in enumerate(added, start=len(known)):
                self._add_marks(story.id, n, item)
        self._stories[story.id] = list(story.items)
        self._counts[story.id] = len(story.items)
        if len(self._numbers) > RENUMBER_FACTOR * self._pairs + RENUMBER_SLACK:
            self._renumber()

    def drop(self, story_id: str) -> None:
        self._counts.pop(story_id, None)
        rows = self._rows.pop(story_id, None)
        if rows is not None:
            self._pairs -= len(rows)
        for item in self._stories.pop(story_id, []):
            self._remove_marks(story_id, item)

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
        """The dot product of the entry's fingerprint with each item's, for the items of
        `stories` whose product reaches `bar` (at a bar of 0, that share a stem)."""
        asked = list(self._rows if stories is None else (s for s in stories if s in self._rows))
        if not asked:
            return {}
        numbers, weights = self._numbered(entry.vector)
        if not len(numbers):
            return {}
        rows = [self._rows[story_id] for story_id in asked]
        counts = [row.count for row in rows]
        starts = np.fromiter(accumulate(counts[:-1], initial=0), np.intp, len(rows))
        sums = self._sums(numbers, weights, rows, counts)
        found = np.flatnonzero(sums >= bar * SUM_SLACK if bar > 0 else sums > 0)
        owners = np.searchsorted(starts, found, side="right") - 1
        return {
            (asked[owner], slot - int(starts[owner])): shared
            for owner, slot, shared in zip(
                owners.tolist(), found.tolist(), sums[found].tolist(), strict=True
            )
        }

    def _numbered(self, vector: Vector) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """The numbers of the fingerprint's stems that the index holds, and their weights:
        looked up by C loops, where a Python loop over its 80 stems was a twentieth of
        placing an item."""
        count = len(vector)
        numbers = np.fromiter(map(self._numbers.get, vector, repeat(-1)), np.intp, count)
        held = numbers >= 0
        return numbers[held], np.fromiter(vector.values(), np.float64, count)[held]

    def _sums(
        self,
        numbers: npt.NDArray[np.intp],
        weights: npt.NDArray[np.float64],
        rows: list[_Rows],
        counts: list[int],
    ) -> npt.NDArray[np.float64]:
        """For each item of `rows` (with `counts` items), row after row, the sum of its
        weights times the entry's (`weights` of stems `numbers`) over the stems they share."""
        self._query[numbers] = weights
        try:
            products = self._query[np.concatenate([row.numbers for row in rows])]
        finally:
            self._query[numbers] = 0.0
        products *= np.concatenate([row.weights for row in rows])
        bases = accumulate([len(row.numbers) for row in rows[:-1]], initial=0)
        firsts = np.concatenate([row.firsts for row in rows])
        firsts += np.repeat(np.fromiter(bases, np.intp, len(rows)), counts)
        if all(row.gapless for row in rows):
            return np.add.reduceat(products, firsts)
        return _sums_with_gaps(products, firsts)

    def _add_rows(self, story_id: str, items: list[StoryItem]) -> None:
        """Append the stems of `items`, the story's next."""
        stems = [stem for item in items for stem in item.vector]
        known = list(map(self._numbers.get, stems))  # no Python call for a stem seen before
        numbers = [
            self._number(stem) if number is None else number
            for number, stem in zip(known, stems, strict=True)
        ]
        weights = [weight for item in items for weight in item.vector.values()]
        rows = self._rows.get(story_id)
        if rows is None:
            rows = self._rows[story_id] = _Rows()
        rows.add(numbers, weights, [len(item.vector) for item in items])
        self._pairs += len(numbers)

    def _number(self, stem: str) -> int:
        number = self._numbers.get(stem)
        if number is None:
            number = self._numbers[stem] = len(self._numbers)
            if number >= len(self._query):
                self._query = np.zeros(max(2 * len(self._query), 1024))
        return number

    def _renumber(self) -> None:
        """Number only the stems in use again: stems of stories dropped keep their numbers
        until then, and a worker running for months meets new words every day."""
        self._numbers, self._rows, self._pairs = {}, {}, 0
        self._query = np.zeros(0)
        for story_id, items in self._stories.items():
            self._add_rows(story_id, items)

    def _add_marks(self, story_id: str, n: int, item: StoryItem) -> None:
        for mark in set(item.marks):
            self._marks[mark].setdefault(story_id, set()).add(n)

    def _remove_marks(self, story_id: str, item: StoryItem) -> None:
        """Take out the story's items under the marks of one of them: the story is
        dropped whole."""
        for mark in set(item.marks):
            by_story = self._marks.get(mark)
            if by_story is not None:
                by_story.pop(story_id, None)
                if not by_story:
                    del self._marks[mark]

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


def _begins_with(items: list[StoryItem], known: list[StoryItem]) -> bool:
    """Whether `items` begin with the items of `known`, by id: the same objects, as a story
    kept holds them as items join, are told in one C loop, where comparing the ids of a
    busy story's hundreds of items in Python was a fifth of keeping it indexed."""
    if len(known) > len(items):
        return False
    begin = items[: len(known)]
    return all(map(is_, begin, known)) or all(
        mine.id == theirs.id for mine, theirs in zip(begin, known, strict=True)
    )


def _of_stories(
    by_story: dict[str, _Held], stories: Collection[str] | None
) -> Iterable[tuple[str, _Held]]:
    """The entries of `by_story` for `stories` (all when None), reading the fewer keys."""
    if stories is None:
        return by_story.items()
    if len(stories) < len(by_story):
        return [(story_id, by_story[story_id]) for story_id in stories if story_id in by_story]
    return [(story_id, held) for story_id, held in by_story.items() if story_id in stories]


def _sums_with_gaps(
    products: npt.NDArray[np.float64], firsts: npt.NDArray[np.intp]
) -> npt.NDArray[np.float64]:
    """The sum of `products` over each run beginning at one of `firsts` and ending at the
    next (a run may be empty: an item without stems)."""
    padded = np.append(products, 0.0)  # reduceat may not start a run at the very end
    sums = np.add.reduceat(padded, firsts)
    sums[np.diff(firsts, append=len(products)) == 0] = 0.0  # reduceat gives one element
    return sums
