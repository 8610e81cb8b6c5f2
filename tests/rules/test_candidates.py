"""Which rules are judged on an item: never fewer than can hold, and an `any` that must
hold keeps out the rules it fails."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from monitor.item import Item
from monitor.rules import matcher
from monitor.rules.candidates import CandidateIndex, Settled, clauses
from monitor.rules.expression import ALL_FIELDS
from monitor.rules.loader import load_rules
from monitor.rules.matcher import Matcher
from monitor.rules.rule import Rule
from tests.rules.test_predicate import (
    EXPRESSIONS,
    NEAR,
    every_finding,
    hits_of,
    rule_of,
    rule_text,
)

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
    index = CandidateIndex(matcher.rules, matcher._rule_groups, [clauses(rule)])
    items = [
        Item(id="a", title="alpha", content="nothing else"),
        Item(id="ab", title="alpha", content="and beta"),
        Item(id="ac", title="alpha", content="and gamma"),
        Item(id="ac-title", title="alpha gamma", content="no more"),
        Item(id="b", title="beta", content="gamma"),
    ]
    batch = matcher._scan_batch(items)
    assert index.candidates(batch).by_item(5) == [[], [0], [0], [0], []]  # `none` later
    assert [bool(matcher.match(item)) for item in items] == [False, True, True, False, False]


INTERLEAVED = [
    "{all: [{any: [a, c]}, b]}",
    "{all: [{any: [a, c]}, b], none: [{all: [c], in: title}]}",
    "{all: [c, {any: [b, a], in: [title, lead]}]}",
    "{all: [{any: [b, c], in: title}, a]}",
    "{all: [{any: [a, c]}, {any: [b, c]}]}",
]
"""Rules whose clauses name their groups out of the order the rule gives them in."""

WORDS = ("alpha", "beta", "gamma")


def rules_of(tmp_path: Path, matches: list[str]) -> list[Rule]:
    for number, match in enumerate(matches):
        text = rule_text(match, f"r{number:02d}")
        (tmp_path / f"r{number:02d}.yaml").write_text(text, encoding="utf-8")
    return load_rules([tmp_path])


def every_placing() -> list[Item]:
    """An item for each choice of the words in its title and in its body."""
    subsets = [
        [word for word, on in zip(WORDS, mask, strict=True) if on]
        for mask in itertools.product((0, 1), repeat=len(WORDS))
    ]
    return [
        Item(id=f"{n}", title=" ".join(["news", *title]), content=" ".join(["text", *body]))
        for n, (title, body) in enumerate(itertools.product(subsets, subsets))
    ]


def test_candidates_are_the_rules_whose_clauses_are_met_in_any_group_order(
    tmp_path: Path,
) -> None:
    matcher = Matcher(rules_of(tmp_path, INTERLEAVED + CHOICES))
    items = every_placing()
    expected = []
    for item in items:
        found = matcher.scan(item).found_bytes()
        expected.append(
            [
                index
                for index, (rule, gids) in enumerate(
                    zip(matcher.rules, matcher._rule_groups, strict=True)
                )
                if all(met(clause, tuple(found[gid] for gid in gids)) for clause in clauses(rule))
                and not any(found[gids[local]] for local in rule.expression.forbidden_groups())
            ]
        )
    candidates = matcher._candidates.candidates(matcher._scan_batch(items)).by_item(len(items))
    assert candidates == expected
    assert any(len(rules) > 3 for rules in candidates)


def test_groups_numbered_out_of_clause_order_are_refused(tmp_path: Path) -> None:
    rules = rules_of(tmp_path, INTERLEAVED[:1])
    with pytest.raises(ValueError, match="numbered by rule and clause"):
        CandidateIndex(rules, [[0, 1, 2]], [clauses(rules[0])])
    assert Matcher(rules)._rule_groups == [[1, 0, 2]]


def test_rules_whose_clauses_settle_them_are_told_apart(tmp_path: Path) -> None:
    settled = Settled()
    kinds = {
        "{all: [a, b]}": True,
        "{all: [a, b], none: [c]}": True,
        "{all: [a, {any: [b, c]}], in: [title, lead]}": True,
        "{any: [{all: [a, b]}, c]}": False,  # a alone makes it a candidate
        "{all: [a, b], none: [{all: [c], in: title}]}": False,  # c in the body does not forbid
    }
    for number, (match, expected) in enumerate(kinds.items()):
        folder = tmp_path / f"{number}"
        folder.mkdir()
        (rule,) = rules_of(folder, [match])
        assert settled(rule, clauses(rule)) is expected, match


def test_rules_settled_by_their_clauses_match_as_when_tested_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = rules_of(tmp_path, EXPRESSIONS + NEAR + CHOICES + INTERLEAVED)
    settled = Matcher(rules)
    monkeypatch.setattr(matcher, "Settled", lambda: lambda rule, rule_clauses: False)
    tested = Matcher(rules)
    assert 0 < len(settled._predicates) < len(tested._predicates) == len(rules)
    items = every_placing()
    assert settled.match_many(items) == tested.match_many(items)
    assert sum(map(len, settled.match_many(items))) > len(items)
