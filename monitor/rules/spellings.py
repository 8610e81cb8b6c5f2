"""What each spelling of a word is, learned once: its keys and the terms it is or starts.

Every spelling gets a small integer id, and what the matcher reads for every
word of an item (the groups of its single-word terms, the bits of its phrase
keys) is kept in arrays by id, so an item's words are looked up all at once.
The ids of a text's words are found with numpy too (see spelling_table); only
a word not seen before goes through Python, to be analysed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from itertools import chain
from operator import or_
from typing import NamedTuple

import numpy as np

from monitor.rules.key_table import KeyTable
from monitor.rules.ragged import Column, Ragged
from monitor.rules.spelling_table import Hashes, Ids, SpellingTable
from monitor.text.key_sieve import KeySieve
from monitor.text.keys import WordKeys, analyze_uncached
from monitor.text.word_spans import Codes, Positions, code_points, word_spans

CACHE_LIMIT = 300_000
"""Distinct spellings remembered before the index starts afresh."""

SEPARATOR = ""
"""The spelling (id 0) that stands between the texts of an item: no word is empty."""

Start = tuple[int, tuple[str, ...]]
"""A term that a key starts: its id and the keys of its other words."""

PAIRS_CACHED = 100_000
"""Pairs of spellings whose phrases are kept (a few MB), as `pair_slots` learns them; and
as many pairs followed by a third spelling, as `triple_slots` learns them."""


@dataclass(frozen=True, eq=False)
class Phrases:
    """The phrases that go on from a word (or two), by the key their next word must have;
    a Start's keys are those of the words after that one."""

    by_next: dict[str, tuple[Start, ...]]
    nexts: frozenset[str]

    @classmethod
    def of(cls, starts: Sequence[Start]) -> Phrases | None:
        """`starts` (each with more words to come) by their next key; None if there are
        none."""
        grouped: dict[str, list[Start]] = defaultdict(list)
        for term, tail in starts:
            grouped[tail[0]].append((term, tail[1:]))
        if not grouped:
            return None
        return cls({key: tuple(found) for key, found in grouped.items()}, frozenset(grouped))

    def going_on(self, keys: Iterable[str]) -> list[Start]:
        """The phrases whose next word may have one of `keys`."""
        return [start for key in self.nexts.intersection(keys) for start in self.by_next[key]]


PAIR_SHIFT = 32
"""Ids are fewer than 2**32 (CACHE_LIMIT), so two fit in one number, as `pair_slots` takes."""
_PAIR_MASK = (1 << PAIR_SHIFT) - 1

NO_PHRASES = 0
"""The slot of every pair of words that starts no phrase: most pairs whose bits meet."""

_NO_KEYS: frozenset[str] = frozenset()


class Words(NamedTuple):
    """The words of a text: the id of each and where it stands (start, end) in the text."""

    ids: Ids
    starts: Positions
    ends: Positions


