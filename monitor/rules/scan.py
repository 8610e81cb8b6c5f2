"""Items' words and where each term group was found in them.

Items are scanned several at a time. The words of all their titles, leads and
bodies stand in one array of spelling ids (SEPARATOR between texts), and numpy
reads the spelling index for all of them at once: the fields each group was
found in, and the places where a word and the next may start a phrase. Python
looks closer only at those places, and places terms in an item's table of
occurrences only when asked, for the rules judged on where their terms stand.
Numpy's cost per call, which on one item's few thousand words is most of its
cost, is then paid once a batch.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence, Set
from functools import cache, cached_property
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from monitor.item import FieldTexts, Item, ItemField, field_texts
from monitor.rules.expression import FIELD_BITS
from monitor.rules.gate import PatternGates
from monitor.rules.pattern_set import PatternSet
from monitor.rules.ragged import Ints, run_firsts
from monitor.rules.spellings import PAIR_SHIFT, SEPARATOR, SpellingIndex, Words
from monitor.text.sentences import sentence_ends

Occurrence = tuple[int, int, int]
"""(text id, first word, last word) of one term found."""

Occurrences = dict[int, list[Occurrence]]

Patterns = tuple[PatternSet, Sequence[int], PatternGates]
"""The rules' pattern sets, the term of each pattern, and each set's gates."""

Found = list[tuple[int, int, int, int]]
"""Patterns found: (pattern, text of the batch, first word, last word)."""

Placed = tuple[ItemField, int, int, int, int]
"""An occurrence with the field it is shown in and the field bits it counts for:
(field, bits, text id, first word, last word)."""

TEXTS = 3
"""Title, lead and body: the texts of an item, by text id."""

TITLE, LEAD, BODY = FIELD_BITS.values()
_TEXT_FIELDS = np.array([TITLE, 0, LEAD, 0, LEAD | BODY, BODY, 0], np.uint8)
"""The field bits of a word, by where it stands in its item: title, separator, lead,
separator, the body's opening words when they are the lead, the rest of the body, and the
separator before the next item."""

_FIELD_VALUES = sorted(set(_TEXT_FIELDS.tolist()) - {0})
"""The field bits a word may have: title, lead, body, or the body's opening as the lead."""

_FIELD_OF_BITS = {
    TITLE: ItemField.TITLE,
    LEAD: ItemField.LEAD,
    LEAD | BODY: ItemField.LEAD,
    BODY: ItemField.BODY,
}


_NONE = np.zeros(0, np.intp)

TRIAL_ROWS, TRIAL_COLUMNS, TRIAL_MARKED = 4, 25_000, 4_000
"""The table `sorted_below` times both ways of reading: about four items of a batch of
feed items at 10,000 rules (100 rows of 28,000 columns, 110,000 cells marked), each array
small enough that the process keeps no more memory for having made it."""

_SCATTER = 7_919
"""A prime that spreads the trial's marked cells over their item's row."""

TRIALS = 3
"""Each way is timed this many times and the quickest kept: the other core may be busy."""


def item_sources(texts: FieldTexts) -> tuple[str, str, str]:
    """An item's texts 0, 1 and 2: its title, its lead when the lead is not the body's
    opening (else empty), and its body."""
    return (texts.title, "" if texts.lead_in_body else texts.lead, texts.body)


