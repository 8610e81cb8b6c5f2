"""One item's words and the terms found among them.

The words of each text are found in one regex pass and looked up by spelling
in a cache, so the Python work per word is little more than a dictionary
lookup. Only words that can start a term are looked at further, and a phrase
only when its second word's keys meet the phrases that the first word
starts. Character spans are worked out only for texts whose hits are shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate

from monitor.item import Item, field_texts
from monitor.text.keys import WordKeys, analyze
from monitor.text.tokenizer import WORD_RE, WORD_SPLIT

CACHE_LIMIT = 300_000
"""Distinct spellings remembered before the caches start afresh."""

Start = tuple[int, tuple[str, ...]]
Occurrence = tuple[int, int, int]
"""(text id, first word, last word) of one term found."""


@dataclass(frozen=True, eq=False)
class Starts:
    """The terms a spelling can start: whole terms, and phrases by their second key."""

    singles: tuple[int, ...]
    phrases: dict[str, tuple[Start, ...]]
    seconds: frozenset[str]


NOTHING = Starts((), {}, frozenset())


class SpellingIndex:
    """What each spelling of a word is, cached: its keys and the terms it may start."""

    def __init__(self, index: Mapping[str, Sequence[Start]]) -> None:
        self._index = index
        self.starts: dict[str, Starts | None] = {}
        self.keys: dict[str, frozenset[str]] = {}
        self.normal: dict[str, str] = {}
        self.several: dict[str, tuple[WordKeys, ...]] = {}

    def learn(self, spelling: str) -> Starts | None:
        """Analyse a spelling not seen before; one that NFKC splits into words is kept apart."""
        words = analyze(spelling)
        if len(words) != 1:
            self.several[spelling] = words
            return NOTHING
        (word,) = words
        self.keys[spelling] = word.keys
        self.normal[spelling] = word.word
        found = [start for key in word.keys for start in self._index.get(key, ())]
        phrases: dict[str, list[Start]] = defaultdict(list)
        for term, tail in found:
            if tail:
                phrases[tail[0]].append((term, tail[1:]))
        starts = Starts(
            tuple(term for term, tail in found if not tail),
            {key: tuple(value) for key, value in phrases.items()},
            frozenset(phrases),
        )
        self.starts[spelling] = starts if found else None
        return self.starts[spelling]

    def starts_of(self, spellings: list[str]) -> list[Starts | None]:
        """What each spelling starts (None: nothing), learning spellings not seen before."""
        if len(self.keys) >= CACHE_LIMIT:
            for cache in (self.starts, self.keys, self.normal):
                cache.clear()
        found = list(map(self.starts.get, spellings, [NOTHING] * len(spellings)))
        if NOTHING in found:
            for position, starts in enumerate(found):
                if starts is NOTHING and spellings[position] not in self.several:
                    found[position] = self.learn(spellings[position])
        return found

    def expand(self, spellings: list[str]) -> list[str] | None:
        """The spellings with those NFKC splits replaced by their words; None if there are none."""
        if not self.several or self.several.keys().isdisjoint(spellings):
            return None
        expanded: list[str] = []
        for spelling in spellings:
            parts = self.several.get(spelling)
            expanded += [part.word for part in parts] if parts is not None else [spelling]
        return expanded


class TextScan:
    """One text's words and where each term found in it stands."""

    def __init__(
        self, text: str, text_id: int, index: SpellingIndex, found: dict[int, list[Occurrence]]
    ) -> None:
        self.text = text
        self.text_id = text_id
        self.index = index
        # One regex pass gives the words and, between them, what spans are computed from.
        self._parts = WORD_SPLIT.split(text)
        self.raw = self._parts[1::2]
        starts = index.starts_of(self.raw)
        expanded = index.expand(self.raw)
        self.words = self.raw if expanded is None else expanded
        if expanded is not None:
            starts = index.starts_of(expanded)
        self.found = found
        self._spans: list[tuple[int, int]] | None = None
        self._find_terms(starts)

    def _find_terms(self, starts: list[Starts | None]) -> None:
        words, keys, found, text_id = self.words, self.index.keys, self.found, self.text_id
        last_word = len(words) - 1
        empty: frozenset[str] = frozenset()
        for position in [i for i, s in enumerate(starts) if s]:
            here: Starts = starts[position]  # type: ignore[assignment]
            if here.singles:
                hit = (text_id, position, position)
                for term in here.singles:
                    found[term].append(hit)
            if here.seconds and position < last_word:
                following = keys.get(words[position + 1], empty)
                if here.seconds.isdisjoint(following):
                    continue
                for key in here.seconds & following:
                    for term, rest in here.phrases[key]:
                        self._phrase(term, position, rest)

    def _phrase(self, term: int, position: int, rest: tuple[str, ...]) -> None:
        last = position + 1 + len(rest)
        if rest:
            words, keys = self.words, self.index.keys
            if last >= len(words) or not all(
                key in keys.get(words[position + 2 + n], ()) for n, key in enumerate(rest)
            ):
                return
        self.found[term].append((self.text_id, position, last))

    def normal_words(self) -> list[str]:
        return list(map(self.index.normal.get, self.words, self.words))

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Character span of words `first` to `last` in the original text."""
        if self._spans is None:
            self._spans = self._word_spans()
        return self._spans[first][0], self._spans[last][1]

    def _word_spans(self) -> list[tuple[int, int]]:
        if self.words is not self.raw:
            several = self.index.several
            spans: list[tuple[int, int]] = []
            for m in WORD_RE.finditer(self.text):
                parts = several.get(m.group())
                spans += [m.span()] * (1 if parts is None else len(parts))
            return spans
        # Offsets from the lengths of separators and words, without a Python step per word.
        ends = list(accumulate(map(len, self._parts)))
        return list(zip(ends[0:-1:2], ends[1::2], strict=True))


class ItemScan:
    """The title (text 0), separate lead (1) and body (2) of an item, scanned."""

    def __init__(self, item: Item, index: SpellingIndex) -> None:
        texts = field_texts(item)
        lead = "" if texts.lead_in_body else texts.lead
        self.sources = (texts.title, lead, texts.body)
        self.occurrences: dict[int, list[Occurrence]] = defaultdict(list)
        self.texts = [
            TextScan(text, text_id, index, self.occurrences)
            for text_id, text in enumerate(self.sources)
        ]
        self.lead_words = len(WORD_RE.findall(texts.lead)) if texts.lead_in_body else 0

    def add(self, term: int, text_id: int, first: int, last: int) -> None:
        """An occurrence found otherwise than by words (a pattern)."""
        self.occurrences[term].append((text_id, first, last))

    def span(self, text_id: int, first: int, last: int) -> tuple[int, int]:
        return self.texts[text_id].span(first, last)