class SpellingIndex:
    """Learns spellings as they come and keeps what each is, by spelling and by id."""

    def __init__(
        self, index: Mapping[str, Sequence[Start]], term_groups: Sequence[Sequence[int]]
    ) -> None:
        self._index = index
        self.term_groups = term_groups
        self.groups_of_terms = Ragged()
        """`term_groups` as a table, for the groups of many terms at once."""
        for groups in term_groups:
            self.groups_of_terms.append(groups)
        tails = {key for starts in index.values() for _, tail in starts for key in tail}
        self._wanted = frozenset(index).union(tails)
        """Every key of a term's words: a word's other keys are never looked at."""
        self._sieve = KeySieve(self._wanted)
        tails_of = [tail for starts in index.values() for _, tail in starts]
        # One of 64 bits per second key: a word and the next can start a phrase only if
        # their bits meet, which numpy tells for all the words of an item at once.
        self._second_bits = _bits_of(tail[0] for tail in tails_of if tail)
        # The same for third keys: most pairs that start longer phrases are followed by no
        # word that goes on with one, which numpy tells for all the pairs of a batch.
        self._third_bits = _bits_of(tail[1] for tail in tails_of if len(tail) > 1)
        self.ids: dict[str, int] = {}
        """Spelling -> id; a spelling that NFKC splits into several words has none."""
        self.spellings: list[str] = []
        """Id -> the spelling."""
        self.keys: list[tuple[str, ...]] = []
        """Id -> those of its keys that some term's word has: a tuple, since a tuple of
        strings is no work for the garbage collector, and a frozenset is."""
        self.normal = Ragged(np.uint8)
        """Id -> its normalised form in UTF-8 and a space, as patterns see it."""
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
        self.third_key_bits = Column(np.uint64)
        """Id -> the bits of its keys that are the third key of a phrase."""
        self.several: dict[str, tuple[WordKeys, ...]] = {}
        self._pairs = KeyTable()
        """Pair of ids (see `pair_slots`) -> the slot of what the two words can start."""
        self.pair_terms = Ragged()
        """Slot -> the terms of two words that the pair is."""
        self.pair_phrases: list[Phrases | None] = []
        """Slot -> the longer phrases the pair starts, by the key of their third word. Most
        fail on their third word, which is then the only one looked at."""
        self.pair_third_bits = Column(np.uint64)
        """Slot -> the bits of the third keys of the longer phrases the pair starts."""
        self._triples = KeyTable()
        """A pair's slot and the id of the word after it (see `triple_slots`) -> the slot
        of what the three words can start."""
        self.triple_terms = Ragged()
        """Triple slot -> the terms of three words that the three words are."""
        self.triple_longer: list[tuple[Start, ...]] = []
        """Triple slot -> the phrases of four words or more that the three start: each
        one's term and the keys of its words after the third."""
        self.triple_goes_on = Column(np.bool_)
        """Triple slot -> whether it starts phrases of four words or more."""
        self._table = SpellingTable()
        self._start_afresh()

    def __len__(self) -> int:
        return len(self.ids)

    def begin_batch(self) -> None:
        """Start afresh when full; only between batches of items, so that no item is
        half-known."""
        if len(self.ids) >= CACHE_LIMIT:
            self._start_afresh()

    def words_in(self, text: str) -> Words:
        """The ids of the words of `text` and their spans, every word learned; a word that
        NFKC splits gives the ids of its parts, each with the written word's span."""
        codes = code_points(text)
        spans = word_spans(codes)
        starts, ends = spans.starts, spans.ends
        hashes = self._table.hashes(codes, starts, ends)
        ids = self._table.find(codes, spans, hashes)
        missing = (ids < 0).nonzero()[0]
        if len(missing):
            return self._learn_missing(text, codes, Words(ids, starts, ends), hashes, missing)
        return Words(ids, starts, ends)

    def pair_slots(self, pairs: Ids) -> Ids:
        """The slot of what each pair of a word and the next can start, by the keys of both,
        given their ids as `first << PAIR_SHIFT | second`. Learned once a pair: words meet
        in the same pairs again and again. A full cache starts afresh before a batch's new
        pairs are learned, so that every slot given holds until the next call."""
        return self._slots(pairs, self._pairs, self._learn_pair, self._forget_pairs)

    def triple_slots(self, triples: Ids) -> Ids:
        """The slot of what a pair and the word after it can start, given as the pair's
        slot (from the same batch's `pair_slots`) `<< PAIR_SHIFT | ` the word's id. Learned
        once, as pairs are; a full cache starts afresh as theirs does."""
        return self._slots(triples, self._triples, self._learn_triple, self._forget_triples)

    def _slots(
        self,
        keys: Ids,
        table: KeyTable,
        learn: Callable[[int, int], int],
        forget: Callable[[], None],
    ) -> Ids:
        slots = table.get(keys)
        missing = (slots < 0).nonzero()[0]
        if not len(missing):
            return slots
        if len(table) + len(missing) > PAIRS_CACHED:
            forget()
            missing = np.arange(len(keys))
        learned: dict[int, int] = {}
        for position, key in zip(missing.tolist(), keys[missing].tolist(), strict=True):
            slot = learned.get(key)
            if slot is None:
                slot = learned[key] = learn(key >> PAIR_SHIFT, key & _PAIR_MASK)
            slots[position] = slot
        table.put(list(learned), list(learned.values()))
        return slots

    def _learn_pair(self, first: int, second: int) -> int:
        here = self.phrases.get(first)
        starts = [] if here is None else here.going_on(self.keys[second])
        if not starts:  # the bits of another key met: most pairs, sharing one value
            return NO_PHRASES
        return self._add_pair(
            [term for term, rest in starts if not rest],
            Phrases.of([start for start in starts if start[1]]),
        )

    def _add_pair(self, terms: Sequence[int], longer: Phrases | None) -> int:
        self.pair_terms.append(terms)
        self.pair_phrases.append(longer)
        thirds = () if longer is None else longer.nexts
        self.pair_third_bits.append(reduce(or_, map(self._third_bits.__getitem__, thirds), 0))
        return len(self.pair_phrases) - 1

    def _learn_triple(self, slot: int, third: int) -> int:
        longer = self.pair_phrases[slot]
        starts = [] if longer is None else longer.going_on(self.keys[third])
        terms = [term for term, rest in starts if not rest]
        return self._add_triple(terms, tuple(start for start in starts if start[1]))

    def _add_triple(self, terms: Sequence[int], longer: tuple[Start, ...]) -> int:
        self.triple_terms.append(terms)
        self.triple_longer.append(longer)
        self.triple_goes_on.append(bool(longer))
        return len(self.triple_longer) - 1

    def _forget_pairs(self) -> None:
        self._pairs.clear()
        self.pair_terms.clear()
        self.pair_phrases.clear()
        self.pair_third_bits.clear()
        self._add_pair((), None)  # NO_PHRASES
        self._forget_triples()  # learned by the slots of pairs

    def _forget_triples(self) -> None:
        self._triples.clear()
        self.triple_terms.clear()
        self.triple_longer.clear()
        self.triple_goes_on.clear()

    def _learn_missing(
        self, text: str, codes: Codes, words: Words, hashes: Hashes, missing: Positions
    ) -> Words:
        ids, starts, ends = words
        split: dict[int, list[int]] = {}
        for position, start, end, spelling_hash in zip(
            missing.tolist(),
            starts[missing].tolist(),
            ends[missing].tolist(),
            hashes[missing].tolist(),
            strict=True,
        ):
            spelling = text[start:end]
            if spelling not in self.ids and spelling not in self.several:
                self._learn(spelling, spelling_hash)
            known = self.ids.get(spelling)
            if known is None:
                split[position] = [self._part_id(part) for part in self.several[spelling]]
            else:
                ids[position] = known
        if not split:
            return words
        counts = np.ones(len(ids), np.intp)
        counts[list(split)] = [len(parts) for parts in split.values()]
        expanded = Words(ids.repeat(counts), starts.repeat(counts), ends.repeat(counts))
        firsts = counts.cumsum() - counts
        for position, parts in split.items():
            expanded.ids[firsts[position] : firsts[position] + len(parts)] = parts
        return expanded

    def _learn(self, spelling: str, spelling_hash: int) -> None:
        words = analyze_uncached(spelling, self._sieve)
        if len(words) == 1:
            self._add(spelling, words[0], spelling_hash)
        else:
            self.several[spelling] = words

    def _part_id(self, part: WordKeys) -> int:
        """The id of a word that NFKC split from a written one, learned as itself."""
        known = self.ids.get(part.word)
        if known is None:
            known = self._add(part.word, part, self._table.hash_of(code_points(part.word)))
        return known

    def _start_afresh(self) -> None:
        for cache in (self.ids, self.keys, self.spellings, self.phrases, self.several):
            cache.clear()
        self._forget_pairs()
        for table in (self.normal, self.terms, self.groups):
            table.clear()
        for column in self._bit_columns():
            column.clear()
        self._table.clear()
        separator_hash = self._table.hash_of(code_points(SEPARATOR))
        self._add(SEPARATOR, WordKeys(SEPARATOR, _NO_KEYS), separator_hash)

    def _add(self, spelling: str, word: WordKeys, spelling_hash: int) -> int:
        spelling_id = self.ids[spelling] = len(self.keys)
        self._table.add(spelling, spelling_hash)
        self.spellings.append(spelling)
        self.normal.append(word.word.encode() + b" ")
        keys = tuple(key for key in word.keys if key in self._wanted)
        self.keys.append(keys)
        if keys:
            self._add_terms(spelling_id, keys)
        else:  # most words: no term has any of their keys
            for table in (self.terms, self.groups):
                table.append(())
            for column in self._bit_columns():
                column.append(0)
        return spelling_id

    def _add_terms(self, spelling_id: int, keys: tuple[str, ...]) -> None:
        """What the matcher reads for a spelling with keys that terms have."""
        found = [start for key in keys for start in self._index.get(key, ())]
        singles = {term for term, tail in found if not tail}
        self.terms.append(sorted(singles))
        groups = set(chain.from_iterable(map(self.term_groups.__getitem__, singles)))
        self.groups.append(sorted(groups))
        phrases = Phrases.of([start for start in found if start[1]])
        second_keys = () if phrases is None else phrases.nexts
        if phrases is not None:
            self.phrases[spelling_id] = phrases
        self.first_bits.append(reduce(or_, map(self._second_bits.__getitem__, second_keys), 0))
        self.key_bits.append(reduce(or_, map(self._bit, keys), 0))
        self.third_key_bits.append(reduce(or_, (self._third_bits.get(k, 0) for k in keys), 0))

    def _bit(self, key: str) -> int:
        return self._second_bits.get(key, 0)

    def _bit_columns(self) -> tuple[Column, ...]:
        return (self.first_bits, self.key_bits, self.third_key_bits)


def _bits_of(keys: Iterable[str]) -> dict[str, int]:
    """One of 64 bits for each key, in turn in the keys' sorted order."""
    return {key: 1 << (number % 64) for number, key in enumerate(sorted(set(keys)))}
