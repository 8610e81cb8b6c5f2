"""A first, cheap test of a rule's `near` parts: whether their groups' terms stand within
reach of each other anywhere, read from the places the scan found them at.

Of the rules whose groups an article holds, most of those with a `near` still fail on
distance; judging them in full makes a hit of every place of every group first. The
test looks for a window as Near.evaluate does (expression.covering_windows), on the
places alone, so a False from it is the same as the rule's expression not holding; for a
rule whose other parts are exact, a True is the same as its holding.

The tests of two groups, most of them, are made for all the candidates of a batch at
once (PairedNears), from where the batch's terms stand, before any word is located.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from monitor.rules.expression import AllOf, GroupRef, Near, Node, covering_windows
from monitor.rules.ragged import Ints, Ragged, rows_of
from monitor.rules.scan import Occurrence, Occurrences, ScanBatch

PAIRED_AT_MOST = 64
"""Pairs of places of two groups compared one by one before sorting them is cheaper."""

UNBOUNDED = 1 << 62
"""The reach of a `near` without `within`: as far as its text goes."""


@dataclass(frozen=True)
class NearTest:
    """A `near` of groups that its rule cannot hold without: each group's terms, by child."""

    terms: tuple[tuple[int, ...], ...]
    reach: int

    def may_hold(self, occurrences: Occurrences) -> bool:
        """Whether some window of `reach` words of one text holds a term of every group."""
        if len(self.terms) == 2:
            get = occurrences.get
            one, other = self.terms
            ones = [place for term in one for place in get(term, ())]
            others = [place for term in other for place in get(term, ())]
            if len(ones) * len(others) <= PAIRED_AT_MOST:
                return _paired(ones, others, self.reach)
        events = sorted(
            (text, first, child)
            for child, terms in enumerate(self.terms)
            for term in terms
            for text, first, _ in occurrences.get(term, ())
        )
        return any(covering_windows(events, len(self.terms), self.reach))


def _paired(ones: list[Occurrence], others: list[Occurrence], reach: int) -> bool:
    """Whether a place of `ones` and one of `others` stand within `reach` words in one
    text: every pair compared, which at a few places each (most tests) costs less than
    sorting them."""
    for text, first, _ in ones:
        for other, second, _ in others:
            if text == other and -reach <= first - second <= reach:
                return True
    return False


def required_nears(node: Node) -> list[Near]:
    """The `near` nodes of plain groups, judged on every field, without which `node` cannot
    hold: itself, or those among the parts of an `all`."""
    if isinstance(node, Near):
        plain = all(isinstance(child, GroupRef) for child in node.children)
        return [node] if plain and not node.sentence else []
    if isinstance(node, AllOf):
        return [near for child in node.children for near in required_nears(child)]
    return []


def settled_by_tests(node: Node) -> bool:
    """Whether `node` holds exactly when its condition does and the tests of its required
    nears pass: an `all` of exact parts and plain nears, or one plain near."""
    if isinstance(node, Near):
        return bool(required_nears(node))
    if isinstance(node, AllOf):
        return all(settled_by_tests(child) for child in node.children)
    return node.exact()


def near_tests(expression: Node, group_terms: Sequence[Sequence[int]]) -> list[NearTest]:
    """The tests of the expression's required nears; `group_terms[g]`: the terms of the
    rule's group g."""
    return [
        NearTest(
            tuple(tuple(group_terms[child.group]) for child in _groups(near)),
            UNBOUNDED if near.within is None else near.within,
        )
        for near in required_nears(expression)
    ]


def _groups(near: Near) -> list[GroupRef]:
    return [child for child in near.children if isinstance(child, GroupRef)]


