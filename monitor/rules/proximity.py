"""A first, cheap test of a rule's `near` parts: whether their groups' terms stand within
reach of each other anywhere, read from the places the scan found them at.

Of the rules whose groups an article holds, most of those with a `near` still fail on
distance; judging them in full makes a hit of every place of every group first. The
test looks for a window as Near.evaluate does (expression.covering_windows), on the
places alone, so a False from it is the same as the rule's expression not holding; for a
rule whose other parts are exact, a True is the same as its holding.

The tests are made for all the candidates of a batch at once (BatchNears), from where
the batch's terms stand, before any word is located.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from monitor.rules.candidates import Candidates
from monitor.rules.expression import AllOf, GroupRef, Near, Node
from monitor.rules.ragged import Ints, Ragged
from monitor.rules.scan import ScanBatch

UNBOUNDED = 1 << 62
"""The reach of a `near` without `within`: as far as its text goes."""


@dataclass(frozen=True)
class NearTest:
    """A `near` of groups that its rule cannot hold without: each group's terms, by child."""

    terms: tuple[tuple[int, ...], ...]
    reach: int


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


class BatchNears:
    """Every rule's near tests, made for the candidates of a whole batch at once.

    The places of the terms of the tests asked are read from numpy's table of the batch's
    terms, which spares locating the words of most rules with a `near` (at 10,000 rules,
    about 240 places an article), and sorted by test and place; a test holds on an item
    where one of them ends a window as covering_windows finds one (see `covering_ends`).
    An anchored rule's tests are made again on the places in its anchor's fields, which
    tell whether it alerts."""

    def __init__(self, tests: Sequence[Sequence[NearTest]], anchors: Sequence[int], terms: int):
        self._rule_tests = Ragged()
        self._test_terms = Ragged()
        """Of each test, the terms of all its groups."""
        self._terms = terms
        widest = max((len(test.terms) for own in tests for test in own), default=1)
        self._shift = (widest - 1).bit_length()
        """A test's groups are numbered in this many low bits, the test above them."""
        children: dict[int, list[int]] = {}
        reach: list[int] = []
        anchor: list[int] = []
        arity: list[int] = []
        for own, rule_anchor in zip(tests, anchors, strict=True):
            self._rule_tests.append(range(len(reach), len(reach) + len(own)))
            for test in own:
                number = len(reach) << self._shift
                self._test_terms.append(sorted(set(chain.from_iterable(test.terms))))
                for child, child_terms in enumerate(test.terms):
                    for term in set(child_terms):
                        children.setdefault(term, []).append(number | child)
                reach.append(test.reach)
                anchor.append(rule_anchor)
                arity.append(len(test.terms))
        self._term_row = np.full(terms, -1, np.int32)
        """Of each term, its row of `_term_children`; -1: it stands in no test."""
        self._term_row[list(children)] = np.arange(len(children))
        self._term_children = Ragged()
        """Of each term that stands in some test, those tests and the group it is of in
        each, as test << shift | group."""
        for cells in children.values():
            self._term_children.append(cells)
        self._reach = np.array(reach, np.int64)
        self._arity = np.array(arity, np.intp)
        self._anchor = np.array(anchor, np.uint8)
        """Of each test, its rule's anchor's fields."""

    def passing(
        self, batch: ScanBatch, candidates: Candidates
    ) -> tuple[Candidates, npt.NDArray[np.bool_]]:
        """The candidates whose every near test holds; and which of those are anchored
        rules some test of which fails on their anchor's fields."""
        rules, items = candidates
        tests, owners = self._rule_tests.gather(rules)
        if not len(tests):
            return candidates, np.zeros(len(rules), bool)
        asked_of = items[owners]
        cells = asked_of * len(self._reach) + tests
        held, anchored = self._held(batch, cells, tests, asked_of)
        kept = np.ones(len(rules), bool)
        kept[owners[~held[cells]]] = False
        quiet = np.zeros(len(rules), bool)
        quiet[owners[~anchored[cells]]] = True
        return candidates.where(kept), quiet[kept]

    def _held(
        self, batch: ScanBatch, cells: Ints, tests: Ints, items: Ints
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Of every item × test, whether the test holds on the item, and whether it holds on
        its anchor's fields; `cells`: those asked, test `tests[i]` of item `items[i]`."""
        count = len(self._reach)
        asked = np.zeros(len(batch.occurrences) * count, bool)
        asked[cells] = True
        terms, places = self._asked_places(batch, tests, items)
        children, owners = self._term_children.gather(self._term_row[terms].astype(np.intp))
        places = places[owners]
        tests = children >> self._shift
        keep = asked[batch.item_of(places) * count + tests]
        events = self._events(batch, children.compress(keep), places.compress(keep))
        held = self._holding(batch, events, count)
        in_anchor = (batch.fields[events.place] & self._anchor[events.test]) != 0
        anchored = self._holding(batch, Events(*(c.compress(in_anchor) for c in events)), count)
        return held, anchored

    def _asked_places(self, batch: ScanBatch, tests: Ints, items: Ints) -> tuple[Ints, Ints]:
        """The terms found in the batch that some test asked of their item stands in, and
        their places: most terms found stand in no test asked of their item, and finding
        every test of every term found took most of the time (at 10,000 rules)."""
        terms, owners = self._test_terms.gather(tests)
        wanted = np.zeros(len(batch.occurrences) * self._terms, bool)
        wanted[items[owners] * self._terms + terms] = True
        found, places = batch.term_places()
        kept = wanted[batch.item_of(places) * self._terms + found]
        return found.compress(kept), places.compress(kept)

    def _events(self, batch: ScanBatch, children: Ints, places: Ints) -> Events:
        """The places given, each of one group of a test (test << shift | group), sorted:
        once, since the places in the anchors' fields are then sorted too. Places of
        groups of one test at one word may come in any order (see covering_ends)."""
        tests = children >> self._shift
        order = (tests * len(batch.ids) + places).argsort()
        test, place = tests[order], places[order]
        child = (children & ((1 << self._shift) - 1))[order]
        return Events(test, child, batch.text_of(place), place)

    def _holding(self, batch: ScanBatch, events: Events, count: int) -> npt.NDArray[np.bool_]:
        """Of every item × test, whether the test holds on the `events`."""
        ends = covering_ends(events, self._reach, self._arity)
        held = np.zeros(len(batch.occurrences) * count, bool)
        held[batch.item_of(events.place[ends]) * count + events.test[ends]] = True
        return held


class Events(NamedTuple):
    """Places of the groups of near tests, sorted by test, text and place."""

    test: Ints
    child: Ints
    """The group of its test a place is of, by its place in the `near`."""
    text: Ints
    place: Ints


def covering_ends(
    events: Events, reach: npt.NDArray[np.int64], arity: Ints
) -> npt.NDArray[np.bool_]:
    """Of each event, whether it ends a window of its test in one text, at most the test's
    `reach` words long, that holds an event of every group of the test: whether, for each
    group, the group's last event so far in the test and text stands within reach. Some
    event ends one exactly when covering_windows finds one, whatever the order of events
    at one place: the last of them ends a window if any of them does."""
    test, child, text, place = events
    if not len(test):
        return np.zeros(0, bool)
    at = np.arange(len(test))
    starts = np.ones(len(test), bool)
    starts[1:] = (test[1:] != test[:-1]) | (text[1:] != text[:-1])
    begins = np.maximum.accumulate(np.where(starts, at, 0))
    """Of each event, the first of its test and text."""
    low = place - reach[test]
    groups = arity[test]
    ends = np.ones(len(test), bool)
    for group in range(int(groups.max())):
        last = np.maximum.accumulate(np.where(child == group, at, -1))
        ends &= ((last >= begins) & (place[last] >= low)) | (group >= groups)
    return ends
