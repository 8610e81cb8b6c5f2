"""The ids of known spellings, found for all the words of a text at once.

A word is looked up by a hash of its code points, computed with numpy for
every word together, in an open-addressed table of numpy arrays; then its code
points are compared with the stored spelling's, so that two spellings with one
hash can only send a word to the slow path (the spelling index's dictionary),
never give it another word's id.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import numpy.typing as npt

from monitor.rules.ragged import Column
from monitor.text.word_spans import Codes, Positions, Spans, code_points

Hashes = npt.NDArray[np.uint64]
Ids = npt.NDArray[np.intp]

_BASE = np.uint64(0x9E3779B97F4A7C15)
"""Odd, so that it has an inverse modulo 2**64 and a word's hash does not depend on
where the word stands."""
_INVERSE = np.uint64(pow(int(_BASE), -1, 1 << 64))
_MIX = 0xBF58476D1CE4E5B9
"""Spreads hashes over the slots (the table is indexed by their top bits)."""

_EMPTY = 0
"""The hash of no word: a word's that comes out 0 is taken as 1."""


def _powers(base: np.uint64, count: int) -> Hashes:
    powers = np.full(count, base, np.uint64)
    powers[0] = 1
    return np.cumprod(powers, dtype=np.uint64)  # wraps modulo 2**64, as wanted


KEPT_POWERS = 1 << 17
"""Powers kept between texts: enough for a batch as the matcher scans it (BATCH_CHARS of
monitor.rules.matcher, and a line between texts), 2 MB for both tables. A batch longer
than those kept worked out its own, two passes over as many numbers as it has characters:
a twentieth of matching feed items at 1,000 rules."""

_PROBES_TOGETHER = 3
"""Steps of linear probing taken for all the words at once, before the few words left probe
on one by one: a table a quarter full sends about one word in thirty past its first slot."""

_FIRST_BITS = 12
"""A new table's 4,096 slots; it doubles as it fills, staying small enough for the cache."""