class TextScan:
    """One text's words: the id of each and where it stands in the text."""

    def __init__(
        self, text: str, text_id: int, words: Words, first: int, count: int, begin: int
    ) -> None:
        self.text = text
        self.text_id = text_id
        self.count = count
        """How many words the text has."""
        self._words = words
        """The batch's words, of which this text's are `count` from `first`."""
        self._first = first
        self._begin = begin
        """Where the text begins in the batch's texts, joined."""
        self._sentence_ends: list[int] | None = None

    @property
    def ids(self) -> Ints:
        """The spelling id of each of its words."""
        return self._words.ids[self._first : self._first + self.count]

    def sentence_of(self, word: int) -> int:
        """The number of the sentence word `word` stands in, counting from 0."""
        if self._sentence_ends is None:
            self._sentence_ends = sentence_ends(self.text)
        return bisect_right(self._sentence_ends, self.span(word, word)[0])

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Where words `first` to `last` run in the text: the start of one, the end of the
        other."""
        _, starts, ends = self._words
        at = self._first
        return int(starts[at + first]) - self._begin, int(ends[at + last]) - self._begin


class ItemScan:
    """The title (text 0), separate lead (1) and body (2) of an item, scanned."""

    def __init__(
        self,
        batch: ScanBatch,
        number: int,
        sources: tuple[str, str, str],
        counts: Sequence[int],
        field_bits: bytes,
        found: npt.NDArray[np.uint8],
    ) -> None:
        self._batch = batch
        self._number = number
        """Its place in the batch."""
        self.sources = sources
        self._field_bits = field_bits
        """The field bits of the title's, lead's and body's words, a SEPARATOR's (0)
        between texts, one byte each."""
        title, lead, _ = counts
        self.starts = (0, title + 1, title + lead + 2)
        """Where each text's words begin among the item's (as in `_field_bits`)."""
        self.found = found
        """The field bits each group was found in."""
        self._found_bytes: bytes | None = None
        self._placed_terms: dict[int, list[Placed]] = {}
        self.located_rules: set[int] = set()
        """Rules whose terms were located, kept by the matcher."""

    @cached_property
    def texts(self) -> list[TextScan]:
        """Its title, lead and body, word by word: made when first read, since most items'
        hits are never shown."""
        return self._batch.text_scans(self._number)

    @property
    def occurrences(self) -> Occurrences:
        """Where each term stands, once located: words, phrases and patterns alike."""
        return self._batch.occurrences[self._number]

    @occurrences.setter
    def occurrences(self, occurrences: Occurrences) -> None:
        self._batch.occurrences[self._number] = occurrences

    def found_bytes(self) -> bytes:
        """`found` as bytes, one a group, for reading one group at a time."""
        if self._found_bytes is None:
            self._found_bytes = self.found.tobytes()
        return self._found_bytes

    def locate(self, terms: Set[int]) -> None:
        """Make sure `occurrences` holds every place of each of the `terms`."""
        self._batch.locate({self._number: terms})

    def sentence_of(self, text_id: int, word: int) -> int:
        """The sentence of text `text_id` that word `word` stands in."""
        return self.texts[text_id].sentence_of(word)

    def place(self, text_id: int, word: int) -> tuple[ItemField, int]:
        """The field a word of a text is shown in, and the field bits it counts for."""
        bits = self._field_bits[self.starts[text_id] + word]
        return _FIELD_OF_BITS[bits], bits

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


class ScanBatch:
    """Items scanned together: their words, the phrases and patterns found in them, and
    the field bits each group was found in, one row an item."""

    def __init__(
        self,
        items: Sequence[Item],
        index: SpellingIndex,
        groups: int,
        patterns: Patterns,
    ) -> None:
        index.begin_batch()
        self.index = index
        self._groups = groups
        self._terms: tuple[Ints, Ints] | None = None
        self._normal: tuple[bytes, list[int]] | None = None
        """Every single-word term of every word, and the word's place, once asked for."""
        sources, lead_chars = [], []
        for item in items:
            texts = field_texts(item)
            sources.append(item_sources(texts))
            lead_chars.append(texts.lead_chars)
        words, begins, cuts = self._split_words([text for three in sources for text in three])
        counts = [cuts[k + 1] - cuts[k] for k in range(len(cuts) - 1)]
        lengths = self._word_fields(words, begins, cuts, counts, lead_chars)
        self.found = np.zeros((len(sources), groups), np.uint8)
        """The field bits each group was found in, one row an item."""
        self.occurrences: list[Occurrences] = [{} for _ in sources]
        """Each item's: where each term stands (see ItemScan.occurrences)."""
        self._located: list[set[int]] = [set() for _ in sources]
        """Each item's terms whose places `occurrences` holds."""
        found: tuple[list[Ints], list[Ints], list[Ints]] = ([], [], [])
        self._found_places = found
        """Phrases and patterns found while scanning, a run at a time: each one's term and
        the batch places of its first and last words."""
        self._parts = (sources, words, cuts, counts, begins, lengths)
        self._marked: list[tuple[Ints, Ints]] = []
        """The cells of `found` marked, as runs of items and groups, some more than once;
        let go once `found_cells` has read them, since the scans hold the batch while any
        of its matches may read its hits."""
        self._cells: Ints | None = None
        self._mark_words()
        self._find_phrases()
        if patterns[0]:
            self._find_patterns(*patterns)
        self._places = tuple(np.concatenate([*runs, _NONE]) for runs in found)
        """`_found_places` as arrays: they are located, as single words are, when asked."""

    def _split_words(self, texts: list[str]) -> tuple[Words, list[int], list[int]]:
        """The words of every text in one pass; where each text begins in the texts joined
        and in the words (and after the last, the number of words)."""
        # A line break is no word character, so no word runs from one text into the next.
        begins = list(accumulate((len(text) + 1 for text in texts[:-1]), initial=0))
        words = self.index.words_in("\n".join(texts))
        cuts = [*words.starts.searchsorted(begins).tolist(), len(words.ids)]
        # One separator after each text but the last: text k's words begin at cuts[k] + k.
        separator = self.index.ids[SEPARATOR]
        self.ids = np.insert(words.ids, cuts[1:-1], separator)
        """The ids of the words of every text of every item, SEPARATOR between texts."""
        self._text_begins = np.array(cuts[:-1], np.intp) + np.arange(len(texts))
        return words, begins, cuts

    def _word_fields(
        self,
        words: Words,
        begins: list[int],
        cuts: list[int],
        counts: list[int],
        lead_chars: list[int],
    ) -> list[int]:
        """The field bits of every word and the item each belongs to; each item's length
        in `ids`, with the separator after it."""
        # The body's opening words are its lead when the lead is derived from it.
        body_begins = np.array(begins[2::TEXTS], np.intp) + lead_chars
        openings = (words.starts.searchsorted(body_begins) - cuts[2:-1:TEXTS]).tolist()
        self._openings: list[int] = openings
        """How many of each item's body words are its lead (0: a lead of its own)."""
        segments: list[int] = []
        lengths: list[int] = []
        for item, opening in enumerate(openings):
            title, lead, body = counts[TEXTS * item : TEXTS * item + TEXTS]
            segments += (title, 1, lead, 1, opening, body - opening, 1)
            lengths.append(title + lead + body + TEXTS)  # with the separators after each
        segments[-1] = 0  # nothing after the last item
        lengths[-1] -= 1
        self.fields = np.tile(_TEXT_FIELDS, len(openings)).repeat(segments)
        """The field bits of each of `ids`."""
        self._item_begins = list(accumulate(lengths[:-1], initial=0))
        self._item_of = np.arange(len(openings)).repeat(lengths)
        return lengths

    def item_scans(self) -> list[ItemScan]:
        """Each item's scan. The scans hold the batch, and not the other way round, so
        that the batch goes as soon as its scans do."""
        sources, _, _, counts, _, lengths = self._parts
        field_bits = self.fields.tobytes()
        scans = []
        for item, (first, length) in enumerate(zip(self._item_begins, lengths, strict=True)):
            end = first + length - (item < len(sources) - 1)  # not its last separator
            scans.append(
                ItemScan(
                    self,
                    item,
                    sources[item],
                    counts[TEXTS * item : TEXTS * item + TEXTS],
                    field_bits[first:end],
                    self.found[item],
                )
            )
        return scans

    def text_scans(self, item: int) -> list[TextScan]:
        """The title, lead and body of one item, word by word."""
        sources, words, cuts, counts, begins, _ = self._parts
        return [
            TextScan(sources[item][text_id], text_id, words, cuts[k], counts[k], begins[k])
            for text_id, k in enumerate(range(TEXTS * item, TEXTS * item + TEXTS))
        ]

    def _mark_words(self) -> None:
        groups, owners = self.index.groups.gather(self.ids)
        self._mark_cells(self._item_of[owners], groups, self.fields[owners])

    def _find_phrases(self) -> None:
        ids, index = self.ids, self.index
        meet = (index.first_bits.values[ids[:-1]] & index.key_bits.values[ids[1:]]).nonzero()[0]
        slots = index.pair_slots((ids[meet] << PAIR_SHIFT) | ids[meet + 1])
        terms, owners = index.pair_terms.gather(slots)
        firsts = meet[owners]
        self._place(terms, firsts, firsts + 1)
        thirds = ids[np.minimum(meet + 2, len(ids) - 1)]
        goes_on = (index.pair_third_bits.values[slots] & index.third_key_bits.values[thirds]) != 0
        goes_on &= meet + 2 < len(ids)
        self._find_longer(meet[goes_on], slots[goes_on])

    def _find_longer(self, positions: Ints, slots: Ints) -> None:
        """The phrases of three words or more that start at `positions`, whose first two
        words are the pairs of `slots`."""
        index = self.index
        triples = index.triple_slots((slots << PAIR_SHIFT) | self.ids[positions + 2])
        terms, owners = index.triple_terms.gather(triples)
        firsts = positions[owners]
        self._place(terms, firsts, firsts + 2)
        goes_on = index.triple_goes_on.values[triples]
        self._find_longest(positions[goes_on], triples[goes_on])

    def _find_longest(self, positions: Ints, triples: Ints) -> None:
        """The phrases of four words or more that start at `positions`, whose first three
        words are the triples of `triples`."""
        terms: list[int] = []
        firsts: list[int] = []
        lasts: list[int] = []
        longer = self.index.triple_longer
        for position, triple in zip(positions.tolist(), triples.tolist(), strict=True):
            for term, rest in longer[triple]:
                if self._continues(position + 3, rest):
                    terms.append(term)
                    firsts.append(position)
                    lasts.append(position + 2 + len(rest))
        self._place(*(np.array(column, np.intp) for column in (terms, firsts, lasts)))

    def _continues(self, position: int, rest: tuple[str, ...]) -> bool:
        """Whether the words from `position` on have the keys `rest`, one each."""
        if not rest:
            return True
        following = self.ids[position : position + len(rest)].tolist()
        if len(following) < len(rest):
            return False
        keys = self.index.keys
        return all(key in keys[word] for key, word in zip(rest, following, strict=True))

    def normal_texts(self) -> list[bytes]:
        """Each text's normalised words joined by single spaces, in UTF-8, as patterns see
        them: the title, lead and body of each item in turn."""
        data, begins_at = self._normal_words()
        firsts = self._text_begins.tolist()
        # A text runs from its first word to the space before the separator that ends it.
        ends = [begins_at[first - 1] - 1 for first in (*firsts[1:], len(self.ids) + 1)]
        return [
            data[begins_at[first] : end] if end > begins_at[first] else b""
            for first, end in zip(firsts, ends, strict=True)
        ]

    def _normal_words(self) -> tuple[bytes, list[int]]:
        """Every word's normal form with its space, joined, and where each word begins."""
        if self._normal is None:
            cells, begins = self.index.normal.concatenated(self.ids)
            data = cells.tobytes()
            self._normal = data, [*begins.tolist(), len(data)]
        return self._normal

    def _lead_bytes(self, item: int) -> int:
        """How many bytes of the item's normalised body its derived lead takes."""
        opening = self._openings[item]
        if not opening:
            return 0
        _, begins_at = self._normal_words()
        first = int(self._text_begins[TEXTS * item + 2])
        return begins_at[first + opening] - begins_at[first] - 1

    def _find_patterns(
        self, patterns: PatternSet, pattern_terms: Sequence[int], gates: PatternGates
    ) -> None:
        alive = gates.words.open(self.found)
        if not any(alive):
            return
        texts = self.normal_texts()
        found: Found = []
        for text_id, text in enumerate(texts):
            chunks = alive[text_id // TEXTS]
            if chunks:
                found += self._read_text(patterns, text_id, text, chunks, gates.lead_first)
        self._place_patterns(found, pattern_terms)
        self._read_rest(patterns, texts, alive, gates, pattern_terms)
        patterns.forget_texts()

    def _read_text(
        self,
        patterns: PatternSet,
        text_id: int,
        text: bytes,
        chunks: list[int],
        lead_first: Sequence[bool],
    ) -> Found:
        """Patterns in one text: all of it, but only the lead of a body for the sets that
        read the lead first."""
        if text_id % TEXTS != 2:
            return [(p, text_id, a, b) for p, a, b in patterns.find(text, chunks)]
        whole = [chunk for chunk in chunks if not lead_first[chunk]]
        first = [chunk for chunk in chunks if lead_first[chunk]]
        found = [(p, text_id, a, b) for p, a, b in patterns.find(text, whole)] if whole else []
        lead = text[: self._lead_bytes(text_id // TEXTS)]
        if first and lead:
            found += [(p, text_id, a, b) for p, a, b in patterns.find(lead, first, text)]
        return found

    def _read_rest(
        self,
        patterns: PatternSet,
        texts: list[bytes],
        alive: list[list[int]],
        gates: PatternGates,
        pattern_terms: Sequence[int],
    ) -> None:
        """The bodies past their leads, for the lead-first sets whose every group of one
        alternative is now found."""
        rest = gates.rest.open(self.found)
        found: Found = []
        for item, chunks in enumerate(alive):
            wanted = [c for c in chunks if gates.lead_first[c] and c in rest[item]]
            if wanted:
                opening = self._openings[item]
                body = TEXTS * item + 2
                found += [
                    (pattern, body, first, last)
                    for pattern, first, last in patterns.find(texts[body], wanted)
                    if last >= opening
                ]
        self._place_patterns(found, pattern_terms)

    def _place_patterns(self, found: Found, pattern_terms: Sequence[int]) -> None:
        begins = self._text_begins
        terms = [pattern_terms[pattern] for pattern, _, _, _ in found]
        firsts = [int(begins[text]) + first for _, text, first, _ in found]
        lasts = [int(begins[text]) + last for _, text, _, last in found]
        self._place(*(np.array(column, np.intp) for column in (terms, firsts, lasts)))

    def locate(self, wanted: Mapping[int, Set[int]]) -> None:
        """Make sure each item's `occurrences` hold every place of each of its terms in
        `wanted` (item's place in the batch -> terms)."""
        todo: dict[int, Set[int]] = {}
        for item, terms in wanted.items():
            new = terms - self._located[item]
            if new:
                self._located[item] |= new
                todo[item] = new
        if not todo:
            return
        if len(todo) == 1:
            self._record(*self._item_places(*next(iter(todo.items()))))
        else:
            self._record(*self._batch_places(todo))

    def _batch_places(self, todo: Mapping[int, Set[int]]) -> tuple[list[int], Ints, Ints]:
        """Of the batch's terms found, those `todo` asks of their items, with the batch
        places of their first and last words: words in the batch's order, then phrases and
        patterns in the order found."""
        count = len(self.index.term_groups)
        chosen = np.zeros(len(self.occurrences) * count, bool)
        chosen[[item * count + term for item, terms in todo.items() for term in terms]] = True
        words, places = self.keep_terms()
        terms, firsts, lasts = self._places
        word_kept = chosen[self._item_of[places] * count + words]
        kept = chosen[self._item_of[firsts] * count + terms]
        located: list[int] = words.compress(word_kept).tolist() + terms[kept].tolist()
        word_places = places.compress(word_kept)
        return (
            located,
            np.concatenate((word_places, firsts[kept])),
            np.concatenate((word_places, lasts[kept])),
        )

    def _item_places(self, item: int, wanted: Set[int]) -> tuple[list[int], Ints, Ints]:
        """`_batch_places` of one item, read from its own words: a match's hits are located
        an item at a time when they are read, and a table of the whole batch's words for
        each cost more than matching the item (at 1,000 rules, a feed item's first alert's
        hits took 63 µs, now 39)."""
        words, places = self.keep_terms()
        *_, lengths = self._parts
        first = self._item_begins[item]
        begin, end = places.searchsorted([first, first + lengths[item]]).tolist()
        its = words[begin:end].tolist()
        kept = [k for k, term in enumerate(its) if term in wanted]
        terms, firsts, lasts = self._places
        among = (self._item_of[firsts] == item).nonzero()[0]
        chosen = among[[k for k, term in enumerate(terms[among].tolist()) if term in wanted]]
        word_kept = places[begin:end][kept]
        return (
            [its[k] for k in kept] + terms[chosen].tolist(),
            np.concatenate((word_kept, firsts[chosen])),
            np.concatenate((word_kept, lasts[chosen])),
        )

    def _record(self, terms: list[int], firsts: Ints, lasts: Ints) -> None:
        """Terms found from batch place `firsts[i]` to `lasts[i]`, in their items'
        `occurrences`."""
        texts = self._text_begins.searchsorted(firsts, side="right") - 1
        begins = self._text_begins[texts]
        occurrences = self.occurrences
        for term, text, first, last in zip(
            terms,
            texts.tolist(),
            (firsts - begins).tolist(),
            (lasts - begins).tolist(),
            strict=True,
        ):
            occurrences[text // TEXTS].setdefault(term, []).append((text % TEXTS, first, last))

    def keep_terms(self) -> tuple[Ints, Ints]:
        """The single-word terms of the batch's words (and each one's word), read now and
        kept: words may be located after the index has started afresh (see Match.hits), when
        their ids mean other spellings."""
        if self._terms is None:
            self._terms = self.index.terms.gather(self.ids)
        return self._terms

    def term_places(self) -> tuple[Ints, Ints]:
        """Every term found in the batch, words, phrases and patterns, and the batch place
        of each one's first word."""
        words, places = self.keep_terms()
        terms, firsts, _ = self._places
        return np.concatenate((words, terms)), np.concatenate((places, firsts))

    def found_cells(self) -> Ints:
        """The cells of `found` (flat: item × groups + group) that hold some bit, in order.
        Where few were marked, sorted from the cells marked rather than read from the
        whole table: at 10,000 rules a feed item has 28,000 cells, a thousand of them
        marked, and reading the table took half of choosing a batch's candidates."""
        if self._cells is None:
            self._cells = self._cells_set()
            self._marked = []
        return self._cells

    def _cells_set(self) -> Ints:
        flat = self.found.reshape(-1)
        if sum(len(items) for items, _ in self._marked) * sorted_below() > len(flat):
            return set_cells(flat)
        return distinct_cells(self._marked, len(self.found), self._groups)

    def item_of(self, places: Ints) -> Ints:
        """The item each batch place stands in, by its place in the batch."""
        items: Ints = self._item_of[places]
        return items

    def text_of(self, places: Ints) -> Ints:
        """The text each batch place stands in, numbered across the batch."""
        texts: Ints = self._text_begins.searchsorted(places, side="right") - 1
        return texts

    def _place(self, terms: Ints, firsts: Ints, lasts: Ints) -> None:
        """Phrases or patterns found, each from word `firsts[i]` to `lasts[i]` of the batch:
        their groups marked found."""
        if not len(terms):
            return
        for column, values in zip(self._found_places, (terms, firsts, lasts), strict=True):
            column.append(values)
        groups, owners = self.index.groups_of_terms.gather(terms)
        at = firsts[owners]
        self._mark_cells(self._item_of[at], groups, self.fields[at])

    def _mark_cells(self, items: Ints, groups: Ints, bits: npt.NDArray[np.uint8]) -> None:
        """Each item's group marked found in the field `bits`, and kept for `found_cells`."""
        self._marked.append((items, groups))
        _mark(self.found, items * self._groups + groups, bits)


@cache
def sorted_below() -> float:
    """How many cells of a batch's table are read in the time one marked cell is sorted,
    measured once a process: the cells set are sorted from those marked when these are
    fewer than that part of the table, and read from the table otherwise. Numpy's sort runs
    in SIMD on some machines and not on others, five times apart, where reading the table
    costs the same: at 10,000 rules a feed item's thousand marked cells sorted in 6 µs on
    one machine and in 33 on another, and its 28,000 read in 15 on both."""
    marked = np.arange(TRIAL_MARKED)
    items = marked * TRIAL_ROWS // TRIAL_MARKED
    groups = marked * _SCATTER % TRIAL_COLUMNS  # in no order within an item's cells
    runs = [(items, groups)]
    flat = np.zeros(TRIAL_ROWS * TRIAL_COLUMNS, np.uint8)
    flat[items * TRIAL_COLUMNS + groups] = 1
    sorting = _quickest(lambda: distinct_cells(runs, TRIAL_ROWS, TRIAL_COLUMNS))
    reading = _quickest(lambda: set_cells(flat))
    return (sorting / TRIAL_MARKED) / (reading / len(flat))


def _quickest(call: Callable[[], object]) -> float:
    """The shortest of TRIALS timings of `call`, in seconds."""
    timings = []
    for _ in range(TRIALS):
        began = time.perf_counter()
        call()
        timings.append(time.perf_counter() - began)
    return max(min(timings), 1e-9)


def set_cells(flat: npt.NDArray[np.uint8]) -> Ints:
    """The cells of a flat table that hold some bit, in order."""
    found: Ints = np.flatnonzero(flat != 0)
    return found


def distinct_cells(runs: Sequence[tuple[Ints, Ints]], rows: int, columns: int) -> Ints:
    """The cells of `sorted_cells`, each once."""
    cells = sorted_cells(runs, rows, columns)
    found: Ints = cells.compress(run_firsts(cells))
    return found


def sorted_cells(runs: Sequence[tuple[Ints, Ints]], rows: int, columns: int) -> Ints:
    """The cells (item × columns + group) of runs of items and groups of a table of `rows` ×
    `columns`, in order, some more than once. Sorted as one number of 32 bits each where
    they fit (item, then group, 16 bits each), by numpy's sort: where it runs in SIMD,
    50,000 cells took 0.47 ms against 0.91 ms for two stable radix passes, groups then
    items. A stable sort of 32 bits does not run in SIMD."""
    if rows > 1 << 16 or columns > 1 << 16:
        cells = np.concatenate([*(items * columns + groups for items, groups in runs), _NONE])
        cells.sort()
        return cells
    keys = np.concatenate(
        [*((items << 16) | groups for items, groups in runs), _NONE],
        dtype=np.uint32,
        casting="unsafe",  # each fits: checked above
    )
    keys.sort()
    found: Ints = (keys >> 16).astype(np.intp) * columns + (keys & 0xFFFF)
    return found


def _mark(found: npt.NDArray[np.uint8], cells: Ints, bits: npt.NDArray[np.uint8]) -> None:
    """`found`'s `cells` or'ed with their `bits`, a cell given any number of times: a word's
    bits are one of four values, and with one value at a time a cell given twice is
    written the same twice, in a plain indexed write (at 10,000 rules, half the time of
    np.bitwise_or.at on the 100,000 cells of a batch of feed items)."""
    flat = found.reshape(-1)
    for value in _FIELD_VALUES:
        at = cells.compress(bits == value)
        if len(at):
            flat[at] |= value
