"""One item's words and where each term group was found in them.

The words of the title, lead and body stand in one array of spelling ids
(SEPARATOR between texts), and numpy reads the spelling index for all of them
at once: the fields each group was found in, and the places where a word and
the next may start a phrase. Python looks closer only at those places, and
locates single-word terms only when asked, for the rules that may match.
"""

from __future__ import annotations

from collections.abc import Set
from itertools import repeat

import numpy as np
import numpy.typing as npt

from monitor.item import Item, ItemField, field_texts
from monitor.rules.expression import FIELD_BITS
from monitor.rules.ragged import Ints
from monitor.rules.spellings import SEPARATOR, SpellingIndex, Words

Occurrence = tuple[int, int, int]
"""(text id, first word, last word) of one term found."""

Occurrences = dict[int, list[Occurrence]]

Placed = tuple[ItemField, int, int, int, int]
"""An occurrence with the field it is shown in and the field bits it counts for:
(field, bits, text id, first word, last word)."""

TITLE, LEAD, BODY = FIELD_BITS.values()
_TEXT_FIELDS = np.array([TITLE, 0, LEAD, 0, LEAD | BODY, BODY], np.uint8)
"""The field bits of a word, by where it stands: title, separator, lead, separator, the
body's opening words when they are the lead, the rest of the body."""

_FIELD_OF_BITS = {
    TITLE: ItemField.TITLE,
    LEAD: ItemField.LEAD,
    LEAD | BODY: ItemField.LEAD,
    BODY: ItemField.BODY,
}


class TextScan:
    """One text's words: the id of each and where it stands in the text."""

    def __init__(self, text: str, text_id: int, index: SpellingIndex, words: Words) -> None:
        self.text = text
        self.text_id = text_id
        self.index = index
        self.ids, self._starts, self._ends = words
        self._spans: tuple[list[int], list[int]] | None = None

    def spans(self) -> tuple[list[int], list[int]]:
        """Where each word starts and ends in the text."""
        if self._spans is None:
            self._spans = (self._starts.tolist(), self._ends.tolist())
        return self._spans