class SpellingTable:
    """Hash of a spelling -> its id."""

    def __init__(self) -> None:
        self._powers = _powers(_BASE, 1024)
        self._inverses = _powers(_INVERSE, 1024)
        self.clear()

    def clear(self) -> None:
        self._make_slots(_FIRST_BITS)
        self._unplaced: tuple[list[str], list[int]] = ([], [])
        """(spellings, hashes) added since the last look-up: stored all together."""
        self._starts = Column(np.intp)
        """Id -> where its code points begin in `_codes`."""
        self._lengths = Column(np.intp)
        self._codes = Column(np.uint32)
        self._by_id = Column(np.uint64)
        """Id -> its hash, to fill new slots from."""

    def _make_slots(self, bits: int) -> None:
        # At most a quarter of the slots are used, so that a probe ends soon on an empty one.
        self._bits = bits
        self._mask = (1 << bits) - 1
        self._shift = np.uint64(64 - bits)
        self._hashes = np.zeros(1 << bits, np.uint64)
        self._ids = np.zeros(1 << bits, np.int32)

    def hashes(self, codes: Codes, starts: Positions, ends: Positions) -> Hashes:
        """The hash of each word, code points `starts[i]` to `ends[i]` of `codes`."""
        powers, inverses = self._powers, self._inverses
        if len(codes) > len(powers):
            size = 1 << (len(codes) - 1).bit_length()
            powers, inverses = _powers(_BASE, size), _powers(_INVERSE, size)
            if size <= KEPT_POWERS:  # a huge text's are dropped after it
                self._powers, self._inverses = powers, inverses
        prefix = np.zeros(len(codes) + 1, np.uint64)
        # code + 1: a NUL character still counts
        ((codes + np.uint64(1)) * powers[: len(codes)]).cumsum(out=prefix[1:])
        found: Hashes = (prefix[ends] - prefix[starts]) * inverses[starts]
        return np.maximum(found, np.uint64(1))

    def hash_of(self, spelling_codes: Codes) -> int:
        """The hash of one spelling, as `hashes` gives it."""
        ends = np.array([len(spelling_codes)], np.intp)
        return int(self.hashes(spelling_codes, np.zeros(1, np.intp), ends)[0])

    def find(self, codes: Codes, spans: Spans, hashes: Hashes) -> Ids:
        """The id of each word, or -1 for a word not in the table."""
        if self._unplaced[0]:
            self._store_unplaced()
        candidates = self._candidates(hashes)
        candidates[~self._same_codes(codes, spans, candidates)] = -1
        return candidates

    def _candidates(self, hashes: Hashes) -> Ids:
        """The id stored under each hash, by linear probing, or -1."""
        slots = ((hashes * np.uint64(_MIX)) >> self._shift).astype(np.intp)
        stored = self._hashes[slots]
        here = stored == hashes
        found = np.where(here, self._ids[slots], -1).astype(np.intp)
        pending = (~here & (stored != _EMPTY)).nonzero()[0]
        for _ in range(_PROBES_TOGETHER):
            if not len(pending):
                return found
            pending = self._probe_next(found, pending, slots, hashes)
        self._probe_rest(found, pending, slots[pending], hashes[pending])
        return found

    def _probe_next(self, found: Ids, words: Positions, slots: Ids, hashes: Hashes) -> Positions:
        """One step of linear probing for `words` (their places in `found`) at once, whose
        slots held other hashes: each moves on a slot, and those still to go are returned."""
        at = (slots[words] + 1) & self._mask
        slots[words] = at
        stored = self._hashes[at]
        here = stored == hashes[words]
        found[words[here]] = self._ids[at[here]]
        going: Positions = words[~here & (stored != _EMPTY)]
        return going

    def _probe_rest(self, found: Ids, words: Positions, slots: Ids, wanted: Hashes) -> None:
        """Probing on one word at a time: the few that the steps together left."""
        table, ids, mask = self._hashes, self._ids, self._mask
        for word, slot, hashed in zip(words.tolist(), slots.tolist(), wanted.tolist(), strict=True):
            slot = (slot + 1) & mask
            while (held := int(table[slot])) != _EMPTY:
                if held == hashed:
                    found[word] = ids[slot]
                    break
                slot = (slot + 1) & mask

    def _same_codes(self, codes: Codes, spans: Spans, ids: Ids) -> npt.NDArray[np.bool_]:
        """Whether each word's code points are those of the spelling `ids[i]` (False where
        the id is -1)."""
        if not len(ids) or not len(self._codes):
            return np.zeros(len(ids), np.bool_)
        lengths = spans.ends - spans.starts
        same: npt.NDArray[np.bool_] = (ids >= 0) & (self._lengths.values[ids] == lengths)
        # Each character of a word against the same character of its id's spelling: reads
        # past a spelling of another length are clipped, and such a word is not the same.
        shift = self._starts.values[ids] - spans.starts
        stored = self._codes.values.take(shift.repeat(lengths) + spans.inside, mode="clip")
        equal = codes[spans.inside] == stored
        differ = (~equal).nonzero()[0]
        if len(differ):
            firsts = lengths.cumsum() - lengths
            same[firsts.searchsorted(differ, side="right") - 1] = False
        return same

    def add(self, spelling: str, spelling_hash: int) -> None:
        """Store a spelling under the next id: 0, 1, 2..."""
        self._unplaced[0].append(spelling)
        self._unplaced[1].append(spelling_hash)

    def _store_unplaced(self) -> None:
        (spellings, hashes), self._unplaced = self._unplaced, ([], [])
        first = len(self._by_id)
        lengths = list(map(len, spellings))
        self._starts.extend(accumulate(lengths[:-1], initial=len(self._codes)))
        self._lengths.extend(lengths)
        self._codes.extend(code_points("".join(spellings)))
        self._by_id.extend(hashes)
        if 4 * len(self._by_id) <= len(self._hashes):
            self._place(np.arange(first, len(self._by_id)), np.array(hashes, np.uint64))
            return
        bits = self._bits
        while 4 * len(self._by_id) > 1 << bits:
            bits += 1
        self._make_slots(bits)
        self._place(np.arange(len(self._by_id)), self._by_id.values)

    def _place(self, ids: Ids, hashes: Hashes) -> None:
        """Put each id in the first free slot from its hash's: all at once those whose own
        slot is free and wanted by no other, then the others one by one."""
        slots = ((hashes * np.uint64(_MIX)) >> self._shift).astype(np.intp)
        direct = np.zeros(len(slots), np.bool_)
        direct[np.unique(slots, return_index=True)[1]] = True
        direct &= self._hashes[slots] == _EMPTY
        self._hashes[slots[direct]] = hashes[direct]
        self._ids[slots[direct]] = ids[direct]
        rest = (~direct).nonzero()[0]
        table, mask = self._hashes, self._mask
        for spelling_id, slot, spelling_hash in zip(
            ids[rest].tolist(), slots[rest].tolist(), hashes[rest].tolist(), strict=True
        ):
            while table[slot] != _EMPTY:
                slot = (slot + 1) & mask
            table[slot] = spelling_hash
            self._ids[slot] = spelling_id
