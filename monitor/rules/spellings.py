"""What each spelling of a word is, learned once: its keys and the terms it is or starts.

Every spelling gets a small integer id, and what the matcher reads for every
word of an item (the groups of its single-word terms, the bits of its phrase
keys) is kept in arrays by id, so an item's words are looked up all at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import chain, repeat
from operator import or_

import numpy as np
import numpy.typing as npt

from monitor.rules.ragged import Column, Ragged
from monitor.text.keys import WordKeys, analyze

CACHE_LIMIT = 300_000
"""Distinct spellings remembered before the index starts afresh."""

SEPARATOR = ""
"""The spelling (id 0) that stands between the texts of an item: no word is empty."""

Start = tuple[int, tuple[str, ...]]
"""A term that a key starts: its id and the keys of its other words."""

_NO_KEYS: frozenset[str] = frozenset()


@dataclass(frozen=True, eq=False)
class Phrases:
    """The phrases a spelling can start, by the key their second word must have."""

    by_second: dict[str, tuple[Start, ...]]
    seconds: frozenset[str]


class SpellingIndex:
    """Learns spellings as they come and keeps what each is, by spelling and by id."""

    def __init__(
        self, index: Mapping[str, Sequence[Start]], term_groups: Sequence[Sequence[int]]
    ) -> None:
        self._index = index
        self.term_groups = term_groups
        seconds = sorted({tail[0] for starts in index.values() for _, tail in starts if tail})
        # One of 64 bits per second key: a word and the next can start a phrase only if
        # their bits meet, which numpy tells for all the words of an item at once.
        self._second_bits = {key: 1 << (number % 64) for number, key in enumerate(seconds)}
        self.ids: dict[str, int] = {}
        """Spelling -> id; a spelling that NFKC splits into several words has none."""
        self.keys: list[frozenset[str]] = []
        """Id -> its keys."""
        self.normal = Column(np.object_)
        """Id -> its normalised form, as patterns see it."""
        self.phrases: dict[int, Phrases] = {}
        """Id -> the phrases it starts, for ids that start some."""
        self.terms = Ragged()
        """Id -> its single-word terms."""
        self.groups = Ragged()
        """Id -> the groups of its single-word terms."""
        self.first_bits = Column(np.uint64)
        """Id -> the bits of the second keys of the phrases it starts."""
        self.key_bits = Column(np.uint64)
        """Id -> the bits of its keys that are the second key of a phrase."""
        self.several: dict[str, tuple[WordKeys, ...]] = {}
        self._start_afresh()

    def __len__(self) -> int:
        return len(self.ids)

    def begin_item(self) -> None:
        """Start afresh when full; only between items, so that no item is half-known."""
        if len(self.ids) >= CACHE_LIMIT:
            self._start_afresh()

    def words_of(self, raw: list[str]) -> tuple[list[str], npt.NDArray[np.intp]]:
        """The words of a text, NFKC splits replaced by their parts, and their ids; every
        word learned."""
        # One lookup a word when every spelling is known, as almost all are once warm.
        ids = np.fromiter(map(self.ids.get, raw, repeat(-1)), np.intp, len(raw))
        if not len(ids) or ids.min() >= 0:
            return raw, ids
        distinct = set(raw)
        self._learn_new(distinct)
        words = raw
        if not self.several.keys().isdisjoint(distinct):
            words = []
            for spelling in raw:
                parts = self.several.get(spelling)
                words += [part.word for part in parts] if parts is not None else [spelling]
            self._learn_new(set(words))
        return words, np.fromiter(map(self.ids.__getitem__, words), np.intp, len(words))

    def _start_afresh(self) -> None:
        for cache in (self.ids, self.keys, self.phrases, self.several):
            cache.clear()
        for table in (self.normal, self.terms, self.groups, self.first_bits, self.key_bits):
            table.clear()
        self._add(SEPARATOR, WordKeys(SEPARATOR, _NO_KEYS))

    def _learn_new(self, distinct: set[str]) -> None:
        for spelling in distinct.difference(self.ids).difference(self.several):
            words = analyze(spelling)
            if len(words) == 1:
                self._add(spelling, words[0])
            else:
                self.several[spelling] = words

    def _add(self, spelling: str, word: WordKeys) -> None:
        spelling_id = self.ids[spelling] = len(self.keys)
        self.keys.append(word.keys)
        self.normal.append(word.word)
        found = [start for key in word.keys for start in self._index.get(key, ())]
        singles = {term for term, tail in found if not tail}
        self.terms.append(sorted(singles))
        groups = set(chain.from_iterable(map(self.term_groups.__getitem__, singles)))
        self.groups.append(sorted(groups))
        phrases: dict[str, list[Start]] = defaultdict(list)
        for term, tail in found:
            if tail:
                phrases[tail[0]].append((term, tail[1:]))
        if phrases:
            by_second = {key: tuple(value) for key, value in phrases.items()}
            self.phrases[spelling_id] = Phrases(by_second, frozenset(phrases))
        self.first_bits.append(reduce(or_, map(self._second_bits.__getitem__, phrases), 0))
        self.key_bits.append(reduce(or_, map(self._bit, word.keys), 0))

    def _bit(self, key: str) -> int:
        return self._second_bits.get(key, 0)