class ItemScan:
    """The title (text 0), separate lead (1) and body (2) of an item, scanned."""

    def __init__(self, item: Item, index: SpellingIndex, groups: int) -> None:
        index.begin_item()
        self.index = index
        texts = field_texts(item)
        lead = "" if texts.lead_in_body else texts.lead
        self.sources = (texts.title, lead, texts.body)
        self._split_words(texts.lead_chars)
        self._found: npt.NDArray[np.uint8] = np.zeros(groups, np.uint8)
        self._placed: tuple[list[int], list[int]] = ([], [])
        self._found_bytes: bytes | None = None
        self.occurrences: Occurrences = {}
        """Where each term stands: phrases and patterns at once, single words once located."""
        self._located: set[int] = set()
        self._placed_terms: dict[int, list[Placed]] = {}
        self.located_rules: set[int] = set()
        """Rules whose terms were located, kept by the matcher."""
        self._terms: tuple[Ints, Ints] | None = None
        self._mark_words()
        self._find_phrases()

    def _split_words(self, lead_chars: int) -> None:
        """The words of all three texts in one pass, then each text's own; all words' ids in
        one array (SEPARATOR between texts), with each word's field bits."""
        # A line break is no word character, so no word runs from one text into the next.
        words = self.index.words_in("\n".join(self.sources))
        title, lead, _ = self.sources
        begins = (0, len(title) + 1, len(title) + len(lead) + 2)
        cuts = [0, *words.starts.searchsorted(begins[1:]).tolist(), len(words.ids)]
        self.texts = []
        for text_id, (source, begin) in enumerate(zip(self.sources, begins, strict=True)):
            first, last = cuts[text_id], cuts[text_id + 1]
            ids, starts, ends = (part[first:last] for part in words)
            local = Words(ids, starts - begin, ends - begin)
            self.texts.append(TextScan(source, text_id, self.index, local))
        counts = [cuts[1], cuts[2] - cuts[1], cuts[3] - cuts[2]]
        ids, separator = words.ids, np.array([self.index.ids[SEPARATOR]], np.intp)
        self.ids = np.concatenate(
            (ids[: cuts[1]], separator, ids[cuts[1] : cuts[2]], separator, ids[cuts[2] :])
        )
        self._id_list: list[int] | None = None
        self.starts = (0, counts[0] + 1, counts[0] + counts[1] + 2)
        self._starts = np.array(self.starts, np.intp)
        # The body's opening words are its lead when the lead is derived from it.
        opening = int(words.starts.searchsorted(begins[2] + lead_chars)) - cuts[2]
        fields = [counts[0], 1, counts[1], 1, opening, counts[2] - opening]
        self.fields = _TEXT_FIELDS.repeat(fields)
        self._field_bits = self.fields.tobytes()

    @property
    def found(self) -> npt.NDArray[np.uint8]:
        """The field bits each group was found in."""
        groups, fields = self._placed
        if groups:
            np.bitwise_or.at(self._found, groups, fields)
            self._placed = ([], [])
            self._found_bytes = None
        return self._found

    def found_bytes(self) -> bytes:
        """`found` as bytes, one a group, for reading one group at a time."""
        if self._placed[0] or self._found_bytes is None:
            self._found_bytes = self.found.tobytes()
        return self._found_bytes

    def _mark_words(self) -> None:
        groups, owners = self.index.groups.gather(self.ids)
        np.bitwise_or.at(self._found, groups, self.fields[owners])

    def _find_phrases(self) -> None:
        ids, index = self.ids, self.index
        meet = (index.first_bits.values[ids[:-1]] & index.key_bits.values[ids[1:]]).nonzero()[0]
        keys, phrases = index.keys, index.phrases
        for position, first, second in zip(
            meet.tolist(), ids[meet].tolist(), ids[meet + 1].tolist(), strict=True
        ):
            here, following = phrases[first], keys[second]
            if here.seconds.isdisjoint(following):
                continue  # the bits of another key met
            for key in here.seconds.intersection(following):
                for term, rest in here.by_second[key]:
                    if not rest or self._continues(position + 2, rest):
                        self._place(term, position, position + 1 + len(rest))

    def _continues(self, position: int, rest: tuple[str, ...]) -> bool:
        """Whether the words from `position` on have the keys `rest`, one each."""
        if self._id_list is None:
            self._id_list = self.ids.tolist()
        ids, keys = self._id_list, self.index.keys
        if position + len(rest) > len(ids):
            return False
        return all(key in keys[ids[position + n]] for n, key in enumerate(rest))

    def _place(self, term: int, first: int, last: int) -> None:
        """A phrase or pattern found from word `first` to `last` of `words`."""
        text_id = 2 if first >= self.starts[2] else 1 if first >= self.starts[1] else 0
        start = self.starts[text_id]
        self.occurrences.setdefault(term, []).append((text_id, first - start, last - start))
        groups, fields = self._placed
        groups += self.index.term_groups[term]
        fields += repeat(self._field_bits[first], len(self.index.term_groups[term]))

    def add(self, term: int, text_id: int, first: int, last: int) -> None:
        """An occurrence found otherwise than by words (a pattern)."""
        start = self.starts[text_id]
        self._place(term, start + first, start + last)

    def locate(self, terms: Set[int]) -> None:
        """Make sure `occurrences` holds every place of each of the single-word `terms`."""
        todo = terms - self._located
        if not todo:
            return
        self._located |= todo
        if self._terms is None:
            self._terms = self.index.terms.gather(self.ids)
        every, owners = self._terms
        wanted = np.zeros(len(self.index.term_groups), bool)
        wanted[list(todo)] = True
        keep = wanted[every]
        positions = owners[keep]
        text_ids = self._starts.searchsorted(positions, side="right") - 1
        local = positions - self._starts[text_ids]
        occurrences = self.occurrences
        for term, text_id, word in zip(
            every[keep].tolist(), text_ids.tolist(), local.tolist(), strict=True
        ):
            occurrences.setdefault(term, []).append((text_id, word, word))

    def place(self, text_id: int, word: int) -> tuple[ItemField, int]:
        """The field a word of a text is shown in, and the field bits it counts for."""
        bits = self._field_bits[self.starts[text_id] + word]
        return _FIELD_OF_BITS[bits], bits

    def normal_texts(self) -> list[bytes]:
        """Each text's normalised words joined by single spaces, in UTF-8, as patterns see
        them."""
        # All words at once, each with its space; a separator is a space alone.
        cells, begins = self.index.normal.concatenated(self.ids)
        data = cells.tobytes()
        begins_at = [*begins.tolist(), len(data)]
        firsts = self.starts
        # A text runs from its first word to the space before the separator that ends it.
        ends = [begins_at[first - 1] - 1 for first in (*firsts[1:], len(self.ids) + 1)]
        return [
            data[begins_at[first] : end] if end > begins_at[first] else b""
            for first, end in zip(firsts, ends, strict=True)
        ]

    def placed(self, term: int) -> list[Placed]:
        """Every occurrence of a term with the field it is shown in and counts for."""
        found = self._placed_terms.get(term)
        if found is None:
            place = self.place
            found = self._placed_terms[term] = [
                (*place(text_id, first), text_id, first, last)
                for text_id, first, last in self.occurrences.get(term, ())
            ]
        return found
