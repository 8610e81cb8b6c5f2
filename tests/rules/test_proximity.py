"""The cheap test of a `near` agrees with judging it in full, and is made only for the
`near` parts a rule cannot hold without."""

from __future__ import annotations

import random

import numpy as np

from monitor.item import ItemField
from monitor.rules.expression import (
    ALL_FIELDS,
    AllOf,
    AnyOf,
    GroupRef,
    Near,
    NoneOf,
    Scoped,
    TermHit,
)
from monitor.rules.proximity import (
    Events,
    NearTest,
    covering_ends,
    near_tests,
    required_nears,
    settled_by_tests,
)
from monitor.rules.scan import Occurrences


def _hits(occurrences: Occurrences, group_terms: list[list[int]]) -> dict[int, list[TermHit]]:
    return {
        group: [
            TermHit(group, ItemField.BODY, 4, text, first, last)
            for term in terms
            for text, first, last in occurrences.get(term, ())
        ]
        for group, terms in enumerate(group_terms)
        if any(term in occurrences for term in terms)
    }


def _events(tests: list[tuple[NearTest, Occurrences]], rng: random.Random) -> Events:
    """Every place of every group of each test, sorted by test, text and place; the groups
    at one place in any order."""
    rows = sorted(
        (number, text, first, rng.random(), child)
        for number, (test, occurrences) in enumerate(tests)
        for child, terms in enumerate(test.terms)
        for term in terms
        for text, first, _ in occurrences.get(term, ())
    )
    test, text, place, _, child = np.array(rows).reshape(-1, 5).T
    return Events(*(column.astype(np.intp) for column in (test, child, text, place)))


def test_a_near_holds_where_a_window_ends_exactly_when_judging_it_in_full_finds_it_holds() -> None:
    rng = random.Random(7)
    group_terms = [[0, 1], [2], [3, 4, 5], [6]]
    agreed = {True: 0, False: 0}
    for _ in range(600):
        # several tests of one batch, as BatchNears makes them
        tests, held = [], []
        for _ in range(rng.randint(1, 5)):
            children = rng.choice([[0, 1], [1, 2], [0, 1, 2], [0, 1, 2, 3], [2]])
            within = rng.choice([None, 0, 1, 3, 8])
            near = Near([GroupRef(g, f"g{g}") for g in children], within=within)
            occurrences: Occurrences = {}
            for term in range(7):
                for _ in range(rng.randint(0, 3)):
                    first = rng.randint(0, 40)
                    occurrences.setdefault(term, []).append((rng.randint(0, 2), first, first))
            (test,) = near_tests(near, group_terms)
            tests.append((test, occurrences))
            hits = _hits(occurrences, group_terms)
            held.append(near.evaluate(hits, ALL_FIELDS, ALL_FIELDS) is not None)
        events = _events(tests, rng)
        if not len(events.test):
            continue
        reach = np.array([test.reach for test, _ in tests], np.int64)
        arity = np.array([len(test.terms) for test, _ in tests], np.intp)
        ends = covering_ends(events, reach, arity)
        found = set(events.test[ends].tolist())
        assert [number in found for number in range(len(tests))] == held, tests
        for answer in held:
            agreed[answer] += 1
    assert min(agreed.values()) > 300  # both answers were put to the test


def test_only_the_nears_a_rule_cannot_hold_without_are_tested() -> None:
    a, b, c = GroupRef(0, "a"), GroupRef(1, "b"), GroupRef(2, "c")
    inner = Near([b, c], within=4)
    assert required_nears(AllOf([a, inner])) == [inner]
    assert required_nears(AllOf([inner, NoneOf([Near([a, b])])])) == [inner]
    assert required_nears(AnyOf([a, inner])) == []  # `a` alone holds the rule
    assert required_nears(Scoped(inner, 1)) == []  # judged on the title only
    assert required_nears(Near([b, c], sentence=True)) == []
    assert required_nears(Near([a, AnyOf([b, c])])) == []
    assert near_tests(inner, [[9], [10, 11], [12]]) == [NearTest(((10, 11), (12,)), 4)]


def test_only_an_all_of_exact_parts_and_plain_nears_is_settled_by_its_tests() -> None:
    a, b, c = GroupRef(0, "a"), GroupRef(1, "b"), GroupRef(2, "c")
    inner = Near([b, c], within=4)
    assert settled_by_tests(inner)
    assert settled_by_tests(AllOf([a, inner, NoneOf([c])]))
    assert not settled_by_tests(AllOf([a, AnyOf([inner, c])]))  # a near no test is made of
    assert not settled_by_tests(AllOf([inner, NoneOf([Near([a, b])])]))
    assert not settled_by_tests(AllOf([inner, Scoped(Near([a, b]), 1)]))
    assert not settled_by_tests(Near([b, c], sentence=True))
    assert not settled_by_tests(Near([a, AnyOf([b, c])]))
