"""Which rules are judged on an item: never fewer than can hold, and an `any` that must
hold keeps out the rules it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.item import Item
from monitor.rules.candidates import CandidateIndex, clauses
from monitor.rules.expression import ALL_FIELDS
from monitor.rules.matcher import Matcher
from tests.rules.test_predicate import EXPRESSIONS, NEAR, every_finding, hits_of, rule_of

CHOICES = [
    "{all: [a, {any: [b, c]}]}",
    "{all: [{any: [a, b]}, {any: [b, c]}]}",
    "{all: [{any: [a, b, c], at_least: 2}, {near: [a, c], within: 5}]}",
    "{all: [a, {any: [b, c], in: title}], in: [title, lead]}",
    "{any: [a, {all: [b, c]}]}",
]


def met(clause: tuple[dict[int, int], int], found: tuple[int, ...]) -> bool:
    groups, least = clause
    return sum(bool(found[group] & fields) for group, fields in groups.items()) >= least


@pytest.mark.parametrize("match", EXPRESSIONS + NEAR + CHOICES)
def test_every_clause_is_met_where_the_rule_holds(tmp_path: Path, match: str) -> None:
    rule = rule_of(tmp_path, match)
    found_clauses = clauses(rule)
    used = [group for groups, _ in found_clauses for group in groups]
    assert len(used) == len(set(used))  # a group counts towards one clause
    for found in every_finding():
        if rule.expression.evaluate(hits_of(found), ALL_FIELDS, ALL_FIELDS) is not None:
            assert all(met(clause, found) for clause in found_clauses), found


def test_an_any_that_must_hold_is_a_clause_of_its_own(tmp_path: Path) -> None:
    rule = rule_of(tmp_path, "{all: [a, {any: [b, c], in: title}], in: [title, lead]}")
    assert clauses(rule) == [({0: 3}, 1), ({1: 1, 2: 1}, 1)]
    # the second `any` shares b with the first: b counts towards the first alone
    rule = rule_of(tmp_path, "{all: [{any: [a, b]}, {any: [b, c]}]}")
    assert clauses(rule) == [({0: ALL_FIELDS, 1: ALL_FIELDS}, 1)]
    # an `any` of more than groups is no clause: the rule may hold on what is below it
    rule = rule_of(tmp_path, "{any: [a, {all: [b, c]}]}")
    assert clauses(rule) == [({0: ALL_FIELDS, 1: ALL_FIELDS, 2: ALL_FIELDS}, 1)]


def test_a_rule_whose_any_fails_is_not_judged(tmp_path: Path) -> None:
    rule = rule_of(tmp_path, "{all: [a, {any: [b, c]}], none: [{all: [c], in: title}]}")
    matcher = Matcher([rule])
    index = CandidateIndex(matcher.rules, matcher._rule_groups)
    items = [
        Item(id="a", title="alpha", content="nothing else"),
        Item(id="ab", title="alpha", content="and beta"),
        Item(id="ac", title="alpha", content="and gamma"),
        Item(id="ac-title", title="alpha gamma", content="no more"),
        Item(id="b", title="beta", content="gamma"),
    ]
    batch = matcher._scan_batch(items)
    assert index.candidates(batch) == [[], [0], [0], [0], []]  # `none` is judged later
    assert [bool(matcher.match(item)) for item in items] == [False, True, True, False, False]