class PairedNears:
    """Every rule's tests of two groups, made for the candidates of a whole batch at once.

    Of two sets of places, the closest pair of one place from each stand next to each
    other once all are sorted: so a test holds on an item when, sorted by test and place,
    two neighbouring places of different sides stand in one text within its reach. The
    places are read from numpy's table of the batch's terms, which spares locating the
    words of most rules with a `near` (at 10,000 rules, about 240 places an article). An
    anchored rule's tests are made again on the places in its anchor's fields, which tell
    whether it alerts."""

    def __init__(self, tests: Sequence[Sequence[NearTest]], anchors: Sequence[int], terms: int):
        self.rest = [tuple(test for test in own if len(test.terms) != 2) for own in tests]
        """Of each rule, its tests of more than two groups, made one item at a time."""
        self._rule_tests = Ragged()
        self._test_terms = Ragged()
        """Of each test, the terms of both its sides."""
        self._terms = terms
        sides: dict[int, list[int]] = {}
        reach: list[int] = []
        anchor: list[int] = []
        for own, rule_anchor in zip(tests, anchors, strict=True):
            numbers = []
            for test in own:
                if len(test.terms) == 2:
                    numbers.append(len(reach))
                    self._test_terms.append(sorted(set(chain.from_iterable(test.terms))))
                    for side, side_terms in enumerate(test.terms):
                        for term in set(side_terms):
                            sides.setdefault(term, []).append(2 * len(reach) + side)
                    reach.append(test.reach)
                    anchor.append(rule_anchor)
            self._rule_tests.append(numbers)
        self._term_row = np.full(terms, -1, np.int32)
        """Of each term, its row of `_term_sides`; -1: it stands in no test."""
        self._term_row[list(sides)] = np.arange(len(sides))
        self._term_sides = Ragged()
        """Of each term that stands in some test, those tests, as 2 × test + side."""
        for cells in sides.values():
            self._term_sides.append(cells)
        self._reach = np.array(reach, np.int64)
        self._anchor = np.array(anchor, np.uint8)
        """Of each test, its rule's anchor's fields."""

    def passing(
        self, batch: ScanBatch, candidates: list[list[int]]
    ) -> tuple[list[list[int]], list[set[int]]]:
        """Of each item's candidate rules, those whose every test of two groups holds; and
        of those, the anchored ones some test of which fails on their anchor's fields."""
        counts = list(map(len, candidates))
        rules = np.fromiter(chain.from_iterable(candidates), np.intp, sum(counts))
        tests, owners = self._rule_tests.gather(rules)
        if not len(tests):
            return candidates, [set() for _ in candidates]
        items = np.arange(len(candidates)).repeat(counts)
        cells = items[owners] * len(self._reach) + tests
        held, anchored = self._held(batch, cells)
        kept = np.ones(len(rules), bool)
        kept[owners[~held[cells]]] = False
        quiet = np.zeros(len(rules), bool)
        quiet[owners[~anchored[cells]]] = True
        quiet &= kept
        count = len(candidates)
        return rows_of(rules[kept], items[kept], count), [
            set(rules_of) for rules_of in rows_of(rules[quiet], items[quiet], count)
        ]

    def _held(
        self, batch: ScanBatch, cells: Ints
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Of every item × test, whether the test holds on the item, and whether it holds on
        its anchor's fields; `cells`: those asked."""
        count = len(self._reach)
        asked = np.zeros(len(batch.occurrences) * count, bool)
        asked[cells] = True
        terms, places = self._asked_places(batch, cells)
        sides, owners = self._term_sides.gather(self._term_row[terms].astype(np.intp))
        places = places[owners]
        tests = sides >> 1
        keep = asked[batch.item_of(places) * count + tests]
        sides, places, tests = sides[keep], places[keep], tests[keep]
        held = self._holding(batch, sides, places, count)
        in_anchor = (batch.fields[places] & self._anchor[tests]) != 0
        anchored = self._holding(batch, sides[in_anchor], places[in_anchor], count)
        return held, anchored

    def _asked_places(self, batch: ScanBatch, cells: Ints) -> tuple[Ints, Ints]:
        """The terms found in the batch that some test asked of their item stands in, and
        their places: most terms found stand in no test asked of their item, and finding
        every test of every term found took most of the time (at 10,000 rules)."""
        tests = len(self._reach)
        terms, owners = self._test_terms.gather(cells % tests)
        wanted = np.zeros(len(batch.occurrences) * self._terms, bool)
        wanted[(cells // tests)[owners] * self._terms + terms] = True
        found, places = batch.term_places()
        kept = wanted[batch.item_of(places) * self._terms + found]
        return found[kept], places[kept]

    def _holding(
        self, batch: ScanBatch, sides: Ints, places: Ints, count: int
    ) -> npt.NDArray[np.bool_]:
        """Of every item × test, whether the test holds on the places given, each of one
        side of a test."""
        key = (sides >> 1) * len(batch.ids) + places
        order = key.argsort(kind="stable")
        key, side = key[order], (sides & 1)[order]
        test, place = np.divmod(key, len(batch.ids))
        near = (
            (test[1:] == test[:-1])
            & (side[1:] != side[:-1])
            & (place[1:] - place[:-1] <= self._reach[test[1:]])
        ).nonzero()[0]
        near = near[batch.text_of(place[near]) == batch.text_of(place[near + 1])]
        held = np.zeros(len(batch.occurrences) * count, bool)
        held[batch.item_of(place[near]) * count + test[near]] = True
        return held
