"""The cheap test of a `near` agrees with judging it in full, and is made only for the
`near` parts a rule cannot hold without."""

from __future__ import annotations

import random

import pytest

from monitor.item import ItemField
from monitor.rules import proximity
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
from monitor.rules.proximity import NearTest, near_tests, required_nears, settled_by_tests
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


@pytest.mark.parametrize("paired_at_most", [proximity.PAIRED_AT_MOST, 0])
def test_a_near_may_hold_exactly_when_judging_it_in_full_finds_it_holds(
    paired_at_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proximity, "PAIRED_AT_MOST", paired_at_most)  # places paired or sorted
    rng = random.Random(7)
    group_terms = [[0, 1], [2], [3, 4, 5]]
    agreed = {True: 0, False: 0}
    for _ in range(3_000):
        children = rng.choice([[0, 1], [1, 2], [0, 1, 2]])
        within = rng.choice([None, 0, 1, 3, 8])
        near = Near([GroupRef(g, f"g{g}") for g in children], within=within)
        occurrences: Occurrences = {}
        for term in range(6):
            for _ in range(rng.randint(0, 3)):
                first = rng.randint(0, 40)
                occurrences.setdefault(term, []).append((rng.randint(0, 2), first, first))
        (test,) = near_tests(near, group_terms)
        held = near.evaluate(_hits(occurrences, group_terms), ALL_FIELDS, ALL_FIELDS) is not None
        assert test.may_hold(occurrences) == held, (children, within, occurrences)
        agreed[held] += 1
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
