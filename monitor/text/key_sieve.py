"""Which words may have one of a given set of keys, told without working their keys out.

The matcher cares only for the keys its terms have, and working out every key of a
word (monitor.text.keys) is the costliest step of reading a word not seen before;
most words of a text have none of those keys. Every key of an Arabic word is a
part of it: the word less a clitic chain of at most LONGEST_PREFIX letters (an
exact key, and a stem), and that less at most LONGEST_TAIL letters at the end, at
least MIN_STEM left, with a final ت read as ة (a stem). The sieve looks for such
parts among the keys; a word with none cannot have any of them. Other words are
always let through.
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.text.keys import LONGEST_PREFIX, LONGEST_TAIL, MIN_STEM, STEM_MARK, is_arabic

_TA_MARBUTA, _TA = "ه", "ت"
"""ة as normalised, and the ت a suffix turns it into (مسيرتين, قيادتها)."""


class KeySieve:
    """False when a normalised word can have none of the keys; True when it may."""

    def __init__(self, keys: Iterable[str]) -> None:
        whole: set[str] = set()
        stems: set[str] = set()
        for key in keys:
            stem = key.removeprefix(STEM_MARK)
            whole.add(stem)  # the word less its clitics is an exact key and a stem
            if stem != key and len(stem) >= MIN_STEM:
                stems.add(stem)
                if stem.endswith(_TA_MARBUTA):
                    stems.add(stem[: -len(_TA_MARBUTA)] + _TA)
        self._whole = frozenset(whole)
        self._stems = frozenset(stems)
        # Most places of a word are dismissed by their first letters, not a look-up for
        # each of their possible ends.
        self._heads = frozenset(stem[:MIN_STEM] for stem in stems)

    def __call__(self, word: str) -> bool:
        # One flat loop: the sieve reads every word not seen before, and a call or a
        # generator for each of its places would cost as much as the keys it spares.
        if not is_arabic(word):
            return True
        whole, heads, stems = self._whole, self._heads, self._stems
        size = len(word)
        for start in range(min(LONGEST_PREFIX + 1, size)):
            if word[start:] in whole:
                return True
            if word[start : start + MIN_STEM] not in heads:
                continue
            for end in range(max(start + MIN_STEM, size - LONGEST_TAIL), size):
                if word[start:end] in stems:
                    return True
        return False
